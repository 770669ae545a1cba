/* exp_impl.h — private to src/core: the layout of an experiment and its runs,
 * shared by experiment.c, run.c, flow.c, sweep.c, export.c, params.c and
 * compare.c. Nothing outside src/core includes this. */
#ifndef NOETHER_EXP_IMPL_H
#define NOETHER_EXP_IMPL_H
#include "noether/experiment.h"
#include "noether/run.h"
#include "noether/rng.h"

#define EXP_MAX_RUNS 2

struct trace {
	long nrows, caprows;
	int width;              /* doubles per row */
	double *rows;
	long stride;            /* record every stride-th step (doubles on overflow) */
};

/* own-setting bits of a run */
enum { RUN_OWN_OPT = 1, RUN_OWN_SCHED = 2, RUN_OWN_WD = 4, RUN_OWN_SEED = 8 };

struct run {
	struct experiment *x;
	char label[4];
	int listed;             /* in x->runs (rebuilt with x), else detached */
	unsigned long built_gen;/* x->config_gen when the buffers were sized */
	int own;                /* RUN_OWN_* */
	struct train_settings set;  /* in force (own parts, rest copied from x) */
	unsigned long seed;     /* own init seed (RUN_OWN_SEED) */

	size_t D;
	double *theta, *theta0, *grad, *mom, *scratch, *df;
	double *xb, *tb;        /* SGD minibatch buffers */
	int *lb, *perm;
	int built_batch;        /* batch the SGD buffers were sized for (0: none) */
	long step;
	double t, Lambda, budget;
	double loss_val, loss0, grad_norm;
	int diverged;
	struct rng sgd_rng;
	double *flow_ws;        /* opt flow / flow+momentum workspace (flow.c) */
	size_t flow_ws_size;
	double flow_h;
	int flow_fsal;

	struct qset q;          /* copies of x's quantities, with this run's values */
	struct trace trace;
	struct qplan *qplan;
	char err[1024];
};

struct experiment {
	struct model *model;
	struct dataset *data;
	enum loss_kind loss;
	struct init_spec init;
	struct train_settings set;  /* defaults for the runs */
	int threads;
	unsigned long check_seed;

	int dirty;
	unsigned long config_gen, theta0_gen;
	size_t D;
	double *targets;        /* regression targets or NULL */
	double *df;             /* ∂L/∂f for the full batch (experiment_loss_grad) */
	double *theta0;         /* θ0 of the initialisation */
	double *work;           /* 3·D scratch for checks */
	struct qset q;          /* the catalogue: definitions, gradient-flow roles */

	struct run *runs[EXP_MAX_RUNS];
	int nruns;
	char compare_what[16];
	struct portrait_info portrait;

	char **history; int nhistory, caphistory;
	char notice[512];
	char err[1024];
};

/* run.c */
struct run *run_create(struct experiment *x, const char *label, int listed);
/* Sizes r's buffers and quantity copies for x's current build, θ0 from x (or
 * its own seed), and resets. 0 or an error in r->err. */
int run_rebuild(struct run *r);
/* New quantity copies from the catalogue (roles and checks copied); keeps
 * values where a name survives; relayouts the trace keeping its rows. */
void run_sync_quantities(struct run *r);
/* Settings in force after a default changed (own parts kept). */
void run_follow(struct run *r);
double run_loss_grad(struct run *r, const double *th, double *g);
/* experiment.c */
/* θ0 for init spec sp into out (nparams doubles): model init, then balancing. */
void experiment_make_theta0(struct experiment *x, const struct init_spec *sp, double *out);
/* flow.c */
size_t flow_workspace_size(const struct run *r);
int flow_advance(struct run *r, double hmax, double *loss);
#endif
