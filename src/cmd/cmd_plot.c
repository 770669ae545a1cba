/* cmd_plot.c — the figures of `export plot`: gathers series from the runs (A,
 * and B under compare), the kept sweep or the portrait into a struct fig
 * (src/fig), which draws them. Pure data work: no cairo, no curses; the
 * drawing is fig_render's. The screen can build the same figure from the same
 * source and draw its series in character cells.
 *
 * Drift panel, per run: ε, the mean relative drift of the laws (as `laws`
 * measures it: ||h(θk) − F h(θ0)|| over F times the law's magnitude), the
 * largest law's, the accumulated prediction of the exact one-step identity
 * (where the optimizer has one), the budget Σ τ_k² (dashed); for one run the
 * contrasts' median relative change (a single term that starts near 0 has a
 * huge relative change and would swamp a mean); a reference line ∝ k through
 * A's last ε. */
#include "cmd_impl.h"
#include "fig/fig.h"
#include "noether/sweep.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PLOT_MAX_ROWS = 4000 };     /* points per series (log-spaced on a log axis) */

static const unsigned run_rgb[2] = { 0x0072B2, 0xD55E00 };      /* A blue, B vermillion */
static const unsigned run_light[2] = { 0x56B4E9, 0xE69F00 };    /* their largest-law lines */
static const unsigned run_dark[2] = { 0x003B5C, 0x6E2F00 };     /* their predicted drift */
static const char *const run_tag[2] = { "A", "B" };

const char *const plot_kind_names[] = { "drift+loss", "drift", "loss", "sweep", "portrait", NULL };   /* [0]: the default */

void cmd_plot_source(struct cmd_ctx *c, struct plot_source *src)
{
	memset(src, 0, sizeof *src);
	src->x = c->x;
	src->nruns = experiment_nruns(c->x) > 1 ? 2 : 1;
	for (int k = 0; k < src->nruns; k++)
		src->run[k] = experiment_run(c->x, k);
	src->sweep_spec = c->sweep_spec;
	src->sweep = c->sweep;
	/* the portrait: its coordinates are hidden quantities in every run's trace */
	const struct portrait_info *pi = experiment_portrait_info(c->x);
	if (!pi || !pi->on || pi->slot_x < 0 || pi->slot_y < 0)
		return;
	struct trace_view tv[2];
	long total = 0;
	for (int k = 0; k < src->nruns; k++) {
		run_trace(src->run[k], &tv[k]);
		total += tv[k].rows ? tv[k].nrows : 0;
	}
	src->buf = xmalloc((size_t)(2 * total + 2) * sizeof *src->buf);
	double *p = src->buf;
	struct plot_portrait *pt = &src->own;
	int cx = TRACE_FIXED + pi->slot_x, cy = TRACE_FIXED + pi->slot_y;
	for (int k = 0; k < src->nruns; k++) {
		long nr = tv[k].rows ? tv[k].nrows : 0;
		int n = 0;
		pt->x[k] = p;
		pt->y[k] = p + nr;
		for (long i = 0; i < nr && cx < tv[k].width && cy < tv[k].width; i++, n++) {
			p[n] = tv[k].rows[i * tv[k].width + cx];
			p[nr + n] = tv[k].rows[i * tv[k].width + cy];
		}
		pt->n[k] = n;
		p += 2 * nr;
	}
	pt->x0 = pi->x0;
	pt->y0 = pi->y0;
	pt->c0 = pi->c0;
	pt->is_law = pi->level_law;
	pt->xname = pi->tx;
	pt->yname = pi->ty;
	src->portrait = pt;
}

void cmd_plot_source_free(struct plot_source *src)
{
	free(src->buf);
	src->buf = NULL;
	src->portrait = NULL;
}

/* Relative drift of quantity q on a trace row, as run_update measures it:
 * ||v − F h(θ0)|| over F times the law's magnitude (F the weight-decay
 * factor, e^{-2Λ} for a quadratic law, e^{-Λ} for a linear one, 1 for a
 * contrast). vals: the row's values of q (ncomp of them). Under weight decay
 * the table also tries the magnitude at θk, which a trace row cannot give;
 * F·magnitude at θ0 is used here. */
double cmd_plot_rel_drift(const struct quantity *q, const double *vals, double lambda)
{
	double dec = lambda == 0 ? 1.0 : exp(-lambda);
	double F = q->role != QR_LAW ? 1.0 : q->kind == QK_QUADRATIC ? dec * dec : q->kind == QK_LINEAR ? dec : 1.0;
	double d2 = 0;
	for (int c = 0; c < q->ncomp; c++) {
		double e = vals[c] - F * q->h0[c];
		d2 += (q->ncomp == 1 ? 1.0 : q->comp[c].weight) * e * e;
	}
	double mag = F * q->mag0;
	return mag > 0 ? sqrt(d2) / mag : sqrt(d2);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int is_flow(const struct run *r)
{
	enum opt_kind o = run_settings(r)->opt.kind;
	return o == OPT_FLOW || o == OPT_FLOW_MOMENTUM;
}

/* Rows of s's trace to plot: all when few, else about max spread evenly in
 * x (log-spaced when logx), always the last. Returns the count. */
static int pick_rows(const struct trace_view *t, int logx, int tcol, int max, long *rows)
{
	long nr = t->rows ? t->nrows : 0;
	if (nr <= max) {
		for (long i = 0; i < nr; i++)
			rows[i] = i;
		return (int)nr;
	}
	int n = 0;
	double x0 = t->rows[tcol], x1 = t->rows[(nr - 1) * t->width + tcol];
	double first = x0 > 0 ? x0 : (nr > 1 ? t->rows[t->width + tcol] : 1);
	double span = logx && first > 0 && x1 > first ? log10(x1 / first) : x1 - x0;
	double gap = span / (max - 1), last = -INFINITY;
	for (long i = 0; i < nr && n < max - 1; i++) {
		double x = t->rows[i * t->width + tcol];
		double pos = logx ? (x > 0 ? log10(x / first) : -INFINITY) : x - x0;
		if (i == 0 || pos >= last + gap) {
			rows[n++] = i;
			last = pos;
		}
	}
	if (rows[n - 1] != nr - 1)
		rows[n++] = nr - 1;
	return n;
}

/* "const τ=0.05, sgd" — what the run trains with; "A (...)" when there are two */
static void run_caption(const struct run *r, int nruns, int k, char *buf, size_t len)
{
	char set[96];
	const struct train_settings *ts = run_settings(r);
	if (is_flow(r))
		snprintf(set, sizeof set, "%s", opt_names[ts->opt.kind]);
	else
		snprintf(set, sizeof set, "%s τ%s=%g%s%s", sched_names[ts->sched.kind], ts->sched.kind == SCHED_CONST ? "" : "0",
		         ts->sched.tau0, ts->opt.kind == OPT_GD ? "" : ", ", ts->opt.kind == OPT_GD ? "" : opt_names[ts->opt.kind]);
	if (nruns > 1)
		snprintf(buf, len, "%s (%s)", run_tag[k], set);
	else
		snprintf(buf, len, "%s", set);
}

/* The screen's tag of the series just added (see cmd_plot.h). */
static void tag_last(struct fig_panel *p, const char *tag)
{
	if (p->nseries > 0)
		str_copy(p->series[p->nseries - 1].tag, tag, sizeof p->series[0].tag);
}

static int count_laws(const struct run *r)
{
	const struct qset *qs = run_quantities(r);
	int n = 0;
	for (int i = 0; i < qs->n; i++)
		n += qs->q[i]->role == QR_LAW && qs->q[i]->slot >= 0 && !qs->q[i]->internal;
	return n;
}

/* The drift panel (law drift, budget, contrasts, ∝ k) or the loss panel of
 * every run. */
static int run_panels(const struct plot_source *src, int drift, int logx, struct fig *f, char *err, size_t len)
{
	int flow = is_flow(src->run[0]);
	int tcol = flow ? 3 : 0;
	enum fig_scale xs = logx ? FIG_LOG : FIG_LIN;
	const char *xt = flow ? (logx ? "time t (log scale)" : "time t") : (logx ? "step k (log scale)" : "step k");
	char title[160];
	int nl = count_laws(src->run[0]);
	if (drift && nl)
		snprintf(title, sizeof title, "Law drift · ε = mean over the %d laws of |h(θk) − h(θ0)| / magnitude", nl);
	else if (drift)
		snprintf(title, sizeof title, "Drift · no conservation laws in this model");
	else
		snprintf(title, sizeof title, "Loss (%s)", loss_names[experiment_loss(src->x)]);
	struct fig_panel *p = fig_add_panel(f, title, xs, xt, FIG_LOG, drift ? "relative law drift" : "loss");
	if (!p)
		return nt_err(err, len, NT_ERANGE, "export plot: too many panels");
	snprintf(p->note, sizeof p->note, "no steps yet: step N first");
	p->x.tight = 1;                    /* the axis spans the steps taken */
	double ref_x = NAN, ref_y = NAN, xmin = INFINITY;
	for (int k = 0; k < src->nruns; k++) {
		const struct run *rk = src->run[k];
		const struct qset *qs = run_quantities(rk);
		struct trace_view tv;
		run_trace(rk, &tv);
		const struct trace_view *t = &tv;
		long nr = t->rows ? t->nrows : 0;
		long *rows = xmalloc((size_t)(nr ? nr : 1) * sizeof *rows);
		int n = pick_rows(t, logx, tcol, src->max_points >= 2 ? src->max_points : PLOT_MAX_ROWS, rows);
		double *x = xmalloc((size_t)(n ? n : 1) * sizeof *x), *y1 = xmalloc((size_t)(n ? n : 1) * sizeof *y1);
		double *y2 = xmalloc((size_t)(n ? n : 1) * sizeof *y2), *y3 = xmalloc((size_t)(n ? n : 1) * sizeof *y3);
		double *y4 = xmalloc((size_t)(n ? n : 1) * sizeof *y4), *y5 = xmalloc((size_t)(n ? n : 1) * sizeof *y5);
		double *con = xmalloc((size_t)(qs->n ? qs->n : 1) * sizeof *con);
		int nlaw = 0, ncon = 0, npred = 0;
		for (int i = 0; i < n; i++) {
			const double *row = t->rows + rows[i] * t->width;
			x[i] = row[tcol];
			double sl = 0, mx = 0, sp = 0;
			nlaw = ncon = npred = 0;
			for (int q = 0; drift && q < qs->n; q++) {   /* the loss panel needs none of it */
				const struct quantity *qu = qs->q[q];
				int col = TRACE_FIXED + qu->slot;
				/* phase-space laws (momentum) are measured against β^k, which
				 * a row does not carry: they stay in the table */
				if (qu->slot < 0 || col + qu->ncomp > t->width || qu->internal || qu->phase ||
				    (qu->role != QR_LAW && (qu->role != QR_CONTRAST || src->nruns > 1)))
					continue;   /* the contrasts' median is drawn for one run only */
				double r = cmd_plot_rel_drift(qu, row + col, row[4]);
				if (qu->role == QR_LAW) {
					sl += r;
					mx = fmax(mx, r);
					nlaw++;
					int pcol = TRACE_FIXED + t->nvals + qu->pslot;
					if (qu->pslot >= 0 && pcol + qu->ncomp <= t->width) {
						sp += cmd_plot_rel_drift(qu, row + pcol, row[4]);   /* NaN when not predicted */
						npred++;
					}
				} else if (qu->role == QR_CONTRAST && qu->kind != QK_LOSS)
					con[ncon++] = r;
			}
			y1[i] = nlaw ? sl / nlaw : NAN;   /* ε */
			y2[i] = nlaw ? mx : NAN;          /* largest law */
			y3[i] = row[5];                   /* Σ τ² */
			y4[i] = !drift ? row[2] : src->nruns == 1 ? median(con, ncon) : NAN;   /* contrasts: one run only */
			y5[i] = npred == nlaw && nlaw ? sp / npred : NAN;   /* predicted ε */
			if (x[i] > 0)
				xmin = fmin(xmin, x[i]);
		}
		char lab[128], set[96];
		run_caption(rk, src->nruns, k, set, sizeof set);
		int one = src->nruns == 1;
		if (drift) {
			if (nlaw) {
				snprintf(lab, sizeof lab, one ? "ε, %s" : "%s ε", set);
				fig_add_series(p, x, y1, n, lab, fig_style(run_rgb[k], 2.4, FIG_SOLID, 0));
				tag_last(p, one ? "L" : run_tag[k]);
				snprintf(lab, sizeof lab, one ? "largest law" : "%s largest law", run_tag[k]);
				fig_add_series(p, x, y2, n, lab, fig_style(run_light[k], 1.2, FIG_SOLID, 0));
				int predicted = 0;
				for (int i = 0; i < n; i++)
					predicted |= y5[i] > 0 && isfinite(y5[i]);
				if (predicted) {   /* the exact one-step identity, accumulated: on top of ε */
					snprintf(lab, sizeof lab, one ? "ε predicted (Σ τ² h(g))" : "%s ε predicted", run_tag[k]);
					fig_add_series(p, x, y5, n, lab, fig_style(run_dark[k], 1.2, FIG_DOTTED, 0));
					tag_last(p, k ? "q" : "p");
				}
				for (int i = n - 1; i >= 0 && k == 0; i--)
					if (x[i] > 0 && y1[i] > 0 && isfinite(y1[i])) {
						ref_x = x[i];
						ref_y = y1[i];
						break;
					}
			}
			if (one && ncon)
				fig_add_series(p, x, y4, n, "contrasts (median rel. change)", fig_style(0x009E73, 1.6, FIG_DASHDOT, 0));
			if (one && ncon)
				tag_last(p, "C");
			if (!flow) {
				snprintf(lab, sizeof lab, one ? "budget Σ τₖ²" : "%s budget Σ τₖ²", run_tag[k]);
				fig_add_series(p, x, y3, n, lab, fig_style(one ? 0x666666 : run_rgb[k], 1.6, FIG_DASHED, 0));
				tag_last(p, one || k ? "b" : "a");
			}
		} else {
			snprintf(lab, sizeof lab, one ? "loss, %s" : "%s loss", set);
			fig_add_series(p, x, y4, n, lab, fig_style(run_rgb[k], 2.2, FIG_SOLID, 0));
			tag_last(p, one ? "+" : run_tag[k]);
		}
		free(rows); free(x); free(y1); free(y2); free(y3); free(y4); free(y5); free(con);
	}
	/* a line ∝ k through A's last ε, for the eye: parallel means linear growth */
	if (drift && !flow && isfinite(ref_x) && xmin < ref_x) {
		double rx[2] = { xmin, ref_x }, ry[2] = { ref_y * xmin / ref_x, ref_y };
		fig_add_series(p, rx, ry, 2, "∝ k (reference slope)", fig_style(0x000000, 1.4, FIG_DOTTED, 0));
		tag_last(p, "k");
	}
	return 0;
}

static int sweep_panel(const struct plot_source *src, struct fig *f, char *err, size_t len)
{
	const struct sweep_result *sw = src->sweep;
	const struct sweep_spec *sp = src->sweep_spec;
	if (!sw || !sp)
		return nt_err(err, len, NT_ESTATE, "export plot sweep: no sweep to plot (run sweep tau ... first)");
	if (sw->nlaws == 0)
		return nt_err(err, len, NT_ESTATE, "export plot sweep: no conservation laws in this model: no law drift to plot");
	char title[160];
	snprintf(title, sizeof title, "Law drift vs step size · sweep %s, %ld steps, %d seed%s, %d laws", sched_names[sp->sched],
	         sp->steps, sp->seeds, sp->seeds == 1 ? "" : "s", sw->nlaws);
	struct fig_panel *p = fig_add_panel(f, title, FIG_LOG, "step size τ (log scale)", FIG_LOG,
	                                    "ε = mean relative law drift");
	/* τ axis: the swept values with a margin, so the end markers and bars show */
	double tmin = INFINITY, tmax = -INFINITY;
	for (int j = 0; j < sw->ntau; j++) {
		tmin = fmin(tmin, sp->tau[j]);
		tmax = fmax(tmax, sp->tau[j]);
	}
	double margin = pow(10, 0.05 * fmax(log10(tmax / tmin), 1));
	p->x.fixed = 1;
	p->x.lo = tmin / margin;
	p->x.hi = tmax * margin;
	static const char marks[] = "ox+s*ox+";
	static const unsigned col[] = { 0x0072B2, 0xD55E00, 0x009E73, 0xCC79A7, 0x56B4E9, 0xE69F00, 0x000000, 0x999999 };
	int nat = sw->nat < SWEEP_MAX_AT ? sw->nat : SWEEP_MAX_AT;
	double tau[SWEEP_MAX_TAU], m[SWEEP_MAX_TAU], bx[3 * SWEEP_MAX_TAU], by[3 * SWEEP_MAX_TAU];
	double cx = 0, cy = 0;
	int nc = 0;
	for (int a = 0; a < nat; a++) {
		int nb = 0;
		for (int j = 0; j < sw->ntau; j++) {
			double sd = 0;
			tau[j] = sp->tau[j];
			if (!sweep_stat(sw, 0, j, a, &m[j], &sd) || !(m[j] > 0) || !isfinite(m[j]))
				m[j] = NAN;
			if (!isfinite(sd))
				sd = 0;
			if (!isnan(m[j]) && sd > 0) {      /* ± sd over seeds: a vertical bar, then a break */
				bx[nb] = bx[nb + 1] = tau[j];
				by[nb] = m[j] - sd > 0 ? m[j] - sd : m[j];
				by[nb + 1] = m[j] + sd;
				bx[nb + 2] = by[nb + 2] = NAN;
				nb += 3;
			}
			if (a == 0 && !isnan(m[j])) {
				cx += log10(tau[j]);
				cy += log10(m[j]);
				nc++;
			}
		}
		char lab[96];
		if (isnan(sw->slope_eps[a]))
			snprintf(lab, sizeof lab, "k=%ld (too few points to fit)", sp->at[a]);
		else
			snprintf(lab, sizeof lab, "k=%ld: slope %.2f", sp->at[a], sw->slope_eps[a]);
		fig_add_series(p, tau, m, sw->ntau, lab, fig_style(col[a % 8], 1.8, FIG_SOLID, marks[a]));
		if (nb)
			fig_add_series(p, bx, by, nb, "", fig_style(col[a % 8], 1.2, FIG_SOLID, 0));
	}
	if (nc > 0) {      /* τ² through the centre of the first horizon's points */
		cx /= nc;
		cy /= nc;
		double rx[2] = { sp->tau[0], sp->tau[0] }, ry[2];
		for (int j = 0; j < sw->ntau; j++) {
			rx[0] = fmin(rx[0], sp->tau[j]);
			rx[1] = fmax(rx[1], sp->tau[j]);
		}
		for (int e = 0; e < 2; e++)
			ry[e] = pow(10, cy + 2 * (log10(rx[e]) - cx));
		fig_add_series(p, rx, ry, 2, "∝ τ² (reference slope 2)", fig_style(0x000000, 1.4, FIG_DOTTED, 0));
	}
	return 0;
}

static int portrait_panel(const struct plot_source *src, struct fig *f, char *err, size_t len)
{
	const struct plot_portrait *pt = src->portrait;
	if (!pt)
		return nt_err(err, len, NT_ESTATE, "export plot portrait: no portrait to draw (portrait X Y first)");
	int nruns = src->nruns > 1 ? 2 : 1;
	char title[160], xt[300], yt[300];
	snprintf(title, sizeof title, "Portrait · x² − y² %s", pt->is_law ? "is a law" : "is NOT a law");
	snprintf(xt, sizeof xt, "x = %s", pt->xname);
	snprintf(yt, sizeof yt, "y = %s", pt->yname);
	struct fig_panel *p = fig_add_panel(f, title, FIG_LIN, xt, FIG_LIN, yt);
	/* ranges: the trajectories and θ0, padded, so the level set fills the frame */
	double xlo = pt->x0, xhi = pt->x0, ylo = pt->y0, yhi = pt->y0;
	for (int k = 0; k < nruns; k++)
		for (int i = 0; i < pt->n[k]; i++)
			if (isfinite(pt->x[k][i]) && isfinite(pt->y[k][i])) {
				xlo = fmin(xlo, pt->x[k][i]); xhi = fmax(xhi, pt->x[k][i]);
				ylo = fmin(ylo, pt->y[k][i]); yhi = fmax(yhi, pt->y[k][i]);
			}
	double span = fmax(fmax(xhi - xlo, yhi - ylo), 1e-3 * (fabs(xhi) + fabs(yhi)) + 1e-12);
	double mx = 0.5 * (xlo + xhi), my = 0.5 * (ylo + yhi);
	p->x.fixed = p->y.fixed = 1;
	p->x.lo = mx - 0.6 * span; p->x.hi = mx + 0.6 * span;
	p->y.lo = my - 0.6 * span; p->y.hi = my + 0.6 * span;
	/* the level set x² − y² = c0, both branches, sampled along the free axis */
	enum { L = 400 };
	double lx[L + 1], ly[L + 1];
	for (int sg = -1; sg <= 1; sg += 2) {
		for (int i = 0; i <= L; i++) {
			if (pt->c0 >= 0) {         /* x = ±sqrt(c0 + y²) */
				ly[i] = p->y.lo + (p->y.hi - p->y.lo) * i / L;
				lx[i] = sg * sqrt(pt->c0 + ly[i] * ly[i]);
			} else {                   /* y = ±sqrt(x² − c0) */
				lx[i] = p->x.lo + (p->x.hi - p->x.lo) * i / L;
				ly[i] = sg * sqrt(lx[i] * lx[i] - pt->c0);
			}
		}
		fig_add_series(p, lx, ly, L + 1, sg < 0 ? "" : "level set x² − y² = c(θ0)", fig_style(0x666666, 1.4, FIG_DOTTED, 0));
	}
	for (int k = 0; k < nruns; k++) {
		char lab[96];
		if (nruns > 1)
			run_caption(src->run[k], nruns, k, lab, sizeof lab);
		snprintf(lab + (nruns > 1 ? strlen(lab) : 0), sizeof lab - (nruns > 1 ? strlen(lab) : 0), "%strajectory",
		         nruns > 1 ? " " : "");
		fig_add_series(p, pt->x[k], pt->y[k], pt->n[k], lab, fig_style(run_rgb[k], 2.2, FIG_SOLID, 0));
	}
	double ox[1] = { pt->x0 }, oy[1] = { pt->y0 };
	fig_add_series(p, ox, oy, 1, "θ0", fig_style(0x000000, 0, FIG_SOLID, 'o'));
	for (int k = 0; k < nruns; k++)
		if (pt->n[k] > 0)
			fig_add_series(p, pt->x[k] + pt->n[k] - 1, pt->y[k] + pt->n[k] - 1, 1, nruns > 1 ? (k ? "B θk" : "A θk") : "θk",
			               fig_style(run_rgb[k], 0, FIG_SOLID, '*'));
	return 0;
}

int cmd_plot_figure(const struct plot_source *src, int kind, int logx, struct fig *f, char *err, size_t len)
{
	fig_init(f);
	int rc = 0;
	switch (kind) {
	case PLOT_DRIFT_LOSS:       /* what the screen shows: the portrait replaces the loss plot */
		rc = run_panels(src, 1, logx, f, err, len);
		if (!rc)
			rc = src->portrait ? portrait_panel(src, f, err, len) : run_panels(src, 0, logx, f, err, len);
		break;
	case PLOT_DRIFT: rc = run_panels(src, 1, logx, f, err, len); break;
	case PLOT_LOSS: rc = run_panels(src, 0, logx, f, err, len); break;
	case PLOT_SWEEP: rc = sweep_panel(src, f, err, len); break;
	case PLOT_PORTRAIT: rc = portrait_panel(src, f, err, len); break;
	default: rc = nt_err(err, len, NT_EINVAL, "export plot: unknown plot");
	}
	if (rc)
		fig_free(f);
	return rc;
}

int cmd_export_plot(struct cmd_ctx *c, int argc, char **argv)
{
	/* argv: export plot FILE [drift|loss|sweep|portrait] [width=W] [height=H] [logx=on|off] */
	const char *path = argv[2];
	enum fig_format fmt;
	if (fig_format_of(path, &fmt))
		return cmd_error(c, NT_EINVAL, "export plot: '%s': the file name must end in .png, .svg or .pdf", path);
	int kind = PLOT_DRIFT_LOSS, logx = 1;
	long W = 0, H = 0;
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];
		int k;
		for (k = 1; plot_kind_names[k] && strcmp(a, plot_kind_names[k]); k++)
			;
		if (plot_kind_names[k] && i == 3) {
			kind = k;
			continue;
		}
		if ((!strncmp(a, "width=", 6) && !parse_long(a + 6, &W)) || (!strncmp(a, "height=", 7) && !parse_long(a + 7, &H))) {
			if ((a[0] == 'w' ? W : H) < FIG_MIN_SIZE || (a[0] == 'w' ? W : H) > FIG_MAX_SIZE)
				return cmd_error(c, NT_ERANGE, "export plot: %.*s out of range %d..%d", (int)(strchr(a, '=') - a), a,
				                 FIG_MIN_SIZE, FIG_MAX_SIZE);
			continue;
		}
		if (!strcmp(a, "logx=on") || !strcmp(a, "logx=off")) {
			logx = a[6] == 'n';
			continue;
		}
		return cmd_error(c, NT_EINVAL, "export plot: unexpected argument '%s' "
		                 "(drift|loss|sweep|portrait first, then width=W height=H logx=on|off)", a);
	}
	if (!W)
		W = 960;
	if (!H)
		H = kind == PLOT_DRIFT_LOSS ? 900 : 600;
	struct plot_source src;
	if (kind != PLOT_SWEEP) {
		int rc = cmd_need_experiment(c);
		if (rc)
			return rc;
		experiment_update(c->x);
	}
	cmd_plot_source(c, &src);
	struct fig f;
	char err[512];
	int rc = cmd_plot_figure(&src, kind, logx, &f, err, sizeof err);
	if (!rc)
		rc = fig_render(&f, path, fmt, (int)W, (int)H, err, sizeof err);
	int portrait = src.portrait != NULL;
	fig_free(&f);
	cmd_plot_source_free(&src);
	if (rc)
		return cmd_error(c, rc, "%s", err);
	if (c->interactive)
		cmd_printf(c, "wrote %s (%ld×%ld %s: %s%s)\n", path, W, H, fmt == FIG_PNG ? "px" : "pt",
		           kind == PLOT_DRIFT_LOSS && portrait ? "drift+portrait" : plot_kind_names[kind],
		           experiment_nruns(c->x) > 1 && kind != PLOT_SWEEP ? ", runs A and B" : "");
	return 0;
}
