/* cmd_plot.h — the figures of the runs (cmd_plot.c), shared by `export plot`
 * (drawn by src/fig into a file) and the screen (which draws the same series
 * in character cells), so both show the same curves.
 *
 * The source says what there is to draw, all borrowed: the runs (A, and B
 * under compare), the experiment (loss name), the kept sweep, a portrait (its
 * trajectories as arrays, one per run, x[0], y[0] at θ0). Series meant for
 * the screen carry a one-letter tag (fig.h): drift panel L (laws ε, one run)
 * or A, B (ε of each run), C the contrasts' median change, p q the predicted
 * ε of A and B (p alone for one run), a b the budgets Σ τ_k² of A and B (b
 * alone for one run), k the reference ∝ k; loss panel + (one run) or A, B.
 * The largest law's drift has no tag (files only). */
#ifndef NOETHER_CMD_PLOT_H
#define NOETHER_CMD_PLOT_H
#include <stddef.h>
#include "cmd.h"

struct fig;
struct quantity;
enum plot_kind { PLOT_DRIFT_LOSS, PLOT_DRIFT, PLOT_LOSS, PLOT_SWEEP, PLOT_PORTRAIT };
extern const char *const plot_kind_names[];     /* indexed by plot_kind */
struct plot_portrait {
	const double *x[2], *y[2]; int n[2];   /* per run */
	double x0, y0, c0;        /* θ0's coordinates, c0 = x0² − y0² */
	int is_law;               /* x² − y² passed the rate check */
	const char *xname, *yname;
};
struct plot_source {
	const struct experiment *x;
	const struct run *run[2]; int nruns;
	const struct sweep_spec *sweep_spec; const struct sweep_result *sweep;
	const struct plot_portrait *portrait;
	struct plot_portrait own;   /* filled by cmd_plot_source from the runs' traces */
	double *buf;                /* its arrays (cmd_plot_source_free) */
	int max_points;             /* points per series of the run panels (0: up to 4000) */
};
/* What there is: the experiment's runs, the kept sweep, the portrait (read
 * from the runs' traces). Free with cmd_plot_source_free. A client that needs
 * only the run panels may fill x, run[] and nruns itself (the rest zero). */
void cmd_plot_source(struct cmd_ctx *c, struct plot_source *src);
void cmd_plot_source_free(struct plot_source *src);
/* Builds figure f (fig_init'd here; the caller fig_frees it on 0) of the given
 * kind; logx puts the step (or time) axis on a log scale. Returns 0, or an
 * NT_* code with a message in err (nothing to draw) and f empty. */
int cmd_plot_figure(const struct plot_source *src, int kind, int logx, struct fig *f, char *err, size_t len);
/* Relative drift of quantity q on a trace row, as run_update measures it:
 * ||v − F h(θ0)|| over F times the law's magnitude (F the weight-decay factor
 * of a law at that row's Λ = lambda, 1 for a contrast). vals: the row's
 * ncomp values of q. */
double cmd_plot_rel_drift(const struct quantity *q, const double *vals, double lambda);
#endif
