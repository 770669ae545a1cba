/* experiment.c — configuration, preparation (build, targets, the catalogue
 * and its rate checks, θ0) and the runs' bookkeeping (see experiment.h).
 *
 * Invariants: after experiment_prepare() succeeds, model, data, targets and
 * the catalogue match the configuration; a catalogue quantity has role QR_LAW
 * only if its rate check passed; every listed run was rebuilt for the current
 * config_gen. Run A exists from experiment_new to experiment_free. */
#include "exp_impl.h"
#include "noether/augment.h"
#include "noether/balance.h"
#include "noether/expr.h"
#include "noether/linalg.h"
#include "noether/opts.h"
#include <stddef.h>
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const opt_names[] = { "gd", "sgd", "momentum", "flow", "flow+momentum", "adam", "adamw", "rmsprop", "sign", NULL };
const char *const sched_names[] = { "const", "decay", "cosine", "step", NULL };

/* ---- settings ---------------------------------------------------------- */

double schedule_tau(const struct schedule *c, long k)
{
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

/* ---- option tables: every setting goes through the one parser (opts.h) ---- */

static const struct opt_spec gd_opts[] = { { 0 } };
static const struct opt_spec sgd_opts[] = {
	{ .key = "batch", .type = OPT_INT, .off = offsetof(struct optimizer, batch), .lo = 1, .hi = NT_MAX_SAMPLES,
	  .def = 16, .help = "minibatch size (default: 16)" },
	{ .key = "seed", .type = OPT_ULONG, .off = offsetof(struct optimizer, seed), .lo = 0, .hi = 0x7fffffffL,
	  .def = 1, .help = "minibatch sampling seed" },
	{ 0 }
};
static const struct opt_spec momentum_opts[] = {
	{ .key = "beta", .type = OPT_DOUBLE, .off = offsetof(struct optimizer, beta), .lo = 0, .hi = 1, .def = 0.9,
	  .flags = OPTF_OPEN_HI, .help = "momentum β" },
	{ .key = "batch", .type = OPT_INT, .off = offsetof(struct optimizer, batch), .lo = 1, .hi = NT_MAX_SAMPLES,
	  .def = 0, .help = "minibatch size (default: the full batch)" },
	{ .key = "seed", .type = OPT_ULONG, .off = offsetof(struct optimizer, seed), .lo = 0, .hi = 0x7fffffffL,
	  .def = 1, .help = "minibatch sampling seed" },
	{ 0 }
};
static const struct opt_spec flow_opts[] = {
	{ .key = "tol", .type = OPT_DOUBLE, .off = offsetof(struct optimizer, tol), .lo = 1e-14, .hi = 1e-2, .def = 1e-8,
	  .help = "the integrator's tolerance" },
	{ 0 }
};
static const struct opt_spec flowm_opts[] = {
	{ .key = "beta", .type = OPT_DOUBLE, .off = offsetof(struct optimizer, beta), .lo = 0, .hi = 1, .def = 0.9,
	  .flags = OPTF_OPEN_HI, .help = "momentum β" },
	{ .key = "tol", .type = OPT_DOUBLE, .off = offsetof(struct optimizer, tol), .lo = 1e-14, .hi = 1e-2, .def = 1e-8,
	  .help = "the integrator's tolerance" },
	{ 0 }
};
static const struct opt_spec adam_opts[] = {
	{ .key = "beta1", .type = OPT_DOUBLE, .off = offsetof(struct optimizer, beta1), .lo = 0, .hi = 1, .def = 0.9,
	  .flags = OPTF_OPEN_HI, .help = "first-moment decay" },
	{ .key = "beta2", .type = OPT_DOUBLE, .off = offsetof(struct optimizer, beta2), .lo = 0, .hi = 1, .def = 0.999,
	  .flags = OPTF_OPEN_HI, .help = "second-moment decay" },
	{ .key = "eps", .type = OPT_DOUBLE, .off = offsetof(struct optimizer, eps), .lo = 0, .hi = 1, .def = 1e-8,
	  .flags = OPTF_OPEN_LO, .help = "denominator guard" },
	{ .key = "batch", .type = OPT_INT, .off = offsetof(struct optimizer, batch), .lo = 1, .hi = NT_MAX_SAMPLES,
	  .def = 0, .help = "minibatch size (default: the full batch)" },
	{ .key = "seed", .type = OPT_ULONG, .off = offsetof(struct optimizer, seed), .lo = 0, .hi = 0x7fffffffL,
	  .def = 1, .help = "minibatch sampling seed" },
	{ 0 }
};
static const struct opt_spec rmsprop_opts[] = {
	{ .key = "alpha", .type = OPT_DOUBLE, .off = offsetof(struct optimizer, alpha), .lo = 0, .hi = 1, .def = 0.99,
	  .flags = OPTF_OPEN_HI, .help = "square-average decay" },
	{ .key = "eps", .type = OPT_DOUBLE, .off = offsetof(struct optimizer, eps), .lo = 0, .hi = 1, .def = 1e-8,
	  .flags = OPTF_OPEN_LO, .help = "denominator guard" },
	{ .key = "batch", .type = OPT_INT, .off = offsetof(struct optimizer, batch), .lo = 1, .hi = NT_MAX_SAMPLES,
	  .def = 0, .help = "minibatch size (default: the full batch)" },
	{ .key = "seed", .type = OPT_ULONG, .off = offsetof(struct optimizer, seed), .lo = 0, .hi = 0x7fffffffL,
	  .def = 1, .help = "minibatch sampling seed" },
	{ 0 }
};
static const struct opt_spec sign_opts[] = {
	{ .key = "batch", .type = OPT_INT, .off = offsetof(struct optimizer, batch), .lo = 1, .hi = NT_MAX_SAMPLES,
	  .def = 0, .help = "minibatch size (default: the full batch)" },
	{ .key = "seed", .type = OPT_ULONG, .off = offsetof(struct optimizer, seed), .lo = 0, .hi = 0x7fffffffL,
	  .def = 1, .help = "minibatch sampling seed" },
	{ 0 }
};
/* indexed by enum opt_kind */
static const struct opt_spec *const opt_tables[OPT_COUNT] = {
	[OPT_GD] = gd_opts, [OPT_SGD] = sgd_opts, [OPT_MOMENTUM] = momentum_opts, [OPT_FLOW] = flow_opts,
	[OPT_FLOW_MOMENTUM] = flowm_opts, [OPT_ADAM] = adam_opts, [OPT_ADAMW] = adam_opts, [OPT_RMSPROP] = rmsprop_opts,
	[OPT_SIGN] = sign_opts,
};

const struct opt_spec *optimizer_options(enum opt_kind k) { return k >= 0 && k < OPT_COUNT ? opt_tables[k] : NULL; }

static const struct opt_spec const_opts[] = {
	{ .key = "TAU", .type = OPT_DOUBLE, .off = offsetof(struct schedule, tau0), .lo = 0, .hi = 1e3,
	  .flags = OPTF_POSITIONAL | OPTF_REQUIRED | OPTF_OPEN_LO, .help = "step size" },
	{ 0 }
};
static const struct opt_spec decay_opts[] = {
	{ .key = "TAU0", .type = OPT_DOUBLE, .off = offsetof(struct schedule, tau0), .lo = 0, .hi = 1e3,
	  .flags = OPTF_POSITIONAL | OPTF_REQUIRED | OPTF_OPEN_LO, .help = "step size" },
	{ 0 }
};
static const struct opt_spec cosine_opts[] = {
	{ .key = "TAU0", .type = OPT_DOUBLE, .off = offsetof(struct schedule, tau0), .lo = 0, .hi = 1e3,
	  .flags = OPTF_POSITIONAL | OPTF_REQUIRED | OPTF_OPEN_LO, .help = "step size" },
	{ .key = "K", .type = OPT_LONG, .off = offsetof(struct schedule, K), .lo = 1, .hi = 1000000000L,
	  .flags = OPTF_POSITIONAL | OPTF_REQUIRED, .help = "horizon: τ reaches 0 at step K" },
	{ 0 }
};
static const struct opt_spec step_opts[] = {
	{ .key = "TAU0", .type = OPT_DOUBLE, .off = offsetof(struct schedule, tau0), .lo = 0, .hi = 1e3,
	  .flags = OPTF_POSITIONAL | OPTF_REQUIRED | OPTF_OPEN_LO, .help = "step size" },
	{ .key = "every", .type = OPT_LONG, .off = offsetof(struct schedule, every), .lo = 1, .hi = 1000000000L,
	  .def = 100, .help = "steps between decays" },
	{ .key = "gamma", .type = OPT_DOUBLE, .off = offsetof(struct schedule, gamma), .lo = 1e-9, .hi = 1, .def = 0.5,
	  .help = "decay factor" },
	{ 0 }
};
static const struct opt_spec *const sched_tables[SCHED_COUNT] = {
	[SCHED_CONST] = const_opts, [SCHED_DECAY] = decay_opts, [SCHED_COSINE] = cosine_opts, [SCHED_STEP] = step_opts,
};

static int find_name(const char *const *names, const char *w)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], w))
			return i;
	return -1;
}

int schedule_parse(struct schedule *out, int argc, char **argv, char *err, size_t len)
{
	static const char usage[] = "schedule const TAU | decay TAU0 | cosine TAU0 K | step TAU0 every=N gamma=G";
	if (argc < 1)
		return nt_err(err, len, NT_EINVAL, "schedule: missing kind (usage: %s)", usage);
	int k = find_name(sched_names, argv[0]);
	if (k < 0)
		return nt_err(err, len, NT_ENOENT, "schedule: unknown kind '%s' (const, decay, cosine, step)", argv[0]);
	struct schedule c = *out;
	char who[32];
	snprintf(who, sizeof who, "schedule %s", argv[0]);
	int rc = opts_parse(sched_tables[k], who, usage, argc - 1, argv + 1, &c, err, len);
	if (rc)
		return rc;
	c.kind = (enum sched_kind)k;
	*out = c;
	return 0;
}

int optimizer_parse(struct optimizer *out, int argc, char **argv, char *err, size_t len)
{
	static const char kinds[] = "gd, sgd, momentum, flow, flow+momentum, adam, adamw, rmsprop, sign";
	if (argc < 1)
		return nt_err(err, len, NT_EINVAL, "opt: missing kind (%s)", kinds);
	int k = find_name(opt_names, argv[0]);
	if (k < 0)
		return nt_err(err, len, NT_ENOENT, "opt: unknown optimizer '%s' (%s)", argv[0], kinds);
	/* every `opt` names the whole optimizer: what it omits takes its default */
	struct optimizer o = { .kind = (enum opt_kind)k, .beta = 0.9, .tol = 1e-8, .beta1 = 0.9, .beta2 = 0.999,
	                       .alpha = 0.99, .eps = 1e-8, .seed = 1 };
	char who[32];
	snprintf(who, sizeof who, "opt %s", argv[0]);
	int rc = opts_parse(opt_tables[k], who, NULL, argc - 1, argv + 1, &o, err, len);
	if (rc)
		return rc;
	*out = o;
	return 0;
}

void schedule_format(const struct schedule *c, char *buf, size_t len)
{
	switch (c->kind) {
	case SCHED_COSINE: snprintf(buf, len, "schedule cosine %g %ld", c->tau0, c->K); break;
	case SCHED_STEP: snprintf(buf, len, "schedule step %g every=%ld gamma=%g", c->tau0, c->every, c->gamma); break;
	default: snprintf(buf, len, "schedule %s %g", sched_names[c->kind], c->tau0); break;
	}
}

void optimizer_format(const struct optimizer *o, char *buf, size_t len)
{
	int n;
	switch (o->kind) {
	case OPT_MOMENTUM: n = snprintf(buf, len, "momentum beta=%g", o->beta); break;
	case OPT_FLOW: n = snprintf(buf, len, "flow tol=%g", o->tol); break;
	case OPT_FLOW_MOMENTUM: n = snprintf(buf, len, "flow+momentum beta=%g tol=%g", o->beta, o->tol); break;
	case OPT_ADAM: case OPT_ADAMW:
		n = snprintf(buf, len, "%s beta1=%g beta2=%g eps=%g", opt_names[o->kind], o->beta1, o->beta2, o->eps);
		break;
	case OPT_RMSPROP: n = snprintf(buf, len, "rmsprop alpha=%g eps=%g", o->alpha, o->eps); break;
	default: n = snprintf(buf, len, "%s", opt_names[o->kind]); break;
	}
	if (o->batch > 0 && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " batch=%d seed=%lu", o->batch, o->seed);
}

/* ---- lifecycle ---------------------------------------------------------- */

static void defaults(struct experiment *x)
{
	x->loss = LOSS_MSE;
	x->set.opt.kind = OPT_GD;
	x->set.opt.batch = 0;          /* full batch: a preset with sgd batch=B must not leak into the next */
	x->set.opt.seed = 1;
	x->set.opt.beta = 0.9;
	x->set.opt.tol = 1e-8;
	x->set.opt.beta1 = 0.9;
	x->set.opt.beta2 = 0.999;
	x->set.opt.alpha = 0.99;
	x->set.opt.eps = 1e-8;
	x->set.sched.kind = SCHED_CONST;
	x->set.sched.tau0 = 0.05;
	x->set.sched.every = 100;
	x->set.sched.gamma = 0.5;
	x->set.sched.K = 1000;
	x->set.wd = 0;
	x->init.kind = INIT_NORMAL;
	x->init.std = 0;
	x->init.seed = 1;
	x->check_seed = 20260601;
	x->dirty = 1;
}

struct experiment *experiment_new(void)
{
	struct experiment *x = xcalloc(1, sizeof *x);
	x->model = model_new();
	x->threads = 1;
	defaults(x);
	x->runs[0] = run_create(x, "A", 1);
	x->nruns = 1;
	return x;
}

static void free_built(struct experiment *x)
{
	free(x->targets); free(x->df); free(x->theta0); free(x->work);
	x->targets = x->df = x->theta0 = x->work = NULL;
	x->D = 0;
}

static void free_history(struct experiment *x)
{
	for (int i = 0; i < x->nhistory; i++)
		free(x->history[i]);
	free(x->history);
	x->history = NULL;
	x->nhistory = x->caphistory = 0;
}

static void drop_extra_runs(struct experiment *x)
{
	for (int i = 1; i < x->nruns; i++) {
		x->runs[i]->listed = 0;
		run_free(x->runs[i]);
		x->runs[i] = NULL;
	}
	x->nruns = 1;
	x->compare_what[0] = '\0';
}

void experiment_free(struct experiment *x)
{
	if (!x)
		return;
	drop_extra_runs(x);
	x->runs[0]->listed = 0;
	run_free(x->runs[0]);
	free_built(x);
	qset_clear(&x->q);
	model_free(x->model);
	data_free(x->data);
	free_history(x);
	free(x);
}

void experiment_clear(struct experiment *x)
{
	drop_extra_runs(x);
	free_built(x);
	qset_clear(&x->q);
	model_clear(x->model);
	data_free(x->data);
	x->data = NULL;
	free_history(x);
	memset(&x->portrait, 0, sizeof x->portrait);
	x->notice[0] = '\0';
	x->err[0] = '\0';
	struct run *a = x->runs[0];
	a->own = 0;
	defaults(x);
	run_follow(a);
	x->config_gen++;
	x->theta0_gen++;
}

const char *experiment_error(const struct experiment *x) { return x->err; }

/* Appends a sentence to the pending notice. */
static void add_notice(struct experiment *x, const char *text)
{
	size_t n = strlen(x->notice);
	snprintf(x->notice + n, sizeof x->notice - n, "%s%s", n ? "; " : "", text);
}

const char *experiment_take_notice(struct experiment *x)
{
	static char buf[sizeof x->notice];
	if (!x->notice[0])
		return NULL;
	str_copy(buf, x->notice, sizeof buf);
	x->notice[0] = '\0';
	return buf;
}

/* ---- configuration -------------------------------------------------------- */

int experiment_set_data(struct experiment *x, const char *kind, int argc, char **argv)
{
	struct dataset *d = data_generate(kind, argc, argv, x->err, sizeof x->err);
	if (!d)
		return NT_EINVAL;
	data_free(x->data);
	x->data = d;
	x->dirty = 1;
	return 0;
}

int experiment_set_augment(struct experiment *x, int argc, char **argv)
{
	if (!x->data)
		return nt_err(x->err, sizeof x->err, NT_ESTATE, "augment: no data yet (e.g. data teacher n=16 in=3 out=1)");
	struct dataset *base = aug_base(x->data);
	struct aug_group g;
	int rc = aug_parse(&g, argc, argv, base->len, base->d_in, x->err, sizeof x->err);
	if (rc) {
		data_free(base);
		return rc;
	}
	struct dataset *d = base;
	if (g.kind != AUG_NONE) {
		d = aug_close(&g, base, x->err, sizeof x->err);
		data_free(base);
		if (!d)
			return NT_ERANGE;
	}
	data_free(x->data);
	x->data = d;
	x->dirty = 1;
	return 0;
}

/* After a refused layer: the model's workspace back as it was when the
 * experiment was built (model_add frees it; the layout is the same as before,
 * so the build cannot fail and θ keeps its meaning). */
static void restore_build(struct experiment *x)
{
	if (x->dirty || !x->data)
		return;
	char e[256];
	struct shape in = { x->data->len, x->data->d_in };
	model_build(x->model, in, x->data->n, e, sizeof e);
}

/* Atomic: the new block is configured and, when there is data and the model
 * so far lays out, its shape is checked against what feeds it; on any error
 * the model is exactly as before (blocks, shapes and a built workspace). */
int experiment_add_layer(struct experiment *x, int argc, char **argv)
{
	if (argc < 1)
		return nt_err(x->err, sizeof x->err, NT_EINVAL, "layer: missing KIND (try: help layer)");
	struct model *m = x->model;
	struct shape in = { x->data ? x->data->len : 1, x->data ? x->data->d_in : 1 };
	char e[900];
	/* an earlier layer that no longer fits (data changed) is prepare's to report */
	int check = x->data && model_layout(m, in, NULL, e, sizeof e) == 0;
	int rc = model_add(m, argv[0], argc - 1, argv + 1, e, sizeof e);
	if (rc) {
		restore_build(x);
		if (rc == NT_ENOENT)
			return nt_err(x->err, sizeof x->err, rc, "%s", e);
		return nt_err(x->err, sizeof x->err, rc, "%s — nothing added (help layer %s lists the options)", e, argv[0]);
	}
	if (check) {
		const struct block *b = &m->blocks[m->nblocks - 1];
		rc = model_layout(m, in, NULL, e, sizeof e);
		/* blocks that mix positions degenerate on one (softmax over one score) */
		if (!rc && b->in.len == 1 && b->kind->needs_sequence)
			rc = nt_err(e, sizeof e, NT_EINVAL, "layer %d (%s) mixes the positions of a sequence, but the data "
			            "'%s' has one position per sample (use sequence data: data seq or data seqcls)",
			            m->nblocks, b->kind->name, x->data->desc);
		if (rc) {
			model_pop(m);
			model_layout(m, in, NULL, x->err, sizeof x->err);   /* the shapes as before */
			restore_build(x);
			return nt_err(x->err, sizeof x->err, rc, "%s — nothing added, the model is unchanged", e);
		}
	}
	x->dirty = 1;
	return 0;
}

int experiment_start_model(struct experiment *x, int argc, char **argv)
{
	/* the first block tried on a scratch model, so a refusal changes nothing;
	 * the experiment keeps its own model (expressions point at it) */
	struct model *old = x->model;
	int was_dirty = x->dirty;
	x->model = model_new();
	x->dirty = 1;
	int rc = experiment_add_layer(x, argc, argv);
	model_free(x->model);
	x->model = old;
	x->dirty = was_dirty;
	if (rc)
		return rc;
	model_clear(x->model);
	x->dirty = 1;
	return experiment_add_layer(x, argc, argv);
}

int experiment_pop_layer(struct experiment *x)
{
	if (model_pop(x->model))
		return nt_err(x->err, sizeof x->err, NT_ESTATE, "the model has no layers");
	x->dirty = 1;
	return 0;
}

void experiment_clear_model(struct experiment *x)
{
	model_clear(x->model);
	x->dirty = 1;
}

int experiment_set_loss(struct experiment *x, const char *name)
{
	int k = loss_find(name);
	if (k < 0)
		return nt_err(x->err, sizeof x->err, NT_ENOENT, "unknown loss '%s' (losses: mse, logistic, exponential, cross-entropy)", name);
	x->loss = (enum loss_kind)k;
	x->dirty = 1;
	return 0;
}

static const struct opt_spec init_opts[] = {
	{ .key = "std", .type = OPT_DOUBLE, .off = offsetof(struct init_spec, std), .lo = 0, .hi = 1e3,
	  .flags = OPTF_OPEN_LO, .help = "standard deviation of every tensor (default 1/sqrt(fan_in))" },
	{ .key = "seed", .type = OPT_ULONG, .off = offsetof(struct init_spec, seed), .lo = 0, .hi = 0x7fffffffL,
	  .help = "initialisation seed (independent of the data's)" },
	{ 0 }
};

int experiment_set_init(struct experiment *x, int argc, char **argv)
{
	static const char *const kinds[] = { "normal", "balanced", "uniform", NULL };
	if (argc < 1)
		return nt_err(x->err, sizeof x->err, NT_EINVAL, "init: missing kind (normal, balanced, uniform)");
	int k = find_name(kinds, argv[0]);
	if (k < 0)
		return nt_err(x->err, sizeof x->err, NT_ENOENT, "init: unknown kind '%s' (normal, balanced, uniform)", argv[0]);
	/* std and seed not given keep their values (reseed moves the seed on) */
	struct init_spec sp = x->init;
	sp.kind = k == 0 ? INIT_NORMAL : k == 1 ? INIT_BALANCED : INIT_UNIFORM;
	for (int i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char key[32];
		if (!eq || (size_t)(eq - argv[i]) >= sizeof key)
			return nt_err(x->err, sizeof x->err, NT_EINVAL, "init: unexpected argument '%s' (std=S seed=N)", argv[i]);
		snprintf(key, sizeof key, "%.*s", (int)(eq - argv[i]), argv[i]);
		int rc = opts_set(init_opts, "init", key, eq + 1, &sp, x->err, sizeof x->err);
		if (rc)
			return rc == NT_ENOENT ? NT_EINVAL : rc;
	}
	x->init = sp;
	x->dirty = 1;
	return 0;
}

static void follow_all(struct experiment *x)
{
	for (int i = 0; i < x->nruns; i++)
		run_follow(x->runs[i]);
}

int experiment_set_opt(struct experiment *x, int argc, char **argv)
{
	struct optimizer o = x->set.opt;
	int rc = optimizer_parse(&o, argc, argv, x->err, sizeof x->err);
	if (!rc)
		rc = run_check_batch(&o, x->data, x->err, sizeof x->err);
	if (rc)
		return rc;
	x->set.opt = o;
	follow_all(x);
	return 0;
}

int experiment_set_schedule(struct experiment *x, int argc, char **argv)
{
	int rc = schedule_parse(&x->set.sched, argc, argv, x->err, sizeof x->err);
	if (!rc)
		follow_all(x);
	return rc;
}

int experiment_set_schedule_spec(struct experiment *x, const struct schedule *c)
{
	if (!(c->tau0 > 0) || c->tau0 > 1e3)
		return nt_err(x->err, sizeof x->err, NT_ERANGE, "schedule: step size %g is outside (0, 1000]", c->tau0);
	x->set.sched = *c;
	follow_all(x);
	return 0;
}

int experiment_set_wd(struct experiment *x, double lambda)
{
	if (!(lambda >= 0) || lambda > 1e3)
		return nt_err(x->err, sizeof x->err, NT_EINVAL, "wd: λ must be in [0, 1000]");
	x->set.wd = lambda;
	follow_all(x);
	return 0;
}

void experiment_set_threads(struct experiment *x, int threads) { x->threads = threads; }

/* ---- preparation ----------------------------------------------------------- */

double experiment_loss_grad(struct experiment *x, const double *th, double *g)
{
	struct model *m = x->model;
	int n = x->data->n, w = m->out.width, R = n * m->out.len;
	const double *f = model_forward(m, th, x->data->x, n);
	double L = loss_eval(x->loss, f, R, w, x->targets, x->data->label, g ? x->df : NULL);
	if (g) {
		memset(g, 0, x->D * sizeof *g);
		model_backward(m, th, x->df, g, NULL);
	}
	return L;
}

/* Check point p: θ from the experiment's initialisation with the check seed
 * + p (normal, whatever init is chosen), and the full-batch loss gradient
 * there into g. Returns |g|. */
static double check_point(struct experiment *x, int p, double *th, double *g)
{
	struct init_spec sp = x->init;
	sp.kind = INIT_NORMAL;
	sp.seed = x->check_seed + (unsigned long)p;
	model_init(x->model, th, &sp);
	experiment_loss_grad(x, th, g);
	return sqrt(dot((int)x->D, g, g));
}

/* Largest relative rate |<∇h_k, g>| / (|∇h_k| |g|) over q's components at θ
 * = th (gh: D doubles of scratch). */
static double point_rate(const struct experiment *x, const struct quantity *q, const double *th, const double *g,
                         double gn, double *gh)
{
	size_t D = x->D;
	double rate = 0;
	for (int k = 0; k < q->ncomp; k++) {
		if (q->fn && !isfinite(quantity_comp_value(q, k, th)))
			return NAN;   /* undefined here (unresolved, 1/0, log of a negative): no law */
		memset(gh, 0, D * sizeof *gh);
		quantity_comp_grad(q, k, th, 1.0, gh);
		double hn = sqrt(dot((int)D, gh, gh));
		double r = hn > 0 && gn > 0 ? fabs(dot((int)D, gh, g)) / (hn * gn) : 0.0;
		if (r > rate || isnan(r))
			rate = r;
	}
	return rate;
}

double experiment_check_rate(struct experiment *x, const struct quantity *q, double *work)
{
	double *th = work, *g = work + x->D, rate = 0;
	for (int p = 0; p < LAW_CHECK_POINTS; p++) {
		double gn = check_point(x, p, th, g);
		double r = point_rate(x, q, th, g, gn, x->work);
		if (r > rate || isnan(r))
			rate = r;
	}
	return rate;
}

/* The same check for every candidate of the catalogue, sharing each check
 * point's gradient. */
static void check_catalogue(struct experiment *x)
{
	size_t D = x->D;
	double *th = x->work, *g = x->work + D, *gh = x->work + 2 * D;
	for (int i = 0; i < x->q.n; i++)
		if (x->q.q[i]->role == QR_CANDIDATE)
			x->q.q[i]->rate = 0;
	for (int p = 0; p < LAW_CHECK_POINTS; p++) {
		double gn = check_point(x, p, th, g);
		for (int i = 0; i < x->q.n; i++) {
			struct quantity *q = x->q.q[i];
			if (q->role != QR_CANDIDATE)
				continue;
			double r = point_rate(x, q, th, g, gn, gh);
			if (r > q->rate || isnan(r))
				q->rate = r;
		}
	}
	for (int i = 0; i < x->q.n; i++) {
		struct quantity *q = x->q.q[i];
		if (q->role == QR_CANDIDATE)
			q->role = q->rate <= LAW_RATE_TOL ? QR_LAW : q->user ? QR_CONTRAST : QR_CLAIMED_FAILS;
	}
}

/* Rescales each neuron (or plane) law to zero at θ0: in → λ·in, out → λ^-p·out.
 * (Matrix laws of deep linear pairs: balance_linear in balance.c.) */
static void balance_laws(const struct experiment *x, double *th0)
{
	for (int i = 0; i < x->q.n; i++) {
		const struct quantity *q = x->q.q[i];
		if (q->role != QR_LAW || q->sym_p <= 0 || q->ncomp != 1)
			continue;
		double A = 0, B = 0, p = q->sym_p;
		const struct qcomp *c = &q->comp[0];
		for (int t = 0; t < c->nterms; t++) {
			double v = th0[c->terms[t].i];
			if (c->terms[t].c > 0) A += c->terms[t].c * v * v;
			else B += -c->terms[t].c * v * v;
		}
		if (A <= 0 || B <= 0)
			continue;
		double lam = pow(B / A, 1.0 / (2.0 + 2.0 * p)); /* λ² A = λ^{-2p} B */
		for (int t = 0; t < c->nterms; t++)
			th0[c->terms[t].i] *= c->terms[t].c > 0 ? lam : pow(lam, -p);
	}
}

void experiment_make_theta0(struct experiment *x, const struct init_spec *sp, double *out)
{
	model_init(x->model, out, sp);
	if (sp->kind == INIT_BALANCED) {
		double resid;
		int skipped;
		balance_laws(x, out);
		balance_linear(x->model, out, &resid, &skipped);
	}
}

static void end_portrait(struct experiment *x, const char *why);

/* The phase-space twin of a Gram law h = Σ_parts ± Gram_axis(T) (an r×r
 * matrix law, r >= 2, from a change of basis G of the axis: positive parts
 * T → G·T, negative parts T → G^-T·T along it). A skew generator A moves
 * every part the same way (G^-T = G to first order), so along heavy-ball
 * dynamics with velocity M the skew matrix
 *     S_ab = Σ_parts Σ_rest (M[..a..] T[..b..] − M[..b..] T[..a..]),  a < b,
 * obeys dS/dt = −γS (flow+momentum: the terms g_a T_b − g_b T_a sum to
 * <∇L, symmetry> = 0, the λ and kinetic terms are symmetric) and
 * S_{k+1} = β S_k (discrete heavy ball, the same algebra). The row of every
 * index comes from the law's diagonal components; each off-diagonal term
 * c·θ_i·θ_j, i in row a and j in row b, gives v_i θ_j − v_j θ_i (coefficient
 * 1 whatever c: the generator, not the law, sets it). Returns NULL when q is
 * not such a law. Indices of the velocity are D + i. */
static struct quantity *phase_twin(const struct quantity *q, size_t D)
{
	int r = 1;
	while (r * (r + 1) / 2 < q->ncomp)
		r++;
	if (q->kind != QK_QUADRATIC || q->fn || r < 2 || r * (r + 1) / 2 != q->ncomp)
		return NULL;
	int *row = xmalloc((D + 1) * sizeof *row);
	for (size_t i = 0; i < D; i++)
		row[i] = -1;
	for (int a = 0, k = 0; a < r; k += r - a, a++) {       /* comp k is (a, a) */
		const struct qcomp *c = &q->comp[k];
		for (int t = 0; t < c->nterms; t++)
			if (c->terms[t].i >= 0 && (size_t)c->terms[t].i < D)
				row[c->terms[t].i] = a;
	}
	char name[96];
	snprintf(name, sizeof name, "%.88s.skew", q->name);
	struct quantity *s = quantity_new(name, QK_QUADRATIC, r * (r - 1) / 2);
	snprintf(s->formula, sizeof s->formula, "skew part of the momentum map of %.80s: Σ (v_a θ_b − v_b θ_a)", q->name);
	s->phase = 1;
	s->block = q->block;
	int ok = 1;
	for (int a = 0, k = 0, out = 0; a < r; a++)
		for (int b = a; b < r; b++, k++) {
			if (a == b)
				continue;
			const struct qcomp *c = &q->comp[k];
			for (int t = 0; t < c->nterms && ok; t++) {
				int i = c->terms[t].i, j = c->terms[t].j;
				if (j < 0) { ok = 0; break; }
				if (row[i] == b && row[j] == a) { int tmp = i; i = j; j = tmp; }
				if (row[i] != a || row[j] != b) { ok = 0; break; }
				qcomp_add(&s->comp[out], (int)D + i, j, 1.0);
				qcomp_add(&s->comp[out], (int)D + j, i, -1.0);
			}
			out++;
		}
	free(row);
	if (!ok) {
		quantity_free(s);
		return NULL;
	}
	return s;
}

/* Rebuilds the catalogue: catalogue laws of the model, then the user's
 * quantities (re-resolved against the new model), all rate-checked. */
static void build_catalogue(struct experiment *x)
{
	int found = 0;
	for (int i = 0; i < x->q.n; i++)
		found += x->q.q[i]->found;
	if (found) {
		char b[128];
		snprintf(b, sizeof b, "%d found law%s dropped: the model changed (laws find finds them again)", found,
		         found == 1 ? "" : "s");
		add_notice(x, b);
	}
	struct qset keep = { 0 };
	for (int i = 0; i < x->q.n; i++)
		if (x->q.q[i]->user && !x->q.q[i]->internal)
			qset_add(&keep, x->q.q[i]);
		else
			quantity_free(x->q.q[i]);
	free(x->q.q);
	memset(&x->q, 0, sizeof x->q);
	model_laws(x->model, &x->q);
	for (int i = 0; i < keep.n; i++) {
		struct quantity *q = keep.q[i];
		if (q->fn_rebind && q->fn_rebind(q, x->model))
			snprintf(x->notice, sizeof x->notice, "watch %s: %s: it shows nan, not a law, until the model has its tensors again",
			         q->name, q->formula);
		q->role = QR_CANDIDATE;
		qset_add(&x->q, q);
	}
	free(keep.q);
	check_catalogue(x);
	/* momentum's phase-space laws, from the Gram laws that passed (the runs
	 * under momentum verify and show them; the others keep them hidden) */
	int nq = x->q.n;
	for (int i = 0; i < nq; i++) {
		struct quantity *t = x->q.q[i]->role == QR_LAW && !x->q.q[i]->user ? phase_twin(x->q.q[i], x->D) : NULL;
		if (t)
			qset_add(&x->q, t);
	}
	int w = 0;
	for (int i = 0; i < x->q.n; i++) {
		x->q.q[i]->slot = w;
		w += x->q.q[i]->ncomp;
	}
}

int experiment_prepare(struct experiment *x)
{
	if (!x->dirty)
		return 0;
	if (!x->data)
		return nt_err(x->err, sizeof x->err, NT_ESTATE, "no data yet (e.g. data teacher n=64 in=10 out=1)");
	if (x->model->nblocks == 0)
		return nt_err(x->err, sizeof x->err, NT_ESTATE, "no layers yet (e.g. layer dense 32)");
	struct shape in = { x->data->len, x->data->d_in };
	int rc = model_build(x->model, in, x->data->n, x->err, sizeof x->err);
	if (rc)
		return rc;
	double *t = NULL;
	rc = loss_targets(x->loss, x->data, x->model->out.width, &t, x->err, sizeof x->err);
	if (rc)
		return rc;
	if (x->model->out.len != x->data->out_len) {
		free(t);
		return nt_err(x->err, sizeof x->err, NT_EINVAL, "the model outputs %d rows per sample but the data has %d target rows",
		              x->model->out.len, x->data->out_len);
	}
	free_built(x);
	x->targets = t;
	size_t D = x->D = x->model->nparams;
	size_t R = (size_t)x->data->n * x->model->out.len * x->model->out.width;
	x->df = xcalloc(R + 1, sizeof(double));
	x->theta0 = xcalloc(D + 1, sizeof(double));
	x->work = xcalloc(3 * D + 3, sizeof(double));
	end_portrait(x, "portrait ended: the model changed (type portrait X Y again)");
	build_catalogue(x);
	experiment_make_theta0(x, &x->init, x->theta0);
	x->dirty = 0;
	x->config_gen++;
	x->theta0_gen++;
	if (x->nruns > 1) {
		drop_extra_runs(x);
		add_notice(x, "compare ended: the experiment changed (type compare ... to start again)");
	}
	rc = run_rebuild(x->runs[0]);
	if (rc)
		return nt_err(x->err, sizeof x->err, rc, "%s", x->runs[0]->err);
	return 0;
}

int experiment_dirty(const struct experiment *x) { return x->dirty; }
unsigned long experiment_config_gen(const struct experiment *x) { return x->config_gen; }
unsigned long experiment_theta0_gen(const struct experiment *x) { return x->theta0_gen; }

/* New θ0 from the init spec (after a seed change) and every run back to it. */
static int renew_theta0(struct experiment *x)
{
	experiment_make_theta0(x, &x->init, x->theta0);
	x->theta0_gen++;
	for (int i = 0; i < x->nruns; i++) {
		int rc = run_rebuild(x->runs[i]);
		if (rc)
			return nt_err(x->err, sizeof x->err, rc, "%s", x->runs[i]->err);
	}
	return 0;
}

int experiment_reseed(struct experiment *x)
{
	x->init.seed++;
	if (x->dirty)
		return experiment_prepare(x);
	return renew_theta0(x);
}

int experiment_set_theta0(struct experiment *x, const double *th)
{
	int rc = experiment_prepare(x);
	if (rc)
		return rc;
	memcpy(x->theta0, th, x->D * sizeof(double));
	x->theta0_gen++;
	for (int i = 0; i < x->nruns; i++)
		if ((rc = run_reset_at(x->runs[i], th)))
			return nt_err(x->err, sizeof x->err, rc, "%s", x->runs[i]->err);
	return 0;
}

/* ---- reading ---------------------------------------------------------------- */

const struct dataset *experiment_data(const struct experiment *x) { return x->data; }
struct model *experiment_model(const struct experiment *x) { return x->model; }
enum loss_kind experiment_loss(const struct experiment *x) { return x->loss; }
const struct init_spec *experiment_init(const struct experiment *x) { return &x->init; }
const struct train_settings *experiment_settings(const struct experiment *x) { return &x->set; }
int experiment_threads(const struct experiment *x) { return x->threads; }
size_t experiment_nparams(const struct experiment *x) { return x->D; }
unsigned long experiment_check_seed(const struct experiment *x) { return x->check_seed; }
const double *experiment_theta0(const struct experiment *x) { return x->theta0; }
const struct qset *experiment_quantities(const struct experiment *x) { return &x->q; }

/* ---- quantities ------------------------------------------------------------- */

static void sync_runs(struct experiment *x)
{
	int w = 0;
	for (int i = 0; i < x->q.n; i++) {
		x->q.q[i]->slot = w;
		w += x->q.q[i]->ncomp;
	}
	for (int i = 0; i < x->nruns; i++)
		run_sync_quantities(x->runs[i]);
}

int experiment_watch(struct experiment *x, struct quantity *q)
{
	if (qset_find(&x->q, q->name)) {
		int rc = nt_err(x->err, sizeof x->err, NT_EINVAL, "watch: a quantity named '%s' exists already", q->name);
		quantity_free(q);
		return rc;
	}
	q->user = 1;
	if (!q->internal)
		q->watched = 1;
	if (!x->dirty && x->theta0)
		for (int k = 0; k < q->ncomp; k++) {
			double v = quantity_comp_value(q, k, x->theta0);
			if (!isfinite(v)) {
				int rc = nt_err(x->err, sizeof x->err, NT_EINVAL,
				                "watch: %s is %s at θ0, not a finite number (a division by zero, a log or sqrt of a negative?)",
				                q->name, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
				quantity_free(q);
				return rc;
			}
		}
	q->role = QR_CANDIDATE;   /* rate-checked: a law for this data and loss, or a contrast */
	qset_add(&x->q, q);
	if (!x->dirty && x->theta0) {
		q->rate = experiment_check_rate(x, q, x->work + x->D);
		q->role = q->rate <= LAW_RATE_TOL ? QR_LAW : QR_CONTRAST;
		sync_runs(x);
	}
	return 0;
}

void experiment_set_watched(struct experiment *x, int i, int on)
{
	if (i < 0 || i >= x->q.n)
		return;
	x->q.q[i]->watched = on;
	for (int r = 0; r < x->nruns; r++) {
		struct quantity *c = qset_find(&x->runs[r]->q, x->q.q[i]->name);
		if (c)
			c->watched = on;
	}
}

/* A short name every consumer can take (no ',' for CSV columns, no spaces
 * for commands, ASCII): "found.FORM(FIRST+N)" from the finder's
 * "found.FORM(FIRST,SECOND,...)", N the number of other tensors, then ".K"
 * when taken. The full support and formula stay in the formula text. */
static void short_name(const struct qset *have, char *name, size_t len)
{
	char form[48] = "found", first[64] = "";
	int others = 0;
	const char *open = strchr(name, '(');
	if (open) {
		snprintf(form, sizeof form, "%.*s", (int)(open - name), name);
		const char *p = open + 1, *end = strpbrk(p, ",)");
		snprintf(first, sizeof first, "%.*s", end ? (int)(end - p) : (int)strlen(p), p);
		for (const char *q = p; *q && *q != ')'; q++)
			others += *q == ',';
		if (strstr(open, "…") || strstr(open, "..."))
			others++;            /* the finder cut the list: at least one more */
	} else {
		snprintf(form, sizeof form, "%.47s", name);
	}
	for (char *q = first; *q; q++)
		if ((unsigned char)*q >= 0x80 || *q == ',' || *q == ' ')
			*q = '_';
	char base[96], cand[96];
	if (first[0] && others)
		snprintf(base, sizeof base, "%s(%s+%d)", form, first, others);
	else if (first[0])
		snprintf(base, sizeof base, "%s(%s)", form, first);
	else
		snprintf(base, sizeof base, "%s", form);
	str_copy(cand, base, sizeof cand);
	for (int k = 2; qset_find(have, cand); k++)
		snprintf(cand, sizeof cand, "%.80s.%d", base, k);
	str_copy(name, cand, len);
}

int experiment_add_found(struct experiment *x, struct qset *found)
{
	int added = 0;
	double *work = x->theta0 ? xmalloc((2 * x->D + 2) * sizeof *work) : NULL;
	for (int i = 0; i < found->n; i++) {
		struct quantity *q = found->q[i];
		q->user = 0;
		q->found = 1;
		q->internal = 0;
		q->watched = 1;
		q->block = -1;
		q->phase = 0;
		short_name(&x->q, q->name, sizeof q->name);
		if (x->dirty || !work) {
			quantity_free(q);
			continue;
		}
		q->rate = experiment_check_rate(x, q, work);
		if (!(q->rate <= LAW_RATE_TOL)) {
			quantity_free(q);
			continue;
		}
		q->role = QR_LAW;
		qset_add(&x->q, q);
		added++;
	}
	free(work);
	free(found->q);
	memset(found, 0, sizeof *found);
	if (added)
		sync_runs(x);
	return added;
}

int experiment_drop_found(struct experiment *x, const char *name_in, int keep)
{
	char name_buf[sizeof x->q.q[0]->name];
	const char *name = NULL;
	if (name_in) {
		const struct quantity *q = qset_find(&x->q, name_in);
		if (!q || !q->found)
			return NT_ENOENT;
		/* a copy: the caller may pass the name of the very law removed below */
		str_copy(name_buf, name_in, sizeof name_buf);
		name = name_buf;
	}
	int n = 0;
	for (int i = x->q.n - 1; i >= 0; i--) {
		const struct quantity *q = x->q.q[i];
		if (!q->found)
			continue;
		int named = name && !strcmp(q->name, name);
		if (keep ? named : (name && !named))
			continue;
		qset_remove(&x->q, i);
		n++;
	}
	if (n && !x->dirty && x->theta0)
		sync_runs(x);
	return n;
}

/* Removes the catalogue quantity named name (hidden portrait quantities). */
static void remove_quantity(struct experiment *x, const char *name)
{
	for (int i = 0; i < x->q.n; i++)
		if (!strcmp(x->q.q[i]->name, name)) {
			qset_remove(&x->q, i);   /* frees it */
			return;
		}
}

/* ---- provenance --------------------------------------------------------------- */

void experiment_log(struct experiment *x, const char *line)
{
	if (x->nhistory == x->caphistory) {
		x->caphistory = x->caphistory ? 2 * x->caphistory : 32;
		x->history = xrealloc(x->history, (size_t)x->caphistory * sizeof *x->history);
	}
	x->history[x->nhistory++] = xstrdup(line);
}

int experiment_history_len(const struct experiment *x) { return x->nhistory; }
const char *experiment_history(const struct experiment *x, int i) { return i >= 0 && i < x->nhistory ? x->history[i] : NULL; }

/* ---- runs ------------------------------------------------------------------------ */

int experiment_nruns(const struct experiment *x) { return x->nruns; }
struct run *experiment_run(const struct experiment *x, int i) { return i >= 0 && i < x->nruns ? x->runs[i] : NULL; }

int experiment_step(struct experiment *x, long n, volatile sig_atomic_t *interrupt)
{
	int rc = experiment_prepare(x);
	if (rc)
		return rc;
	struct run *a = x->runs[0];
	rc = run_step(a, n, interrupt);
	if (rc)
		return nt_err(x->err, sizeof x->err, rc, "%s", a->err);
	for (int i = 1; i < x->nruns; i++) {
		struct run *b = x->runs[i];
		if (b->diverged || b->step >= a->step)
			continue;
		rc = run_step(b, a->step - b->step, interrupt);
		if (rc)
			return nt_err(x->err, sizeof x->err, rc, "%s: %s", b->label, b->err);
	}
	return 0;
}

int experiment_reset(struct experiment *x)
{
	int rc = experiment_prepare(x);
	if (rc)
		return rc;
	for (int i = 0; i < x->nruns; i++)
		if ((rc = run_reset(x->runs[i])))
			return nt_err(x->err, sizeof x->err, rc, "%s", x->runs[i]->err);
	return 0;
}

void experiment_update(struct experiment *x)
{
	for (int i = 0; i < x->nruns; i++)
		run_update(x->runs[i]);
}

/* ---- compare ------------------------------------------------------------------------ */

static int in_list(const char *w, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(w, list[i]))
			return 1;
	return 0;
}

int experiment_compare(struct experiment *x, int argc, char **argv)
{
	const char *usage = "usage: compare schedule KIND TAU KIND TAU | compare opt KIND KIND | compare wd L1 L2 | "
	                    "compare momentum BETA1 BETA2 | compare off";
	if (argc < 3)
		return nt_err(x->err, sizeof x->err, NT_EINVAL, "%s", usage);
	const char *w = argv[0];
	struct train_settings sa = x->set, sb = x->set;
	char err[512];
	int rc;
	if (!strcmp(w, "schedule") || !strcmp(w, "opt")) {
		int sched = w[0] == 's';
		const char *const *names = sched ? sched_names : opt_names;
		if (!in_list(argv[1], names))
			return nt_err(x->err, sizeof x->err, NT_EINVAL, "compare %s: '%s' is not a%s kind", w, argv[1],
			              sched ? " schedule" : "n optimizer");
		int j = -1;
		for (int i = 2; i < argc && j < 0; i++)
			if (in_list(argv[i], names))
				j = i;
		if (j < 0)
			return nt_err(x->err, sizeof x->err, NT_EINVAL, "compare %s: give two settings, e.g. compare %s", w,
			              sched ? "schedule const 0.05 decay 0.05" : "opt gd momentum");
		if (sched) {
			if ((rc = schedule_parse(&sa.sched, j - 1, argv + 1, err, sizeof err)) ||
			    (rc = schedule_parse(&sb.sched, argc - j, argv + j, err, sizeof err)))
				return nt_err(x->err, sizeof x->err, rc, "compare: %s", err);
		} else {
			if ((rc = optimizer_parse(&sa.opt, j - 1, argv + 1, err, sizeof err)) ||
			    (rc = optimizer_parse(&sb.opt, argc - j, argv + j, err, sizeof err)))
				return nt_err(x->err, sizeof x->err, rc, "compare: %s", err);
		}
	} else if (!strcmp(w, "wd") || !strcmp(w, "momentum")) {
		double u, v;
		if (argc != 3 || parse_double(argv[1], &u) || parse_double(argv[2], &v))
			return nt_err(x->err, sizeof x->err, NT_EINVAL, "compare %s: give two numbers (e.g. compare %s)", w,
			              w[0] == 'w' ? "wd 0 0.01" : "momentum 0 0.9");
		if (w[0] == 'w') {
			if (!(u >= 0 && u <= 1e3 && v >= 0 && v <= 1e3))
				return nt_err(x->err, sizeof x->err, NT_EINVAL, "compare wd: λ must be in [0, 1000]");
			sa.wd = u;
			sb.wd = v;
		} else {
			if (!(u >= 0 && u < 1 && v >= 0 && v < 1))
				return nt_err(x->err, sizeof x->err, NT_EINVAL, "compare momentum: β must be in [0, 1)");
			/* β = 0 is plain gradient descent, the natural partner */
			sa.opt.kind = u == 0 ? OPT_GD : OPT_MOMENTUM;
			sa.opt.beta = u == 0 ? sa.opt.beta : u;
			sa.opt.batch = 0;
			sb.opt.kind = v == 0 ? OPT_GD : OPT_MOMENTUM;
			sb.opt.beta = v == 0 ? sb.opt.beta : v;
			sb.opt.batch = 0;
		}
	} else {
		return nt_err(x->err, sizeof x->err, NT_EINVAL, "compare: unknown setting '%s' (%s)", w, usage);
	}
	if ((rc = experiment_prepare(x)))
		return rc;
	drop_extra_runs(x);
	struct run *b = run_create(x, "B", 1);
	x->runs[1] = b;
	x->nruns = 2;
	x->set = sa;
	run_follow(x->runs[0]);
	b->own = RUN_OWN_OPT | RUN_OWN_SCHED | RUN_OWN_WD;
	b->set = sb;
	if ((rc = run_rebuild(b)) || (rc = run_reset(x->runs[0]))) {
		nt_err(x->err, sizeof x->err, rc, "compare: %s", b->err[0] ? b->err : x->runs[0]->err);
		drop_extra_runs(x);
		return rc;
	}
	str_copy(x->compare_what, w, sizeof x->compare_what);
	return 0;
}

void experiment_compare_off(struct experiment *x) { drop_extra_runs(x); }

const char *experiment_compare_what(const struct experiment *x)
{
	return x->nruns > 1 ? x->compare_what : NULL;
}

/* ---- portrait ------------------------------------------------------------------------ */

static const char *const portrait_names[3] = { "portrait.x", "portrait.y", "portrait.level" };

static void end_portrait(struct experiment *x, const char *why)
{
	if (!x->portrait.on)
		return;
	for (int k = 0; k < 3; k++)
		remove_quantity(x, portrait_names[k]);
	memset(&x->portrait, 0, sizeof x->portrait);
	if (why)
		add_notice(x, why);
}

void experiment_portrait_off(struct experiment *x)
{
	end_portrait(x, NULL);
	if (!x->dirty && x->theta0)
		sync_runs(x);
}

const struct portrait_info *experiment_portrait_info(const struct experiment *x) { return &x->portrait; }

int portrait_expand(const char *in, char *out, size_t len)
{
	size_t o = 0;
	int inbar = 0;
	for (const char *p = in; *p; p++) {
		const char *rep = NULL;
		char one[2] = { *p, '\0' };
		if (*p == '|') {
			rep = inbar ? "))" : "sqrt(norm2(";
			inbar = !inbar;
		} else if (*p == ',' && inbar) {
			/* a comma at bar level (not inside [..] or (..)) joins two parts */
			int depth = 0;
			for (const char *q = p - 1; q >= in && *q != '|'; q--) {
				if (*q == ']' || *q == ')') depth++;
				if (*q == '[' || *q == '(') depth--;
			}
			rep = depth == 0 ? ")+norm2(" : ",";
		} else {
			rep = one;
		}
		size_t n = strlen(rep);
		if (o + n + 1 > len)
			return -1;
		memcpy(out + o, rep, n);
		o += n;
	}
	out[o] = '\0';
	return inbar ? -1 : 0;
}

int portrait_split(int argc, char **argv, char *x, char *y, size_t len)
{
	char all[1024];
	size_t o = 0;
	all[0] = '\0';
	for (int i = 0; i < argc; i++) {
		int n = snprintf(all + o, sizeof all - o, "%s%s", i > 0 ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof all - o)
			return -1;
		o += (size_t)n;
	}
	int depth = 0, inbar = 0, part = 0;
	size_t k[2] = { 0, 0 };
	char *dst[2] = { x, y };
	for (const char *p = all; *p; p++) {
		if (*p == '[' || *p == '(') depth++;
		if (*p == ']' || *p == ')') depth--;
		if (*p == '|') inbar = !inbar;
		int space = *p == ' ' || *p == '\t';
		if (space && (depth || inbar))
			continue;
		if (space) {
			if (k[part] > 0 && p[1] != ' ' && p[1] != '\t' && p[1] != '\0') {
				/* a space outside everything: next coordinate, unless the word
				 * continues an operator ("a + b") */
				char prev = dst[part][k[part] - 1];
				int op = strchr("+-*/^,", prev) != NULL || strchr("+-*/^,", p[1]) != NULL;
				if (!op) {
					if (part == 1)
						return -1;
					part = 1;
				}
			}
			continue;
		}
		if (k[part] + 1 >= len)
			return -1;
		dst[part][k[part]++] = *p;
	}
	x[k[0]] = '\0';
	y[k[1]] = '\0';
	return part == 1 && k[0] > 0 && k[1] > 0 ? 0 : -1;
}

int experiment_portrait(struct experiment *x, const char *tx, const char *ty)
{
	char ax[512], ay[512], lv[1100], e[400];
	int rc = experiment_prepare(x);
	if (rc)
		return rc;
	if (portrait_expand(tx, ax, sizeof ax))
		return nt_err(x->err, sizeof x->err, NT_EINVAL, "portrait: unbalanced |...| in '%s'", tx);
	if (portrait_expand(ty, ay, sizeof ay))
		return nt_err(x->err, sizeof x->err, NT_EINVAL, "portrait: unbalanced |...| in '%s'", ty);
	snprintf(lv, sizeof lv, "(%s)^2 - (%s)^2", ax, ay);
	const char *text[3] = { ax, ay, lv }, *typed[2] = { tx, ty };
	struct quantity *q[3] = { NULL, NULL, NULL };
	for (int k = 0; k < 3; k++) {
		q[k] = expr_quantity_new("portrait_q", text[k], x->model, e, sizeof e);
		if (!q[k]) {
			for (int j = 0; j < k; j++)
				quantity_free(q[j]);
			return nt_err(x->err, sizeof x->err, NT_EINVAL, "portrait: %s = %s: %s", k ? "y" : "x", typed[k ? 1 : 0], e);
		}
		str_copy(q[k]->name, portrait_names[k], sizeof q[k]->name);
		q[k]->internal = 1;
		q[k]->watched = 0;
	}
	end_portrait(x, NULL);
	struct portrait_info *p = &x->portrait;
	str_copy(p->tx, tx, sizeof p->tx);
	str_copy(p->ty, ty, sizeof p->ty);
	for (int k = 0; k < 3; k++)
		experiment_watch(x, q[k]);
	const struct quantity *qx = qset_find(&x->q, portrait_names[0]), *qy = qset_find(&x->q, portrait_names[1]),
	                      *ql = qset_find(&x->q, portrait_names[2]);
	p->slot_x = qx->slot;
	p->slot_y = qy->slot;
	p->x0 = quantity_comp_value(qx, 0, x->theta0);
	p->y0 = quantity_comp_value(qy, 0, x->theta0);
	p->c0 = p->x0 * p->x0 - p->y0 * p->y0;
	p->rate = ql->rate;
	p->level_law = ql->role == QR_LAW;
	p->on = 1;
	return 0;
}
