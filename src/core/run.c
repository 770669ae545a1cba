/* run.c — one trajectory over an experiment: buffers, the training step, the
 * per-step trace and the quantity values (see run.h).
 *
 * Invariants: after run_rebuild(), theta/theta0/grad/mom hold D doubles in the
 * model's layout, every quantity copy has h0 at θ0, a trace slot and a label
 * for this run's dynamics (dynamics.c); the trace row for step k holds θ_k's
 * loss, plain quantity values and, for the laws with an exact one-step
 * identity, their predicted values. run_step() does not allocate: buffers
 * that depend on the settings are sized when the settings change.
 *
 * Drift of a law under weight decay: h(θk) is compared with F_k·h(θ0), F_k the
 * exact discrete factor Π(1−τλ)² (quadratic) or Π(1−τλ) (linear), e^{−2λt} /
 * e^{−λt} under the flow; relative drift is measured against the law's
 * magnitude Σ|terms| (the larger of F_k times its value at θ0 and its value at
 * θk), never by scaling a decaying value up. */
#include "exp_impl.h"
#include "noether/linalg.h"
#include "noether/optim.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_MAX_DOUBLES (2u << 20)   /* 16 MB: ~20k rows for relu2, then every 2nd step, ... */

struct run *run_create(struct experiment *x, const char *label, int listed)
{
	struct run *r = xcalloc(1, sizeof *r);
	r->x = x;
	r->listed = listed;
	str_copy(r->label, label, sizeof r->label);
	r->set = x->set;
	r->decay = 1.0;
	return r;
}

static void free_buffers(struct run *r)
{
	free(r->theta); free(r->theta0); free(r->grad); free(r->scratch); free(r->v2);   /* mom lives in theta */
	free(r->xb); free(r->tb); free(r->lb); free(r->perm); free(r->flow_ws); free(r->pwork);
	r->theta = r->theta0 = r->grad = r->mom = r->scratch = r->v2 = r->xb = r->tb = r->flow_ws = r->pwork = NULL;
	r->lb = r->perm = NULL;
	r->built_batch = 0;
	r->flow_ws_size = 0;
	r->D = 0;
}

void run_free(struct run *r)
{
	if (!r)
		return;
	free_buffers(r);
	qset_clear(&r->q);
	free(r->trace.rows);
	qplan_free(r->qplan);
	qplan_free(r->lplan);
	free(r);
}

const char *run_label(const struct run *r) { return r->label; }
const char *run_error(const struct run *r) { return r->err; }

static int flow_kind(enum opt_kind k) { return k == OPT_FLOW || k == OPT_FLOW_MOMENTUM; }

/* Minibatch buffers, the second-moment state and the integrator workspace,
 * sized for the settings in force (called when they change, never during a
 * step). */
static void size_opt_buffers(struct run *r)
{
	const struct experiment *x = r->x;
	if (!r->theta || !x->data)
		return;
	const struct optimizer *o = &r->set.opt;
	int batch = o->batch > 0 && !flow_kind(o->kind) ? (o->batch < x->data->n ? o->batch : x->data->n) : 0;
	if (batch != r->built_batch) {
		free(r->xb); free(r->tb); free(r->lb); free(r->perm);
		r->xb = r->tb = NULL;
		r->lb = r->perm = NULL;
		if (batch) {
			size_t B = (size_t)batch;
			r->xb = xcalloc(B * x->data->len * x->data->d_in, sizeof(double));
			r->tb = xcalloc(B * x->model->out.len * x->model->out.width + 1, sizeof(double));
			r->lb = xcalloc(B * x->data->out_len + 1, sizeof(int));
			r->perm = xcalloc((size_t)x->data->n, sizeof(int));
			for (int i = 0; i < x->data->n; i++)
				r->perm[i] = i;
		}
		r->built_batch = batch;
	}
	if ((optim_state(o->kind) & OPTIM_V) && !r->v2)
		r->v2 = xcalloc(r->D + 1, sizeof(double));
	size_t fw = flow_workspace_size(r);
	if (fw != r->flow_ws_size) {
		free(r->flow_ws);
		r->flow_ws = fw ? xcalloc(fw, sizeof(double)) : NULL;
		r->flow_ws_size = fw;
		r->flow_fsal = 0;
	}
}

static void trace_layout(struct run *r, const struct qset *old, int keep);
static void trace_set_tau(struct run *r);

/* After a change of settings: buffers, labels for the new dynamics, the trace
 * layout (prediction columns) and row 0's τ. */
static void settings_changed(struct run *r)
{
	size_opt_buffers(r);
	if (!r->theta)
		return;
	int npred = r->npred;
	if (r->step > 0 && (int)run_ident_of(r->set.opt.kind) != r->ident)
		r->pred_valid = 0;   /* the predictions followed other dynamics */
	run_relabel(r);
	if (r->npred != npred)
		trace_layout(r, &r->q, 1);
	trace_set_tau(r);
	run_update(r);
}

/* The experiment's defaults for every setting the run does not own. */
static void take_defaults(struct run *r)
{
	const struct experiment *x = r->x;
	if (!(r->own & RUN_OWN_OPT))
		r->set.opt = x->set.opt;
	if (!(r->own & RUN_OWN_SCHED))
		r->set.sched = x->set.sched;
	if (!(r->own & RUN_OWN_WD))
		r->set.wd = x->set.wd;
}

void run_follow(struct run *r)
{
	take_defaults(r);
	settings_changed(r);
}

int run_check_batch(const struct optimizer *o, const struct dataset *d, char *err, size_t len)
{
	if (d && o->batch > d->n && !flow_kind(o->kind))
		return nt_err(err, len, NT_EINVAL, "opt %s: batch=%d is more than the %d samples of the data (batch=%d or fewer)",
		              opt_names[o->kind], o->batch, d->n, d->n);
	return 0;
}

int run_set_opt(struct run *r, int argc, char **argv)
{
	struct optimizer o = r->set.opt;
	int rc = optimizer_parse(&o, argc, argv, r->err, sizeof r->err);
	if (!rc)
		rc = run_check_batch(&o, r->x->data, r->err, sizeof r->err);
	if (rc)
		return rc;
	r->set.opt = o;
	r->own |= RUN_OWN_OPT;
	settings_changed(r);
	return 0;
}

int run_set_schedule(struct run *r, int argc, char **argv)
{
	struct schedule c = r->set.sched;
	int rc = schedule_parse(&c, argc, argv, r->err, sizeof r->err);
	if (rc)
		return rc;
	r->set.sched = c;
	r->own |= RUN_OWN_SCHED;
	settings_changed(r);
	return 0;
}

int run_set_wd(struct run *r, double lambda)
{
	if (!(lambda >= 0) || lambda > 1e3)
		return nt_err(r->err, sizeof r->err, NT_EINVAL, "wd: λ must be in [0, 1000]");
	r->set.wd = lambda;
	r->own |= RUN_OWN_WD;
	settings_changed(r);
	return 0;
}

int run_set_init_seed(struct run *r, unsigned long seed)
{
	r->seed = seed;
	r->own |= RUN_OWN_SEED;
	if (!r->theta)
		return 0;
	struct init_spec sp = r->x->init;
	sp.seed = seed;
	experiment_make_theta0(r->x, &sp, r->theta0);
	return run_reset_at(r, r->theta0);
}

const struct train_settings *run_settings(const struct run *r) { return &r->set; }
double run_tau(const struct run *r, long k) { return schedule_tau(&r->set.sched, k); }
const char *run_dynamics(const struct run *r) { return r->dynamics; }

/* ---- quantities and trace ----------------------------------------------------- */

static void quantity_set_h0(struct run *r, struct quantity *q)
{
	quantity_eval(q, r->theta0, q->h0);
	memcpy(q->hk, q->h0, (size_t)q->ncomp * sizeof(double));
	if (q->hp)
		memcpy(q->hp, q->h0, (size_t)q->ncomp * sizeof(double));
	q->norm0 = q->normk = quantity_norm(q, q->h0);
	q->mag0 = quantity_magnitude(q, r->theta0);
	q->first_value = q->h0[0];
	q->decay = 1.0;
	q->drift_abs = q->drift_rel = q->eps_rel = q->pred_rel = q->pred_err = 0;
}

/* Sizes the trace for the current quantities and predictions. With keep set,
 * rows already recorded are carried over from the layout of `old` (a column
 * that did not exist reads NaN). */
static void trace_layout(struct run *r, const struct qset *old, int keep)
{
	struct trace *t = &r->trace;
	int oldvals = r->nvals;
	r->nvals = 0;
	for (int i = 0; i < r->q.n; i++)
		r->nvals += r->q.q[i]->ncomp;
	int w = TRACE_FIXED + r->nvals + r->npred;
	qplan_free(r->qplan);
	r->qplan = qplan_new(&r->q, r->D);
	if (!keep && t->rows && t->width == w) {
		/* same layout (reset): keep the buffer, whose pages are already mapped;
		 * a fresh 64 MB buffer page-faults every few steps of the next run */
		t->nrows = 0;
		t->stride = 1;
		return;
	}
	long caprows = (long)(TRACE_MAX_DOUBLES / (unsigned)w);
	if (caprows < 64)
		caprows = 64;
	if (caprows > 1 << 20)
		caprows = 1 << 20;
	double *rows = xmalloc((size_t)caprows * (size_t)w * sizeof(double));
	long nrows = 0, stride = 1;
	if (keep && old && t->rows) {
		/* every kept row: fixed part, then each quantity's columns by name */
		long from = t->nrows > caprows ? t->nrows - caprows : 0;
		for (long k = from; k < t->nrows; k++, nrows++) {
			const double *src = t->rows + (size_t)k * t->width;
			double *dst = rows + (size_t)nrows * w;
			memcpy(dst, src, TRACE_FIXED * sizeof(double));
			for (int i = 0; i < r->q.n; i++) {
				const struct quantity *q = r->q.q[i], *o = qset_find(old, q->name);
				int same = o && o->ncomp == q->ncomp;
				/* predictions carry over from another set of copies (a
				 * watch); after a relabel of the same copies they restart */
				int pred = same && old != &r->q && o->pslot >= 0;
				for (int c = 0; c < q->ncomp; c++) {
					dst[TRACE_FIXED + q->slot + c] = same ? src[TRACE_FIXED + o->slot + c] : NAN;
					if (q->pslot >= 0)
						dst[TRACE_FIXED + r->nvals + q->pslot + c] = pred ? src[TRACE_FIXED + oldvals + o->pslot + c] : NAN;
				}
			}
		}
		stride = t->stride;
	}
	free(t->rows);
	t->rows = rows;
	t->width = w;
	t->caprows = caprows;
	t->nrows = nrows;
	t->stride = stride;
	free(r->pwork);
	r->pwork = xcalloc((size_t)r->nvals + 1, sizeof(double));
}

/* Appends the row for the current step (θ = r->theta), loss given. */
static void trace_record(struct run *r, double loss)
{
	struct trace *t = &r->trace;
	if (r->step % t->stride)
		return;
	if (t->nrows == t->caprows) { /* keep every other row, double the stride */
		long k = 0;
		for (long i = 0; i < t->nrows; i++) {
			long st = (long)t->rows[(size_t)i * t->width];
			if (st % (2 * t->stride) == 0) {
				if (k != i)
					memmove(t->rows + (size_t)k * t->width, t->rows + (size_t)i * t->width, (size_t)t->width * sizeof(double));
				k++;
			}
		}
		t->nrows = k;
		t->stride *= 2;
		if (r->step % t->stride)
			return;
	}
	double *row = t->rows + (size_t)t->nrows * t->width;
	row[0] = (double)r->step;
	row[1] = run_tau(r, r->step);
	row[2] = loss;
	row[3] = r->t;
	row[4] = r->Lambda;
	row[5] = r->budget;
	row[6] = r->gbudget;
	/* the plan computes quantity_comp_value's bits for every polynomial
	 * component; expressions, and a plan gone stale, take the plain path */
	int planned = qplan_count(r->qplan) == r->q.n;
	if (planned)
		qplan_eval(r->qplan, r->theta, row + TRACE_FIXED);
	double *pv = row + TRACE_FIXED + r->nvals;
	for (int i = 0; i < r->q.n; i++) {
		const struct quantity *q = r->q.q[i];
		if (q->phase && q->internal) {
			/* a phase-space law hidden for want of a velocity (no momentum
			 * in force): never shown, so not evaluated every step */
			double *v = row + TRACE_FIXED + q->slot;
			for (int k = 0; k < q->ncomp; k++)
				v[k] = NAN;
		} else if (!planned || q->fn || q->phase) {
			double *v = row + TRACE_FIXED + q->slot;
			for (int k = 0; k < q->ncomp; k++)
				v[k] = quantity_comp_value(q, k, r->theta);
		}
		if (q->pslot >= 0)
			for (int k = 0; k < q->ncomp; k++)
				pv[q->pslot + k] = r->pred_valid ? q->hp[k] : NAN;
	}
	t->nrows++;
}

/* The row of the current step, if recorded. */
static double *current_row(struct run *r)
{
	struct trace *t = &r->trace;
	if (t->nrows && (long)t->rows[(size_t)(t->nrows - 1) * t->width] == r->step)
		return t->rows + (size_t)(t->nrows - 1) * t->width;
	return NULL;
}

static void trace_fill_loss(struct run *r, double loss)
{
	double *row = current_row(r);
	if (row)
		row[2] = loss;
}

/* The current row's τ: the step size in force (after a schedule change). */
static void trace_set_tau(struct run *r)
{
	double *row = current_row(r);
	if (row)
		row[1] = run_tau(r, r->step);
}

/* Fresh copies of the catalogue (roles and rates as checked there). */
static void clone_catalogue(struct run *r)
{
	qset_clear(&r->q);
	const struct qset *cat = &r->x->q;
	for (int i = 0; i < cat->n; i++) {
		struct quantity *c = quantity_clone(cat->q[i]);
		c->gf_rate = c->rate;
		qset_add(&r->q, c);
	}
}

void run_sync_quantities(struct run *r)
{
	if (!r->theta) {
		clone_catalogue(r);
		return;
	}
	struct qset old = r->q;
	memset(&r->q, 0, sizeof r->q);
	clone_catalogue(r);
	run_relabel(r);
	for (int i = 0; i < r->q.n; i++) {
		struct quantity *q = r->q.q[i];
		const struct quantity *o = qset_find(&old, q->name);
		if (o && o->ncomp == q->ncomp && o->kind == q->kind && !q->fn) {
			memcpy(q->h0, o->h0, (size_t)q->ncomp * sizeof(double));
			if (q->hp)
				memcpy(q->hp, o->hp ? o->hp : o->h0, (size_t)q->ncomp * sizeof(double));
			q->norm0 = o->norm0;
			q->mag0 = o->mag0;
			q->first_value = o->first_value;
		} else {
			quantity_set_h0(r, q);
			if (q->hp && r->step > 0)
				r->pred_valid = 0;   /* a new law's past steps were not followed */
		}
	}
	trace_layout(r, &old, 1);
	qset_clear(&old);
	/* the current row carries the new columns' values */
	if (current_row(r)) {
		r->trace.nrows--;
		trace_record(r, r->loss_val);
	}
	run_update(r);
}

/* ---- buffers, reset -------------------------------------------------------------- */

int run_rebuild(struct run *r)
{
	struct experiment *x = r->x;
	if (x->dirty || !x->theta0)
		return nt_err(r->err, sizeof r->err, NT_ESTATE, "the experiment is not prepared");
	size_t D = x->D;
	free_buffers(r);
	r->D = D;
	/* z = [θ | velocity]: phase-space laws read both (the velocity of θ0 is 0) */
	r->theta = xcalloc(2 * D + 2, sizeof(double));
	r->theta0 = xcalloc(2 * D + 2, sizeof(double));
	r->mom = r->theta + D;
	r->grad = xcalloc(D + 1, sizeof(double));
	r->scratch = xcalloc(2 * D + 2, sizeof(double));
	clone_catalogue(r);
	r->npred = 0;
	take_defaults(r);
	size_opt_buffers(r);
	run_relabel(r);
	r->built_gen = x->config_gen;
	if (r->own & RUN_OWN_SEED) {
		struct init_spec sp = x->init;
		sp.seed = r->seed;
		experiment_make_theta0(x, &sp, r->theta0);
	} else {
		memcpy(r->theta0, x->theta0, D * sizeof(double));
	}
	free(r->trace.rows);
	memset(&r->trace, 0, sizeof r->trace);
	return run_reset(r);
}

static int check_built(struct run *r)
{
	struct experiment *x = r->x;
	if (x->dirty) {
		int rc = experiment_prepare(x);
		if (rc)
			return nt_err(r->err, sizeof r->err, rc, "%s", x->err);
	}
	if (r->built_gen != x->config_gen || !r->theta) {
		if (r->listed)
			return run_rebuild(r);
		return nt_err(r->err, sizeof r->err, NT_ESTATE, "the experiment changed under this run");
	}
	return 0;
}

int run_reset_at(struct run *r, const double *th)
{
	int rc = check_built(r);
	if (rc)
		return rc;
	if (th != r->theta0)
		memcpy(r->theta0, th, r->D * sizeof(double));
	return run_reset(r);
}

int run_reset(struct run *r)
{
	if (!r->theta)
		return nt_err(r->err, sizeof r->err, NT_ESTATE, "the run is not built");
	memcpy(r->theta, r->theta0, r->D * sizeof(double));
	memset(r->mom, 0, r->D * sizeof(double));
	if (r->v2)
		memset(r->v2, 0, r->D * sizeof(double));
	if (r->perm)
		for (int i = 0; i < r->x->data->n; i++)
			r->perm[i] = i;
	rng_seed(&r->sgd_rng, r->set.opt.seed);
	r->step = r->opt_t = 0;
	r->t = r->Lambda = r->budget = r->gbudget = 0;
	r->decay = r->pdecay = 1.0;
	r->pred_valid = 1;
	r->flow_h = 0;
	r->flow_fsal = 0;
	r->diverged = 0;
	r->err[0] = '\0';
	for (int i = 0; i < r->q.n; i++)
		quantity_set_h0(r, r->q.q[i]);
	r->loss0 = r->loss_val = run_loss_grad(r, r->theta, NULL);
	r->grad_norm = 0;
	trace_layout(r, NULL, 0);
	trace_record(r, r->loss_val);
	return 0;
}

/* ---- the step ------------------------------------------------------------------------ */

double run_loss_grad(struct run *r, const double *th, double *g)
{
	return experiment_loss_grad(r->x, th, g);
}

/* Minibatch loss and gradient at th: samples B indices without replacement
 * from the run's stream. */
double run_batch_grad(struct run *r, const double *th, double *g)
{
	struct experiment *x = r->x;
	struct model *m = x->model;
	const struct dataset *d = x->data;
	int B = r->built_batch;
	size_t xrow = (size_t)d->len * d->d_in, w = (size_t)m->out.width, orow = (size_t)d->out_len;
	struct rng *rg = &r->sgd_rng;
	for (int i = 0; i < B; i++) {
		int j = i + (int)rng_below(rg, (uint64_t)(d->n - i));
		int t = r->perm[i]; r->perm[i] = r->perm[j]; r->perm[j] = t;
		int idx = r->perm[i];
		memcpy(r->xb + i * xrow, d->x + idx * xrow, xrow * sizeof(double));
		if (x->targets)
			memcpy(r->tb + i * orow * w, x->targets + idx * orow * w, orow * w * sizeof(double));
		if (d->label)
			for (size_t k = 0; k < orow; k++)
				r->lb[i * orow + k] = d->label[idx * orow + k];
	}
	const double *f = model_forward(m, th, r->xb, B);
	double L = loss_eval(x->loss, f, B * (int)orow, (int)w, r->tb, r->lb, x->df);
	memset(g, 0, r->D * sizeof *g);
	model_backward(m, th, x->df, g, NULL);
	return L;
}

static int diverged(struct run *r, double L, double gn, double tau)
{
	if (isfinite(L) && isfinite(gn) && L <= 1e12 * (1.0 + fabs(r->loss0)))
		return 0;
	r->diverged = 1;
	return nt_err(r->err, sizeof r->err, NT_EDIVERGED,
	              "diverged at step %ld (τ=%g, loss %s): try a smaller step", r->step, tau,
	              isfinite(L) ? "exploding" : "NaN/Inf");
}

/* The exact one-step identity of every predicted law, before θ moves by
 * −τ(g + λθ): a quadratic law becomes f²h + τ²h(g), a linear one f·h
 * (f = 1 − τλ), because <∇h, g> = 0; the bound's budget follows the same
 * recursion with ||g||². */
static void predict_step(struct run *r, const double *g, double gn2, double tau)
{
	double f = 1.0 - tau * r->set.wd;
	if (r->lplan)
		qplan_eval(r->lplan, g, r->pwork);
	for (int i = 0; i < r->q.n; i++) {
		struct quantity *q = r->q.q[i];
		if (q->pslot < 0)
			continue;
		if (q->kind == QK_QUADRATIC)
			for (int k = 0; k < q->ncomp; k++)
				q->hp[k] = f * f * q->hp[k] + tau * tau * r->pwork[q->slot + k];
		else
			for (int k = 0; k < q->ncomp; k++)
				q->hp[k] = f * q->hp[k];
	}
	r->gbudget = f * f * r->gbudget + tau * tau * gn2;
}

int run_step(struct run *r, long n, volatile sig_atomic_t *interrupt)
{
	int rc = check_built(r);
	if (rc)
		return rc;
	if (n < 0 || n > 1000000000L)
		return nt_err(r->err, sizeof r->err, NT_ERANGE, "step: N must be in 0..1000000000");
	size_t D = r->D;
	double *th = r->theta, *g = r->grad, lam = r->set.wd;
	const struct optimizer *o = &r->set.opt;
	if ((rc = run_check_batch(o, r->x->data, r->err, sizeof r->err)))
		return rc;
	int flow = flow_kind(o->kind), batch = r->built_batch > 0;
	enum run_ident ident = run_ident_of(o->kind);
	if ((int)ident != r->ident)
		r->pred_valid = 0;
	double gamma = ident == IDENT_HBFLOW ? (1.0 - o->beta) / sqrt(r->set.sched.tau0) : 0;
	r->flow_fsal = 0;   /* θ may have been changed since the last call */
	for (long it = 0; it < n; it++) {
		if (interrupt && *interrupt)
			return nt_err(r->err, sizeof r->err, NT_EINTR, "interrupted at step %ld", r->step);
		double tau = run_tau(r, r->step);
		double *row = current_row(r);
		if (row)
			row[1] = tau;     /* the step size taken from this row's θ */
		if (flow) { /* one accepted step of the adaptive integrator (flow.c) */
			double Lf;
			if ((rc = flow_advance(r, tau, &Lf)))
				return rc;
			trace_fill_loss(r, Lf);
			r->decay = exp(-r->Lambda);
			r->pdecay = exp(-gamma * r->t);
			for (int i = 0; i < r->q.n; i++) {   /* the flow conserves F(t)·h(θ0) exactly */
				struct quantity *q = r->q.q[i];
				double F = run_law_decay(r, q);
				if (q->pslot >= 0)
					for (int k = 0; k < q->ncomp; k++)
						q->hp[k] = F * q->h0[k];
			}
			r->loss_val = Lf;
			r->step++;
			trace_record(r, NAN);
			continue;
		}
		double L = batch ? run_batch_grad(r, th, g) : run_loss_grad(r, th, g);
		double gn2 = sum_squares((int)D, g);
		if (diverged(r, L, gn2, tau))
			return NT_EDIVERGED;
		if (!batch)
			trace_fill_loss(r, L);
		r->loss_val = L;
		r->grad_norm = sqrt(gn2);
		if (ident == IDENT_GD && r->pred_valid)
			predict_step(r, g, gn2, tau);
		else if (ident != IDENT_HB)
			r->pred_valid = 0;
		r->opt_t++;
		optim_step(o, tau, lam, r->opt_t, D, th, g, r->mom, r->v2);
		if (ident == IDENT_HB) {     /* phase-space laws: S ← βS exactly */
			r->pdecay *= o->beta;
			for (int i = 0; i < r->q.n; i++) {
				struct quantity *q = r->q.q[i];
				if (q->pslot >= 0)
					for (int k = 0; k < q->ncomp; k++)
						q->hp[k] *= o->beta;
			}
		}
		if (lam != 0) {
			double f = 1.0 - tau * lam;
			r->Lambda += f > 0 ? -log(f) : tau * lam;
			r->decay *= f;
		}
		r->budget += tau * tau;
		r->t += tau;
		r->step++;
		double Lrow = NAN;
		if (batch && r->step % r->trace.stride == 0)
			Lrow = run_loss_grad(r, th, NULL);
		trace_record(r, Lrow);
	}
	r->loss_val = run_loss_grad(r, th, NULL);
	trace_fill_loss(r, r->loss_val);
	if (!isfinite(r->loss_val)) {
		r->diverged = 1;
		return nt_err(r->err, sizeof r->err, NT_EDIVERGED,
		              "diverged at step %ld (τ=%g): try a smaller step", r->step, run_tau(r, r->step));
	}
	run_update(r);
	return 0;
}

/* Weighted norm of a − F·b over q's components. */
static double diff_norm(const struct quantity *q, const double *a, const double *b, double F)
{
	double d2 = 0;
	for (int k = 0; k < q->ncomp; k++) {
		double e = a[k] - F * b[k];
		d2 += (q->ncomp == 1 ? 1.0 : q->comp[k].weight) * e * e;
	}
	return sqrt(d2);
}

double run_law_decay(const struct run *r, const struct quantity *q)
{
	if (q->role != QR_LAW)
		return 1.0;
	if (q->phase)
		return r->pdecay;
	return q->kind == QK_QUADRATIC ? r->decay * r->decay : q->kind == QK_LINEAR ? r->decay : 1.0;
}

void run_update(struct run *r)
{
	if (!r->theta)
		return;
	for (int i = 0; i < r->q.n; i++) {
		struct quantity *q = r->q.q[i];
		double F = run_law_decay(r, q);
		for (int k = 0; k < q->ncomp; k++)
			q->hk[k] = quantity_comp_value(q, k, r->theta);
		q->decay = F;
		q->normk = quantity_norm(q, q->hk);
		q->drift_abs = diff_norm(q, q->hk, q->h0, F);
		/* the law's magnitude: the sum of its terms' sizes, at θ0 (decayed
		 * like the law) or now, whichever is larger — never a decaying value
		 * alone, which weight decay takes to zero */
		double mag = F * q->mag0, magk = F != 1.0 ? quantity_magnitude(q, r->theta) : 0;
		if (magk > mag)
			mag = magk;
		q->drift_rel = mag > 0 ? q->drift_abs / mag : q->drift_abs;
		double n0 = F * q->norm0;
		double den = n0 >= 1e-6 * mag ? n0 : mag;
		q->eps_rel = den > 0 ? q->drift_abs / den : q->drift_abs;
		if (q->pslot >= 0 && r->pred_valid) {
			q->pred_rel = mag > 0 ? diff_norm(q, q->hp, q->h0, F) / mag : 0;
			q->pred_err = mag > 0 ? diff_norm(q, q->hk, q->hp, 1.0) / mag : 0;
		} else {
			q->pred_rel = q->pred_err = NAN;
		}
	}
}

/* ---- reading ------------------------------------------------------------------------- */

long run_steps(const struct run *r) { return r->step; }
double run_time(const struct run *r) { return r->t; }
double run_lambda(const struct run *r) { return r->Lambda; }
double run_budget(const struct run *r) { return r->budget; }
double run_grad_budget(const struct run *r) { return r->gbudget; }
int run_predicting(const struct run *r) { return r->pred_valid && r->npred > 0; }
double run_loss(const struct run *r) { return r->loss_val; }
double run_loss0(const struct run *r) { return r->loss0; }
double run_grad_norm(const struct run *r) { return r->grad_norm; }
double run_flow_h(const struct run *r) { return r->flow_h; }
int run_diverged(const struct run *r) { return r->diverged; }
size_t run_nparams(const struct run *r) { return r->D; }
const double *run_theta(const struct run *r) { return r->theta; }
const double *run_theta0(const struct run *r) { return r->theta0; }
double *run_theta_mut(struct run *r) { return r->theta; }
const struct qset *run_quantities(const struct run *r) { return &r->q; }

int run_count(const struct run *r, enum qrole role)
{
	int n = 0;
	for (int i = 0; i < r->q.n; i++)
		n += r->q.q[i]->role == role && !r->q.q[i]->internal;
	return n;
}

double run_block_drift(const struct run *r, int block)
{
	double sum = 0;
	int n = 0;
	for (int i = 0; i < r->q.n; i++) {
		const struct quantity *q = r->q.q[i];
		if (q->role == QR_LAW && q->block == block && !q->internal) {
			sum += q->eps_rel;
			n++;
		}
	}
	return n ? sum / n : -1.0;
}

void run_trace(const struct run *r, struct trace_view *t)
{
	t->nrows = r->trace.nrows;
	t->width = r->trace.width;
	t->nvals = r->nvals;
	t->stride = r->trace.stride;
	t->rows = r->trace.rows;
}

struct run *run_new(struct experiment *x)
{
	struct run *r = run_create(x, "", 0);
	if (experiment_prepare(x) || run_rebuild(r)) {
		/* the caller prepared x: this cannot fail short of a bug; keep it usable */
		return r;
	}
	return r;
}
