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
	double *theta, *theta0, *grad, *mom, *scratch;
	double *v2;             /* second moments (adam, adamw, rmsprop), or NULL */
	double *xb, *tb;        /* SGD minibatch buffers */
	int *lb, *perm;
	int built_batch;        /* batch the SGD buffers were sized for (0: none) */
	long step;
	long opt_t;             /* optimizer steps since reset (bias corrections) */
	double t, Lambda, budget;
	double decay;           /* Π (1 − τ_k λ) (flow: e^{−λt}): a linear law's factor, squared a quadratic's */
	double gbudget;         /* Σ_i (F_k/F_{i+1}) τ_i² ||g_i||²: the a-priori bound's budget */
	int pred_valid;         /* every step since reset followed the identity class `ident` */
	int ident;              /* enum run_ident of the dynamics the predictions follow */
	double pdecay;          /* β^k (heavy ball) or e^{−γt} (flow+momentum): the phase laws' factor */
	double loss_val, loss0, grad_norm;
	int diverged;
	struct rng sgd_rng;
	double *flow_ws;        /* opt flow / flow+momentum workspace (flow.c) */
	size_t flow_ws_size;
	double flow_h;
	int flow_fsal;

	struct qset q;          /* copies of x's quantities, with this run's values and labels */
	int nvals, npred;       /* value and prediction columns of a trace row */
	struct trace trace;
	struct qplan *qplan;    /* every polynomial component, for the trace */
	struct qplan *lplan;    /* the predicted quadratic laws, evaluated on the gradient */
	double *pwork;          /* lplan's output (nvals doubles) */
	char dynamics[128];     /* what the labels are for ("gd", "momentum beta=0.9") */
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

/* Classes of exact identities the predictions follow: gd/sgd (a quadratic
 * law moves by τ²h(g) a step), the flow (conserved), heavy ball (phase-space
 * laws scale by β a step), flow+momentum (by e^{−γ dt}). */
enum run_ident { IDENT_NONE, IDENT_GD, IDENT_FLOW, IDENT_HB, IDENT_HBFLOW };
static inline enum run_ident run_ident_of(enum opt_kind k)
{
	return k == OPT_GD || k == OPT_SGD ? IDENT_GD : k == OPT_FLOW ? IDENT_FLOW : k == OPT_MOMENTUM ? IDENT_HB
	     : k == OPT_FLOW_MOMENTUM ? IDENT_HBFLOW : IDENT_NONE;
}

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
/* A minibatch of more samples than d has is refused, not shrunk silently:
 * NT_EINVAL with the message in err, or 0 (also when d is NULL). */
int run_check_batch(const struct optimizer *o, const struct dataset *d, char *err, size_t len);
double run_loss_grad(struct run *r, const double *th, double *g);
/* Minibatch loss and gradient at th from the run's sampling stream. */
double run_batch_grad(struct run *r, const double *th, double *g);
/* dynamics.c: labels every quantity copy for the run's optimizer, weight decay
 * and schedule (the rate check under the dynamics in force), decides which
 * laws have an exact one-step identity (hp, pslot, lplan) and writes
 * r->dynamics. Config time only. */
void run_relabel(struct run *r);
/* experiment.c */
/* θ0 for init spec sp into out (nparams doubles): model init, then balancing. */
void experiment_make_theta0(struct experiment *x, const struct init_spec *sp, double *out);
/* flow.c */
size_t flow_workspace_size(const struct run *r);
int flow_advance(struct run *r, double hmax, double *loss);
#endif
