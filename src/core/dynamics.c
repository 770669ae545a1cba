/* dynamics.c — one rule for every label: a quantity is shown as conserved only
 * if it is conserved by the dynamics in force. The catalogue's check
 * (experiment.c) is the gradient-flow one, <∇h, ∇L> = 0 at random points;
 * this file redoes it for what a run's optimizer actually does:
 *   gd, flow      θ̇ = −∇L: the catalogue check itself. With weight decay a
 *                 homogeneous law (quadratic, linear) is still a law, compared
 *                 with its exact decayed prediction; any other quantity is
 *                 checked against θ̇ = −∇L − λθ.
 *   sgd           θ̇ = −∇L_B for minibatches B (a law of the model holds for
 *                 every batch; a law of the data set, e.g. of an augmented
 *                 set, may not).
 *   momentum, flow+momentum, adam, adamw, rmsprop, sign
 *                 θ̇ = the update the optimizer makes from a state reached by
 *                 a few of its own steps from each check point (velocity and
 *                 moments included): a law must be orthogonal to that.
 * A gradient-flow law that fails becomes a contrast with the reason in `why`.
 * Laws with an exact one-step identity (quadratic and linear laws under gd,
 * sgd and flow) get a prediction hp and a trace column. Under momentum the
 * phase-space twins of the Gram laws (experiment.c: the skew part of the
 * momentum map, a function of θ and the velocity) are verified here, at the
 * check points, against their identity S → βS a step (e^{−γt} for the flow)
 * and shown with that prediction; elsewhere they stay hidden.
 *
 * Config time only: allocates freely, never touches the run's θ, its
 * sampling stream or its trace. */
#include "exp_impl.h"
#include "noether/linalg.h"
#include "noether/optim.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DYN_WARMUP 3            /* optimizer steps before the direction is taken */

/* Minibatch gradient at th from batch b of check point p (its own stream). */
static void check_batch_grad(struct run *r, int p, int b, const double *th, double *g, int *idx)
{
	struct experiment *x = r->x;
	const struct dataset *d = x->data;
	struct model *m = x->model;
	int B = r->set.opt.batch < d->n ? r->set.opt.batch : d->n;
	struct rng rg;
	rng_seed(&rg, x->check_seed * 31u + (unsigned long)(p * 7 + b) + 1u);
	for (int i = 0; i < d->n; i++)
		idx[i] = i;
	size_t xrow = (size_t)d->len * d->d_in, w = (size_t)m->out.width, orow = (size_t)d->out_len;
	for (int i = 0; i < B; i++) {
		int j = i + (int)rng_below(&rg, (uint64_t)(d->n - i));
		int t = idx[i]; idx[i] = idx[j]; idx[j] = t;
		memcpy(r->xb + i * xrow, d->x + (size_t)idx[i] * xrow, xrow * sizeof(double));
		if (x->targets)
			memcpy(r->tb + i * orow * w, x->targets + (size_t)idx[i] * orow * w, orow * w * sizeof(double));
		if (d->label)
			for (size_t k = 0; k < orow; k++)
				r->lb[i * orow + k] = d->label[(size_t)idx[i] * orow + k];
	}
	const double *f = model_forward(m, th, r->xb, B);
	loss_eval(x->loss, f, B * (int)orow, (int)w, r->tb, r->lb, x->df);
	memset(g, 0, r->D * sizeof *g);
	model_backward(m, th, x->df, g, NULL);
}

/* Largest |<∇h_k(θ), d>| / (|∇h_k| |d|) over q's components. */
static double dir_rate(const struct quantity *q, const double *th, const double *d, size_t D, double *gh)
{
	double dn = sqrt(dot((int)D, d, d)), rate = 0;
	for (int k = 0; k < q->ncomp; k++) {
		memset(gh, 0, D * sizeof *gh);
		quantity_comp_grad(q, k, th, 1.0, gh);
		double hn = sqrt(dot((int)D, gh, gh));
		double v = hn > 0 && dn > 0 ? fabs(dot((int)D, gh, d)) / (hn * dn) : 0.0;
		if (!(v <= rate))
			rate = v;
	}
	return rate;
}

static int is_homogeneous(const struct quantity *q)
{
	return q->kind == QK_QUADRATIC || q->kind == QK_LINEAR;
}

/* Rates of every law copy under the run's dynamics into rate[i] (NAN where
 * the check does not apply: the catalogue's check already is this one). */
static void check_rates(struct run *r, double *rate)
{
	struct experiment *x = r->x;
	const struct optimizer *o = &r->set.opt;
	size_t D = r->D;
	double lam = r->set.wd;
	int sgd = o->kind == OPT_SGD, plain = o->kind == OPT_GD || o->kind == OPT_FLOW;
	int nchk = 0;
	for (int i = 0; i < r->q.n; i++) {
		const struct quantity *q = r->q.q[i];
		rate[i] = NAN;
		if (q->role != QR_LAW)
			continue;
		if (plain && (lam == 0 || is_homogeneous(q)))
			continue;               /* the gradient-flow check decides, decay is predicted */
		rate[i] = 0;
		nchk++;
	}
	if (!nchk)
		return;
	double *th = xcalloc(D + 1, sizeof *th), *g = xcalloc(D + 1, sizeof *g), *d = xcalloc(D + 1, sizeof *d);
	double *m = xcalloc(D + 1, sizeof *m), *v = xcalloc(D + 1, sizeof *v), *t2 = xcalloc(D + 1, sizeof *t2);
	double *gh = xcalloc(D + 1, sizeof *gh);
	int *idx = xcalloc((size_t)x->data->n + 1, sizeof *idx);
	int nb = sgd ? 3 : 1;
	for (int p = 0; p < LAW_CHECK_POINTS; p++) {
		struct init_spec sp = x->init;
		sp.kind = INIT_NORMAL;
		sp.seed = x->check_seed + (unsigned long)p;
		model_init(x->model, th, &sp);
		for (int b = 0; b < nb; b++) {
			if (plain || sgd) {
				/* d = −θ̇: the (minibatch) gradient, + λθ for quantities
				 * without an exact decay identity */
				if (sgd && r->built_batch)
					check_batch_grad(r, p, b, th, d, idx);
				else
					experiment_loss_grad(x, th, d);
				for (int i = 0; i < r->q.n; i++) {
					if (isnan(rate[i]))
						continue;
					const struct quantity *q = r->q.q[i];
					if (lam != 0 && !is_homogeneous(q)) {
						memcpy(t2, d, D * sizeof *t2);
						axpy((int)D, lam, th, t2);
						double v2 = dir_rate(q, th, t2, D, gh);
						rate[i] = !(v2 <= rate[i]) ? v2 : rate[i];
					} else {
						double v2 = dir_rate(q, th, d, D, gh);
						rate[i] = !(v2 <= rate[i]) ? v2 : rate[i];
					}
				}
				continue;
			}
			/* a state of the optimizer's own: a few of its steps from the
			 * check point (full batch), then the update it would make */
			memset(m, 0, D * sizeof *m);
			memset(v, 0, D * sizeof *v);
			double tau = schedule_tau(&r->set.sched, 0);
			struct optimizer od = *o;
			if (od.kind == OPT_FLOW_MOMENTUM)
				od.kind = OPT_MOMENTUM;   /* its velocity: heavy ball at τ0 */
			for (long s = 1; s <= DYN_WARMUP; s++) {
				experiment_loss_grad(x, th, g);
				optim_step(&od, tau, lam, s, D, th, g, m, v);
			}
			experiment_loss_grad(x, th, g);
			if (od.kind == OPT_MOMENTUM) {
				for (size_t k = 0; k < D; k++)   /* the next velocity */
					d[k] = od.beta * m[k] + g[k] + lam * th[k];
			} else {
				memcpy(t2, th, D * sizeof *t2);
				optim_step(&od, tau, lam, DYN_WARMUP + 1, D, t2, g, m, v);
				for (size_t k = 0; k < D; k++)
					d[k] = th[k] - t2[k];
			}
			for (int i = 0; i < r->q.n; i++) {
				if (isnan(rate[i]))
					continue;
				double v2 = dir_rate(r->q.q[i], th, d, D, gh);
				rate[i] = !(v2 <= rate[i]) ? v2 : rate[i];
			}
		}
	}
	free(th); free(g); free(d); free(m); free(v); free(t2); free(gh); free(idx);
}

/* The phase-space laws' identity at the check points, with a velocity drawn
 * as the gradient at the next check point: heavy ball, one step from z = (θ,
 * v): S(z') = βS(z); flow+momentum: dS/dt = −γS along ż = (v, −γv − ∇L −
 * λθ). Returns the largest relative error per law in rate[i]. */
static void phase_rates(struct run *r, double *rate)
{
	struct experiment *x = r->x;
	const struct optimizer *o = &r->set.opt;
	size_t D = r->D;
	double lam = r->set.wd, tau = schedule_tau(&r->set.sched, 0);
	double gamma = (1.0 - o->beta) / sqrt(r->set.sched.tau0);
	double *z = xcalloc(2 * D + 2, sizeof *z), *z1 = xcalloc(2 * D + 2, sizeof *z1), *g = xcalloc(D + 1, sizeof *g);
	double *gz = xcalloc(2 * D + 2, sizeof *gz), *dz = xcalloc(2 * D + 2, sizeof *dz);
	int n = 0;
	for (int i = 0; i < r->q.n; i++)
		n = n > r->q.q[i]->ncomp ? n : r->q.q[i]->ncomp;
	double *s0 = xcalloc((size_t)n + 1, sizeof *s0), *s1 = xcalloc((size_t)n + 1, sizeof *s1);
	for (int p = 0; p < LAW_CHECK_POINTS; p++) {
		struct init_spec sp = x->init;
		sp.kind = INIT_NORMAL;
		sp.seed = x->check_seed + (unsigned long)(p + 1) % LAW_CHECK_POINTS;
		model_init(x->model, z, &sp);
		experiment_loss_grad(x, z, g);
		sp.seed = x->check_seed + (unsigned long)p;
		model_init(x->model, z, &sp);
		memcpy(z + D, g, D * sizeof *g);        /* a velocity: another point's gradient */
		experiment_loss_grad(x, z, g);
		if (o->kind == OPT_MOMENTUM) {
			memcpy(z1, z, 2 * D * sizeof *z);
			for (size_t k = 0; k < D; k++) {
				z1[D + k] = o->beta * z[D + k] + g[k] + lam * z[k];
				z1[k] = z[k] - tau * z1[D + k];
			}
		} else {
			for (size_t k = 0; k < D; k++) {
				dz[k] = z[D + k];
				dz[D + k] = -gamma * z[D + k] - g[k] - lam * z[k];
			}
		}
		for (int i = 0; i < r->q.n; i++) {
			const struct quantity *q = r->q.q[i];
			if (!q->phase || isnan(rate[i]))
				continue;
			double e = 0;
			if (o->kind == OPT_MOMENTUM) {
				quantity_eval(q, z, s0);
				quantity_eval(q, z1, s1);
				double mag = quantity_magnitude(q, z1) + o->beta * quantity_magnitude(q, z);
				for (int k = 0; k < q->ncomp; k++)
					e = fmax(e, mag > 0 ? fabs(s1[k] - o->beta * s0[k]) / mag : 0);
			} else {
				double dn = sqrt(dot((int)(2 * D), dz, dz));
				for (int k = 0; k < q->ncomp; k++) {
					memset(gz, 0, 2 * D * sizeof *gz);
					quantity_comp_grad(q, k, z, 1.0, gz);
					double hn = sqrt(dot((int)(2 * D), gz, gz));
					double v = dot((int)(2 * D), gz, dz) + gamma * quantity_comp_value(q, k, z);
					e = fmax(e, hn > 0 && dn > 0 ? fabs(v) / (hn * dn) : 0);
				}
			}
			if (!(e <= rate[i]))
				rate[i] = e;
		}
	}
	free(z); free(z1); free(g); free(gz); free(dz); free(s0); free(s1);
}

static const char *breaks_why(enum opt_kind k)
{
	switch (k) {
	case OPT_SGD: return "a minibatch gradient moves it";
	case OPT_MOMENTUM: case OPT_FLOW_MOMENTUM: return "the velocity is not the gradient at θ";
	case OPT_ADAM: case OPT_ADAMW: case OPT_RMSPROP: return "per-coordinate step sizes break its symmetry";
	case OPT_SIGN: return "the sign of the gradient is not a gradient";
	default: return "weight decay moves it";
	}
}

void run_relabel(struct run *r)
{
	struct experiment *x = r->x;
	const struct optimizer *o = &r->set.opt;
	if (!r->theta || x->dirty)
		return;
	/* 1. the catalogue's verdicts */
	for (int i = 0; i < r->q.n; i++) {
		struct quantity *q = r->q.q[i];
		const struct quantity *c = i < x->q.n && !strcmp(x->q.q[i]->name, q->name) ? x->q.q[i] : qset_find(&x->q, q->name);
		if (c) {
			q->role = c->role;
			q->rate = q->gf_rate = c->rate;
		}
		q->why[0] = '\0';
	}
	/* 2. the dynamics in force */
	double *rate = xcalloc((size_t)r->q.n + 1, sizeof *rate);
	check_rates(r, rate);
	int hb = o->kind == OPT_MOMENTUM || o->kind == OPT_FLOW_MOMENTUM;
	for (int i = 0; i < r->q.n; i++) {
		struct quantity *q = r->q.q[i];
		if (!q->phase)
			continue;
		q->internal = !hb;          /* shown only where a velocity exists */
		q->role = QR_CONTRAST;
		rate[i] = hb ? 0 : NAN;
	}
	if (hb) {
		phase_rates(r, rate);
		for (int i = 0; i < r->q.n; i++) {
			struct quantity *q = r->q.q[i];
			if (!q->phase)
				continue;
			q->role = rate[i] <= LAW_RATE_TOL ? QR_LAW : QR_CLAIMED_FAILS;
			q->rate = rate[i];
			rate[i] = NAN;          /* decided: not a broken gradient-flow law */
		}
	}
	int broken = 0;
	for (int i = 0; i < r->q.n; i++) {
		struct quantity *q = r->q.q[i];
		if (isnan(rate[i]))
			continue;
		q->rate = rate[i];
		if (rate[i] <= LAW_RATE_TOL)
			continue;
		q->role = QR_CONTRAST;
		int lam_only = (o->kind == OPT_GD || o->kind == OPT_FLOW) && r->set.wd != 0;
		snprintf(q->why, sizeof q->why, "not conserved under %s: %s (rate %.1e)",
		         lam_only ? "weight decay" : opt_names[o->kind], breaks_why(lam_only ? OPT_GD : o->kind), rate[i]);
		broken += !q->internal;
	}
	free(rate);
	/* 3. predictions: quadratic and linear laws under gd, sgd, flow; the
	 * phase-space laws under momentum */
	int exact = o->kind == OPT_GD || o->kind == OPT_SGD || o->kind == OPT_FLOW;
	struct qset lp = { 0 };
	r->npred = 0;
	r->ident = run_ident_of(o->kind);
	for (int i = 0; i < r->q.n; i++) {
		struct quantity *q = r->q.q[i];
		if (q->role == QR_LAW && !q->fn && (q->phase ? hb : exact && is_homogeneous(q))) {
			if (!q->hp) {
				q->hp = xmalloc((size_t)q->ncomp * sizeof(double));
				memcpy(q->hp, q->h0, (size_t)q->ncomp * sizeof(double));
			}
			q->pslot = r->npred;
			r->npred += q->ncomp;
			if (q->kind == QK_QUADRATIC && !q->phase)
				qset_add(&lp, q);
		} else {
			free(q->hp);
			q->hp = NULL;
			q->pslot = -1;
		}
	}
	qplan_free(r->lplan);
	r->lplan = lp.n ? qplan_new(&lp, r->D) : NULL;
	free(lp.q);             /* the plan keeps pointers to the components, not the set */
	/* 4. what the labels are for */
	char ob[96];
	optimizer_format(o, ob, sizeof ob);
	int n = snprintf(r->dynamics, sizeof r->dynamics, "%s", ob);
	if (r->set.wd != 0 && n > 0 && (size_t)n < sizeof r->dynamics)
		n += snprintf(r->dynamics + n, sizeof r->dynamics - (size_t)n, " wd=%g", r->set.wd);
	if (broken && n > 0 && (size_t)n < sizeof r->dynamics)
		snprintf(r->dynamics + n, sizeof r->dynamics - (size_t)n, " (%d gradient-flow law%s broken)", broken,
		         broken == 1 ? "" : "s");
}
