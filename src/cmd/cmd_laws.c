/* cmd_laws.c — quantities: the `laws` table, watch/unwatch, and the metric
 * grammar shared by `expect` (assertions that make scripts exit 1) and `print`.
 *   metrics: loss loss0 step budget params laws claimed-fails contrasts
 *            laws.max-rel laws.max-abs laws.max-rate laws.max-ratio contrasts.min-rel
 *            contrasts.max-rel eps-block NAME.rel NAME.abs NAME.value
 *            NAME.value0 NAME.rate
 *   expect METRIC OP VALUE      OP: < <= > >= == !=   VALUE: NUMBER | [NUMBER*]METRIC
 *   expect NAME is law|claimed-fails|contrast */
#include "cmd_impl.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *role_name(enum qrole r)
{
	switch (r) {
	case QR_LAW: return "law";
	case QR_CLAIMED_FAILS: return "claimed-fails";
	case QR_CONTRAST: return "contrast";
	default: return "unchecked";
	}
}

/* The discrete-step bound |h(θ_k) - h(θ_0)| <= C Σ_{i<k} τ_i², with C estimated
 * from the run: the largest ratio of (max law drift at k) to the budget at k
 * over the recorded steps. Returns C (0 with no laws or no steps); *kmax gets
 * the step where the ratio peaks. */
static double bound_constant(const struct run *run, long *kmax)
{
	struct trace_view tv, *t = &tv;
	run_trace(run, t);
	const struct qset *qs = run_quantities(run);
	double C = 0;
	*kmax = 0;
	for (long r = 1; r < t->nrows; r++) {
		const double *row = t->rows + (size_t)r * t->width, *row0 = t->rows;
		double bud = row[5], worst = 0;
		if (!(bud > 0))
			continue;
		for (int i = 0; i < qs->n; i++) {
			const struct quantity *q = qs->q[i];
			if (q->role != QR_LAW || q->slot < 0 || q->internal)
				continue;
			double d2 = 0;
			for (int k = 0; k < q->ncomp; k++) {
				double e = row[TRACE_FIXED + q->slot + k] - row0[TRACE_FIXED + q->slot + k];
				d2 += (q->ncomp == 1 ? 1.0 : q->comp[k].weight) * e * e;
			}
			if (d2 > worst)
				worst = d2;
		}
		if (sqrt(worst) / bud > C) {
			C = sqrt(worst) / bud;
			*kmax = (long)row[0];
		}
	}
	return C;
}

static void law_row(struct cmd_ctx *c, const struct quantity *q)
{
	char a[32], b[32], d[32], r[32], rate[32];
	int scalar = q->ncomp == 1;
	cmd_fmt(a, sizeof a, scalar ? q->h0[0] : q->norm0);
	cmd_fmt(b, sizeof b, scalar ? q->hk[0] : q->normk);
	cmd_fmt(d, sizeof d, q->drift_abs);
	cmd_fmt(r, sizeof r, q->drift_rel);
	if (q->role == QR_LAW)
		snprintf(rate, sizeof rate, "ok %.0e", q->rate);
	else if (q->role == QR_CLAIMED_FAILS)
		snprintf(rate, sizeof rate, "FAILS %.1e", q->rate);
	else
		snprintf(rate, sizeof rate, "-");
	cmd_printf(c, "%-30s %12s %12s %11s %11s  %s%s\n", q->name, a, b, d, r, rate, scalar ? "" : "  (norm)");
}

/* The table of one run: laws, failing claims, with all the contrasts. */
static void law_table(struct cmd_ctx *c, const struct run *run, int all)
{
	const struct qset *qs = run_quantities(run);
	const struct train_settings *st = run_settings(run);
	cmd_printf(c, "%-30s %12s %12s %11s %11s  %s\n", "name", "h(θ0)", "h(θk)", "|Δh|", "rel", "check");
	int nl = 0;
	for (int i = 0; i < qs->n; i++)
		if (qs->q[i]->role == QR_LAW && !qs->q[i]->internal) {
			law_row(c, qs->q[i]);
			nl++;
		}
	if (!nl)
		cmd_printf(c, "(no conservation laws for this model)\n");
	for (int i = 0; i < qs->n; i++)
		if (qs->q[i]->role == QR_CLAIMED_FAILS && !qs->q[i]->internal)
			law_row(c, qs->q[i]);
	if (all)
		for (int i = 0; i < qs->n; i++)
			if (qs->q[i]->role == QR_CONTRAST && !qs->q[i]->internal)
				law_row(c, qs->q[i]);
	if (st->wd > 0)
		cmd_printf(c, "(weight decay %g: values shown are e^{2Λ}h for quadratic laws, Λ = %.6g)\n", st->wd, run_lambda(run));
	const struct model *m = experiment_model(c->x);
	for (int b = 0; b < m->nblocks; b++) {
		double e = run_block_drift(run, b);
		if (e >= 0) {
			char v[32];
			cmd_fmt(v, sizeof v, e);
			cmd_printf(c, "ε_block(%s) = %s\n", m->blocks[b].name, v);
		}
	}
	char bud[32];
	cmd_fmt(bud, sizeof bud, run_budget(run));
	cmd_printf(c, "step %ld, budget Σ τ_k² = %s\n", run_steps(run), bud);
	long kmax;
	double C = bound_constant(run, &kmax);
	if (C > 0 && st->opt.kind != OPT_FLOW && st->opt.kind != OPT_FLOW_MOMENTUM) {
		char cs[32], pred[32], meas[32];
		double mx = 0;
		for (int i = 0; i < qs->n; i++)
			if (qs->q[i]->role == QR_LAW && !qs->q[i]->internal && qs->q[i]->drift_abs > mx)
				mx = qs->q[i]->drift_abs;
		cmd_fmt(cs, sizeof cs, C);
		cmd_fmt(pred, sizeof pred, C * run_budget(run));
		cmd_fmt(meas, sizeof meas, mx);
		cmd_printf(c, "bound |Δh| <= C Σ τ_k²: C estimated from this run = %s (tightest at step %ld); "
		           "C·budget = %s, measured max |Δh| = %s\n", cs, kmax, pred, meas);
	}
}

int cmd_laws(struct cmd_ctx *c, int argc, char **argv)
{
	struct experiment *x = c->x;
	if (argc > 1 && !strcmp(argv[1], "count"))
		return cmd_laws_count(c, argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "find"))
		return cmd_laws_find(c, argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "checkpoints"))   /* the bridge (cmd_exp.c) needs no experiment */
		return cmd_laws_checkpoints(c, argc, argv);
	int rc = cmd_need_experiment(c);
	if (rc)
		return rc;
	experiment_update(x);
	int all = argc > 1 && !strcmp(argv[1], "all");
	if (argc > 1 && !all) {
		const struct quantity *q = qset_find(run_quantities(cmd_run_a(c)), argv[1]);
		if (!q || q->internal)
			return cmd_error(c, NT_ENOENT, "laws: no quantity '%s' (subcommands: all; or a name from `laws all`)", argv[1]);
		char r[32];
		cmd_fmt(r, sizeof r, q->drift_rel);
		cmd_printf(c, "%s  [%s]\n  h = %s\n  components %d, rate check %.2e, relative drift %s\n",
		           q->name, role_name(q->role), q->formula, q->ncomp, q->rate, r);
		return 0;
	}
	int n = experiment_nruns(x);
	for (int r = 0; r < n; r++) {
		const struct run *run = experiment_run(x, r);
		if (n > 1) {
			char set[128];
			const struct train_settings *st = run_settings(run);
			const char *what = experiment_compare_what(x);
			if (!strcmp(what, "schedule"))
				schedule_format(&st->sched, set, sizeof set);
			else if (!strcmp(what, "wd"))
				snprintf(set, sizeof set, "wd %g", st->wd);
			else
				optimizer_format(&st->opt, set, sizeof set);
			cmd_printf(c, "%srun %s: %s\n", r ? "\n" : "", run_label(run), set);
		}
		law_table(c, run, all);
	}
	return 0;
}

/* Index in the catalogue of a listed quantity named name, or -1. */
static int find_listed(const struct qset *qs, const char *name)
{
	for (int i = 0; i < qs->n; i++)
		if (!qs->q[i]->internal && !strcmp(qs->q[i]->name, name))
			return i;
	return -1;
}

/* watch/unwatch NAME... | all: shown (on) or hidden in panels and CSV. */
static int set_watched(struct cmd_ctx *c, int argc, char **argv, int on)
{
	const struct qset *qs = experiment_quantities(c->x);
	if (!strcmp(argv[1], "all")) {
		for (int i = 0; i < qs->n; i++)
			if (!qs->q[i]->internal)
				experiment_set_watched(c->x, i, on);
		return 0;
	}
	for (int a = 1; a < argc; a++)   /* all names first: nothing half-done */
		if (find_listed(qs, argv[a]) < 0)
			return cmd_error(c, NT_ENOENT, "%s: no quantity '%s' (see: laws all)", argv[0], argv[a]);
	for (int a = 1; a < argc; a++)
		experiment_set_watched(c->x, find_listed(qs, argv[a]), on);
	return 0;
}

int cmd_watch(struct cmd_ctx *c, int argc, char **argv)
{
	int rc = cmd_need_experiment(c);
	if (rc)
		return rc;
	if (argc < 2) {
		const struct qset *qs = run_quantities(cmd_run_a(c));
		for (int i = 0; i < qs->n; i++)
			if (qs->q[i]->watched && !qs->q[i]->internal)
				cmd_printf(c, "%s%s\n", qs->q[i]->role == QR_LAW ? "law:" : "q:", qs->q[i]->name);
		return 0;
	}
	if (strchr(argv[1], '=') || (argc > 2 && argv[2][0] == '='))
		return cmd_watch_expr(c, argc, argv);   /* cmd_sym.c */
	return set_watched(c, argc, argv, 1);
}

int cmd_unwatch(struct cmd_ctx *c, int argc, char **argv)
{
	int rc = cmd_need_experiment(c);
	if (rc)
		return rc;
	if (argc < 2)
		return cmd_error(c, NT_EINVAL, "usage: unwatch NAME... | unwatch all");
	return set_watched(c, argc, argv, 0);
}

static double role_extreme(const struct qset *qs, enum qrole role, int which, int want_max)
{
	double v = want_max ? 0 : INFINITY;
	int any = 0;
	for (int i = 0; i < qs->n; i++) {
		const struct quantity *q = qs->q[i];
		if (q->role != role || q->internal)
			continue;
		double x = which == 0 ? q->drift_rel : which == 1 ? q->drift_abs : q->rate;
		any = 1;
		if (want_max ? x > v : x < v)
			v = x;
	}
	return any ? v : NAN;
}

/* A metric of one run (see cmd_metric). */
static int run_metric(struct cmd_ctx *c, const struct run *run, const char *name, double *v, char *err, size_t len)
{
	struct experiment *x = c->x;
	const struct qset *qs = run_quantities(run);
	const struct dataset *d = experiment_data(x);
	if (!strcmp(name, "loss")) { *v = run_loss(run); return 0; }
	if (!strcmp(name, "loss0")) { *v = run_loss0(run); return 0; }
	if (!strcmp(name, "step")) { *v = (double)run_steps(run); return 0; }
	if (!strcmp(name, "budget")) { *v = run_budget(run); return 0; }
	if (!strcmp(name, "params")) { *v = (double)run_nparams(run); return 0; }
	if (!strcmp(name, "data.n")) { *v = d->n; return 0; }          /* samples (after augmentation) */
	if (!strcmp(name, "data.orbit")) { *v = d->orbit; return 0; }  /* augmentation group order */
	if (!strcmp(name, "laws")) { *v = run_count(run, QR_LAW); return 0; }
	if (!strcmp(name, "claimed-fails")) { *v = run_count(run, QR_CLAIMED_FAILS); return 0; }
	if (!strcmp(name, "contrasts")) { *v = run_count(run, QR_CONTRAST); return 0; }
	if (!strcmp(name, "laws.max-rel")) { *v = role_extreme(qs, QR_LAW, 0, 1); return 0; }
	if (!strcmp(name, "laws.max-abs")) { *v = role_extreme(qs, QR_LAW, 1, 1); return 0; }
	if (!strcmp(name, "laws.max-rate")) { *v = role_extreme(qs, QR_LAW, 2, 1); return 0; }
	if (!strcmp(name, "claimed-fails.min-rate")) { *v = role_extreme(qs, QR_CLAIMED_FAILS, 2, 0); return 0; }
	if (!strcmp(name, "contrasts.min-rel")) { *v = role_extreme(qs, QR_CONTRAST, 0, 0); return 0; }
	if (!strcmp(name, "contrasts.max-rel")) { *v = role_extreme(qs, QR_CONTRAST, 0, 1); return 0; }
	if (!strncmp(name, "count.", 6)) {
		if (c->count_step <= 0)
			return nt_err(err, len, NT_ESTATE, "%s: run `laws count` first", name);
		if (!strcmp(name + 6, "lower")) { *v = c->count_lower; return 0; }
		if (!strcmp(name + 6, "upper")) { *v = c->count_upper; return 0; }
		if (!strcmp(name + 6, "complete")) { *v = c->count_status == 1; return 0; }
		return nt_err(err, len, NT_ENOENT, "unknown metric '%s' (count.lower, count.upper, count.complete)", name);
	}
	if (!strcmp(name, "laws.bound-c")) {
		long k;
		*v = bound_constant(run, &k);
		return 0;
	}
	if (!strcmp(name, "laws.max-ratio")) {
		/* max over laws of: law drift / smallest relative change among its own
		 * single terms (contrasts named LAW.in, LAW.out, ...) */
		double mx = NAN;
		for (int i = 0; i < qs->n; i++) {
			const struct quantity *q = qs->q[i];
			if (q->role != QR_LAW || q->internal)
				continue;
			size_t L = strlen(q->name);
			double mn = INFINITY;
			for (int j = 0; j < qs->n; j++) {
				const struct quantity *t = qs->q[j];
				if (t->role == QR_CONTRAST && !strncmp(t->name, q->name, L) && t->name[L] == '.' && t->drift_rel < mn)
					mn = t->drift_rel;
			}
			if (isfinite(mn) && mn > 0 && !(q->drift_rel / mn <= mx))
				mx = q->drift_rel / mn;
		}
		*v = mx;
		return 0;
	}
	if (!strcmp(name, "eps-block")) {
		double mx = NAN;
		const struct model *m = experiment_model(x);
		for (int b = 0; b < m->nblocks; b++) {
			double e = run_block_drift(run, b);
			if (e >= 0 && !(e <= mx))
				mx = e;
		}
		*v = mx;
		return 0;
	}
	if (!strncmp(name, "portrait.", 9)) {
		const struct portrait_info *p = experiment_portrait_info(x);
		if (!p->on)
			return nt_err(err, len, NT_ESTATE, "%s: no portrait (portrait X Y starts one)", name);
		const struct quantity *qx = qset_find(qs, "portrait.x"), *qy = qset_find(qs, "portrait.y");
		if (!strcmp(name + 9, "rate")) { *v = p->rate; return 0; }
		if (!strcmp(name + 9, "law")) { *v = p->level_law; return 0; }
		if (!strcmp(name + 9, "c0")) { *v = p->c0; return 0; }
		if (!strcmp(name + 9, "x") && qx) { *v = qx->hk[0]; return 0; }
		if (!strcmp(name + 9, "y") && qy) { *v = qy->hk[0]; return 0; }
		if (!strcmp(name + 9, "level") && qx && qy) { *v = qx->hk[0] * qx->hk[0] - qy->hk[0] * qy->hk[0]; return 0; }
		return nt_err(err, len, NT_ENOENT, "unknown metric '%s' (portrait.x .y .level .c0 .rate .law)", name);
	}
	const char *dot = strrchr(name, '.');
	if (dot) {
		char qn[128];
		str_copy(qn, name, (size_t)(dot - name) + 1 < sizeof qn ? (size_t)(dot - name) + 1 : sizeof qn);
		const struct quantity *q = qset_find(qs, qn);
		if (q && !q->internal) {
			const char *f = dot + 1;
			if (!strcmp(f, "rel")) { *v = q->drift_rel; return 0; }
			if (!strcmp(f, "abs")) { *v = q->drift_abs; return 0; }
			if (!strcmp(f, "value")) { *v = q->ncomp == 1 ? q->hk[0] : q->normk; return 0; }
			if (!strcmp(f, "value0")) { *v = q->ncomp == 1 ? q->h0[0] : q->norm0; return 0; }
			if (!strcmp(f, "rate")) { *v = q->rate; return 0; }
			return nt_err(err, len, NT_ENOENT, "unknown field '%s' of %s (rel, abs, value, value0, rate)", f, qn);
		}
	}
	return nt_err(err, len, NT_ENOENT, "unknown metric '%s' (loss, laws, laws.max-rel, contrasts.min-rel, NAME.rel, ...; see help expect)", name);
}

int cmd_metric(struct cmd_ctx *c, const char *name, double *v, char *err, size_t len)
{
	struct experiment *x = c->x;
	if (experiment_prepare(x))
		return nt_err(err, len, NT_ESTATE, "%s", experiment_error(x));
	experiment_update(x);
	int r = 0;
	if ((name[0] == 'A' || name[0] == 'B') && name[1] == '.') {
		r = name[0] - 'A';
		name += 2;
		if (r >= experiment_nruns(x))
			return nt_err(err, len, NT_ESTATE, "B.%s: there is no run B (compare ... starts one)", name);
	}
	return run_metric(c, experiment_run(x, r), name, v, err, len);
}

static int eval_value(struct cmd_ctx *c, const char *text, double *v, char *err, size_t len)
{
	if (!parse_double(text, v))
		return 0;
	const char *star = strchr(text, '*');
	if (star) {
		char num[64];
		double k, m;
		str_copy(num, text, (size_t)(star - text) + 1 < sizeof num ? (size_t)(star - text) + 1 : sizeof num);
		if (parse_double(num, &k))
			return nt_err(err, len, NT_EINVAL, "'%s' is not a number", num);
		int rc = cmd_metric(c, star + 1, &m, err, len);
		*v = k * m;
		return rc;
	}
	return cmd_metric(c, text, v, err, len);
}

int cmd_expect(struct cmd_ctx *c, int argc, char **argv)
{
	char err[512];
	int rc = cmd_need_experiment(c);
	if (rc)
		return rc;
	if (argc == 4 && !strcmp(argv[2], "is")) {
		const char *name = argv[1];
		int r = 0;
		if ((name[0] == 'A' || name[0] == 'B') && name[1] == '.') {
			r = name[0] - 'A';
			name += 2;
			if (r >= experiment_nruns(c->x))
				return cmd_error(c, NT_ESTATE, "expect: there is no run B (compare ... starts one)");
		}
		experiment_update(c->x);
		const struct quantity *q = qset_find(run_quantities(experiment_run(c->x, r)), name);
		if (!q || q->internal)
			return cmd_error(c, NT_ENOENT, "expect: no quantity '%s'", argv[1]);
		if (strcmp(argv[3], "law") && strcmp(argv[3], "claimed-fails") && strcmp(argv[3], "contrast"))
			return cmd_error(c, NT_EINVAL, "expect NAME is law|claimed-fails|contrast");
		if (!strcmp(role_name(q->role), argv[3])) {
			cmd_printf(c, "ok: %s is %s\n", argv[1], argv[3]);
			return 0;
		}
		c->expect_failed++;
		cmd_error(c, 0, "expect failed: %s is %s (rate %.2e), not %s", argv[1], role_name(q->role), q->rate, argv[3]);
		return 1;
	}
	if (argc != 4)
		return cmd_error(c, NT_EINVAL, "usage: expect METRIC OP VALUE  (OP: < <= > >= == !=; see help expect)");
	double a, b;
	if ((rc = cmd_metric(c, argv[1], &a, err, sizeof err)))
		return cmd_error(c, rc, "expect: %s", err);
	if ((rc = eval_value(c, argv[3], &b, err, sizeof err)))
		return cmd_error(c, rc, "expect: %s", err);
	const char *op = argv[2];
	int ok;
	if (!strcmp(op, "<")) ok = a < b;
	else if (!strcmp(op, "<=")) ok = a <= b;
	else if (!strcmp(op, ">")) ok = a > b;
	else if (!strcmp(op, ">=")) ok = a >= b;
	else if (!strcmp(op, "==")) ok = a == b;
	else if (!strcmp(op, "!=")) ok = a != b;
	else return cmd_error(c, NT_EINVAL, "expect: unknown operator '%s' (< <= > >= == !=)", op);
	char as[32], bs[32];
	cmd_fmt(as, sizeof as, a);
	cmd_fmt(bs, sizeof bs, b);
	if (ok) {
		cmd_printf(c, "ok: %s = %s %s %s\n", argv[1], as, op, bs);
		return 0;
	}
	c->expect_failed++;
	cmd_error(c, 0, "expect failed: %s = %s, wanted %s %s", argv[1], as, op, bs);
	return 1;
}

int cmd_print(struct cmd_ctx *c, int argc, char **argv)
{
	char err[512];
	if (argc < 2)
		return cmd_error(c, NT_EINVAL, "usage: print METRIC...");
	int rc = cmd_need_experiment(c);
	if (rc)
		return rc;
	for (int i = 1; i < argc; i++) {
		double v;
		if ((rc = cmd_metric(c, argv[i], &v, err, sizeof err)))
			return cmd_error(c, rc, "print: %s", err);
		cmd_printf(c, "%s = %.17g\n", argv[i], v);
	}
	return 0;
}
