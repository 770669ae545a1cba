/* data.c — synthetic data sets, each from its own seed: teacher regression,
 * blobs, xor and spirals classification. A generator is one entry of
 * data_gens[]: name, usage, option table (opts.h) and a function filling the set.
 * Sizes are checked against NT_MAX_SAMPLES / NT_MAX_WIDTH before allocating. */
#include "noether/data.h"
#include "noether/opts.h"
#include "noether/rng.h"
#include "noether/util.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options of every generator; each kind's table (below) says which it takes
 * and their defaults. */
struct gen_opts { long n, in, out, hidden, classes; double noise, spread; unsigned long seed; };

struct data_gen {
	const char *name;
	const char *usage;
	const struct opt_spec *opts;
	int (*fill)(struct dataset *d, const struct gen_opts *o, struct rng *r, char *err, size_t len);
};

static double *alloc_x(struct dataset *d)
{
	d->x = xcalloc((size_t)d->n * d->len * d->d_in, sizeof(double));
	return d->x;
}

static int gen_teacher(struct dataset *d, const struct gen_opts *o, struct rng *r, char *err, size_t len)
{
	(void)err; (void)len;
	int n = (int)o->n, in = (int)o->in, out = (int)o->out, h = (int)o->hidden;
	d->n = n; d->len = 1; d->d_in = in; d->out_len = 1; d->d_out = out;
	double *x = alloc_x(d);
	for (size_t i = 0; i < (size_t)n * in; i++)
		x[i] = rng_normal(r);
	/* teacher: y = W2 relu(W1 x + b1), weights N(0, 1/fan_in) */
	double *W1 = xmalloc((size_t)h * in * sizeof *W1), *b1 = xmalloc((size_t)h * sizeof *b1);
	double *W2 = xmalloc((size_t)out * h * sizeof *W2), *z = xmalloc((size_t)h * sizeof *z);
	for (int i = 0; i < h * in; i++) W1[i] = rng_normal(r) / sqrt(in);
	for (int i = 0; i < h; i++) b1[i] = 0.1 * rng_normal(r);
	for (int i = 0; i < out * h; i++) W2[i] = rng_normal(r) / sqrt(h);
	d->y = xcalloc((size_t)n * out, sizeof(double));
	for (int s = 0; s < n; s++) {
		for (int j = 0; j < h; j++) {
			double a = b1[j];
			for (int k = 0; k < in; k++)
				a += W1[j * in + k] * x[(size_t)s * in + k];
			z[j] = a > 0 ? a : 0;
		}
		for (int o2 = 0; o2 < out; o2++) {
			double a = 0;
			for (int j = 0; j < h; j++)
				a += W2[o2 * h + j] * z[j];
			d->y[(size_t)s * out + o2] = a + o->noise * rng_normal(r);
		}
	}
	free(W1); free(b1); free(W2); free(z);
	return 0;
}

static void set_classes(struct dataset *d, int n, int in, int classes)
{
	d->n = n; d->len = 1; d->d_in = in; d->out_len = 1; d->d_out = 0; d->n_classes = classes;
	alloc_x(d);
	d->label = xcalloc((size_t)n, sizeof(int));
}

static int gen_blobs(struct dataset *d, const struct gen_opts *o, struct rng *r, char *err, size_t len)
{
	int n = (int)o->n, in = (int)o->in, C = (int)o->classes;
	if (C < 2)
		return nt_err(err, len, NT_EINVAL, "data blobs: classes must be at least 2");
	set_classes(d, n, in, C);
	double *centre = xmalloc((size_t)C * in * sizeof *centre);
	for (int i = 0; i < C * in; i++)
		centre[i] = 2.0 * rng_normal(r);
	for (int s = 0; s < n; s++) {
		int c = s % C;
		d->label[s] = c;
		for (int k = 0; k < in; k++)
			d->x[(size_t)s * in + k] = centre[c * in + k] + o->spread * rng_normal(r);
	}
	free(centre);
	return 0;
}

static int gen_xor(struct dataset *d, const struct gen_opts *o, struct rng *r, char *err, size_t len)
{
	(void)err; (void)len;
	int n = (int)o->n;
	set_classes(d, n, 2, 2);
	for (int s = 0; s < n; s++) {
		double a = 2 * rng_uniform(r) - 1, b = 2 * rng_uniform(r) - 1;
		d->label[s] = a * b > 0;
		d->x[2 * s] = a + o->noise * rng_normal(r);
		d->x[2 * s + 1] = b + o->noise * rng_normal(r);
	}
	return 0;
}

static int gen_spirals(struct dataset *d, const struct gen_opts *o, struct rng *r, char *err, size_t len)
{
	int n = (int)o->n, C = (int)o->classes;
	if (C < 2)
		return nt_err(err, len, NT_EINVAL, "data spirals: classes must be at least 2");
	set_classes(d, n, 2, C);
	for (int s = 0; s < n; s++) {
		int c = s % C;
		double t = (double)(s / C) / (double)((n + C - 1) / C); /* radius 0..1 */
		double ang = 4.0 * t + 2.0 * M_PI * c / C;
		d->label[s] = c;
		d->x[2 * s] = t * cos(ang) + o->noise * rng_normal(r);
		d->x[2 * s + 1] = t * sin(ang) + o->noise * rng_normal(r);
	}
	return 0;
}

/* Option tables: which options each kind takes, their ranges and defaults. */
static const struct opt_spec teacher_opts[] = {
	{ .key = "n", .type = OPT_LONG, .off = offsetof(struct gen_opts, n), .lo = 1, .hi = NT_MAX_SAMPLES, .def = 64,
	  .help = "samples" },
	{ .key = "in", .type = OPT_LONG, .off = offsetof(struct gen_opts, in), .lo = 1, .hi = NT_MAX_WIDTH, .def = 10,
	  .help = "input width" },
	{ .key = "out", .type = OPT_LONG, .off = offsetof(struct gen_opts, out), .lo = 1, .hi = NT_MAX_WIDTH, .def = 1,
	  .help = "target width" },
	{ .key = "hidden", .type = OPT_LONG, .off = offsetof(struct gen_opts, hidden), .lo = 1, .hi = NT_MAX_WIDTH,
	  .def = 8, .help = "hidden width of the ReLU teacher" },
	{ .key = "noise", .type = OPT_DOUBLE, .off = offsetof(struct gen_opts, noise), .lo = 0, .hi = 1e6,
	  .help = "std of the target noise" },
	{ .key = "seed", .type = OPT_ULONG, .off = offsetof(struct gen_opts, seed), .lo = 0, .hi = 0x7fffffffL, .def = 1,
	  .help = "seed of the data (independent of the initialisation)" },
	{ 0 }
};
static const struct opt_spec blobs_opts[] = {
	{ .key = "n", .type = OPT_LONG, .off = offsetof(struct gen_opts, n), .lo = 1, .hi = NT_MAX_SAMPLES, .def = 100,
	  .help = "samples" },
	{ .key = "in", .type = OPT_LONG, .off = offsetof(struct gen_opts, in), .lo = 1, .hi = NT_MAX_WIDTH, .def = 2,
	  .help = "input width" },
	{ .key = "classes", .type = OPT_LONG, .off = offsetof(struct gen_opts, classes), .lo = 2, .hi = 1000, .def = 2,
	  .help = "number of blobs (classes)" },
	{ .key = "spread", .type = OPT_DOUBLE, .off = offsetof(struct gen_opts, spread), .lo = 0, .hi = 1e6, .def = 0.5,
	  .help = "std of each blob" },
	{ .key = "seed", .type = OPT_ULONG, .off = offsetof(struct gen_opts, seed), .lo = 0, .hi = 0x7fffffffL, .def = 1,
	  .help = "seed of the data (independent of the initialisation)" },
	{ 0 }
};
static const struct opt_spec xor_opts[] = {
	{ .key = "n", .type = OPT_LONG, .off = offsetof(struct gen_opts, n), .lo = 1, .hi = NT_MAX_SAMPLES, .def = 100,
	  .help = "samples" },
	{ .key = "noise", .type = OPT_DOUBLE, .off = offsetof(struct gen_opts, noise), .lo = 0, .hi = 1e6,
	  .help = "std of the input noise" },
	{ .key = "seed", .type = OPT_ULONG, .off = offsetof(struct gen_opts, seed), .lo = 0, .hi = 0x7fffffffL, .def = 1,
	  .help = "seed of the data (independent of the initialisation)" },
	{ 0 }
};
static const struct opt_spec spirals_opts[] = {
	{ .key = "n", .type = OPT_LONG, .off = offsetof(struct gen_opts, n), .lo = 1, .hi = NT_MAX_SAMPLES, .def = 100,
	  .help = "samples" },
	{ .key = "classes", .type = OPT_LONG, .off = offsetof(struct gen_opts, classes), .lo = 2, .hi = 1000, .def = 2,
	  .help = "number of arms (classes)" },
	{ .key = "noise", .type = OPT_DOUBLE, .off = offsetof(struct gen_opts, noise), .lo = 0, .hi = 1e6, .def = 0.05,
	  .help = "std of the input noise" },
	{ .key = "seed", .type = OPT_ULONG, .off = offsetof(struct gen_opts, seed), .lo = 0, .hi = 0x7fffffffL, .def = 1,
	  .help = "seed of the data (independent of the initialisation)" },
	{ 0 }
};

static const struct data_gen data_gens[] = {
	{ "teacher", "teacher [n=64] [in=10] [out=1] [hidden=8] [noise=0] [seed=1]", teacher_opts, gen_teacher },
	{ "blobs", "blobs [n=100] [in=2] [classes=2] [spread=0.5] [seed=1]", blobs_opts, gen_blobs },
	{ "xor", "xor [n=100] [noise=0] [seed=1]", xor_opts, gen_xor },
	{ "spirals", "spirals [n=100] [classes=2] [noise=0.05] [seed=1]", spirals_opts, gen_spirals },
};
#define NGENS (sizeof data_gens / sizeof data_gens[0])

const char *const data_kinds[] = { "teacher", "blobs", "xor", "spirals", "seq", "seqcls", "csv", NULL };

const char *data_kind_usage(const char *kind)
{
	for (size_t i = 0; i < NGENS; i++)
		if (!strcmp(data_gens[i].name, kind))
			return data_gens[i].usage;
	if (!strcmp(kind, "csv"))
		return "csv FILE [len=T]   (columns x0..x{d-1}, then y0..y{m-1} or label; T lines per sample)";
	return data_seq_usage(kind);
}

const struct opt_spec *data_kind_opts(const char *kind)
{
	for (size_t i = 0; i < NGENS; i++)
		if (!strcmp(data_gens[i].name, kind))
			return data_gens[i].opts;
	return data_seq_opts(kind);
}

struct dataset *data_generate(const char *kind, int argc, char **argv, char *err, size_t errlen)
{
	const struct data_gen *g = NULL;
	for (size_t i = 0; i < NGENS; i++)
		if (!strcmp(data_gens[i].name, kind))
			g = &data_gens[i];
	if (!g && data_seq_usage(kind))
		return data_seq_generate(kind, argc, argv, err, errlen);
	if (!g && !strcmp(kind, "csv"))
		return data_csv_read(argc, argv, err, errlen);
	if (!g) {
		nt_err(err, errlen, NT_ENOENT, "unknown data kind '%s' (kinds: teacher, blobs, xor, spirals, seq, seqcls, csv)", kind);
		return NULL;
	}
	struct gen_opts o = { 0 };
	char who[48];
	snprintf(who, sizeof who, "data %s", kind);
	if (opts_parse(g->opts, who, NULL, argc, argv, &o, err, errlen))
		return NULL;
	if ((double)o.n * o.in > NT_MAX_ELEMS) {
		nt_err(err, errlen, NT_ERANGE, "data: n*in = %.0f exceeds the limit of %d values", (double)o.n * o.in, NT_MAX_ELEMS);
		return NULL;
	}
	struct dataset *d = xcalloc(1, sizeof *d);
	str_copy(d->kind, kind, sizeof d->kind);
	d->seed = o.seed;
	d->orbit = 1;
	struct rng r;
	rng_seed(&r, o.seed);
	if (g->fill(d, &o, &r, err, errlen)) {
		data_free(d);
		return NULL;
	}
	/* canonical description with every option, for provenance */
	char *p = d->desc;
	size_t left = sizeof d->desc;
	int w = snprintf(p, left, "%s", kind);
	for (int a = 0; a < argc && w > 0 && (size_t)w < left; a++) {
		p += w; left -= (size_t)w;
		w = snprintf(p, left, " %s", argv[a]);
	}
	return d;
}

void data_free(struct dataset *d)
{
	if (!d)
		return;
	free(d->x);
	free(d->y);
	free(d->label);
	free(d);
}

struct dataset *data_clone(const struct dataset *d)
{
	struct dataset *c = xmalloc(sizeof *c);
	*c = *d;
	size_t nx = (size_t)d->n * d->len * d->d_in, ny = (size_t)d->n * d->out_len;
	c->x = xmalloc(nx * sizeof(double));
	memcpy(c->x, d->x, nx * sizeof(double));
	c->y = NULL;
	c->label = NULL;
	if (d->y) {
		c->y = xmalloc(ny * d->d_out * sizeof(double));
		memcpy(c->y, d->y, ny * d->d_out * sizeof(double));
	}
	if (d->label) {
		c->label = xmalloc(ny * sizeof(int));
		memcpy(c->label, d->label, ny * sizeof(int));
	}
	return c;
}
