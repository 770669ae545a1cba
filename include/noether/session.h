/* session.h — the state every front end drives: data, model, loss, optimizer,
 * schedule, the parameters θ (with θ0, the gradient and the momentum in the same
 * layout), the quantities and the step counter.
 *
 * Configuration calls mark the session dirty; session_prepare() rebuilds what is
 * needed (model layout, θ0 from the init seed, targets, laws and their rate
 * checks). A step never allocates. The session never prints: messages go to
 * s->err, the caller decides where they appear. */
#ifndef NOETHER_SESSION_H
#define NOETHER_SESSION_H
#include <signal.h>
#include <stdio.h>
#include "noether/model.h"
#include "noether/data.h"
#include "noether/loss.h"
#include "noether/quantity.h"
#include "noether/rng.h"

enum opt_kind { OPT_GD, OPT_SGD, OPT_MOMENTUM, OPT_FLOW, OPT_FLOW_MOMENTUM, OPT_COUNT };
extern const char *const opt_names[];
enum sched_kind { SCHED_CONST, SCHED_DECAY, SCHED_COSINE, SCHED_STEP, SCHED_COUNT };
extern const char *const sched_names[];

struct optimizer {
	enum opt_kind kind;
	int batch;              /* SGD minibatch size (0: full batch) */
	unsigned long seed;     /* SGD sampling seed */
	double beta;            /* momentum */
	double tol;             /* flow integrator tolerance */
};

struct schedule {
	enum sched_kind kind;
	double tau0;
	long K;                 /* cosine horizon */
	long every;             /* step schedule */
	double gamma;
};

/* Per-step record kept for plots and CSV export. Rows hold
 * [step, tau, loss, t, Λ, budget, value of each quantity slot...]. */
#define TRACE_FIXED 6
struct trace {
	long nrows, caprows;
	int width;              /* doubles per row */
	double *rows;
	long stride;            /* record every stride-th step (doubles on overflow) */
};

struct session {
	struct model *model;
	struct dataset *data;
	enum loss_kind loss;
	struct optimizer opt;
	struct schedule sched;
	double wd;              /* weight decay λ */
	struct init_spec init;
	int threads;

	/* built state */
	int dirty;              /* model/data/loss/init changed since prepare */
	size_t D;               /* parameters */
	double *theta, *theta0, *grad, *mom, *scratch;
	double *targets;        /* regression targets or NULL */
	double *df;             /* ∂L/∂f for the full batch */
	double *xb, *tb;        /* SGD minibatch buffers */
	int *lb, *perm;
	long step;
	double t;               /* continuous time Σ τ_k (or flow time) */
	double Lambda;          /* Λ = -Σ log(1-τ_k λ) (discrete) or ∫λ dt (flow) */
	double budget;          /* Σ τ_k² */
	double loss_val, loss0;
	double grad_norm;
	struct qset q;          /* laws, claimed laws, contrasts, user quantities */
	struct trace trace;
	struct qplan *qplan;    /* all polynomial components, for trace_record (rebuilt by the trace layout) */
	unsigned long check_seed;
	struct rng sgd_rng;     /* minibatch sampling stream (opt seed) */
	int diverged;
	/* opt flow / flow+momentum (src/core/flow.c): workspace sized in prepare,
	 * next trial step (0: start from τ), first stage cached at θ (FSAL) */
	double *flow_ws;
	double flow_h;
	int flow_fsal;

	/* provenance: commands that built the session (CSV header, save session) */
	char **history; int nhistory, caphistory;

	char err[1024];
};

struct session *session_new(void);
/* Back to a fresh session (no data, no layers, default settings, empty history). */
void session_clear(struct session *s);
void session_free(struct session *s);
const char *session_error(const struct session *s);

/* Configuration. Each returns 0 or a negative code with s->err set. */
int session_set_data(struct session *s, const char *kind, int argc, char **argv);
int session_add_layer(struct session *s, int argc, char **argv);  /* argv[0] = kind */
int session_pop_layer(struct session *s);
void session_clear_model(struct session *s);
int session_set_loss(struct session *s, const char *name);
int session_set_init(struct session *s, int argc, char **argv);   /* argv[0] = normal|balanced|uniform */
int session_set_opt(struct session *s, int argc, char **argv);    /* argv[0] = gd|sgd|momentum|flow */
int session_set_schedule(struct session *s, int argc, char **argv);/* argv[0] = const|decay|cosine|step */
int session_set_wd(struct session *s, double lambda);

/* Builds what is dirty. Returns 0, or an error (no data, no layers, shape, loss
 * mismatch). Idempotent. */
int session_prepare(struct session *s);

/* Step size at step k under the current schedule. */
double session_tau(const struct session *s, long k);

/* Runs n optimizer steps. Stops early, returning NT_EINTR, when *interrupt
 * becomes non-zero (may be NULL), or NT_EDIVERGED with "diverged at step k
 * (τ=…): try a smaller step" when loss or gradient becomes NaN/Inf or explodes;
 * θ is left at the last finite point. */
int session_step(struct session *s, long n, volatile sig_atomic_t *interrupt);

/* θ ← θ0, step 0, trace cleared (same data, same initialisation). */
int session_reset(struct session *s);
/* θ0 ← th0 (D doubles, e.g. loaded parameters), then reset as above. */
int session_reset_at(struct session *s, const double *th0);
/* New initialisation seed (seed+1) and reset. */
int session_reseed(struct session *s);

/* Full-batch loss and gradient (without weight decay) at point th into g. */
double session_loss_grad(struct session *s, const double *th, double *g);

/* Recomputes every quantity's current value and drift from θ (after steps). */
void session_update_quantities(struct session *s);
/* Runs the rate check on every candidate law (random points, seeded). */
void session_check_laws(struct session *s);

/* Block drift ε_block for block b (mean relative drift of its laws); -1 if none. */
double session_block_drift(const struct session *s, int block);

/* Appends a provenance line (the command that changed the configuration). */
void session_log(struct session *s, const char *line);

/* Counts: conserved laws (QR_LAW), failed claims, contrasts. */
int session_count(const struct session *s, enum qrole role);

/* Writes the trace as CSV (metadata header, %.17g, C locale) to path; every=N
 * keeps every N-th recorded step. Writes to a temporary file then renames, so
 * a failure leaves no partial file. */
int session_export_csv(struct session *s, const char *path, long every);

/* Writes the '#' metadata lines every CSV of a session starts with: version,
 * seeds, parameter and law counts, and the commands that built the session. */
void session_write_csv_metadata(const struct session *s, FILE *f);

/* Adds a user quantity (takes ownership); computes h0 at θ0. */
int session_watch(struct session *s, struct quantity *q);
#endif
