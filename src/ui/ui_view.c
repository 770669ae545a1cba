/* ui_view.c — run → screen data (see ui_view.h). No curses here: the
 * functions are unit-tested on hand-made experiments. The trace is sampled, not
 * scanned, so a frame costs O(points × quantities) whatever the run length.
 * Drift is measured as everywhere else (cmd_plot_rel_drift: to the law's
 * magnitude, against the weight-decayed h(θ0)); the current values are the
 * run's own (quantity drift_rel), not recomputed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd_plot.h"
#include "noether/util.h"
#include "ui_view.h"

void ui_view_init(struct ui_view *v)
{
	memset(v, 0, sizeof *v);
	v->max_law_rel = v->eps_laws = v->max_contrast_rel = -1;
}

void ui_view_free(struct ui_view *v)
{
	free(v->law);
	free(v->claim);
	free(v->contrast);
	ui_view_init(v);
}

static void grow(struct ui_view *v, int n)
{
	if (n <= v->cap)
		return;
	int cap = v->cap ? v->cap : 16;
	while (cap < n)
		cap *= 2;
	v->law = xrealloc(v->law, (size_t)cap * sizeof *v->law);
	v->claim = xrealloc(v->claim, (size_t)cap * sizeof *v->claim);
	v->contrast = xrealloc(v->contrast, (size_t)cap * sizeof *v->contrast);
	v->cap = cap;
}

static void fill_row(struct ui_qrow *r, const struct quantity *q)
{
	r->q = q;
	r->vector = q->ncomp > 1;
	if (!r->vector && q->h0 && q->hk) {
		r->h0 = q->h0[0];
		r->hk = q->hk[0];
	} else {
		r->h0 = q->norm0;
		r->hk = q->normk;
	}
	r->rel = q->drift_rel;
}

void ui_fmt_sci(char *buf, size_t len, double x)
{
	if (isnan(x))
		snprintf(buf, len, "nan");
	else if (isinf(x))
		snprintf(buf, len, x > 0 ? "inf" : "-inf");
	else if (x == 0)
		snprintf(buf, len, "0");
	else
		snprintf(buf, len, "%.2e", x);
}

void ui_fmt_value(char *buf, size_t len, double x)
{
	double a = fabs(x);
	if (x == 0 || (a >= 1e-3 && a < 1e5))
		snprintf(buf, len, "%.4g", x);
	else
		ui_fmt_sci(buf, len, x);
}

void ui_fmt_count(char *buf, size_t len, long n)
{
	char raw[32], out[48];
	int k = snprintf(raw, sizeof raw, "%ld", n < 0 ? -n : n), o = 0;
	if (n < 0)
		out[o++] = '-';
	for (int i = 0; i < k; i++) {
		if (i > 0 && (k - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = raw[i];
	}
	out[o] = '\0';
	str_copy(buf, out, len);
}

void ui_fmt_schedule(char *buf, size_t len, const struct schedule *sc, int ascii)
{
	const char *tau = ascii ? "tau" : "τ";
	switch (sc->kind) {
	case SCHED_CONST:
		snprintf(buf, len, "const %s=%g", tau, sc->tau0);
		break;
	case SCHED_DECAY:
		snprintf(buf, len, "decay %s0/(k+1), %s0=%g", tau, tau, sc->tau0);
		break;
	case SCHED_COSINE:
		snprintf(buf, len, "cosine %s0=%g K=%ld", tau, sc->tau0, sc->K);
		break;
	case SCHED_STEP:
		snprintf(buf, len, "step %s0=%g every=%ld %s=%g", tau, sc->tau0, sc->every,
		         ascii ? "gamma" : "γ", sc->gamma);
		break;
	default:
		snprintf(buf, len, "?");
	}
}

void ui_fmt_opt(char *buf, size_t len, const struct train_settings *st, int ascii)
{
	const struct optimizer *o = &st->opt;
	const char *name = (o->kind >= 0 && o->kind < OPT_COUNT) ? opt_names[o->kind] : "?";
	int n;
	if (o->kind == OPT_SGD && o->batch > 0)
		n = snprintf(buf, len, "%s batch=%d", name, o->batch);
	else if (o->kind == OPT_MOMENTUM || o->kind == OPT_FLOW_MOMENTUM)
		n = snprintf(buf, len, "%s %s=%g", name, ascii ? "beta" : "β", o->beta);
	else
		n = snprintf(buf, len, "%s", name);
	if (st->wd != 0 && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " wd %s=%g", ascii ? "lambda" : "λ", st->wd);
}

/* "teacher n=64 in=10 → dense 32 → relu → dense 1"; while the model is
 * being built (the configuration does not build yet) it starts "building:"
 * and names each block as typed (widths are known only once it builds). */
static void fmt_model(char *buf, size_t len, const struct experiment *x, int ascii)
{
	const char *arrow = ascii ? " -> " : " → ";
	size_t o = 0;
	buf[0] = '\0';
	int building = experiment_dirty(x);
	if (building)
		o = (size_t)snprintf(buf, len, "building: ");
	const struct dataset *d = experiment_data(x);
	if (d) {
		int n = snprintf(buf + o, len - o, "%s n=%d in=%d", d->kind, d->n, d->d_in);
		o += n > 0 ? (size_t)n : 0;
	} else {
		o += (size_t)snprintf(buf + o, len - o, "no data");
	}
	const struct model *m = experiment_model(x);
	for (int i = 0; m && i < m->nblocks && o < len; i++) {
		const struct block *b = &m->blocks[i];
		int n;
		char opt[128] = "";
		if (building && b->kind->describe)
			b->kind->describe(b, opt, sizeof opt);
		opt[strcspn(opt, " ")] = '\0';     /* the first option: dense's width */
		if (b->kind->is_activation)
			n = snprintf(buf + o, len - o, "%s%s", arrow, b->kind->name);
		else if (building)
			n = snprintf(buf + o, len - o, "%s%s%s%s", arrow, b->kind->name, opt[0] && opt[0] != '{' ? " " : "",
			             opt[0] != '{' ? opt : "");
		else
			n = snprintf(buf + o, len - o, "%s%s %d", arrow, b->kind->name, b->out.width);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (!m || m->nblocks == 0)
		snprintf(buf + (o < len ? o : len - 1), len - (o < len ? o : len - 1), "%sno layers", arrow);
}

void ui_view_update(struct ui_view *v, const struct experiment *x, const struct run *run, int ascii)
{
	const struct qset *qs = run_quantities(run);
	const struct train_settings *st = run_settings(run);
	grow(v, qs->n);
	v->nlaw = v->nclaim = v->ncontrast = 0;
	double maxl = -1, sum = 0, maxc = -1;
	for (int i = 0; i < qs->n; i++) {
		const struct quantity *q = qs->q[i];
		struct ui_qrow *r;
		if (q->internal)
			continue;
		if (q->role == QR_LAW) {
			r = &v->law[v->nlaw++];
		} else if (q->role == QR_CLAIMED_FAILS) {
			r = &v->claim[v->nclaim++];
		} else if (q->role == QR_CONTRAST || q->user) {
			if (!q->watched && !q->user)
				continue;
			r = &v->contrast[v->ncontrast++];
		} else {
			continue;
		}
		fill_row(r, q);
		if (q->role == QR_LAW) {
			if (r->rel > maxl || isnan(r->rel))
				maxl = r->rel;
			sum += r->rel;
		} else if (q->role == QR_CONTRAST && r->rel > maxc) {
			maxc = r->rel;
		}
	}
	v->max_law_rel = v->nlaw ? maxl : -1;
	v->eps_laws = v->nlaw ? sum / v->nlaw : -1;
	v->max_contrast_rel = maxc;
	v->step = run_steps(run);
	v->tau = run_tau(run, v->step);
	v->loss = run_loss(run);
	v->budget = run_budget(run);
	v->t = run_time(run);
	v->flow = st->opt.kind == OPT_FLOW || st->opt.kind == OPT_FLOW_MOMENTUM;
	v->flow_h = run_flow_h(run);
	v->params = run_nparams(run);
	fmt_model(v->model, sizeof v->model, x, ascii);
	v->built = !experiment_dirty(x);
	if (v->built)
		v->why[0] = '\0';
	else if (ascii)
		ui_to_ascii(experiment_error(x), v->why, sizeof v->why);
	else
		str_copy(v->why, experiment_error(x), sizeof v->why);
	enum loss_kind lk = experiment_loss(x);
	str_copy(v->loss_name, (lk >= 0 && lk < LOSS_COUNT) ? loss_names[lk] : "?", sizeof v->loss_name);
	ui_fmt_schedule(v->sched, sizeof v->sched, &st->sched, ascii);
	/* the dynamics the labels are for (optimizer, decay, laws it breaks) */
	str_copy(v->opt, run_dynamics(run), sizeof v->opt);
	const struct dataset *d = experiment_data(x);
	snprintf(v->seeds, sizeof v->seeds, "seeds data %lu init %lu", d ? d->seed : 0ul, experiment_init(x)->seed);
}

/* Row index of sample i of n over nrows rows. */
static long sample_row(long nrows, int i, int n)
{
	if (n <= 1 || nrows <= 1)
		return 0;
	return (long)((double)(nrows - 1) * i / (n - 1) + 0.5);
}

static int sample_count(const struct trace_view *t, int n)
{
	long nr = t->nrows;
	if (nr <= 0 || !t->rows || n < 1)
		return 0;
	return nr < n ? (int)nr : n;
}

int ui_quantity_history(const struct run *r, const struct quantity *q, int n, double *out)
{
	struct trace_view tv, *t = &tv;
	run_trace(r, t);
	int m = sample_count(t, n);
	int col = TRACE_FIXED + q->slot;
	for (int i = 0; i < m; i++) {
		if (q->slot < 0 || col + q->ncomp > t->width) {
			out[i] = NAN;
			continue;
		}
		const double *row = t->rows + sample_row(t->nrows, i, m) * t->width;
		out[i] = cmd_plot_rel_drift(q, row + col, row[4]);
	}
	return m;
}

int ui_portrait_points(const struct run *r, const struct portrait_info *p, int n, double *x, double *y,
                       double *xk, double *yk)
{
	if (!p->on || n < 2)
		return 0;
	struct trace_view tv, *t = &tv;
	run_trace(r, t);
	int cx = TRACE_FIXED + p->slot_x, cy = TRACE_FIXED + p->slot_y;
	if (cx >= t->width || cy >= t->width)
		return 0;
	x[0] = p->x0;
	y[0] = p->y0;
	*xk = p->x0;
	*yk = p->y0;
	int m = sample_count(t, n - 1);
	for (int i = 0; i < m; i++) {
		const double *row = t->rows + sample_row(t->nrows, i, m) * t->width;
		x[i + 1] = row[cx];
		y[i + 1] = row[cy];
	}
	const struct qset *qs = run_quantities(r);
	const struct quantity *qx = qset_find(qs, "portrait.x"), *qy = qset_find(qs, "portrait.y");
	if (qx && qy) {
		*xk = qx->hk[0];
		*yk = qy->hk[0];
	}
	return m + 1;
}

void ui_to_ascii(const char *in, char *out, size_t len)
{
	static const struct { const char *u, *a; } map[] = {
		{ "θ", "theta" }, { "τ", "tau" }, { "λ", "lambda" }, { "Λ", "Lambda" },
		{ "Σ", "sum " }, { "ε", "eps" }, { "σ", "sigma" }, { "β", "beta" }, { "γ", "gamma" },
		{ "²", "^2" }, { "³", "^3" }, { "‖", "||" }, { "→", "->" }, { "−", "-" }, { "—", "-" },
		{ "–", "-" }, { "·", "*" }, { "×", "x" }, { "⊙", "*" }, { "…", "..." }, { "≈", "~" },
		{ "∇", "grad " }, { "⟨", "<" }, { "⟩", ">" }, { "₀", "0" }, { "₁", "1" }, { "₂", "2" },
		{ "ₖ", "k" }, { "ᵀ", "^T" }, { "│", "|" }, { "✓", "ok" }, { "✗", "x" },
		{ "↑", "^" }, { "↓", "v" }, { "≤", "<=" }, { "≥", ">=" }, { "±", "+-" }, { "ε", "eps" },
		{ "∝", "~" }, { "Δ", "D" },
	};
	size_t o = 0;
	if (len == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < len;) {
		if (*p < 0x80) {
			out[o++] = (char)*p++;
			continue;
		}
		const char *rep = "?";
		size_t adv = 1;
		for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
			size_t n = strlen(map[k].u);
			if (strncmp((const char *)p, map[k].u, n) == 0) {
				rep = map[k].a;
				adv = n;
				break;
			}
		}
		if (adv == 1)   /* skip the rest of an unknown UTF-8 sequence */
			while ((p[adv] & 0xc0) == 0x80)
				adv++;
		for (const char *r = rep; *r && o + 1 < len; r++)
			out[o++] = *r;
		p += adv;
	}
	out[o] = '\0';
}
