/* experiment.h — one experiment and the runs over it.
 *
 * An *experiment* owns what a configuration builds: the data set, the model,
 * the loss, the catalogue of quantities (laws checked numerically, claims,
 * contrasts, user expressions), the default training settings and the
 * provenance (the commands that built it). A *run* (run.h) is one trajectory
 * over it: θ, θ0, optimizer state, counters, trace and quantity values, with
 * its own optional optimizer/schedule/weight-decay settings. Run A (index 0)
 * always exists; `compare` adds run B; sweeps make detached runs of their own.
 *
 * Both are opaque: front ends use these functions. Configuration calls mark
 * the experiment dirty; experiment_prepare() rebuilds what is needed, and
 * bumps the generation counters a client compares to notice a change:
 *   config_gen  data, model or loss changed (everything built again; a
 *               comparison and a portrait end, with a notice);
 *   theta0_gen  θ0 changed (init, reseed, load params, or a rebuild).
 * A schedule, optimizer or weight-decay change bumps neither: θ stays.
 *
 * Errors: functions return 0 or a negative NT_* code and leave one sentence in
 * experiment_error(). Notices (a comparison ended, ...) are kept until
 * experiment_take_notice() reads them. Nothing here prints. */
#ifndef NOETHER_EXPERIMENT_H
#define NOETHER_EXPERIMENT_H
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include "noether/block.h"
#include "noether/data.h"
#include "noether/loss.h"
#include "noether/model.h"
#include "noether/quantity.h"

enum opt_kind { OPT_GD, OPT_SGD, OPT_MOMENTUM, OPT_FLOW, OPT_FLOW_MOMENTUM, OPT_ADAM, OPT_ADAMW, OPT_RMSPROP,
	OPT_SIGN, OPT_COUNT };
extern const char *const opt_names[];
enum sched_kind { SCHED_CONST, SCHED_DECAY, SCHED_COSINE, SCHED_STEP, SCHED_COUNT };
extern const char *const sched_names[];

struct optimizer {
	enum opt_kind kind;
	int batch;              /* minibatch size (0: full batch; sgd defaults to 16) */
	unsigned long seed;     /* minibatch sampling seed */
	double beta;            /* momentum */
	double tol;             /* flow integrator tolerance */
	double beta1, beta2;    /* adam, adamw moment decays (0.9, 0.999) */
	double alpha;           /* rmsprop square decay (0.99) */
	double eps;             /* adam, adamw, rmsprop denominator guard (1e-8) */
};

struct schedule {
	enum sched_kind kind;
	double tau0;
	long K;                 /* cosine horizon */
	long every;             /* step schedule */
	double gamma;
};

/* What a run trains with: the experiment's defaults, or a run's own. */
struct train_settings {
	struct optimizer opt;
	struct schedule sched;
	double wd;              /* weight decay λ */
};

/* Step size at step k under schedule c. */
double schedule_tau(const struct schedule *c, long k);
/* Parses "KIND TAU [...]" (argv[0] = const|decay|cosine|step) into *c (other
 * fields kept). Returns 0 or NT_* with a message in err. */
int schedule_parse(struct schedule *c, int argc, char **argv, char *err, size_t len);
/* Parses "KIND [key=value ...]" (argv[0] = gd|sgd|momentum|flow|flow+momentum)
 * into *o, starting from *o. Returns 0 or NT_* with a message in err. */
int optimizer_parse(struct optimizer *o, int argc, char **argv, char *err, size_t len);
/* The option table of optimizer kind k (opts.h), for completion and help. */
struct opt_spec;
const struct opt_spec *optimizer_options(enum opt_kind k);
/* The command that sets c ("schedule const 0.05"), ASCII or with τ. */
void schedule_format(const struct schedule *c, char *buf, size_t len);
/* "sgd batch=16", "momentum beta=0.9", "gd" ... (re-parsable after `opt`). */
void optimizer_format(const struct optimizer *o, char *buf, size_t len);

struct experiment;
struct run;

struct experiment *experiment_new(void);
void experiment_free(struct experiment *x);
/* Back to a fresh experiment: no data, no layers, default settings, empty
 * history, only run A (configuration generation bumped). */
void experiment_clear(struct experiment *x);
const char *experiment_error(const struct experiment *x);
/* The pending notice (e.g. "compare ended: ...") and clears it; NULL if none. */
const char *experiment_take_notice(struct experiment *x);

/* ---- configuration (0 or NT_* with experiment_error set) ---- */
int experiment_set_data(struct experiment *x, const char *kind, int argc, char **argv);
/* `augment GROUP ...` / `augment none` (augment.h). */
int experiment_set_augment(struct experiment *x, int argc, char **argv);
/* Appends a block (argv[0] = kind). Atomic: when data is there the block's
 * shape is checked against what feeds it; on an error nothing changes. */
int experiment_add_layer(struct experiment *x, int argc, char **argv);
/* A new model whose first block is argv[0] (the old layers go). Atomic: on an
 * error the current model stays as it was. */
int experiment_start_model(struct experiment *x, int argc, char **argv);
int experiment_pop_layer(struct experiment *x);
void experiment_clear_model(struct experiment *x);
int experiment_set_loss(struct experiment *x, const char *name);
int experiment_set_init(struct experiment *x, int argc, char **argv);  /* normal|balanced|uniform [std=] [seed=] */
/* Next initialisation seed, then every run back to the new θ0. */
int experiment_reseed(struct experiment *x);
/* The default training settings (runs without their own follow them). */
int experiment_set_opt(struct experiment *x, int argc, char **argv);
int experiment_set_schedule(struct experiment *x, int argc, char **argv);
int experiment_set_schedule_spec(struct experiment *x, const struct schedule *c);
int experiment_set_wd(struct experiment *x, double lambda);
void experiment_set_threads(struct experiment *x, int threads);
/* θ0 ← th (nparams doubles, e.g. loaded parameters) for every run; runs reset. */
int experiment_set_theta0(struct experiment *x, const double *th);

/* Builds what is dirty (model layout, targets, catalogue and its rate checks,
 * θ0, every run). Returns 0 or an error (no data, no layers, shape, loss
 * mismatch). Idempotent. */
int experiment_prepare(struct experiment *x);
int experiment_dirty(const struct experiment *x);
unsigned long experiment_config_gen(const struct experiment *x);
unsigned long experiment_theta0_gen(const struct experiment *x);

/* ---- what is built (valid after a successful prepare) ---- */
const struct dataset *experiment_data(const struct experiment *x);   /* NULL: none yet */
/* The model (also before prepare: blocks as added). The experiment owns it;
 * callers may run forward/backward on it (lie counting) but not add blocks. */
struct model *experiment_model(const struct experiment *x);
enum loss_kind experiment_loss(const struct experiment *x);
const struct init_spec *experiment_init(const struct experiment *x);
const struct train_settings *experiment_settings(const struct experiment *x);
int experiment_threads(const struct experiment *x);
size_t experiment_nparams(const struct experiment *x);
unsigned long experiment_check_seed(const struct experiment *x);
/* θ0 of the experiment's initialisation (nparams doubles). */
const double *experiment_theta0(const struct experiment *x);
/* Full-batch loss (and gradient into g when g != NULL, zeroed first; without
 * weight decay) at θ = th. Uses the model's workspace. */
double experiment_loss_grad(struct experiment *x, const double *th, double *g);

/* ---- the catalogue ----
 * Definitions and the gradient-flow rate check of every quantity, shared by
 * the runs (each run holds its own copies with its values). */
const struct qset *experiment_quantities(const struct experiment *x);
/* Adds a user quantity (takes ownership; a copy goes to every run), checked
 * like a law. Returns 0 or NT_EINVAL (name taken) with the quantity freed. */
int experiment_watch(struct experiment *x, struct quantity *q);
/* Adds laws found by `laws find` (takes ownership of every member of found,
 * which is left empty): each is checked with experiment_check_rate like any
 * law and kept (a law, shown, in every run, CSV column law:NAME) only if it
 * passes and its name is new. They belong to this build of the model: a
 * rebuild drops them (with a notice). Returns how many were added. */
int experiment_add_found(struct experiment *x, struct qset *found);
/* Removes the found law named name, or every found law when name is NULL;
 * with keep set, removes every found law except name instead. Returns how
 * many were removed, or NT_ENOENT when name is not a found law. */
int experiment_drop_found(struct experiment *x, const char *name, int keep);
/* Shows or hides quantity i (by catalogue index) in panels and CSV columns. */
void experiment_set_watched(struct experiment *x, int i, int on);
/* Rate check of quantity q against the full-batch loss gradient at
 * LAW_CHECK_POINTS random points of the experiment's initialisation (its
 * check seed): the largest |<∇h_k, ∇L>| / (|∇h_k| |∇L|) over components and
 * points. work: 2·nparams doubles. This is THE check behind every label. */
double experiment_check_rate(struct experiment *x, const struct quantity *q, double *work);
#define LAW_RATE_TOL 1e-9      /* relative rate below which a law is accepted */
#define LAW_CHECK_POINTS 3     /* random points per check */

/* ---- provenance ---- */
void experiment_log(struct experiment *x, const char *line);
int experiment_history_len(const struct experiment *x);
const char *experiment_history(const struct experiment *x, int i);

/* ---- files (C locale numbers, written to FILE.tmp then renamed) ---- */
/* The traces as CSV (see export.c for the layout); every=N keeps every N-th
 * recorded step. Under compare, run B's columns follow run A's. */
int experiment_export_csv(struct experiment *x, const char *path, long every);
/* The '#' metadata lines every CSV of an experiment starts with: version,
 * seeds, parameter and law counts, and the commands that built it. */
void experiment_write_csv_metadata(const struct experiment *x, FILE *f);
/* `save params FILE`: θ of run A, every tensor under its full name, F64,
 * metadata format=noether, script = the command history, step. */
int experiment_save_params(struct experiment *x, const char *path);
/* `load params FILE`: every model tensor (shapes checked, F32/F16/BF16
 * converted) becomes θ0 and θ of every run (step 0). Nothing changes unless
 * the whole file is valid and matches the model. */
int experiment_load_params(struct experiment *x, const char *path);

/* ---- runs ---- */
int experiment_nruns(const struct experiment *x);         /* 1, or 2 under compare */
struct run *experiment_run(const struct experiment *x, int i);  /* 0 = A */
/* Steps every run n steps (A first). Stops early with NT_EINTR when *interrupt
 * is raised (may be NULL); an error of run B is prefixed "B: " and B then
 * stays where it stopped while A goes on. */
int experiment_step(struct experiment *x, long n, volatile sig_atomic_t *interrupt);
/* Every run back to θ0, step 0. */
int experiment_reset(struct experiment *x);
/* Recomputes every run's quantity values (after steps). */
void experiment_update(struct experiment *x);

/* ---- compare: twin runs A and B from the same θ0 ----
 * argv: schedule KIND TAU [...] KIND TAU [...] | opt KIND [k=v] KIND [k=v] |
 * wd L1 L2 | momentum B1 B2 (argv[0] = "schedule", ...). A takes the first
 * setting as the experiment's default, B the second as its own; both restart
 * from θ0. Returns 0 or NT_* (nothing changed). */
int experiment_compare(struct experiment *x, int argc, char **argv);
void experiment_compare_off(struct experiment *x);
/* What the comparison varies ("schedule", "opt", "wd", "momentum"), NULL if off. */
const char *experiment_compare_what(const struct experiment *x);

/* ---- portrait: two scalar coordinates of θ and the level set of x² − y² ----
 * X, Y are expressions over named tensors (`|A|` a norm, `|A, B|` the norm of
 * both). They become hidden quantities recorded in every run's trace; the
 * level function x² − y² is rate-checked with experiment_check_rate. */
struct portrait_info {
	int on;
	char tx[256], ty[256];      /* coordinates as typed */
	int slot_x, slot_y;         /* their columns in a run's trace values */
	double x0, y0, c0;          /* at θ0; c0 = x0² − y0² */
	double rate;                /* rate check of x² − y² */
	int level_law;              /* x² − y² passed the check */
};
int experiment_portrait(struct experiment *x, const char *tx, const char *ty);
void experiment_portrait_off(struct experiment *x);
const struct portrait_info *experiment_portrait_info(const struct experiment *x);
/* Splits the words of `portrait X Y` into the two coordinates (at spaces
 * outside brackets, parentheses and bars) and expands `|..|`. 0 or -1. */
int portrait_split(int argc, char **argv, char *x, char *y, size_t len);
int portrait_expand(const char *in, char *out, size_t len);
#endif
