/* data_seq.c — synthetic sequence data for attention models, each set from its
 * own seed (independent of the model's initialisation):
 *
 *   seq    n=N len=T d=D [out=O] [seed=S]   regression, one target per position
 *   seqcls n=N len=T d=D [classes=C] [seed=S]   one class label per sample
 *
 * Tokens x[s,t,:] ~ N(0, I_D), stored (n*T, D) row-major. The teacher is one
 * fixed random softmax attention head (no positional encoding, not causal):
 *     P[t,j] = softmax_j( x_t^T M x_j ),   M_ab ~ N(0, 4/D²)  (scores of std ≈ 2)
 *     z_t    = Σ_j P[t,j] x_j                                  (D)
 * seq:    y_t = W^T z_t with W (D, O), W_ab ~ N(0, 1/D); targets (n*T, O).
 * seqcls: label_s = argmax_c (u_c · mean_t z_t), u_c ~ N(0, I_D); the model
 *         pools (`layer pool`) before its classification layer.
 * Draw order from the seed: x (sample, position, feature), then M, then W / u.
 * Sizes are checked against NT_MAX_SAMPLES, NT_MAX_SEQ, NT_MAX_WIDTH and
 * NT_MAX_ELEMS before allocating. */
#include "noether/data.h"
#include "noether/opts.h"
#include "noether/rng.h"
#include "noether/util.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seq_cfg { long n, len, d, out, classes; unsigned long seed; };

static const struct opt_spec seq_opts[] = {
	{ .key = "n", .type = OPT_LONG, .off = offsetof(struct seq_cfg, n), .lo = 1, .hi = NT_MAX_SAMPLES, .def = 32,
	  .help = "samples (sequences)" },
	{ .key = "len", .type = OPT_LONG, .off = offsetof(struct seq_cfg, len), .lo = 1, .hi = NT_MAX_SEQ, .def = 8,
	  .help = "sequence length T" },
	{ .key = "d", .type = OPT_LONG, .off = offsetof(struct seq_cfg, d), .lo = 1, .hi = NT_MAX_WIDTH, .def = 8,
	  .help = "token width D" },
	{ .key = "out", .type = OPT_LONG, .off = offsetof(struct seq_cfg, out), .lo = 1, .hi = NT_MAX_WIDTH, .sdef = "d",
	  .help = "target width per position" },
	{ .key = "seed", .type = OPT_ULONG, .off = offsetof(struct seq_cfg, seed), .lo = 0, .hi = 0x7fffffffL, .def = 1,
	  .help = "seed of the data (independent of the initialisation)" },
	{ 0 }
};
static const struct opt_spec seqcls_opts[] = {
	{ .key = "n", .type = OPT_LONG, .off = offsetof(struct seq_cfg, n), .lo = 1, .hi = NT_MAX_SAMPLES, .def = 64,
	  .help = "samples (sequences)" },
	{ .key = "len", .type = OPT_LONG, .off = offsetof(struct seq_cfg, len), .lo = 1, .hi = NT_MAX_SEQ, .def = 8,
	  .help = "sequence length T" },
	{ .key = "d", .type = OPT_LONG, .off = offsetof(struct seq_cfg, d), .lo = 1, .hi = NT_MAX_WIDTH, .def = 8,
	  .help = "token width D" },
	{ .key = "classes", .type = OPT_LONG, .off = offsetof(struct seq_cfg, classes), .lo = 2, .hi = 1000, .def = 2,
	  .help = "number of classes" },
	{ .key = "seed", .type = OPT_ULONG, .off = offsetof(struct seq_cfg, seed), .lo = 0, .hi = 0x7fffffffL, .def = 1,
	  .help = "seed of the data (independent of the initialisation)" },
	{ 0 }
};

const struct opt_spec *data_seq_opts(const char *kind)
{
	if (!strcmp(kind, "seq"))
		return seq_opts;
	if (!strcmp(kind, "seqcls"))
		return seqcls_opts;
	return NULL;
}

const char *data_seq_usage(const char *kind)
{
	if (!strcmp(kind, "seq"))
		return "seq [n=32] [len=8] [d=8] [out=d] [seed=1]";
	if (!strcmp(kind, "seqcls"))
		return "seqcls [n=64] [len=8] [d=8] [classes=2] [seed=1]";
	return NULL;
}

/* Teacher attention z (n*T, D) from x. */
static void seq_teacher(const double *x, int n, int T, int D, const double *M, double *z)
{
	double *Mx = xmalloc((size_t)T * D * sizeof *Mx), *p = xmalloc((size_t)T * sizeof *p);
	for (int s = 0; s < n; s++) {
		const double *xs = x + (size_t)s * T * D;
		for (int j = 0; j < T; j++)           /* Mx[j] = M x_j */
			for (int a = 0; a < D; a++) {
				double acc = 0;
				for (int b = 0; b < D; b++)
					acc += M[(size_t)a * D + b] * xs[(size_t)j * D + b];
				Mx[(size_t)j * D + a] = acc;
			}
		for (int t = 0; t < T; t++) {
			double mx = -INFINITY, sum = 0;
			for (int j = 0; j < T; j++) {
				double acc = 0;
				for (int a = 0; a < D; a++)
					acc += xs[(size_t)t * D + a] * Mx[(size_t)j * D + a];
				p[j] = acc;
				if (acc > mx)
					mx = acc;
			}
			for (int j = 0; j < T; j++) {
				p[j] = exp(p[j] - mx);
				sum += p[j];
			}
			double *zt = z + ((size_t)s * T + t) * D;
			memset(zt, 0, (size_t)D * sizeof *zt);
			for (int j = 0; j < T; j++)
				for (int a = 0; a < D; a++)
					zt[a] += p[j] / sum * xs[(size_t)j * D + a];
		}
	}
	free(Mx);
	free(p);
}

struct dataset *data_seq_generate(const char *kind, int argc, char **argv, char *err, size_t errlen)
{
	int cls = !strcmp(kind, "seqcls");
	if (!cls && strcmp(kind, "seq")) {
		nt_err(err, errlen, NT_ENOENT, "unknown data kind '%s'", kind);
		return NULL;
	}
	struct seq_cfg opt = { 0 };
	char who[32];
	snprintf(who, sizeof who, "data %s", kind);
	if (opts_parse(cls ? seqcls_opts : seq_opts, who, NULL, argc, argv, &opt, err, errlen))
		return NULL;
	long n = opt.n, T = opt.len, D = opt.d, out = opt.out, C = opt.classes;
	unsigned long seed = opt.seed;
	if (!out)
		out = D;
	double elems = (double)n * T * (D > out ? D : out);
	if (elems > NT_MAX_ELEMS) {
		nt_err(err, errlen, NT_ERANGE, "data %s: n*len*d = %.0f exceeds the limit of %d values", kind, elems, NT_MAX_ELEMS);
		return NULL;
	}
	struct dataset *d = xcalloc(1, sizeof *d);
	str_copy(d->kind, kind, sizeof d->kind);
	d->seed = seed;
	d->orbit = 1;
	d->n = (int)n;
	d->len = (int)T;
	d->d_in = (int)D;
	struct rng r;
	rng_seed(&r, (uint64_t)seed);
	size_t R = (size_t)n * T;
	d->x = xmalloc(R * D * sizeof(double));
	for (size_t i = 0; i < R * D; i++)
		d->x[i] = rng_normal(&r);
	double *M = xmalloc((size_t)D * D * sizeof *M), *z = xmalloc(R * D * sizeof *z);
	for (long i = 0; i < D * D; i++)
		M[i] = 2.0 / D * rng_normal(&r);
	seq_teacher(d->x, (int)n, (int)T, (int)D, M, z);
	if (!cls) {
		d->out_len = (int)T;
		d->d_out = (int)out;
		double *W = xmalloc((size_t)D * out * sizeof *W);
		for (long i = 0; i < D * out; i++)
			W[i] = rng_normal(&r) / sqrt((double)D);
		d->y = xcalloc(R * out, sizeof(double));
		for (size_t t = 0; t < R; t++)
			for (long o = 0; o < out; o++) {
				double acc = 0;
				for (long a = 0; a < D; a++)
					acc += z[t * D + a] * W[a * out + o];
				d->y[t * out + o] = acc;
			}
		free(W);
	} else {
		d->out_len = 1;
		d->n_classes = (int)C;
		d->label = xcalloc((size_t)n, sizeof(int));
		double *u = xmalloc((size_t)C * D * sizeof *u);
		for (long i = 0; i < C * D; i++)
			u[i] = rng_normal(&r);
		for (long s = 0; s < n; s++) {
			int best = 0;
			double bv = -INFINITY;
			for (long c = 0; c < C; c++) {
				double acc = 0;
				for (long t = 0; t < T; t++)
					for (long a = 0; a < D; a++)
						acc += u[c * D + a] * z[((size_t)s * T + t) * D + a];
				if (acc > bv) {
					bv = acc;
					best = (int)c;
				}
			}
			d->label[s] = best;
		}
		free(u);
	}
	free(M);
	free(z);
	char *p = d->desc;
	size_t left = sizeof d->desc;
	int w = snprintf(p, left, "%s", kind);
	for (int a = 0; a < argc && w > 0 && (size_t)w < left; a++) {
		p += w;
		left -= (size_t)w;
		w = snprintf(p, left, " %s", argv[a]);
	}
	return d;
}
