/* cmd_laws.c — quantities: the `laws` table, watch/unwatch, and the metric
 * grammar shared by `expect` (assertions that make scripts exit 1) and `print`.
 *   metrics: loss loss0 step budget params laws claimed-fails contrasts
 *            laws.max-rel laws.max-abs laws.max-rate laws.max-ratio laws.max-pred
 *            laws.max-pred-err laws.bound-ratio laws.empirical-c contrasts.min-rel
 *            contrasts.max-rel contrasts.median-rel eps-block eps-block.max NAME.rel
 *            NAME.abs NAME.value NAME.value0 NAME.rate NAME.pred NAME.pred-err
 *            (A.METRIC, B.METRIC: the runs of a comparison)
 *   expect METRIC OP VALUE      OP: < <= > >= == !=   VALUE: NUMBER | [NUMBER*]METRIC
 *   expect NAME is law|claimed-fails|contrast */
#include "cmd_impl.h"
#include "noether/lie.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* F_k of a law on a trace row (Λ in row[4]): e^{-2Λ} quadratic, e^{-Λ} linear. */
static double row_decay(const struct quantity *q, const double *row)
{
	if (q->role != QR_LAW || row[4] == 0)
		return 1.0;
	return q->kind == QK_QUADRATIC ? exp(-2.0 * row[4]) : q->kind == QK_LINEAR ? exp(-row[4]) : 1.0;
}

/* An empirical ratio, not a bound: the largest (max law drift at k) / (Σ_{i<k}
 * τ_i² at k) over the recorded steps, the C that would make |Δh| <= C Σ τ²
 * hold on this run. Returns it (0 with no laws or no steps); *kmax gets the
 * step where the ratio peaks. */
static double empirical_c(const struct run *run, long *kmax)
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
			double d2 = 0, F = row_decay(q, row);
			for (int k = 0; k < q->ncomp; k++) {
				double e = row[TRACE_FIXED + q->slot + k] - F * row0[TRACE_FIXED + q->slot + k];
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

/* Largest |coefficient| of q's terms: the constant of its a-priori bound. */
static double coef_max(const struct quantity *q)
{
	double m = 0;
	for (int k = 0; k < q->ncomp; k++)
		for (int t = 0; t < q->comp[k].nterms; t++)
			m = fmax(m, fabs(q->comp[k].terms[t].c));
	return m;
}

/* The a-priori bound |Δh| <= max|c| · G, G = Σ (F_k/F_{i+1}) τ_i² ||∇L_i||²,
 * for every quadratic law with a prediction (gd, sgd): the largest ratio of
 * the measured drift to it (<= 1 when the bound holds). NAN: nothing to bound. */
static double bound_ratio(const struct run *run)
{
	const struct qset *qs = run_quantities(run);
	double G = run_grad_budget(run), worst = NAN;
	if (!run_predicting(run))
		return NAN;
	for (int i = 0; i < qs->n; i++) {
		const struct quantity *q = qs->q[i];
		if (q->role != QR_LAW || q->internal || q->kind != QK_QUADRATIC || q->pslot < 0)
			continue;
		double b = coef_max(q) * G, v = b > 0 ? q->drift_abs / b : q->drift_abs > 0 ? INFINITY : 0;
		if (!(v <= worst))
			worst = v;
	}
	return worst;
}

static void law_row(struct cmd_ctx *c, const struct quantity *q, int pred)
{
	char a[32], b[32], d[32], r[32], p[32], rate[32];
	int scalar = q->ncomp == 1;
	cmd_fmt(a, sizeof a, scalar ? q->h0[0] : q->norm0);
	cmd_fmt(b, sizeof b, scalar ? q->hk[0] : q->normk);
	cmd_fmt(d, sizeof d, q->drift_abs);
	cmd_fmt(r, sizeof r, q->drift_rel);
	if (q->pslot >= 0 && !isnan(q->pred_rel))
		cmd_fmt(p, sizeof p, q->pred_rel);
	else
		snprintf(p, sizeof p, "-");
	if (q->role == QR_LAW)
		snprintf(rate, sizeof rate, "ok %.0e", q->rate);
	else if (q->role == QR_CLAIMED_FAILS)
		snprintf(rate, sizeof rate, "FAILS %.1e", q->rate);
	else if (q->why[0])
		snprintf(rate, sizeof rate, "BROKEN %.1e", q->rate);
	else
		snprintf(rate, sizeof rate, "-");
	if (pred)
		cmd_printf(c, "%-30s %12s %12s %11s %11s %11s  %s%s\n", q->name, a, b, d, r, p, rate, scalar ? "" : "  (norm)");
	else
		cmd_printf(c, "%-30s %12s %12s %11s %11s  %s%s\n", q->name, a, b, d, r, rate, scalar ? "" : "  (norm)");
}

/* The table of one run: laws, failing claims, gradient-flow laws the dynamics
 * break, with `all` the contrasts. */
static void law_table(struct cmd_ctx *c, const struct run *run, int all)
{
	const struct qset *qs = run_quantities(run);
	const struct train_settings *st = run_settings(run);
	int pred = run_predicting(run);
	cmd_printf(c, "labels for the dynamics in force: %s\n", run_dynamics(run));
	if (pred)
		cmd_printf(c, "%-30s %12s %12s %11s %11s %11s  %s\n", "name", "h(θ0)", "h(θk)", "|Δh|", "rel", "predicted", "check");
	else
		cmd_printf(c, "%-30s %12s %12s %11s %11s  %s\n", "name", "h(θ0)", "h(θk)", "|Δh|", "rel", "check");
	int nl = 0, nb = 0;
	for (int i = 0; i < qs->n; i++)
		if (qs->q[i]->role == QR_LAW && !qs->q[i]->internal) {
			law_row(c, qs->q[i], pred);
			nl++;
		}
	if (!nl)
		cmd_printf(c, "(no conservation laws for this model under these dynamics)\n");
	for (int i = 0; i < qs->n; i++)
		if (qs->q[i]->role == QR_CLAIMED_FAILS && !qs->q[i]->internal)
			law_row(c, qs->q[i], pred);
	for (int i = 0; i < qs->n; i++)
		if (qs->q[i]->role == QR_CONTRAST && qs->q[i]->why[0] && !qs->q[i]->internal) {
			if (!nb++)
				cmd_printf(c, "gradient-flow laws these dynamics break (contrasts here):\n");
			law_row(c, qs->q[i], pred);
		}
	for (int i = 0; i < qs->n && nb; i++)
		if (qs->q[i]->why[0] && !qs->q[i]->internal) {
			cmd_printf(c, "  e.g. %s: %s\n", qs->q[i]->name, qs->q[i]->why);
			break;
		}
	if (all)
		for (int i = 0; i < qs->n; i++)
			if (qs->q[i]->role == QR_CONTRAST && !qs->q[i]->why[0] && !qs->q[i]->internal)
				law_row(c, qs->q[i], pred);
	if (st->wd > 0)
		cmd_printf(c, "(weight decay %g: Δh = h(θk) − F·h(θ0), F = Π(1−τλ)² = %.6g for quadratic laws, Λ = %.6g)\n",
		           st->wd, exp(-2 * run_lambda(run)), run_lambda(run));
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
	enum opt_kind k = st->opt.kind;
	if (k == OPT_GD || k == OPT_SGD || k == OPT_FLOW) {
		/* laws with no exact identity: say so, with the bound that holds */
		int nn = 0;
		for (int i = 0; i < qs->n; i++) {
			const struct quantity *q = qs->q[i];
			if (q->role == QR_LAW && !q->internal && q->pslot < 0 && !q->phase) {
				if (!nn++)
					cmd_printf(c, "no exact one-step identity (not a polynomial of degree <= 2), so no prediction, for:");
				cmd_printf(c, " %s", q->name);
			}
		}
		if (nn)
			cmd_printf(c, "\n  (the bound in force for them: |Δh| = O(Σ τ_i² ||∇L_i||²) for a smooth h, the constant "
			           "its second derivative along the steps)\n");
	}
	if (pred) {
		double mx = 0;
		for (int i = 0; i < qs->n; i++)
			if (qs->q[i]->pslot >= 0 && qs->q[i]->pred_err > mx)
				mx = qs->q[i]->pred_err;
		char pe[32];
		cmd_fmt(pe, sizeof pe, mx);
		if (k == OPT_GD || k == OPT_SGD) {
			char g[32], br[32];
			cmd_fmt(g, sizeof g, run_grad_budget(run));
			cmd_fmt(br, sizeof br, bound_ratio(run));
			cmd_printf(c, "predicted: each step moves a quadratic law by exactly τ²·h(∇L) (a linear law not at all%s); "
			           "largest |measured − predicted| = %s of the law's magnitude\n",
			           st->wd > 0 ? ", both times the decay factors" : "", pe);
			cmd_printf(c, "bound |Δh| <= max|c| Σ τ_i² ||∇L_i||² = max|c|·%s: largest drift/bound = %s (%s)\n", g, br,
			           bound_ratio(run) <= 1 ? "holds" : "FAILS");
		} else if (k == OPT_FLOW) {
			cmd_printf(c, "predicted: the flow conserves each law%s exactly; largest |measured − predicted| = %s of the "
			           "law's magnitude (the integrator's error)\n", st->wd > 0 ? " times e^{-2λt} (e^{-λt} linear)" : "", pe);
		} else {
			cmd_printf(c, "predicted: each phase-space law (skew part of the momentum map, a function of θ and the "
			           "velocity) is multiplied by %s; largest |measured − predicted| = %s of the law's magnitude\n",
			           k == OPT_MOMENTUM ? "β every step" : "e^{-γt} (γ = (1−β)/√τ0)", pe);
		}
	}
	long kmax;
	double C = empirical_c(run, &kmax);
	if (C > 0 && (k == OPT_GD || k == OPT_SGD) && nl) {
		char cs[32];
		cmd_fmt(cs, sizeof cs, C);
		cmd_printf(c, "empirical ratio max|Δh| / Σ τ_k² over this run: %s (largest at step %ld; a description, not a bound)\n",
		           cs, kmax);
	}
}

/* Prepares the experiment; 1 (error reported) when that fails. */
static int rc_need(struct cmd_ctx *c)
{
	return cmd_need_experiment(c) != 0;
}

int cmd_laws(struct cmd_ctx *c, int argc, char **argv)
{
	struct experiment *x = c->x;
	if (argc > 1 && !strcmp(argv[1], "count"))
		return cmd_laws_count(c, argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "find"))
		return cmd_laws_find(c, argc - 1, argv + 1);
	if (argc > 1 && (!strcmp(argv[1], "drop") || !strcmp(argv[1], "keep"))) {
		/* laws drop NAME...|found, laws keep NAME...: what `laws find` added */
		int keep = argv[1][0] == 'k';
		if ((rc_need(c)))
			return NT_ESTATE;
		if (argc < 3)
			return cmd_error(c, NT_EINVAL, "usage: laws drop NAME...|found | laws keep NAME...");
		const struct qset *qs = experiment_quantities(x);
		for (int a = 2; a < argc; a++) {      /* every name first: nothing half-done */
			const struct quantity *q = qset_find(qs, argv[a]);
			if (!(keep == 0 && !strcmp(argv[a], "found")) && (!q || !q->found))
				return cmd_error(c, NT_ENOENT, "laws %s: '%s' is not a found law (laws find adds them; the catalogue's "
				                 "stay, unwatch hides one)", argv[1], argv[a]);
		}
		int n = 0;
		if (keep) {
			/* keep exactly the named ones: drop every other found law */
			for (int i = qs->n - 1; i >= 0; i--) {
				const struct quantity *q = qs->q[i];
				int named = 0;
				for (int a = 2; a < argc; a++)
					named |= !strcmp(q->name, argv[a]);
				if (q->found && !named)
					n += experiment_drop_found(x, q->name, 0) > 0;
			}
		} else {
			for (int a = 2; a < argc; a++)
				n += experiment_drop_found(x, strcmp(argv[a], "found") ? argv[a] : NULL, 0);
		}
		if (c->interactive)
			cmd_printf(c, "%d found law%s removed\n", n, n == 1 ? "" : "s");
		return 0;
	}
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

/* The first words of the metric grammar: a quantity named like one would be
 * shadowed by (or shadow) the metric. */
static const char *const metric_roots[] = { "loss", "loss0", "step", "budget", "params", "data", "laws",
	"claimed-fails", "contrasts", "count", "eps-block", "portrait", "A", "B", NULL };

int cmd_metric_reserved(const char *name)
{
	for (int i = 0; metric_roots[i]; i++)
		if (!strcmp(name, metric_roots[i]))
			return 1;
	return 0;
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
	if (!strcmp(name, "laws.rank") || !strcmp(name, "laws.rank-gap")) {
		struct lie_rank r;   /* rank of the shown laws' gradients at θ (core: lie_laws_rank) */
		if (lie_laws_rank(qs, run_theta(run), run_nparams(run), &r))
			return nt_err(err, len, NT_EINVAL, "%s: the SVD failed", name);
		*v = name[9] ? r.gap : r.rank;
		return 0;
	}
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
	if (!strcmp(name, "laws.bound-c"))
		return nt_err(err, len, NT_ENOENT, "laws.bound-c was renamed laws.empirical-c: it is a ratio measured on the run, "
		              "not a bound (the a-priori bound is laws.bound-ratio)");
	if (!strcmp(name, "laws.empirical-c")) {
		long k;
		*v = empirical_c(run, &k);
		return 0;
	}
	if (!strcmp(name, "laws.bound-ratio")) { *v = bound_ratio(run); return 0; }
	if (!strcmp(name, "laws.max-pred-err") || !strcmp(name, "laws.max-pred")) {
		int err_metric = name[13] == '-';
		double mx = NAN;
		for (int i = 0; i < qs->n; i++) {
			const struct quantity *q = qs->q[i];
			if (q->role != QR_LAW || q->internal || q->pslot < 0)
				continue;
			double e = err_metric ? q->pred_err : q->pred_rel;
			if (!(e <= mx))
				mx = e;
		}
		if (isnan(mx))
			return nt_err(err, len, NT_ESTATE, "%s: no law has an exact one-step identity under %s%s", name,
			              run_dynamics(run), run_predicting(run) || !run_steps(run) ? "" : " since the last reset");
		*v = mx;
		return 0;
	}
	if (!strcmp(name, "contrasts.median-rel")) {
		double *vals = xcalloc((size_t)qs->n + 1, sizeof *vals);
		int n = 0;
		for (int i = 0; i < qs->n; i++)
			if (qs->q[i]->role == QR_CONTRAST && !qs->q[i]->internal && qs->q[i]->kind != QK_LOSS)
				vals[n++] = qs->q[i]->drift_rel;
		for (int i = 1; i < n; i++)          /* insertion sort: a few hundred at most */
			for (int j = i; j > 0 && vals[j] < vals[j - 1]; j--) {
				double t = vals[j]; vals[j] = vals[j - 1]; vals[j - 1] = t;
			}
		*v = n ? (n % 2 ? vals[n / 2] : 0.5 * (vals[n / 2 - 1] + vals[n / 2])) : NAN;
		free(vals);
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
		/* the papers' ε_block over every law shown (the block's when one
		 * block has laws): mean of ||Δh_i|| / ||h_i(θ0)|| */
		double sum = 0;
		int n = 0;
		for (int i = 0; i < qs->n; i++)
			if (qs->q[i]->role == QR_LAW && !qs->q[i]->internal) {
				sum += qs->q[i]->eps_rel;
				n++;
			}
		*v = n ? sum / n : NAN;
		return 0;
	}
	if (!strcmp(name, "eps-block.max")) {
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
			if (!strcmp(f, "eps")) { *v = q->eps_rel; return 0; }
			if (!strcmp(f, "pred") || !strcmp(f, "pred-err")) {
				if (q->pslot < 0 || isnan(q->pred_rel))
					return nt_err(err, len, NT_ESTATE, "%s.%s: no exact one-step identity for %s under %s", qn, f, qn,
					              run_dynamics(run));
				*v = f[4] ? q->pred_err : q->pred_rel;
				return 0;
			}
			return nt_err(err, len, NT_ENOENT, "unknown field '%s' of %s (rel, abs, value, value0, rate, eps, pred, pred-err)", f, qn);
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
