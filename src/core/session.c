/* session.c — configuration, preparation (build, init, laws and their rate
 * checks), the training step and the per-step trace.
 *
 * Invariants: after session_prepare() succeeds, theta/theta0/grad/mom hold D
 * doubles in the model's layout; every quantity has h0 at θ0 and a trace slot;
 * a quantity has role QR_LAW only if its rate check passed. session_step() does
 * not allocate. Trace row for step k holds θ_k's loss and quantity values
 * (values with weight-decay rescaling e^{2Λ} / e^{Λ} applied). */
#include "noether/session.h"
#include "noether/balance.h"
#include "noether/linalg.h"
#include "flow.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const opt_names[] = { "gd", "sgd", "momentum", "flow", "flow+momentum", NULL };
const char *const sched_names[] = { "const", "decay", "cosine", "step", NULL };

#define LAW_RATE_TOL 1e-9      /* relative rate below which a law is accepted */
#define LAW_CHECK_POINTS 3     /* random points per check */
#define TRACE_MAX_DOUBLES (2u << 20)   /* 16 MB: ~20k rows for relu2, then every 2nd step, ... */

struct session *session_new(void)
{
	struct session *s = xcalloc(1, sizeof *s);
	s->model = model_new();
	s->loss = LOSS_MSE;
	s->opt.kind = OPT_GD;
	s->opt.seed = 1;
	s->opt.beta = 0.9;
	s->opt.tol = 1e-8;
	s->sched.kind = SCHED_CONST;
	s->sched.tau0 = 0.05;
	s->sched.every = 100;
	s->sched.gamma = 0.5;
	s->sched.K = 1000;
	s->init.kind = INIT_NORMAL;
	s->init.std = 0;
	s->init.seed = 1;
	s->check_seed = 20260601;
	s->threads = 1;
	s->dirty = 1;
	return s;
}

static void session_free_state(struct session *s)
{
	free(s->theta); free(s->theta0); free(s->grad); free(s->mom); free(s->scratch);
	free(s->targets); free(s->df); free(s->xb); free(s->tb); free(s->lb); free(s->perm);
	free(s->trace.rows);
	qplan_free(s->qplan);
	s->qplan = NULL;
	free(s->flow_ws);
	s->flow_ws = NULL;
	s->theta = s->theta0 = s->grad = s->mom = s->scratch = s->targets = s->df = NULL;
	s->xb = s->tb = NULL;
	s->lb = s->perm = NULL;
	memset(&s->trace, 0, sizeof s->trace);
	s->D = 0;
}

void session_free(struct session *s)
{
	if (!s)
		return;
	session_free_state(s);
	qset_clear(&s->q);
	model_free(s->model);
	data_free(s->data);
	for (int i = 0; i < s->nhistory; i++)
		free(s->history[i]);
	free(s->history);
	free(s);
}

const char *session_error(const struct session *s) { return s->err; }

void session_clear(struct session *s)
{
	struct model *m = s->model;
	int threads = s->threads;
	session_free_state(s);
	qset_clear(&s->q);
	model_clear(m);
	data_free(s->data);
	for (int i = 0; i < s->nhistory; i++)
		free(s->history[i]);
	free(s->history);
	struct session *fresh = session_new();
	model_free(fresh->model);
	*s = *fresh;
	free(fresh);
	s->model = m;
	s->threads = threads;
}

void session_log(struct session *s, const char *line)
{
	if (s->nhistory == s->caphistory) {
		s->caphistory = s->caphistory ? 2 * s->caphistory : 32;
		s->history = xrealloc(s->history, (size_t)s->caphistory * sizeof *s->history);
	}
	s->history[s->nhistory++] = xstrdup(line);
}

int session_set_data(struct session *s, const char *kind, int argc, char **argv)
{
	struct dataset *d = data_generate(kind, argc, argv, s->err, sizeof s->err);
	if (!d)
		return NT_EINVAL;
	data_free(s->data);
	s->data = d;
	s->dirty = 1;
	return 0;
}

int session_add_layer(struct session *s, int argc, char **argv)
{
	if (argc < 1)
		return nt_err(s->err, sizeof s->err, NT_EINVAL, "layer: missing KIND (try: help layer)");
	int rc = model_add(s->model, argv[0], argc - 1, argv + 1, s->err, sizeof s->err);
	if (!rc)
		s->dirty = 1;
	return rc;
}

int session_pop_layer(struct session *s)
{
	if (model_pop(s->model))
		return nt_err(s->err, sizeof s->err, NT_ESTATE, "the model has no layers");
	s->dirty = 1;
	return 0;
}

void session_clear_model(struct session *s)
{
	model_clear(s->model);
	s->dirty = 1;
}

int session_set_loss(struct session *s, const char *name)
{
	int k = loss_find(name);
	if (k < 0)
		return nt_err(s->err, sizeof s->err, NT_ENOENT, "unknown loss '%s' (losses: mse, logistic, exponential, cross-entropy)", name);
	s->loss = (enum loss_kind)k;
	s->dirty = 1;
	return 0;
}

static int kv_double(struct session *s, const char *arg, const char *key, double lo, double hi, double *out, int *hit)
{
	size_t k = strlen(key);
	if (strncmp(arg, key, k) || arg[k] != '=')
		return 0;
	*hit = 1;
	if (parse_double(arg + k + 1, out) || *out < lo || *out > hi)
		return nt_err(s->err, sizeof s->err, NT_EINVAL, "%s must be a number in [%g, %g], not '%s'", key, lo, hi, arg + k + 1);
	return 0;
}

static int kv_long(struct session *s, const char *arg, const char *key, long lo, long hi, long *out, int *hit)
{
	size_t k = strlen(key);
	if (strncmp(arg, key, k) || arg[k] != '=')
		return 0;
	*hit = 1;
	if (parse_long(arg + k + 1, out) || *out < lo || *out > hi)
		return nt_err(s->err, sizeof s->err, NT_EINVAL, "%s must be an integer in [%ld, %ld], not '%s'", key, lo, hi, arg + k + 1);
	return 0;
}

int session_set_init(struct session *s, int argc, char **argv)
{
	struct init_spec sp = s->init;
	if (argc < 1)
		return nt_err(s->err, sizeof s->err, NT_EINVAL, "init: missing kind (normal, balanced, uniform)");
	if (!strcmp(argv[0], "normal")) sp.kind = INIT_NORMAL;
	else if (!strcmp(argv[0], "balanced")) sp.kind = INIT_BALANCED;
	else if (!strcmp(argv[0], "uniform")) sp.kind = INIT_UNIFORM;
	else return nt_err(s->err, sizeof s->err, NT_ENOENT, "init: unknown kind '%s' (normal, balanced, uniform)", argv[0]);
	for (int i = 1; i < argc; i++) {
		int hit = 0, rc;
		long l;
		if ((rc = kv_double(s, argv[i], "std", 0, 1e3, &sp.std, &hit)))
			return rc;
		if (!hit) {
			if ((rc = kv_long(s, argv[i], "seed", 0, 0x7fffffffL, &l, &hit)))
				return rc;
			if (hit)
				sp.seed = (unsigned long)l;
		}
		if (!hit)
			return nt_err(s->err, sizeof s->err, NT_EINVAL, "init: unknown option '%s' (std=S seed=N)", argv[i]);
	}
	s->init = sp;
	s->dirty = 1;
	return 0;
}

int session_set_opt(struct session *s, int argc, char **argv)
{
	struct optimizer o = s->opt;
	if (argc < 1)
		return nt_err(s->err, sizeof s->err, NT_EINVAL, "opt: missing kind (gd, sgd, momentum, flow, flow+momentum)");
	int k = -1;
	for (int i = 0; opt_names[i]; i++)
		if (!strcmp(opt_names[i], argv[0]))
			k = i;
	if (k < 0)
		return nt_err(s->err, sizeof s->err, NT_ENOENT, "opt: unknown optimizer '%s' (gd, sgd, momentum, flow, flow+momentum)", argv[0]);
	o.kind = (enum opt_kind)k;
	o.batch = 0;
	for (int i = 1; i < argc; i++) {
		int hit = 0, rc;
		long l;
		if ((rc = kv_long(s, argv[i], "batch", 1, NT_MAX_SAMPLES, &l, &hit)))
			return rc;
		if (hit) { o.batch = (int)l; continue; }
		if ((rc = kv_long(s, argv[i], "seed", 0, 0x7fffffffL, &l, &hit)))
			return rc;
		if (hit) { o.seed = (unsigned long)l; continue; }
		if ((rc = kv_double(s, argv[i], "beta", 0, 0.999999, &o.beta, &hit)))
			return rc;
		if (!hit && (k == OPT_FLOW || k == OPT_FLOW_MOMENTUM)
		    && (rc = kv_double(s, argv[i], "tol", 1e-14, 1e-2, &o.tol, &hit)))
			return rc;
		if (!hit)
			return nt_err(s->err, sizeof s->err, NT_EINVAL, "opt %s: unknown option '%s'", argv[0], argv[i]);
	}
	if (o.kind == OPT_SGD && o.batch == 0)
		o.batch = 16;
	if (o.kind != OPT_SGD && o.batch)
		return nt_err(s->err, sizeof s->err, NT_EINVAL, "opt %s: batch= only applies to sgd", argv[0]);
	int rebuild = (o.kind == OPT_SGD) != (s->opt.kind == OPT_SGD) || o.batch != s->opt.batch;
	/* the flow integrator's workspace is sized in prepare */
	if ((o.kind == OPT_FLOW || o.kind == OPT_FLOW_MOMENTUM || s->opt.kind == OPT_FLOW || s->opt.kind == OPT_FLOW_MOMENTUM)
	    && o.kind != s->opt.kind)
		rebuild = 1;
	s->opt = o;
	if (rebuild)
		s->dirty = 1;
	return 0;
}

int session_set_schedule(struct session *s, int argc, char **argv)
{
	struct schedule c = s->sched;
	if (argc < 2)
		return nt_err(s->err, sizeof s->err, NT_EINVAL, "schedule: usage schedule const|decay|cosine|step TAU [...]");
	int k = -1;
	for (int i = 0; sched_names[i]; i++)
		if (!strcmp(sched_names[i], argv[0]))
			k = i;
	if (k < 0)
		return nt_err(s->err, sizeof s->err, NT_ENOENT, "schedule: unknown kind '%s' (const, decay, cosine, step)", argv[0]);
	c.kind = (enum sched_kind)k;
	if (parse_double(argv[1], &c.tau0) || c.tau0 <= 0 || c.tau0 > 1e3)
		return nt_err(s->err, sizeof s->err, NT_EINVAL, "schedule: step size '%s' must be a number in (0, 1000]", argv[1]);
	int a = 2;
	if (c.kind == SCHED_COSINE) {
		long K;
		if (argc < 3 || parse_long(argv[2], &K) || K < 1)
			return nt_err(s->err, sizeof s->err, NT_EINVAL, "schedule cosine TAU K: K must be a positive integer");
		c.K = K;
		a = 3;
	}
	for (int i = a; i < argc; i++) {
		int hit = 0, rc;
		long l;
		if (c.kind == SCHED_STEP) {
			if ((rc = kv_long(s, argv[i], "every", 1, 1000000000L, &l, &hit)))
				return rc;
			if (hit) { c.every = l; continue; }
			if ((rc = kv_double(s, argv[i], "gamma", 1e-9, 1.0, &c.gamma, &hit)))
				return rc;
			if (hit)
				continue;
		}
		return nt_err(s->err, sizeof s->err, NT_EINVAL, "schedule %s: unexpected argument '%s'", argv[0], argv[i]);
	}
	s->sched = c;
	return 0;
}

int session_set_wd(struct session *s, double lambda)
{
	if (!(lambda >= 0) || lambda > 1e3)
		return nt_err(s->err, sizeof s->err, NT_EINVAL, "wd: λ must be in [0, 1000]");
	s->wd = lambda;
	return 0;
}

double session_tau(const struct session *s, long k)
{
	const struct schedule *c = &s->sched;
	switch (c->kind) {
	case SCHED_CONST: return c->tau0;
	case SCHED_DECAY: return c->tau0 / (double)(k + 1);
	case SCHED_COSINE: {
		double u = k >= c->K ? 1.0 : (double)k / (double)c->K;
		return c->tau0 * 0.5 * (1.0 + cos(M_PI * u));
	}
	case SCHED_STEP: return c->tau0 * pow(c->gamma, (double)(k / c->every));
	default: return c->tau0;
	}
}

/* Full-batch loss and gradient (no weight decay) at th, into g (zeroed here). */
double session_loss_grad(struct session *s, const double *th, double *g)
{
	struct model *m = s->model;
	int n = s->data->n, w = m->out.width, R = n * m->out.len;
	const double *f = model_forward(m, th, s->data->x, n);
	double L = loss_eval(s->loss, f, R, w, s->targets, s->data->label, g ? s->df : NULL);
	if (g) {
		memset(g, 0, s->D * sizeof *g);
		model_backward(m, th, s->df, g, NULL);
	}
	return L;
}

static double session_loss_only(struct session *s, const double *th)
{
	return session_loss_grad(s, th, NULL);
}

/* Minibatch loss and gradient: samples b indices without replacement. */
static double session_batch_grad(struct session *s, double *g)
{
	struct model *m = s->model;
	const struct dataset *d = s->data;
	int B = s->opt.batch < d->n ? s->opt.batch : d->n;
	size_t xrow = (size_t)d->len * d->d_in, w = (size_t)m->out.width, orow = (size_t)d->out_len;
	struct rng *r = &s->sgd_rng;
	for (int i = 0; i < B; i++) {
		int j = i + (int)rng_below(r, (uint64_t)(d->n - i));
		int t = s->perm[i]; s->perm[i] = s->perm[j]; s->perm[j] = t;
		int idx = s->perm[i];
		memcpy(s->xb + i * xrow, d->x + idx * xrow, xrow * sizeof(double));
		if (s->targets)
			memcpy(s->tb + i * orow * w, s->targets + idx * orow * w, orow * w * sizeof(double));
		if (d->label)
			for (size_t k = 0; k < orow; k++)
				s->lb[i * orow + k] = d->label[idx * orow + k];
	}
	const double *f = model_forward(m, s->theta, s->xb, B);
	double L = loss_eval(s->loss, f, B * (int)orow, (int)w, s->tb, s->lb, s->df);
	memset(g, 0, s->D * sizeof *g);
	model_backward(m, s->theta, s->df, g, NULL);
	return L;
}

static double q_scale(const struct session *s, const struct quantity *q)
{
	if (s->Lambda == 0)
		return 1.0;
	if (q->kind == QK_QUADRATIC)
		return exp(2.0 * s->Lambda);
	if (q->kind == QK_LINEAR)
		return exp(s->Lambda);
	return 1.0;
}

static void trace_layout(struct session *s)
{
	int w = TRACE_FIXED;
	for (int i = 0; i < s->q.n; i++) {
		s->q.q[i]->slot = w - TRACE_FIXED;
		w += s->q.q[i]->ncomp;
	}
	qplan_free(s->qplan);
	s->qplan = qplan_new(&s->q, s->D);
	if (s->trace.rows && s->trace.width == w) {
		/* same layout (reset): keep the buffer, whose pages are already mapped;
		 * a fresh 64 MB buffer page-faults every few steps of the next run */
		s->trace.nrows = 0;
		s->trace.stride = 1;
		return;
	}
	free(s->trace.rows);
	s->trace.width = w;
	s->trace.caprows = (long)(TRACE_MAX_DOUBLES / (unsigned)w);
	if (s->trace.caprows < 64)
		s->trace.caprows = 64;
	if (s->trace.caprows > 1 << 20)
		s->trace.caprows = 1 << 20;
	s->trace.rows = xmalloc((size_t)s->trace.caprows * (size_t)w * sizeof(double));
	s->trace.nrows = 0;
	s->trace.stride = 1;
}

/* Appends the row for the current step (θ = s->theta), loss given. */
static void trace_record(struct session *s, double loss)
{
	struct trace *t = &s->trace;
	if (s->step % t->stride)
		return;
	if (t->nrows == t->caprows) { /* keep every other row, double the stride */
		long k = 0;
		for (long r = 0; r < t->nrows; r++) {
			long st = (long)t->rows[(size_t)r * t->width];
			if (st % (2 * t->stride) == 0) {
				if (k != r)
					memmove(t->rows + (size_t)k * t->width, t->rows + (size_t)r * t->width, (size_t)t->width * sizeof(double));
				k++;
			}
		}
		t->nrows = k;
		t->stride *= 2;
		if (s->step % t->stride)
			return;
	}
	double *row = t->rows + (size_t)t->nrows * t->width;
	row[0] = (double)s->step;
	row[1] = session_tau(s, s->step);
	row[2] = loss;
	row[3] = s->t;
	row[4] = s->Lambda;
	row[5] = s->budget;
	/* the plan computes quantity_comp_value's bits for every polynomial
	 * component; expressions, and a plan gone stale, take the plain path */
	int planned = qplan_count(s->qplan) == s->q.n;
	if (planned)
		qplan_eval(s->qplan, s->theta, row + TRACE_FIXED);
	for (int i = 0; i < s->q.n; i++) {
		const struct quantity *q = s->q.q[i];
		double sc = q_scale(s, q);
		double *v = row + TRACE_FIXED + q->slot;
		if (planned && !q->fn) {
			if (sc != 1.0)
				for (int k = 0; k < q->ncomp; k++)
					v[k] = sc * v[k];
			continue;
		}
		for (int k = 0; k < q->ncomp; k++)
			v[k] = sc * quantity_comp_value(q, k, s->theta);
	}
	t->nrows++;
}

static void trace_fill_loss(struct session *s, double loss)
{
	struct trace *t = &s->trace;
	if (t->nrows && (long)t->rows[(size_t)(t->nrows - 1) * t->width] == s->step)
		t->rows[(size_t)(t->nrows - 1) * t->width + 2] = loss;
}

/* Rescales each neuron (or plane) law to zero at θ0: in → λ·in, out → λ^-p·out.
 * (Matrix laws of deep linear pairs: balance_linear in balance.c.) */
static void balance_init(struct session *s)
{
	for (int i = 0; i < s->q.n; i++) {
		struct quantity *q = s->q.q[i];
		if (q->role != QR_CANDIDATE || q->sym_p <= 0 || q->ncomp != 1)
			continue;
		double A = 0, B = 0, p = q->sym_p;
		const struct qcomp *c = &q->comp[0];
		for (int t = 0; t < c->nterms; t++) {
			double v = s->theta0[c->terms[t].i];
			if (c->terms[t].c > 0) A += c->terms[t].c * v * v;
			else B += -c->terms[t].c * v * v;
		}
		if (A <= 0 || B <= 0)
			continue;
		double lam = pow(B / A, 1.0 / (2.0 + 2.0 * p)); /* λ² A = λ^{-2p} B */
		for (int t = 0; t < c->nterms; t++)
			s->theta0[c->terms[t].i] *= c->terms[t].c > 0 ? lam : pow(lam, -p);
	}
}

void session_check_laws(struct session *s)
{
	double *th = s->scratch, *g = s->grad, *gh = th + s->D;
	for (int i = 0; i < s->q.n; i++)
		if (s->q.q[i]->role == QR_CANDIDATE)
			s->q.q[i]->rate = 0;
	for (int p = 0; p < LAW_CHECK_POINTS; p++) {
		struct init_spec sp = s->init;
		sp.kind = INIT_NORMAL;
		sp.seed = s->check_seed + (unsigned long)p;
		model_init(s->model, th, &sp);
		session_loss_grad(s, th, g);
		double gn = sqrt(dot((int)s->D, g, g));
		for (int i = 0; i < s->q.n; i++) {
			struct quantity *q = s->q.q[i];
			if (q->role != QR_CANDIDATE)
				continue;
			for (int k = 0; k < q->ncomp; k++) {
				memset(gh, 0, s->D * sizeof *gh);
				quantity_comp_grad(q, k, th, 1.0, gh);
				double hn = sqrt(dot((int)s->D, gh, gh));
				double r = hn > 0 && gn > 0 ? fabs(dot((int)s->D, gh, g)) / (hn * gn) : 0.0;
				if (r > q->rate || isnan(r))
					q->rate = r;
			}
		}
	}
	for (int i = 0; i < s->q.n; i++) {
		struct quantity *q = s->q.q[i];
		if (q->role == QR_CANDIDATE)
			q->role = q->rate <= LAW_RATE_TOL ? QR_LAW : q->user ? QR_CONTRAST : QR_CLAIMED_FAILS;
	}
}

static int session_reset_from(struct session *s);

static void quantity_set_h0(struct session *s, struct quantity *q)
{
	quantity_eval(q, s->theta0, q->h0);
	memcpy(q->hk, q->h0, (size_t)q->ncomp * sizeof(double));
	q->norm0 = q->normk = quantity_norm(q, q->h0);
	q->mag0 = quantity_magnitude(q, s->theta0);
	q->first_value = q->h0[0];
	q->drift_abs = q->drift_rel = 0;
}

int session_prepare(struct session *s)
{
	if (!s->dirty)
		return 0;
	if (!s->data)
		return nt_err(s->err, sizeof s->err, NT_ESTATE, "no data yet (e.g. data teacher n=64 in=10 out=1)");
	if (s->model->nblocks == 0)
		return nt_err(s->err, sizeof s->err, NT_ESTATE, "no layers yet (e.g. layer dense 32)");
	struct shape in = { s->data->len, s->data->d_in };
	int rc = model_build(s->model, in, s->data->n, s->err, sizeof s->err);
	if (rc)
		return rc;
	double *t = NULL;
	rc = loss_targets(s->loss, s->data, s->model->out.width, &t, s->err, sizeof s->err);
	if (rc)
		return rc;
	if (s->model->out.len != s->data->out_len) {
		free(t);
		return nt_err(s->err, sizeof s->err, NT_EINVAL, "the model outputs %d rows per sample but the data has %d target rows",
		              s->model->out.len, s->data->out_len);
	}
	session_free_state(s);
	s->targets = t;
	size_t D = s->D = s->model->nparams;
	size_t R = (size_t)s->data->n * s->model->out.len * s->model->out.width;
	s->theta = xcalloc(D + 1, sizeof(double));
	s->theta0 = xcalloc(D + 1, sizeof(double));
	s->grad = xcalloc(D + 1, sizeof(double));
	s->mom = xcalloc(D + 1, sizeof(double));
	s->scratch = xcalloc(2 * D + 2, sizeof(double));
	s->df = xcalloc(R + 1, sizeof(double));
	if (s->opt.kind == OPT_SGD) {
		size_t B = (size_t)(s->opt.batch < s->data->n ? s->opt.batch : s->data->n);
		s->xb = xcalloc(B * s->data->len * s->data->d_in, sizeof(double));
		s->tb = xcalloc(B * s->model->out.len * s->model->out.width + 1, sizeof(double));
		s->lb = xcalloc(B * s->data->out_len + 1, sizeof(int));
		s->perm = xcalloc((size_t)s->data->n, sizeof(int));
	}
	if (flow_workspace_size(s))
		s->flow_ws = xcalloc(flow_workspace_size(s), sizeof(double));
	/* quantities: keep user ones (they re-resolve themselves), rebuild the catalogue */
	struct qset keep = { 0 };
	for (int i = 0; i < s->q.n; i++)
		if (s->q.q[i]->user)
			qset_add(&keep, s->q.q[i]);
		else
			quantity_free(s->q.q[i]);
	free(s->q.q);
	memset(&s->q, 0, sizeof s->q);
	model_laws(s->model, &s->q);
	/* user quantities re-resolve their tensor names and are checked like laws */
	for (int i = 0; i < keep.n; i++) {
		struct quantity *q = keep.q[i];
		if (q->fn_rebind)
			q->fn_rebind(q, s->model);
		q->role = QR_CANDIDATE;
		qset_add(&s->q, q);
	}
	free(keep.q);
	session_check_laws(s);
	s->dirty = 0;
	return session_reset(s);
}

int session_reset_at(struct session *s, const double *th0)
{
	int rc = session_prepare(s);
	if (rc)
		return rc;
	memcpy(s->theta0, th0, s->D * sizeof(double));
	return session_reset_from(s);
}

int session_reset(struct session *s)
{
	if (s->dirty)
		return session_prepare(s);
	model_init(s->model, s->theta0, &s->init);
	if (s->init.kind == INIT_BALANCED) {
		for (int i = 0; i < s->q.n; i++)
			if (s->q.q[i]->role == QR_LAW)
				s->q.q[i]->role = QR_CANDIDATE;
		balance_init(s);
		double resid;
		int skipped;
		balance_linear(s->model, s->theta0, &resid, &skipped);
		for (int i = 0; i < s->q.n; i++)
			if (s->q.q[i]->role == QR_CANDIDATE)
				s->q.q[i]->role = QR_LAW;
	}
	return session_reset_from(s);
}

/* θ ← θ0 (already set), counters, trace and h0 reset. */
static int session_reset_from(struct session *s)
{
	memcpy(s->theta, s->theta0, s->D * sizeof(double));
	memset(s->mom, 0, s->D * sizeof(double));
	if (s->perm)
		for (int i = 0; i < s->data->n; i++)
			s->perm[i] = i;
	rng_seed(&s->sgd_rng, s->opt.seed);
	s->step = 0;
	s->t = s->Lambda = s->budget = 0;
	s->flow_h = 0;
	s->flow_fsal = 0;
	s->diverged = 0;
	for (int i = 0; i < s->q.n; i++)
		quantity_set_h0(s, s->q.q[i]);
	s->loss0 = s->loss_val = session_loss_only(s, s->theta);
	s->grad_norm = 0;
	trace_layout(s);
	trace_record(s, s->loss_val);
	return 0;
}

int session_reseed(struct session *s)
{
	s->init.seed++;
	if (s->dirty)
		return session_prepare(s);
	return session_reset(s);
}

static int diverged(struct session *s, double L, double gn, double tau)
{
	if (isfinite(L) && isfinite(gn) && L <= 1e12 * (1.0 + fabs(s->loss0)))
		return 0;
	s->diverged = 1;
	return nt_err(s->err, sizeof s->err, NT_EDIVERGED,
	              "diverged at step %ld (τ=%g, loss %s): try a smaller step", s->step, tau,
	              isfinite(L) ? "exploding" : "NaN/Inf");
}

int session_step(struct session *s, long n, volatile sig_atomic_t *interrupt)
{
	int rc = session_prepare(s);
	if (rc)
		return rc;
	if (n < 0 || n > 1000000000L)
		return nt_err(s->err, sizeof s->err, NT_ERANGE, "step: N must be in 0..1000000000");
	size_t D = s->D;
	double *th = s->theta, *g = s->grad, *mv = s->mom, lam = s->wd;
	int flow = s->opt.kind == OPT_FLOW || s->opt.kind == OPT_FLOW_MOMENTUM;
	s->flow_fsal = 0;   /* θ may have been changed since the last call */
	for (long it = 0; it < n; it++) {
		if (interrupt && *interrupt)
			return nt_err(s->err, sizeof s->err, NT_EINTR, "interrupted at step %ld", s->step);
		double tau = session_tau(s, s->step);
		if (flow) { /* one accepted step of the adaptive integrator (flow.c) */
			double Lf;
			if ((rc = flow_advance(s, tau, &Lf)))
				return rc;
			trace_fill_loss(s, Lf);
			s->loss_val = Lf;
			s->step++;
			trace_record(s, NAN);
			continue;
		}
		double L = s->opt.kind == OPT_SGD ? session_batch_grad(s, g) : session_loss_grad(s, th, g);
		double gn2 = sum_squares((int)D, g);
		if (diverged(s, L, gn2, tau))
			return NT_EDIVERGED;
		if (s->opt.kind != OPT_SGD)
			trace_fill_loss(s, L);
		s->loss_val = L;
		s->grad_norm = sqrt(gn2);
		switch (s->opt.kind) {
		case OPT_MOMENTUM:
			for (size_t i = 0; i < D; i++) {
				mv[i] = s->opt.beta * mv[i] + g[i] + lam * th[i];
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
			s->Lambda += f > 0 ? -log(f) : tau * lam;
		}
		s->budget += tau * tau;
		s->t += tau;
		s->step++;
		double Lrow = NAN;
		if (s->opt.kind == OPT_SGD && s->step % s->trace.stride == 0)
			Lrow = session_loss_only(s, th);
		trace_record(s, Lrow);
	}
	s->loss_val = session_loss_only(s, th);
	trace_fill_loss(s, s->loss_val);
	if (!isfinite(s->loss_val)) {
		s->diverged = 1;
		return nt_err(s->err, sizeof s->err, NT_EDIVERGED,
		              "diverged at step %ld (τ=%g): try a smaller step", s->step, session_tau(s, s->step));
	}
	session_update_quantities(s);
	return 0;
}

void session_update_quantities(struct session *s)
{
	for (int i = 0; i < s->q.n; i++) {
		struct quantity *q = s->q.q[i];
		double sc = q_scale(s, q), d2 = 0;
		for (int k = 0; k < q->ncomp; k++) {
			q->hk[k] = sc * quantity_comp_value(q, k, s->theta);
			double e = q->hk[k] - q->h0[k];
			d2 += (q->ncomp == 1 ? 1.0 : q->comp[k].weight) * e * e;
		}
		q->normk = quantity_norm(q, q->hk);
		q->drift_abs = sqrt(d2);
		double den = q->norm0 >= 1e-6 * q->mag0 ? q->norm0 : q->mag0;
		q->drift_rel = den > 0 ? q->drift_abs / den : q->drift_abs;
	}
}

double session_block_drift(const struct session *s, int block)
{
	double sum = 0;
	int n = 0;
	for (int i = 0; i < s->q.n; i++) {
		const struct quantity *q = s->q.q[i];
		if (q->role == QR_LAW && q->block == block) {
			sum += q->drift_rel;
			n++;
		}
	}
	return n ? sum / n : -1.0;
}

int session_count(const struct session *s, enum qrole role)
{
	int n = 0;
	for (int i = 0; i < s->q.n; i++)
		n += s->q.q[i]->role == role;
	return n;
}

int session_watch(struct session *s, struct quantity *q)
{
	if (qset_find(&s->q, q->name)) {
		int rc = nt_err(s->err, sizeof s->err, NT_EINVAL, "watch: a quantity named '%s' exists already", q->name);
		quantity_free(q);
		return rc;
	}
	q->user = 1;
	q->watched = 1;
	q->role = QR_CANDIDATE;   /* rate-checked: a law for this data and loss, or a contrast */
	qset_add(&s->q, q);
	if (!s->dirty && s->theta0) {
		session_check_laws(s);
		quantity_set_h0(s, q);
		/* new column: relayout the trace, keeping only the current row */
		trace_layout(s);
		trace_record(s, s->loss_val);
		session_update_quantities(s);
	}
	return 0;
}
