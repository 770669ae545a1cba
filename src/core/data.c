/* data.c — synthetic data sets, each from its own seed: teacher regression,
 * blobs, xor and spirals classification. A generator is one entry of
 * data_gens[]: name, usage, option keys and a function filling the set.
 * Sizes are checked against NT_MAX_SAMPLES / NT_MAX_WIDTH before allocating. */
#include "noether/data.h"
#include "noether/rng.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gen_opts { long n, in, out, hidden, classes, len; double noise, spread; unsigned long seed; };

struct data_gen {
	const char *name;
	const char *usage;
	const char *const keys[10];
	struct gen_opts defaults;
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

static const struct data_gen data_gens[] = {
	{ "teacher", "teacher [n=64] [in=10] [out=1] [hidden=8] [noise=0] [seed=1]",
	  { "n", "in", "out", "hidden", "noise", "seed", NULL },
	  { .n = 64, .in = 10, .out = 1, .hidden = 8, .seed = 1 }, gen_teacher },
	{ "blobs", "blobs [n=100] [in=2] [classes=2] [spread=0.5] [seed=1]",
	  { "n", "in", "classes", "spread", "seed", NULL },
	  { .n = 100, .in = 2, .classes = 2, .spread = 0.5, .seed = 1 }, gen_blobs },
	{ "xor", "xor [n=100] [noise=0] [seed=1]",
	  { "n", "noise", "seed", NULL }, { .n = 100, .seed = 1 }, gen_xor },
	{ "spirals", "spirals [n=100] [classes=2] [noise=0.05] [seed=1]",
	  { "n", "classes", "noise", "seed", NULL },
	  { .n = 100, .classes = 2, .noise = 0.05, .seed = 1 }, gen_spirals },
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

static int opt_long(const char *key, const char *v, long lo, long hi, long *out, char *err, size_t len)
{
	if (parse_long(v, out))
		return nt_err(err, len, NT_EINVAL, "data: %s='%s' is not an integer", key, v);
	if (*out < lo || *out > hi)
		return nt_err(err, len, NT_ERANGE, "data: %s=%ld out of range %ld..%ld", key, *out, lo, hi);
	return 0;
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
	struct gen_opts o = g->defaults;
	for (int a = 0; a < argc; a++) {
		char *eq = strchr(argv[a], '=');
		int known = 0;
		for (int k = 0; eq && g->keys[k]; k++)
			if (strlen(g->keys[k]) == (size_t)(eq - argv[a]) && !strncmp(argv[a], g->keys[k], (size_t)(eq - argv[a])))
				known = 1;
		if (!known) {
			nt_err(err, errlen, NT_EINVAL, "data %s: unknown argument '%s' (usage: data %s)", kind, argv[a], g->usage);
			return NULL;
		}
		*eq = 0;
		const char *key = argv[a], *v = eq + 1;
		long l = 0;
		double dv = 0;
		int rc = 0;
		if (!strcmp(key, "n")) rc = opt_long(key, v, 1, NT_MAX_SAMPLES, &o.n, err, errlen);
		else if (!strcmp(key, "in")) rc = opt_long(key, v, 1, NT_MAX_WIDTH, &o.in, err, errlen);
		else if (!strcmp(key, "out")) rc = opt_long(key, v, 1, NT_MAX_WIDTH, &o.out, err, errlen);
		else if (!strcmp(key, "hidden")) rc = opt_long(key, v, 1, NT_MAX_WIDTH, &o.hidden, err, errlen);
		else if (!strcmp(key, "classes")) rc = opt_long(key, v, 2, 1000, &o.classes, err, errlen);
		else if (!strcmp(key, "seed")) { rc = opt_long(key, v, 0, 0x7fffffffL, &l, err, errlen); o.seed = (unsigned long)l; }
		else if (!strcmp(key, "noise") || !strcmp(key, "spread")) {
			if (parse_double(v, &dv) || dv < 0 || dv > 1e6)
				rc = nt_err(err, errlen, NT_EINVAL, "data: %s='%s' must be a number in [0, 1e6]", key, v);
			else if (!strcmp(key, "noise")) o.noise = dv;
			else o.spread = dv;
		}
		*eq = '=';
		if (rc)
			return NULL;
	}
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
