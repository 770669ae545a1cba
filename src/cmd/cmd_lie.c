/* cmd_lie.c — `laws count` and `laws find`: the sandwich between the laws in
 * hand (lower bound: rank of the gradients of the checked catalogue laws, the
 * local laws of units that never switch, and the found laws at θ) and the Lie
 * count (upper bound: D − dim Lie(W)(θ)).
 *
 * The report is built as text lines (lie_report_lines) so the screen can show
 * it in an overlay; the commands only print those lines. Invariants: the last
 * line of a count is `laws: lower=L upper=U status=...`; status is complete only
 * when the bounds meet and no rank decision was uncertain. With params=PATTERN
 * both bounds are about the laws that depend only on those parameters. Run
 * A's θ is read, never changed. */
#include "cmd_impl.h"
#include "noether/augment.h"
#include "noether/lie.h"
#include "lie_report.h"
#include "noether/util.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lines { int n, cap; char **v; };

/* What counting reads of the experiment: its model, data and loss, run A's θ
 * and step, and run A's quantities (roles as checked). */
struct lie_src {
	struct model *model;
	const struct dataset *data;
	enum loss_kind loss;
	size_t D;
	long step;
	const double *theta;
	struct qset q;
};

static void lie_src_of(struct cmd_ctx *c, struct lie_src *s)
{
	const struct run *a = cmd_run_a(c);
	s->model = experiment_model(c->x);
	s->data = experiment_data(c->x);
	s->loss = experiment_loss(c->x);
	s->D = run_nparams(a);
	s->step = run_steps(a);
	s->theta = run_theta(a);
	s->q = *run_quantities(a);
}

/* Progress of one part of a command mapped into [lo, hi] of the whole. */
struct prog {
	lie_progress_fn fn;
	void *ctx;
	double lo, hi, last;   /* last: the fraction reported so far (never goes back) */
};

static void prog_map(void *ctx, double frac, const char *stage)
{
	struct prog *p = ctx;
	double f = p->lo + (p->hi - p->lo) * frac;
	if (f < p->last)
		f = p->last;
	p->last = f;
	if (p->fn)
		p->fn(p->ctx, f, stage);
}

static void prog_set(struct prog *p, double lo, double hi)
{
	p->lo = lo;
	p->hi = hi;
}

static void line_add(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_add(struct lines *l, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
	}
	l->v[l->n++] = xstrdup(buf);
}

void lie_report_free(char **lines, int nlines)
{
	for (int i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
}

static void fmt_num(char *b, size_t n, double v)
{
	if (isinf(v))
		snprintf(b, n, "inf");
	else
		snprintf(b, n, "%.2e", v);
}

static void sv_line(struct lines *l, const char *what, int first, int nsv, const double *sv, int rank)
{
	char buf[1024];
	size_t p = 0;
	p += (size_t)snprintf(buf + p, sizeof buf - p, "  %s σ%d..σ%d:", what, first, first + nsv - 1);
	for (int i = 0; i < nsv && p < sizeof buf - 24; i++) {
		if (first + i == rank + 1)
			p += (size_t)snprintf(buf + p, sizeof buf - p, " |");
		p += (size_t)snprintf(buf + p, sizeof buf - p, " %.2e", sv[i]);
	}
	line_add(l, "%s", buf);
}

struct lie_args {
	int augmented, find, degree, levels, points;
	unsigned long seed;
	char params[512];       /* "" : all parameters */
};

static int parse_args(int argc, char **argv, struct lie_args *a, char *err, size_t len)
{
	a->augmented = 0;
	a->find = 1;
	a->degree = 2;
	a->levels = 4;
	a->points = 0;
	a->seed = 1;
	a->params[0] = 0;
	for (int i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (!eq)
			return nt_err(err, len, NT_EINVAL, "laws %s: unexpected '%s' (options are key=value)", argv[0], argv[i]);
		size_t kl = (size_t)(eq - argv[i]);
		const char *v = eq + 1;
		long n;
		if (kl == 4 && !strncmp(argv[i], "over", 4)) {
			if (!strcmp(v, "all")) a->augmented = 0;
			else if (!strcmp(v, "augmented")) a->augmented = 1;
			else return nt_err(err, len, NT_EINVAL, "laws %s: over must be all or augmented, not '%s'", argv[0], v);
		} else if (kl == 4 && !strncmp(argv[i], "find", 4) && !strcmp(argv[0], "count")) {
			if (!strcmp(v, "on")) a->find = 1;
			else if (!strcmp(v, "off")) a->find = 0;
			else return nt_err(err, len, NT_EINVAL, "laws count: find must be on or off, not '%s'", v);
		} else if (kl == 6 && !strncmp(argv[i], "degree", 6)) {
			if (parse_long(v, &n) || n < 1 || n > 2)
				return nt_err(err, len, NT_EINVAL, "laws %s: degree must be 1 or 2, not '%s'", argv[0], v);
			a->degree = (int)n;
		} else if (kl == 6 && !strncmp(argv[i], "levels", 6)) {
			if (parse_long(v, &n) || n < 1 || n >= LIE_MAX_LEVELS)
				return nt_err(err, len, NT_EINVAL, "laws %s: levels must be 1..%d, not '%s'", argv[0], LIE_MAX_LEVELS - 1, v);
			a->levels = (int)n;
		} else if (kl == 6 && !strncmp(argv[i], "points", 6)) {
			if (parse_long(v, &n) || n < 0 || n > 100000)
				return nt_err(err, len, NT_EINVAL, "laws %s: points must be 0 (one per equation) or a count up to 100000, "
				              "not '%s'", argv[0], v);
			a->points = (int)n;
		} else if (kl == 4 && !strncmp(argv[i], "seed", 4)) {
			if (parse_long(v, &n) || n < 0)
				return nt_err(err, len, NT_EINVAL, "laws %s: seed must be a non-negative integer, not '%s'", argv[0], v);
			a->seed = (unsigned long)n;
		} else if (kl == 6 && !strncmp(argv[i], "params", 6)) {
			if (!*v)
				return nt_err(err, len, NT_EINVAL, "laws %s: params needs tensor name patterns (params=layer2.*)", argv[0]);
			if (strlen(v) >= sizeof a->params)
				return nt_err(err, len, NT_ERANGE, "laws %s: params longer than %zu characters", argv[0], sizeof a->params - 1);
			str_copy(a->params, v, sizeof a->params);
		} else {
			return nt_err(err, len, NT_EINVAL, "laws %s: unknown option '%s' (over= %sdegree= levels= points= seed= params=)",
			              argv[0], argv[i], !strcmp(argv[0], "count") ? "find= " : "");
		}
	}
	return 0;
}

/* The field family of the experiment: per-output gradients at random inputs, or
 * loss gradients over sampled data sets (one sample, or one augmentation
 * orbit, per set, with random targets); restricted to θ_T with params=. */
struct family {
	struct lie_gen *gen;
	struct lie_family fam;
	struct lie_fields base, F;   /* F: the fields counted (base, or its restriction) */
	struct aug_group group;
	struct dataset *base_set;    /* owned: the un-augmented base set (over=augmented) */
	int grouped;
	unsigned char *mask;         /* params=: D bytes, else NULL */
	long nT;
	struct lie_sub *sub;
	double *theta_T;             /* the counting point in F's coordinates */
};

static int family_open(const struct lie_src *s, const struct lie_args *a, struct family *f, char *err, size_t len)
{
	memset(f, 0, sizeof *f);
	if (a->params[0]) {
		f->mask = xmalloc(s->D + 1);
		f->nT = lie_params_mask(s->model, a->params, f->mask, err, len);
		if (f->nT < 0) {
			int rc = (int)f->nT;
			free(f->mask);
			f->mask = NULL;
			return rc;
		}
	}
	if (a->augmented) {
		char e2[256];
		f->base_set = aug_base(s->data);
		f->fam.base = f->base_set;
		f->fam.seed = a->seed;
		if (s->data->group[0] && !aug_from_dataset(&f->group, s->data, e2, sizeof e2)) {
			f->grouped = 1;
			f->fam.augment = aug_family_close;
			f->fam.actx = &f->group;
		}
		f->gen = lie_gen_family(s->model, s->loss, 1, lie_family_sample, &f->fam);
	} else {
		const struct dataset *d = s->data;
		size_t nx = (size_t)d->n * d->len * d->d_in;
		double ss = 0;
		for (size_t i = 0; i < nx; i++)
			ss += d->x[i] * d->x[i];
		double xs = nx ? sqrt(ss / (double)nx) : 1.0;
		f->gen = lie_gen_outputs(s->model, a->seed, xs > 0 ? xs : 1.0, s->loss == LOSS_XENT);
		if (!f->mask)
			lie_gen_cover(f->gen, s->theta, 0);
	}
	f->base = lie_gen_fields(f->gen);
	f->F = f->base;
	if (f->mask) {
		f->sub = lie_sub_new(s->model, &f->base, f->mask, a->seed);
		f->F = lie_sub_fields(f->sub);
		f->theta_T = xmalloc(((size_t)f->nT + 1) * sizeof *f->theta_T);
		lie_sub_restrict(f->sub, s->theta, f->theta_T);
	}
	return 0;
}

static void family_close(struct family *f)
{
	lie_sub_free(f->sub);
	free(f->theta_T);
	free(f->mask);
	lie_gen_free(f->gen);
	data_free(f->base_set);
}

static const char *over_text(const struct lie_args *a)
{
	return a->augmented ? "augmented (∇θ L_Z over sampled data sets Z, random targets)"
	                    : "all (∇θ f_i(x;θ) over random inputs x and outputs i; zero-sum output weights under cross-entropy)";
}

/* Does every term of q lie inside the mask? (expression laws: never) */
static int inside(const struct quantity *q, const unsigned char *mask)
{
	if (!mask)
		return 1;
	if (q->fn)
		return 0;
	for (int c = 0; c < q->ncomp; c++)
		for (int t = 0; t < q->comp[c].nterms; t++) {
			const struct qterm *x = &q->comp[c].terms[t];
			if (!mask[x->i] || (x->j >= 0 && !mask[x->j]))
				return 0;
		}
	return 1;
}

/* Laws in hand that passed their rate check. A user quantity (watch NAME =
 * EXPR) was checked only against the experiment's data set, so it is a law of
 * that data (family), not of every data set: it counts over=augmented only.
 * With a mask, only the laws inside it. */
static int catalogue_laws(const struct lie_src *s, int augmented, const unsigned char *mask, struct quantity ***out)
{
	int n = 0;
	*out = xcalloc((size_t)s->q.n + 1, sizeof **out);
	for (int i = 0; i < s->q.n; i++)   /* θ-laws only: momentum's phase-space laws live on (θ, v) */
		if (s->q.q[i]->role == QR_LAW && !s->q.q[i]->internal && !s->q.q[i]->phase &&
		    (augmented || !s->q.q[i]->user) && inside(s->q.q[i], mask))
			(*out)[n++] = s->q.q[i];
	return n;
}

static void find_opts(struct cmd_ctx *c, const struct lie_args *a, const struct family *f, struct prog *p,
                      struct lie_find_opts *fo)
{
	lie_find_defaults(fo);
	fo->degree = a->degree;
	fo->points = a->points;
	fo->seed = a->seed;
	fo->mask = f->mask;
	fo->interrupt = c->interrupt;
	fo->progress = p->fn ? prog_map : NULL;
	fo->progress_ctx = p;
}

/* The experiment's own check, the one behind every label, on each found law
 * (lie_find already checked them against fresh fields at fresh points): a law
 * that fails it is dropped and counted with the rejected ones. */
static void check_found(struct cmd_ctx *c, struct lie_find_result *fr)
{
	size_t D = experiment_nparams(c->x);
	double *work = xmalloc((2 * D + 2) * sizeof *work);
	int keep = 0;
	for (int i = 0; i < fr->nlaws; i++) {
		double r = experiment_check_rate(c->x, fr->laws[i], work);
		if (r <= LAW_RATE_TOL) {
			fr->laws[keep] = fr->laws[i];
			fr->text[keep] = fr->text[i];
			fr->rate[keep] = fr->rate[i] > r ? fr->rate[i] : r;
			keep++;
		} else {
			quantity_free(fr->laws[i]);
			free(fr->text[i]);
			fr->rejected++;
		}
	}
	fr->nlaws = keep;
	if (fr->independent > keep)
		fr->independent = keep;
	free(work);
}

static void find_lines(struct lines *l, const struct lie_src *s, const struct lie_find_result *fr,
                       struct quantity *const *cat, int ncat)
{
	line_add(l, "  %d unknowns (linear forms and axis-Gram quadratic forms of each tensor), %d equations, %.2f s",
	         fr->nunknowns, fr->nequations, fr->seconds);
	char g[32];
	fmt_num(g, sizeof g, fr->gap);
	if (fr->nsv)
		sv_line(l, "singular values", fr->sv_first, fr->nsv, fr->sv, fr->nunknowns - fr->candidates);
	line_add(l, "  null space: %d candidate%s, gap %s%s; equations at fresh points removed %d; rate check at %d fresh "
	         "points and the experiment's own check: %d failed", fr->candidates, fr->candidates == 1 ? "" : "s", g,
	         fr->uncertain ? " (uncertain)" : "", fr->refined, fr->check_points, fr->rejected);
	line_add(l, "  verified laws: %d (rate <= %.0e each), rank of their gradients %d", fr->nlaws, LIE_RATE_TOL,
	         fr->independent);
	for (int i = 0; i < fr->nlaws; i++)
		line_add(l, "  %-9s %s", fr->laws[i]->name, fr->text[i]);
	/* catalogue recovered? */
	for (int i = 0; i < ncat; i++) {
		double r;
		int in = lie_span_contains(fr->laws, fr->nlaws, cat[i], s->D, 7, &r);
		char rs[32];
		fmt_num(rs, sizeof rs, r);
		line_add(l, "  catalogue %s: %s (residual %s)", cat[i]->name, in ? "recovered" : "NOT in the found span", rs);
	}
	for (int i = 0; i < s->q.n; i++) {
		const struct quantity *q = s->q.q[i];
		if (q->role != QR_CLAIMED_FAILS || q->phase)
			continue;
		double r;
		int in = lie_span_contains(fr->laws, fr->nlaws, q, s->D, 7, &r);
		char rs[32];
		fmt_num(rs, sizeof rs, r);
		line_add(l, "  claimed %s (fails its rate check): %s (residual %s)", q->name,
		         in ? "in the found span?!" : "not a law here, as found", rs);
	}
	/* found laws the catalogue lacks */
	int extra = 0;
	for (int i = 0; i < fr->nlaws; i++) {
		double r;
		if (!lie_span_contains(cat, ncat, fr->laws[i], s->D, 11, &r)) {
			if (!extra)
				line_add(l, "  not in the catalogue span:");
			line_add(l, "    %s (residual %.1e)", fr->laws[i]->name, r);
			extra++;
		}
	}
	if (!extra)
		line_add(l, "  every found law is in the span of the catalogue laws");
}

static int report_find(struct cmd_ctx *c, const struct lie_args *a, struct lines *l, struct prog *p)
{
	struct lie_src src, *s = &src;
	lie_src_of(c, s);
	struct family f;
	char err[512] = "";
	int rc = family_open(s, a, &f, err, sizeof err);
	if (rc) {
		line_add(l, "laws find: %s", err);
		return rc;
	}
	struct lie_find_opts fo;
	prog_set(p, 0.0, 1.0);
	find_opts(c, a, &f, p, &fo);
	struct lie_find_result fr;
	line_add(l, "laws find degree=%d over=%s", a->degree, over_text(a));
	if (f.mask)
		line_add(l, "  laws of %ld parameters only (params=%s)", f.nT, a->params);
	rc = lie_find(s->model, &f.base, &fo, &fr, err, sizeof err);
	if (rc) {
		const char *ge = lie_gen_error(f.gen);
		line_add(l, "%s%s%s", err, ge[0] ? ": " : "", ge);
		family_close(&f);
		return rc;
	}
	check_found(c, &fr);
	struct quantity **cat;
	int ncat = catalogue_laws(s, a->augmented, f.mask, &cat);
	find_lines(l, s, &fr, cat, ncat);
	int rec = 0;
	for (int i = 0; i < ncat; i++)
		rec += lie_span_contains(fr.laws, fr.nlaws, cat[i], s->D, 7, NULL);
	int extra = 0;
	for (int i = 0; i < fr.nlaws; i++)
		extra += !lie_span_contains(cat, ncat, fr.laws[i], s->D, 11, NULL);
	/* the laws the catalogue lacks become shown laws (checked again, like any) */
	struct qset found = { 0 };
	lie_find_take_new(&fr, s->model, cat, ncat, s->D, &found);
	int shown = experiment_add_found(c->x, &found);
	if (shown)
		line_add(l, "  shown: %d found law%s added to the laws (laws drop found removes them, laws keep NAME keeps one)",
		         shown, shown == 1 ? "" : "s");
	line_add(l, "find: laws=%d recovered=%d/%d new=%d independent=%d status=%s", fr.nlaws + shown, rec, ncat, extra,
	         fr.independent, fr.uncertain ? "uncertain" : "ok");
	free(cat);
	lie_find_result_free(&fr);
	family_close(&f);
	return 0;
}

static void level_lines(struct lines *l, const struct lie_count_result *cr)
{
	for (int i = 0; i < cr->nlevels; i++) {
		const struct lie_level *lv = &cr->lv[i];
		char am[32], rm[32], gp[32];
		fmt_num(am, sizeof am, lv->acc_min);
		fmt_num(rm, sizeof rm, lv->rej_max);
		fmt_num(gp, sizeof gp, lv->gap);
		line_add(l, "  level %d %-10s rank %4d (+%d)  candidates %d (%d dropped: kink crossed or differences disagree)  accepted ≥ %s, "
		         "rejected ≤ %s (threshold %.0e), gap %s%s",
		         lv->level, lv->level ? "brackets" : "fields", lv->rank, lv->accepted, lv->tried, lv->rejected_fd,
		         lv->accepted_incremental ? am : "-", rm, lv->tol, gp, lv->uncertain ? "  UNCERTAIN" : "");
		if (lv->nsv)
			sv_line(l, "  its candidates' singular values", lv->sv_first, lv->nsv, lv->sv, lv->accepted);
		if (lv->revised)
			line_add(l, "    the one-at-a-time thresholds gave +%d; the singular values' clear gap gives +%d",
			         lv->accepted_incremental, lv->accepted);
	}
}

static int report_count(struct cmd_ctx *c, const struct lie_args *a, struct lines *l, struct prog *p)
{
	struct lie_src src, *s = &src;
	lie_src_of(c, s);
	struct family f;
	char err[512] = "";
	prog_map(p, 0.0, "census");
	int rc = family_open(s, a, &f, err, sizeof err);
	if (rc) {
		line_add(l, "laws count: %s", err);
		return rc;
	}
	size_t D = f.F.D;
	line_add(l, "laws count over=%s", over_text(a));
	if (f.mask) {
		line_add(l, "  laws of θ_T only, T = %ld of %zu parameters (params=%s): fields projected on T at points whose "
		         "other coordinates are random", f.nT, s->D, a->params);
		line_add(l, "  D_T = %zu, at the current θ_T (step %ld)", D, s->step);
	} else {
		line_add(l, "  D = %zu parameters, at the current θ (step %ld)", D, s->step);
	}
	if (a->augmented)
		line_add(l, "  family: data sets of one %s sample%s with random targets%s%s",
		         f.base_set->kind[0] ? f.base_set->kind : "base", f.grouped ? " orbit" : "",
		         f.grouped ? ", closed under the group " : " (no augmentation group)", f.grouped ? f.group.desc : "");
	/* units that never switch (over all inputs, whole model) */
	struct lie_local loc;
	memset(&loc, 0, sizeof loc);
	if (!a->augmented && !f.mask)
		lie_local_laws(f.gen, s->theta, &loc);
	if (loc.analysed) {
		line_add(l, "  units: %d hidden ReLU-like unit%s, census of %ld inputs: %d dead, %d never switch, %d connection%s cut",
		         loc.units, loc.units == 1 ? "" : "s", loc.samples, loc.dead, loc.linear, loc.cut, loc.cut == 1 ? "" : "s");
		for (int i = 0; i < loc.nnotes; i++)
			line_add(l, "    %s: +%d law%s", loc.notes[i].text, loc.notes[i].extra, loc.notes[i].extra == 1 ? "" : "s");
	}
	struct lie_count_opts co;
	lie_count_defaults(&co);
	co.max_level = a->levels;
	co.seed = a->seed;
	co.interrupt = c->interrupt;
	prog_set(p, 0.02, a->find ? 0.6 : 1.0);
	co.progress = p->fn ? prog_map : NULL;
	co.progress_ctx = p;
	struct lie_count_result cr;
	rc = lie_count(&f.F, f.mask ? f.theta_T : s->theta, &co, &cr, err, sizeof err);
	if (rc) {
		const char *ge = lie_gen_error(f.gen);
		line_add(l, "%s%s%s", err, ge[0] ? ": " : "", ge);
		lie_local_free(&loc);
		family_close(&f);
		return rc;
	}
	level_lines(l, &cr);
	if (cr.saturated)
		line_add(l, "  still growing at bracket level %d: the count is an estimate (try levels=%d)", a->levels,
		         a->levels + 1 < LIE_MAX_LEVELS ? a->levels + 1 : a->levels);
	char gp[32];
	fmt_num(gp, sizeof gp, cr.gap);
	line_add(l, "  upper bound: D − dim Lie(W)(θ) = %zu − %d = %d  (smallest gap %s; %ld field evaluations, %.2f s, %.0f MB)",
	         D, cr.rank, cr.upper, gp, cr.field_evals, cr.seconds, cr.mem_bytes / 1048576.0);
	/* lower bound: catalogue, then local laws, then found laws */
	struct quantity **cat;
	int ncat = catalogue_laws(s, a->augmented, f.mask, &cat);
	struct quantity **all = xcalloc((size_t)ncat + (size_t)loc.nlaws + 1, sizeof *all);
	int nall = ncat;
	memcpy(all, cat, (size_t)ncat * sizeof *all);
	struct lie_rank lr0, lr1, lr;
	lie_grad_rank_masked(all, nall, s->theta, s->D, f.mask, &lr0);
	lr1 = lr = lr0;
	if (loc.nlaws) {
		memcpy(all + nall, loc.laws, (size_t)loc.nlaws * sizeof *all);
		nall += loc.nlaws;
		lie_grad_rank_masked(all, nall, s->theta, s->D, f.mask, &lr1);
		lr = lr1;
	}
	struct lie_find_result fr;
	memset(&fr, 0, sizeof fr);
	int have_find = 0;
	if (a->find) {
		struct lie_find_opts fo;
		prog_set(p, 0.6, 1.0);
		find_opts(c, a, &f, p, &fo);
		rc = lie_find(s->model, &f.base, &fo, &fr, err, sizeof err);
		if (rc == NT_EINTR) {
			line_add(l, "%s", err);
			free(cat);
			free(all);
			lie_local_free(&loc);
			family_close(&f);
			return rc;
		}
		if (rc) {
			line_add(l, "  (laws find skipped: %s)", err);
			rc = 0;
		} else {
			have_find = 1;
			check_found(c, &fr);
			all = xrealloc(all, (size_t)(nall + fr.nlaws + 1) * sizeof *all);
			for (int i = 0; i < fr.nlaws; i++)
				all[nall++] = fr.laws[i];
			lie_grad_rank_masked(all, nall, s->theta, s->D, f.mask, &lr);
		}
	}
	int ncomp = 0;
	for (int i = 0; i < ncat; i++)
		ncomp += cat[i]->ncomp;
	line_add(l, "  lower bound: catalogue laws %d (%d quantit%s, %d components) → gradient rank %d", ncat, ncat,
	         ncat == 1 ? "y" : "ies", ncomp, lr0.rank);
	if (loc.nlaws)
		line_add(l, "               + local laws of the units above (%d quantit%s) → gradient rank %d", loc.nlaws,
		         loc.nlaws == 1 ? "y" : "ies", lr1.rank);
	if (have_find)
		line_add(l, "               + %d found by laws find (degree %d, each verified at fresh points%s) → gradient rank %d",
		         fr.nlaws, a->degree, fr.uncertain ? ", uncertain" : "", lr.rank);
	if (lr.nsv && lr.rank > 0)
		sv_line(l, "law-gradient singular values", lr.sv_first, lr.nsv, lr.sv, lr.rank);
	/* claimed laws that failed the rate check: is there room for them? */
	for (int i = 0; i < s->q.n; i++) {
		struct quantity *q = s->q.q[i];
		if (q->role != QR_CLAIMED_FAILS || !inside(q, f.mask))
			continue;
		struct quantity **w = xcalloc((size_t)nall + 2, sizeof *w);
		memcpy(w, all, (size_t)nall * sizeof *w);
		w[nall] = q;
		struct lie_rank rq;
		lie_grad_rank_masked(w, nall + 1, s->theta, s->D, f.mask, &rq);
		free(w);
		if (rq.rank > cr.upper)
			line_add(l, "  claimed %s fails its rate check; with it the rank would be %d > upper %d: no room, consistent",
			         q->name, rq.rank, cr.upper);
		else
			line_add(l, "  claimed %s fails its rate check; with it the rank would be %d <= upper %d (the count leaves room)",
			         q->name, rq.rank, cr.upper);
	}
	if (have_find && fr.nlaws) {
		line_add(l, "  found laws:");
		for (int i = 0; i < fr.nlaws; i++)
			line_add(l, "    %-9s %s", fr.laws[i]->name, fr.text[i]);
	}
	int lower = lr.rank, upper = cr.upper;
	const char *status;
	if (cr.uncertain || lr.uncertain || lower > upper)
		status = "uncertain";
	else if (lower == upper)
		status = "complete";
	else
		status = "open";
	if (lower > upper)
		line_add(l, "  the laws in hand outnumber the count: a rank decision is wrong");
	line_add(l, "laws: lower=%d upper=%d status=%s", lower, upper, status);
	c->count_lower = lower;
	c->count_upper = upper;
	c->count_status = status[0] == 'c' ? 1 : status[0] == 'o' ? 0 : -1;
	c->count_step = s->step + 1; /* +1: 0 means "no count yet" for a zeroed context */
	free(cat);
	free(all);
	if (have_find)
		lie_find_result_free(&fr);
	lie_local_free(&loc);
	family_close(&f);
	return 0;
}

int lie_report_lines_progress(struct cmd_ctx *c, int argc, char **argv, char ***lines, int *nlines,
                              lie_progress_fn fn, void *pctx)
{
	struct lines l = { 0 };
	char err[512];
	struct lie_args a;
	struct prog p = { fn, pctx, 0.0, 1.0, 0.0 };
	int rc = 0;
	*lines = NULL;
	*nlines = 0;
	if (argc < 1 || (strcmp(argv[0], "count") && strcmp(argv[0], "find"))) {
		line_add(&l, "laws: expected count or find");
		rc = NT_EINVAL;
	} else if ((rc = parse_args(argc, argv, &a, err, sizeof err))) {
		line_add(&l, "%s", err);
	} else if ((rc = experiment_prepare(c->x))) {
		line_add(&l, "%s", experiment_error(c->x));
	} else if (!strcmp(argv[0], "count")) {
		rc = report_count(c, &a, &l, &p);
	} else {
		rc = report_find(c, &a, &l, &p);
	}
	if (!rc && fn)
		fn(pctx, 1.0, "done");
	*lines = l.v;
	*nlines = l.n;
	return rc;
}

int lie_report_lines(struct cmd_ctx *c, int argc, char **argv, char ***lines, int *nlines)
{
	return lie_report_lines_progress(c, argc, argv, lines, nlines, NULL, NULL);
}

static int run_report(struct cmd_ctx *c, int argc, char **argv)
{
	char **lines;
	int n;
	/* progress to the front end's bar (the screen's status line, stderr) */
	int rc = lie_report_lines_progress(c, argc, argv, &lines, &n, c->progress ? c->progress->fn : NULL,
	                                   c->progress ? c->progress->user : NULL);
	if (rc) {
		int r2 = cmd_error(c, rc, "%s", n ? lines[n - 1] : "laws: failed");
		for (int i = 0; i + 1 < n; i++)
			cmd_printf(c, "%s\n", lines[i]);
		lie_report_free(lines, n);
		return r2;
	}
	for (int i = 0; i < n; i++)
		cmd_printf(c, "%s\n", lines[i]);
	lie_report_free(lines, n);
	return 0;
}

int cmd_laws_count(struct cmd_ctx *c, int argc, char **argv)
{
	return run_report(c, argc, argv);
}

int cmd_laws_find(struct cmd_ctx *c, int argc, char **argv)
{
	return run_report(c, argc, argv);
}
