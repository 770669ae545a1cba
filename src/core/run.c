/* run.c — one trajectory over an experiment: buffers, the training step, the
 * per-step trace and the quantity values (see run.h).
 *
 * Invariants: after run_rebuild(), theta/theta0/grad/mom hold D doubles in the
 * model's layout and every quantity copy has h0 at θ0 and a trace slot; the
 * trace row for step k holds θ_k's loss and quantity values (with the
 * weight-decay rescaling e^{2Λ} / e^{Λ} applied). run_step() does not
 * allocate: buffers that depend on the settings are sized when the settings
 * change. */
#include "exp_impl.h"
#include "noether/linalg.h"
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
	return r;
}

static void free_buffers(struct run *r)
{
	free(r->theta); free(r->theta0); free(r->grad); free(r->mom); free(r->scratch);
	free(r->xb); free(r->tb); free(r->lb); free(r->perm); free(r->flow_ws);
	r->theta = r->theta0 = r->grad = r->mom = r->scratch = r->xb = r->tb = r->flow_ws = NULL;
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
	free(r);
}

const char *run_label(const struct run *r) { return r->label; }
const char *run_error(const struct run *r) { return r->err; }

/* SGD minibatch buffers and the integrator workspace, sized for the settings
 * in force (called when they change, never during a step). */
static void size_opt_buffers(struct run *r)
{
	const struct experiment *x = r->x;
	if (!r->theta || !x->data)
		return;
	int batch = r->set.opt.kind == OPT_SGD ? (r->set.opt.batch < x->data->n ? r->set.opt.batch : x->data->n) : 0;
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
	size_t fw = flow_workspace_size(r);
	if (fw != r->flow_ws_size) {
		free(r->flow_ws);
		r->flow_ws = fw ? xcalloc(fw, sizeof(double)) : NULL;
		r->flow_ws_size = fw;
		r->flow_fsal = 0;
	}
}

void run_follow(struct run *r)
{
	const struct experiment *x = r->x;
	if (!(r->own & RUN_OWN_OPT))
		r->set.opt = x->set.opt;
	if (!(r->own & RUN_OWN_SCHED))
		r->set.sched = x->set.sched;
	if (!(r->own & RUN_OWN_WD))
		r->set.wd = x->set.wd;
	size_opt_buffers(r);
}

int run_set_opt(struct run *r, int argc, char **argv)
{
	struct optimizer o = r->set.opt;
	int rc = optimizer_parse(&o, argc, argv, r->err, sizeof r->err);
	if (rc)
		return rc;
	r->set.opt = o;
	r->own |= RUN_OWN_OPT;
	size_opt_buffers(r);
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
	return 0;
}

int run_set_wd(struct run *r, double lambda)
{
	if (!(lambda >= 0) || lambda > 1e3)
		return nt_err(r->err, sizeof r->err, NT_EINVAL, "wd: λ must be in [0, 1000]");
	r->set.wd = lambda;
	r->own |= RUN_OWN_WD;
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

/* ---- quantities and trace ----------------------------------------------------- */

static double q_scale(const struct run *r, const struct quantity *q)
{
	if (r->Lambda == 0)
		return 1.0;
	if (q->kind == QK_QUADRATIC)
		return exp(2.0 * r->Lambda);
	if (q->kind == QK_LINEAR)
		return exp(r->Lambda);
	return 1.0;
}

static void quantity_set_h0(struct run *r, struct quantity *q)
{
	quantity_eval(q, r->theta0, q->h0);
	memcpy(q->hk, q->h0, (size_t)q->ncomp * sizeof(double));
	q->norm0 = q->normk = quantity_norm(q, q->h0);
	q->mag0 = quantity_magnitude(q, r->theta0);
	q->first_value = q->h0[0];
	q->drift_abs = q->drift_rel = 0;
}

/* Sizes the trace for the current quantities. With keep set, rows already
 * recorded are carried over (a column that did not exist reads NaN). */
static void trace_layout(struct run *r, const struct qset *old, int keep)
{
	struct trace *t = &r->trace;
	int w = TRACE_FIXED;
	for (int i = 0; i < r->q.n; i++)
		w += r->q.q[i]->ncomp;
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
				for (int c = 0; c < q->ncomp; c++)
					dst[TRACE_FIXED + q->slot + c] = o && o->ncomp == q->ncomp ? src[TRACE_FIXED + o->slot + c] : NAN;
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
	/* the plan computes quantity_comp_value's bits for every polynomial
	 * component; expressions, and a plan gone stale, take the plain path */
	int planned = qplan_count(r->qplan) == r->q.n;
	if (planned)
		qplan_eval(r->qplan, r->theta, row + TRACE_FIXED);
	for (int i = 0; i < r->q.n; i++) {
		const struct quantity *q = r->q.q[i];
		double sc = q_scale(r, q);
		double *v = row + TRACE_FIXED + q->slot;
		if (planned && !q->fn) {
			if (sc != 1.0)
				for (int k = 0; k < q->ncomp; k++)
					v[k] = sc * v[k];
			continue;
		}
		for (int k = 0; k < q->ncomp; k++)
			v[k] = sc * quantity_comp_value(q, k, r->theta);
	}
	t->nrows++;
}

static void trace_fill_loss(struct run *r, double loss)
{
	struct trace *t = &r->trace;
	if (t->nrows && (long)t->rows[(size_t)(t->nrows - 1) * t->width] == r->step)
		t->rows[(size_t)(t->nrows - 1) * t->width + 2] = loss;
}

/* Fresh copies of the catalogue (roles and rates as checked there). */
static void clone_catalogue(struct run *r)
{
	qset_clear(&r->q);
	const struct qset *cat = &r->x->q;
	for (int i = 0; i < cat->n; i++)
		qset_add(&r->q, quantity_clone(cat->q[i]));
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
	for (int i = 0; i < r->q.n; i++) {
		struct quantity *q = r->q.q[i];
		const struct quantity *o = qset_find(&old, q->name);
		if (o && o->ncomp == q->ncomp && o->kind == q->kind && !q->fn) {
			memcpy(q->h0, o->h0, (size_t)q->ncomp * sizeof(double));
			q->norm0 = o->norm0;
			q->mag0 = o->mag0;
			q->first_value = o->first_value;
		} else {
			quantity_set_h0(r, q);
		}
	}
	trace_layout(r, &old, 1);
	qset_clear(&old);
	/* the current row carries the new columns' values */
	struct trace *t = &r->trace;
	if (t->nrows && (long)t->rows[(size_t)(t->nrows - 1) * t->width] == r->step) {
		t->nrows--;
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
	r->theta = xcalloc(D + 1, sizeof(double));
	r->theta0 = xcalloc(D + 1, sizeof(double));
	r->grad = xcalloc(D + 1, sizeof(double));
	r->mom = xcalloc(D + 1, sizeof(double));
	r->scratch = xcalloc(2 * D + 2, sizeof(double));
	run_follow(r);
	clone_catalogue(r);
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
	if (r->perm)
		for (int i = 0; i < r->x->data->n; i++)
			r->perm[i] = i;
	rng_seed(&r->sgd_rng, r->set.opt.seed);
	r->step = 0;
	r->t = r->Lambda = r->budget = 0;
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

/* Minibatch loss and gradient: samples B indices without replacement. */
static double batch_grad(struct run *r, double *g)
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
	const double *f = model_forward(m, r->theta, r->xb, B);
	double L = loss_eval(x->loss, f, B * (int)orow, (int)w, r->tb, r->lb, x->df);
	memset(g, 0, r->D * sizeof *g);
	model_backward(m, r->theta, x->df, g, NULL);
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

int run_step(struct run *r, long n, volatile sig_atomic_t *interrupt)
{
	int rc = check_built(r);
	if (rc)
		return rc;
	if (n < 0 || n > 1000000000L)
		return nt_err(r->err, sizeof r->err, NT_ERANGE, "step: N must be in 0..1000000000");
	size_t D = r->D;
	double *th = r->theta, *g = r->grad, *mv = r->mom, lam = r->set.wd;
	enum opt_kind kind = r->set.opt.kind;
	int flow = kind == OPT_FLOW || kind == OPT_FLOW_MOMENTUM;
	r->flow_fsal = 0;   /* θ may have been changed since the last call */
	for (long it = 0; it < n; it++) {
		if (interrupt && *interrupt)
			return nt_err(r->err, sizeof r->err, NT_EINTR, "interrupted at step %ld", r->step);
		double tau = run_tau(r, r->step);
		if (flow) { /* one accepted step of the adaptive integrator (flow.c) */
			double Lf;
			if ((rc = flow_advance(r, tau, &Lf)))
				return rc;
			trace_fill_loss(r, Lf);
			r->loss_val = Lf;
			r->step++;
			trace_record(r, NAN);
			continue;
		}
		double L = kind == OPT_SGD ? batch_grad(r, g) : run_loss_grad(r, th, g);
		double gn2 = sum_squares((int)D, g);
		if (diverged(r, L, gn2, tau))
			return NT_EDIVERGED;
		if (kind != OPT_SGD)
			trace_fill_loss(r, L);
		r->loss_val = L;
		r->grad_norm = sqrt(gn2);
		switch (kind) {
		case OPT_MOMENTUM:
			for (size_t i = 0; i < D; i++) {
				mv[i] = r->set.opt.beta * mv[i] + g[i] + lam * th[i];
				th[i] -= tau * mv[i];
			}
			break;
		default:
			if (lam != 0)
				for (size_t i = 0; i < D; i++)
					th[i] -= tau * (g[i] + lam * th[i]);
			else
				for (size_t i = 0; i < D; i++)
					th[i] -= tau * g[i];
			break;
		}
		if (lam != 0) {
			double f = 1.0 - tau * lam;
			r->Lambda += f > 0 ? -log(f) : tau * lam;
		}
		r->budget += tau * tau;
		r->t += tau;
		r->step++;
		double Lrow = NAN;
		if (kind == OPT_SGD && r->step % r->trace.stride == 0)
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

void run_update(struct run *r)
{
	if (!r->theta)
		return;
	for (int i = 0; i < r->q.n; i++) {
		struct quantity *q = r->q.q[i];
		double sc = q_scale(r, q), d2 = 0;
		for (int k = 0; k < q->ncomp; k++) {
			q->hk[k] = sc * quantity_comp_value(q, k, r->theta);
			double e = q->hk[k] - q->h0[k];
			d2 += (q->ncomp == 1 ? 1.0 : q->comp[k].weight) * e * e;
		}
		q->normk = quantity_norm(q, q->hk);
		q->drift_abs = sqrt(d2);
		double den = q->norm0 >= 1e-6 * q->mag0 ? q->norm0 : q->mag0;
		q->drift_rel = den > 0 ? q->drift_abs / den : q->drift_abs;
	}
}

/* ---- reading ------------------------------------------------------------------------- */

long run_steps(const struct run *r) { return r->step; }
double run_time(const struct run *r) { return r->t; }
double run_lambda(const struct run *r) { return r->Lambda; }
double run_budget(const struct run *r) { return r->budget; }
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
			sum += q->drift_rel;
			n++;
		}
	}
	return n ? sum / n : -1.0;
}

void run_trace(const struct run *r, struct trace_view *t)
{
	t->nrows = r->trace.nrows;
	t->width = r->trace.width;
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
