/* sweep.h — step-size sweeps: the same experiment at several constant (or
 * decaying) step sizes τ and initialisation seeds, each on a detached run of
 * the experiment (same model, data, loss, optimizer; own θ, counters and
 * trace), so the experiment's runs are never disturbed. Records every law's relative drift
 * at chosen horizons and fits log-log slopes of drift against τ.
 *
 * Metrics per run and horizon k: eps = mean relative drift over all laws
 * (the block metric ε over the whole model), max = largest law drift. */
#ifndef NOETHER_SWEEP_H
#define NOETHER_SWEEP_H
#include <signal.h>
#include "noether/experiment.h"
#include "noether/run.h"
#include <stdio.h>

#define SWEEP_MAX_TAU 32
#define SWEEP_MAX_SEEDS 64
#define SWEEP_MAX_AT 8

struct sweep_spec {
	int ntau;
	double tau[SWEEP_MAX_TAU];
	long steps;                 /* run length (the last horizon) */
	int seeds;                  /* init seeds: init.seed + 0 .. seeds-1 */
	int nat;
	long at[SWEEP_MAX_AT];      /* horizons, ascending, last == steps */
	int sched;                  /* enum sched_kind: SCHED_CONST or SCHED_DECAY (τ0 = τ) */
};

struct sweep_result {
	int ntau, nseeds, nat, nlaws;
	char (*law_names)[96];      /* nlaws */
	/* indexed [(tau*nseeds + seed)*nat + at] */
	double *eps, *maxd;
	double *law;                /* ... * nlaws + law: relative drift */
	int *diverged;              /* [tau*nseeds + seed]: 1 if the run diverged */
	/* log-log least-squares fit of mean eps (and mean max) over seeds vs τ,
	 * per horizon; NAN when fewer than two usable points */
	double slope_eps[SWEEP_MAX_AT], slope_max[SWEEP_MAX_AT];
};

/* Parses "1e-3 2e-3 ... steps=K [seeds=S] [at=k1,k2] [schedule=const|decay]"
 * (argv after `sweep tau`). Default horizons: steps/10 (early) and steps.
 * Returns 0 or NT_EINVAL/NT_ERANGE with a message in err. */
int sweep_parse(int argc, char **argv, struct sweep_spec *sp, char *err, size_t len);

/* Runs the sweep on detached runs of s (prepared first). Returns 0, NT_EINTR,
 * or an error with experiment_error(s) set. r is filled (free with sweep_result_free) on 0. A run
 * that diverges is marked and left out of the fits. progress (may be NULL)
 * hears the fraction of all steps done, with the run's τ and seed as stage. */
int sweep_run(struct experiment *s, const struct sweep_spec *sp, struct sweep_result *r,
              volatile sig_atomic_t *interrupt, const struct nt_progress *progress);
void sweep_result_free(struct sweep_result *r);

/* Least-squares slope of log y against log x over points with x, y > 0 and
 * finite. Returns 0 and *slope, or -1 if fewer than two points. */
int sweep_fit_loglog(const double *x, const double *y, int n, double *slope);

/* Mean and sample standard deviation over seeds of eps (which=0) or max (1)
 * at (tau, at), skipping diverged runs. Returns the number of runs used. */
int sweep_stat(const struct sweep_result *r, int which, int tau, int at, double *mean, double *sd);

/* What a plot of a sweep shows, computed once (the screen and figures draw
 * it): per horizon a and step size j the mean and sd over seeds of ε (NAN
 * where every run diverged or drift is not positive), log10 τ, the ranges
 * in log10 (x padded by 4%; y from the points, their ± sd bars and the
 * reference line) and the τ² reference line, slope 2 through the centre of
 * the first horizon's points, from x_lo+pad to x_hi−pad. */
struct sweep_view {
	int nat, ntau;
	double logtau[SWEEP_MAX_TAU];
	double mean[SWEEP_MAX_AT][SWEEP_MAX_TAU], sd[SWEEP_MAX_AT][SWEEP_MAX_TAU];
	double xlo, xhi, pad, ylo, yhi;
	int ref;                    /* the reference line exists */
	double ref_x0, ref_y0, ref_x1, ref_y1;
};
/* Fills v from r and sp. Returns 0, or -1 when nothing finite was measured. */
int sweep_view_fill(const struct sweep_result *r, const struct sweep_spec *sp, struct sweep_view *v);

/* CSV: '#' metadata (version, seeds, commands, the sweep), header
 * tau,seed,k,eps,max,law:NAME..., one row per (tau, seed, horizon), %.17g.
 * Written to FILE.tmp then renamed. Returns 0 or NT_EIO with the message in
 * experiment_error(s). */
int sweep_export_csv(struct experiment *s, const struct sweep_spec *sp, const struct sweep_result *r, const char *path);

#endif
