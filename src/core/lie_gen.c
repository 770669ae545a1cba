/* lie_gen.c — field generators for the law counter, and the activation census
 * behind them.
 *
 * Output fields X_k(θ) = ∇θ <c_k, f(x_k; θ)>: input k and weights c_k are
 * fixed functions of k, so X_k is one function of θ. The census (at one θ)
 * draws a pool of inputs, records the side of every top-level ReLU/leaky-ReLU
 * unit for each, and plans the fields' inputs so the first ones meet every
 * activation pattern seen (those covering rare unit states first), then fill
 * each pattern's region with jittered copies (inputs next to a kink are left
 * out): in a deep ReLU net some patterns are rare for random inputs, and a
 * field span that misses them makes the count loose.
 *
 * The same census names units that never switch. In a chain of affine layers
 * and element-wise activations, ∂f/∂W[j,i] vanishes on an input when unit i
 * outputs zero or no gradient reaches unit j; a parameter for which that holds
 * on every input is constant near θ (a local law): the weights of dead units
 * and the connections between units never on together. Units of one layer
 * that never change side act as a linear layer and add its Gram law.
 * Invariants: the pool and census belong to one θ (lie_gen_cover); the
 * generator never changes the model's parameters. */
#include "lie_impl.h"
#include "noether/rng.h"
#include "noether/util.h"
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One top-level ReLU-like layer of the census. */
struct census_layer {
	int block;            /* index of the activation block */
	int units;
	int words;            /* 64-bit words per row of a bit set */
	double neg_slope;     /* σ'(z) for z < 0: 0 for relu */
	long *on;             /* per unit: rows with z > 0 */
	uint64_t *bits;       /* (rows, words): z > 0 */
};

struct lie_gen {
	struct model *m;
	size_t D;
	int family;
	unsigned long seed;
	double xscale;
	int center;
	int nb;               /* samples per field: 1, or a batch when f takes batch statistics */
	size_t insz, outsz;   /* of nb samples */
	double *x, *c;
	/* top-level kinked activations (their inputs give the pattern hash) */
	int nkb;
	int kb[NT_MAX_BLOCKS];
	uint64_t last_pattern;
	/* census (output fields) */
	double *pool;         /* (npool, insz), in field order */
	int npool;
	long rows;            /* npool * in.len */
	int nlayers;
	struct census_layer *lay;
	/* family */
	enum loss_kind loss;
	int nz;
	lie_sample_fn sample;
	void *sctx;
	long ncache;
	struct dataset **zs;
	double **ts;
	double *df;
	size_t dfcap;
	char err[256];
};

/* A random input of the output generator's distribution: radius log-uniform
 * in [e^-1, e^3.5] × xscale (every ReLU kink, |b_j| against |w_j·x|, is
 * crossed by some input), direction uniform. The census pool of a model with
 * kinks (wide != 0) reaches further, [e^-1.5, e^4.5]: deep units whose
 * regions open only near the origin or far from it are met too (further still,
 * the terms of a field differ so much in scale that its new directions sink
 * toward rounding level). */
static void draw_input(const struct lie_gen *g, struct rng *r, double *x, int wide)
{
	double rad = g->xscale * (wide ? exp(-1.5 + 6.0 * rng_uniform(r)) : exp(-1.0 + 4.5 * rng_uniform(r)));
	for (size_t i = 0; i < g->insz; i++)
		x[i] = rad * rng_normal(r);
}

static int kinked(const struct block *b);

/* Hash of the signs of every top-level kinked activation's input for the
 * last forward of n samples (x the model input). */
static uint64_t pattern_hash(const struct lie_gen *g, const double *x, int n)
{
	const struct model *m = g->m;
	uint64_t h = 0x84222325CBF29CE4ULL;
	for (int i = 0; i < g->nkb; i++) {
		int b = g->kb[i];
		const double *z = b ? m->outs[b - 1] : x;
		size_t N = (size_t)n * m->blocks[b].in.len * m->blocks[b].in.width;
		uint64_t w = 0;
		for (size_t j = 0; j < N; j++) {
			w = (w << 1) | (z[j] > 0);
			if ((j & 63) == 63 || j + 1 == N) {
				h ^= w + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
				h *= 0xBF58476D1CE4E5B9ULL;
				w = 0;
			}
		}
	}
	return h;
}

static uint64_t gen_pattern(void *ctx)
{
	return ((const struct lie_gen *)ctx)->last_pattern;
}

static int gen_outputs_eval(void *ctx, long k, const double *theta, double *out)
{
	struct lie_gen *g = ctx;
	struct rng r;
	rng_seed(&r, lie_mix_seed(g->seed, k));
	const double *x = g->x;
	if (k >= 0 && k < g->npool)
		x = g->pool + (size_t)k * g->insz;
	else
		draw_input(g, &r, g->x, 0);
	for (size_t i = 0; i < g->outsz; i++)
		g->c[i] = rng_normal(&r);
	if (g->center) {   /* zero-sum rows: the directions ∂ℓ/∂f of a shift-invariant loss */
		int w = g->m->out.width;
		for (size_t row = 0; row + (size_t)w <= g->outsz; row += (size_t)w) {
			double mean = 0;
			for (int j = 0; j < w; j++)
				mean += g->c[row + j] / w;
			for (int j = 0; j < w; j++)
				g->c[row + j] -= mean;
		}
	}
	model_forward(g->m, theta, x, g->nb);
	if (g->nkb)
		g->last_pattern = pattern_hash(g, x, g->nb);
	memset(out, 0, g->D * sizeof *out);
	model_backward(g->m, theta, g->c, out, NULL);
	return 0;
}

static int gen_family_eval(void *ctx, long k, const double *theta, double *out)
{
	struct lie_gen *g = ctx;
	if (k < 0)
		return nt_err(g->err, sizeof g->err, NT_EINVAL, "negative field index");
	if (k >= g->ncache) {
		long nc = g->ncache ? g->ncache : 64;
		while (nc <= k)
			nc *= 2;
		g->zs = xrealloc(g->zs, (size_t)nc * sizeof *g->zs);
		g->ts = xrealloc(g->ts, (size_t)nc * sizeof *g->ts);
		for (long i = g->ncache; i < nc; i++) {
			g->zs[i] = NULL;
			g->ts[i] = NULL;
		}
		g->ncache = nc;
	}
	struct model *m = g->m;
	int w = m->out.width;
	if (!g->zs[k]) {
		struct dataset *z = g->sample(g->sctx, k, g->nz, g->err, sizeof g->err);
		if (!z)
			return NT_EINVAL;
		if (z->n > m->max_batch || z->len != m->in.len || z->d_in != m->in.width || z->out_len != m->out.len) {
			data_free(z);
			return nt_err(g->err, sizeof g->err, NT_EINVAL,
			              "sampled data set does not fit the model (n=%d, len=%d, width=%d)", z->n, z->len, z->d_in);
		}
		double *t = NULL;
		int rc = loss_targets(g->loss, z, w, &t, g->err, sizeof g->err);
		if (rc) {
			data_free(z);
			return rc;
		}
		g->zs[k] = z;
		g->ts[k] = t;
	}
	const struct dataset *z = g->zs[k];
	int R = z->n * m->out.len;
	size_t need = (size_t)R * (size_t)w;
	if (need > g->dfcap) {
		g->df = xrealloc(g->df, need * sizeof *g->df);
		g->dfcap = need;
	}
	const double *f = model_forward(m, theta, z->x, z->n);
	if (g->nkb)
		g->last_pattern = pattern_hash(g, z->x, z->n);
	loss_eval(g->loss, f, R, w, g->ts[k], z->label, g->df);
	memset(out, 0, g->D * sizeof *out);
	model_backward(m, theta, g->df, out, NULL);
	return 0;
}

static struct lie_gen *gen_new(struct model *m)
{
	struct lie_gen *g = xcalloc(1, sizeof *g);
	g->m = m;
	g->D = m->nparams;
	/* batchnorm: f is a function of a batch; a field is ∇θ<c, f(X;θ)> over a
	 * batch X of LIE_BATCH samples drawn with one radius (one sample would
	 * have no statistics) */
	g->nb = model_batch_stats(m) ? (m->max_batch < LIE_BATCH ? m->max_batch : LIE_BATCH) : 1;
	g->insz = (size_t)g->nb * m->in.len * (size_t)m->in.width;
	g->outsz = (size_t)g->nb * m->out.len * (size_t)m->out.width;
	g->x = xcalloc(g->insz + 1, sizeof(double));
	g->c = xcalloc(g->outsz + 1, sizeof(double));
	for (int b = 0; b < m->nblocks; b++)
		if (kinked(&m->blocks[b]))
			g->kb[g->nkb++] = b;
	return g;
}

struct lie_gen *lie_gen_outputs(struct model *m, unsigned long seed, double xscale, int center)
{
	struct lie_gen *g = gen_new(m);
	g->center = center;
	g->seed = seed;
	g->xscale = xscale > 0 ? xscale : 1.0;
	return g;
}

struct lie_gen *lie_gen_family(struct model *m, enum loss_kind loss, int n_per_set,
                               lie_sample_fn sample, void *sctx)
{
	struct lie_gen *g = gen_new(m);
	g->family = 1;
	g->loss = loss;
	g->nz = n_per_set > 0 ? n_per_set : 1;
	g->sample = sample;
	g->sctx = sctx;
	return g;
}

static void census_free(struct lie_gen *g)
{
	for (int i = 0; i < g->nlayers; i++) {
		free(g->lay[i].on);
		free(g->lay[i].bits);
	}
	free(g->lay);
	g->lay = NULL;
	g->nlayers = 0;
	free(g->pool);
	g->pool = NULL;
	g->npool = 0;
	g->rows = 0;
}

void lie_gen_free(struct lie_gen *g)
{
	if (!g)
		return;
	census_free(g);
	for (long i = 0; i < g->ncache; i++) {
		data_free(g->zs[i]);
		free(g->ts[i]);
	}
	free(g->zs);
	free(g->ts);
	free(g->df);
	free(g->x);
	free(g->c);
	free(g);
}

struct lie_fields lie_gen_fields(struct lie_gen *g)
{
	struct lie_fields f = { g->D, g->family ? gen_family_eval : gen_outputs_eval, g, g->nkb ? gen_pattern : NULL };
	return f;
}

const char *lie_gen_error(const struct lie_gen *g)
{
	return g->err;
}

/* ------------------------------------------------------------------ census */

/* A top-level activation with a kink at 0 (positively homogeneous of degree 1:
 * relu, leaky-relu). Its slope below 0 is read off the census (y/z). */
static int kinked(const struct block *b)
{
	return b->kind->is_activation && b->kind->positive_homogeneous == 1 && b->in.width >= 1;
}

struct pool_item { int idx; int distinct; int margin; double score; };

static int item_cmp(const void *a, const void *b)
{
	const struct pool_item *x = a, *y = b;
	int kx = x->distinct, ky = y->distinct;
	if (kx != ky)
		return ky - kx;
	if (kx && x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->margin != y->margin)
		return y->margin - x->margin;
	return x->idx - y->idx;
}

static uint64_t hash_bits(uint64_t h, const uint64_t *w, int n)
{
	for (int i = 0; i < n; i++) {
		h ^= w[i] + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
		h *= 0xBF58476D1CE4E5B9ULL;
	}
	return h;
}

struct hidx { uint64_t h; int idx; };

static int hidx_cmp(const void *a, const void *b)
{
	const struct hidx *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->idx - y->idx;
}

/* The census hash of sample i of the last forward of n samples (x the model
 * input): the signs of every kinked layer's inputs, row by row. Equal to the
 * hash the census gives the same sample. */
static uint64_t sample_hash(const struct lie_gen *g, const double *x, int n, int i)
{
	const struct model *m = g->m;
	uint64_t h = 1469598103934665603ULL;
	(void)n;
	for (int l = 0; l < g->nlayers; l++) {
		const struct census_layer *L = &g->lay[l];
		const double *z = L->block ? m->outs[L->block - 1] : x;
		uint64_t w[NT_MAX_WIDTH / 64 + 1];
		for (int row = 0; row < m->in.len; row++) {
			const double *zr = z + ((size_t)i * m->in.len + row) * L->units;
			memset(w, 0, (size_t)L->words * sizeof *w);
			for (int j = 0; j < L->units; j++)
				if (zr[j] > 0)
					w[j / 64] |= 1ULL << (j % 64);
			h = hash_bits(h, w, L->words);
		}
	}
	return h;
}

int lie_gen_cover(struct lie_gen *g, const double *theta, int npool)
{
	if (g->family)
		return nt_err(g->err, sizeof g->err, NT_EINVAL, "the census needs the output-gradient fields");
	census_free(g);
	struct model *m = g->m;
	int nk = 0;
	for (int b = 0; b < m->nblocks; b++)
		if (kinked(&m->blocks[b]) && m->blocks[b].in.len == m->in.len)
			nk++;
	if (nk == 0 || g->nb > 1)
		return 0;   /* no kinks, or fields over batches: plain random inputs */
	if (npool <= 0)
		npool = 32768;   /* co-activations of probability ~3e-5 are seen */
	int len = m->in.len;
	g->npool = npool;
	g->rows = (long)npool * len;
	double *raw = xmalloc(((size_t)npool * g->insz + 1) * sizeof *raw);
	struct rng r;
	rng_seed(&r, lie_mix_seed(g->seed + 4409, 1));
	for (int p = 0; p < npool; p++)
		draw_input(g, &r, raw + (size_t)p * g->insz, 1);
	g->nlayers = nk;
	g->lay = xcalloc((size_t)nk + 1, sizeof *g->lay);
	nk = 0;
	for (int b = 0; b < m->nblocks; b++)
		if (kinked(&m->blocks[b]) && m->blocks[b].in.len == m->in.len) {
			struct census_layer *L = &g->lay[nk++];
			L->block = b;
			L->units = m->blocks[b].in.width;
			L->words = (L->units + 63) / 64;
			L->neg_slope = NAN;
			L->on = xcalloc((size_t)L->units, sizeof *L->on);
			L->bits = xcalloc((size_t)g->rows * L->words + 1, sizeof *L->bits);
		}
	/* margins: per sample, the smallest |z_j| relative to unit j's rms */
	double *minrel = xmalloc(((size_t)npool + 1) * sizeof *minrel);
	double **ss = xcalloc((size_t)g->nlayers + 1, sizeof *ss);
	for (int l = 0; l < g->nlayers; l++)
		ss[l] = xcalloc((size_t)g->lay[l].units, sizeof **ss);
	int B = m->max_batch > 0 ? m->max_batch : 1;
	/* pass 1: states and unit scales; pass 2: margins */
	for (int pass = 0; pass < 2; pass++) {
		for (int p0 = 0; p0 < npool; p0 += B) {
			int n = npool - p0 < B ? npool - p0 : B;
			model_forward(m, theta, raw + (size_t)p0 * g->insz, n);
			for (int l = 0; l < g->nlayers; l++) {
				struct census_layer *L = &g->lay[l];
				const double *z = L->block ? m->outs[L->block - 1] : raw + (size_t)p0 * g->insz;
				const double *y = m->outs[L->block];
				for (long row = 0; row < (long)n * len; row++) {
					long gr = (long)p0 * len + row;
					const double *zr = z + (size_t)row * L->units, *yr = y + (size_t)row * L->units;
					if (pass == 0) {
						uint64_t *bits = L->bits + (size_t)gr * L->words;
						for (int j = 0; j < L->units; j++) {
							ss[l][j] += zr[j] * zr[j];
							if (zr[j] > 0) {
								bits[j / 64] |= 1ULL << (j % 64);
								L->on[j]++;
							} else if (zr[j] < 0 && isnan(L->neg_slope)) {
								L->neg_slope = yr[j] / zr[j];
							}
						}
					} else {
						int p = (int)(gr / len);
						for (int j = 0; j < L->units; j++) {
							double rel = ss[l][j] > 0 ? fabs(zr[j]) / ss[l][j] : INFINITY;
							if (rel < minrel[p])
								minrel[p] = rel;
						}
					}
				}
			}
		}
		if (pass == 0) {
			for (int l = 0; l < g->nlayers; l++) {
				/* slopes below 1e-12 are relu's 0; never below 0: irrelevant */
				if (isnan(g->lay[l].neg_slope) || fabs(g->lay[l].neg_slope) < 1e-12)
					g->lay[l].neg_slope = 0;
			}
			for (int l = 0; l < g->nlayers; l++)
				for (int j = 0; j < g->lay[l].units; j++)
					ss[l][j] = sqrt(ss[l][j] / (double)g->rows);
			for (int p = 0; p < npool; p++)
				minrel[p] = INFINITY;
		}
	}
	/* order: distinct patterns away from kinks; first enough of them that
	 * every unit is seen on and off several times, then the rest */
	struct pool_item *it = xcalloc((size_t)npool + 1, sizeof *it);
	uint64_t *hs = xmalloc(((size_t)npool + 1) * sizeof *hs);
	for (int p = 0; p < npool; p++) {
		uint64_t h = 1469598103934665603ULL;
		for (int l = 0; l < g->nlayers; l++) {
			const struct census_layer *L = &g->lay[l];
			for (int row = 0; row < len; row++)
				h = hash_bits(h, L->bits + ((size_t)p * len + row) * L->words, L->words);
		}
		hs[p] = h;
		it[p].idx = p;
		it[p].margin = !(minrel[p] < 1e-4);
	}
	/* one representative per pattern: the sample farthest from a kink. Thin
	 * regions, where rare units meet, are kept; only inputs within 1e-4 of a
	 * unit's rms from its kink are left out of the fields (a unit that close
	 * contributes a direction too weak to tell from rounding) */
	struct hidx *hi = xmalloc(((size_t)npool + 1) * sizeof *hi);
	for (int p = 0; p < npool; p++) {
		hi[p].h = hs[p];
		hi[p].idx = p;
	}
	qsort(hi, (size_t)npool, sizeof *hi, hidx_cmp);
	for (int a = 0; a < npool;) {
		int b = a, bestp = hi[a].idx;
		while (b < npool && hi[b].h == hi[a].h) {
			if (minrel[hi[b].idx] > minrel[bestp])
				bestp = hi[b].idx;
			b++;
		}
		if (it[bestp].margin)
			it[bestp].distinct = 1;
		a = b;
	}
	free(hi);
	/* coverage: in pool order, a representative that shows some unit in a
	 * state seen fewer than q times so far goes first */
	int q = (int)g->insz + 1 < 8 ? (int)g->insz + 1 : 8;
	int **cnt = xcalloc((size_t)g->nlayers + 1, sizeof *cnt);
	for (int l = 0; l < g->nlayers; l++)
		cnt[l] = xcalloc(2 * (size_t)g->lay[l].units, sizeof **cnt);
	for (int p = 0; p < npool; p++) {
		if (!it[p].distinct)
			continue;
		int need = 0;
		for (int pass = 0; pass < 2; pass++)
			for (int l = 0; l < g->nlayers; l++) {
				const struct census_layer *L = &g->lay[l];
				for (int row = 0; row < len; row++) {
					const uint64_t *bits = L->bits + ((size_t)p * len + row) * L->words;
					for (int j = 0; j < L->units; j++) {
						int st = (int)((bits[j / 64] >> (j % 64)) & 1);
						if (pass == 0)
							need |= cnt[l][2 * j + st] < q;
						else if (need)
							cnt[l][2 * j + st]++;
					}
				}
			}
		it[p].score = need ? 2 : 1;
	}
	for (int l = 0; l < g->nlayers; l++)
		free(cnt[l]);
	free(cnt);
	qsort(it, (size_t)npool, sizeof *it, item_cmp);
	int nrep = 0;
	while (nrep < npool && it[nrep].distinct)
		nrep++;
	/* The fields of one activation region span G_R x̃ over its inputs x (an
	 * affine family): one input per region gives one direction, up to
	 * (inputs + 1)·outputs come from inputs spread inside it. The plan: every
	 * region once (those covering rare unit states first), then sweeps of copies of each region's
	 * input jittered by 2% (kept only if the pattern stays), then the rest of
	 * the pool. At most cap planned entries. */
	int sweeps = (int)((g->insz + 1) * (g->outsz ? g->outsz : 1));
	if (sweeps > 16)
		sweeps = 16;
	long cap = 4 * (long)g->D + 100;
	long nplan = 0, planmax = (long)nrep * sweeps;
	if (planmax > cap)
		planmax = cap;
	if (planmax < nrep)
		planmax = nrep;
	g->pool = xmalloc(((size_t)(planmax + npool) * g->insz + 1) * sizeof *g->pool);
	for (int p = 0; p < nrep; p++)
		memcpy(g->pool + (size_t)nplan++ * g->insz, raw + (size_t)it[p].idx * g->insz, g->insz * sizeof *raw);
	uint64_t *rep_hash = xmalloc(((size_t)nrep + 1) * sizeof *rep_hash);
	for (int p = 0; p < nrep; p++)
		rep_hash[p] = hs[it[p].idx];
	double *jx = xmalloc(((size_t)B * g->insz + 1) * sizeof *jx);
	int *jrep = xmalloc(((size_t)B + 1) * sizeof *jrep);
	for (int sw = 1; sw < sweeps && nplan < planmax; sw++)
		for (int p0 = 0; p0 < nrep && nplan < planmax; p0 += B) {
			int n = nrep - p0 < B ? nrep - p0 : B;
			for (int i = 0; i < n; i++) {
				const double *x0 = raw + (size_t)it[p0 + i].idx * g->insz;
				double nx = lie_nrm2(g->insz, x0);
				double *x = jx + (size_t)i * g->insz;
				for (size_t t = 0; t < g->insz; t++)
					x[t] = x0[t] + 0.02 * nx / sqrt((double)g->insz) * rng_normal(&r);
				jrep[i] = p0 + i;
			}
			model_forward(m, theta, jx, n);
			for (int i = 0; i < n && nplan < planmax; i++)
				if (sample_hash(g, jx, n, i) == rep_hash[jrep[i]])
					memcpy(g->pool + (size_t)nplan++ * g->insz, jx + (size_t)i * g->insz, g->insz * sizeof *jx);
		}
	free(jx);
	free(jrep);
	free(rep_hash);
	for (int p = nrep; p < npool && it[p].margin; p++)
		memcpy(g->pool + (size_t)nplan++ * g->insz, raw + (size_t)it[p].idx * g->insz, g->insz * sizeof *raw);
	g->npool = (int)nplan;
	/* the bit sets stay in the census's original row order: only counts and
	 * co-occurrences are read from them */
	free(hs);
	free(it);
	for (int l = 0; l < g->nlayers; l++)
		free(ss[l]);
	free(ss);
	free(minrel);
	free(raw);
	return 0;
}

/* ------------------------------------------------------------------ local laws */

/* An affine block of the chain: y = x Wᵀ (+ b), W (out, in) row-major. */
static int affine(const struct block *b, const struct tensor_view **W, const struct tensor_view **bias)
{
	if (b->kind->is_activation || b->ntensors < 1 || b->ntensors > 2 || b->in.len != b->out.len)
		return 0;
	const struct tensor_view *w = &b->tensors[0];
	if (w->ndim != 2 || w->dim[0] != b->out.width || w->dim[1] != b->in.width)
		return 0;
	const struct tensor_view *c = b->ntensors > 1 ? &b->tensors[1] : NULL;
	if (c && (c->ndim != 1 || c->dim[0] != b->out.width))
		return 0;
	*W = w;
	*bias = c;
	return 1;
}

static int layer_of_block(const struct lie_gen *g, int block)
{
	for (int l = 0; l < g->nlayers; l++)
		if (g->lay[l].block == block)
			return l;
	return -1;
}

static void local_add_note(struct lie_local *out, int extra, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void local_add_note(struct lie_local *out, int extra, const char *fmt, ...)
{
	out->notes = xrealloc(out->notes, (size_t)(out->nnotes + 1) * sizeof *out->notes);
	struct lie_unit_note *n = &out->notes[out->nnotes++];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof n->text, fmt, ap);
	va_end(ap);
	n->extra = extra;
}

static void local_add_law(struct lie_local *out, struct quantity *q)
{
	q->role = QR_LAW;
	out->laws = xrealloc(out->laws, (size_t)(out->nlaws + 1) * sizeof *out->laws);
	out->laws[out->nlaws++] = q;
}

void lie_local_laws(const struct lie_gen *g, const double *theta, struct lie_local *out)
{
	(void)theta;
	memset(out, 0, sizeof *out);
	const struct model *m = g->m;
	if (g->family || !g->pool || g->nlayers == 0)
		return;
	/* the chain: affine blocks and element-wise activations only */
	for (int b = 0; b < m->nblocks; b++) {
		const struct tensor_view *W, *bias;
		const struct block *bl = &m->blocks[b];
		if (!(bl->kind->is_activation && bl->ntensors == 0) && !affine(bl, &W, &bias))
			return;
	}
	out->analysed = 1;
	out->samples = g->rows;
	long R = g->rows;
	/* live[l]: (rows, words) bit sets "a gradient reaches the input z of unit j
	 * of kinked layer l", computed from the output back: through a smooth
	 * activation unchanged, through a kinked one only where σ'(z) != 0, through
	 * an affine block to every input unit if any output unit is live */
	int nl = g->nlayers;
	uint64_t **live = xcalloc((size_t)nl + 1, sizeof *live);
	for (int l = nl - 1; l >= 0; l--) {
		const struct census_layer *L = &g->lay[l];
		live[l] = xcalloc((size_t)R * L->words + 1, sizeof **live);
		/* does anything downstream of layer l's output carry a gradient, per row? */
		int next = l + 1 < nl ? l + 1 : -1;
		for (long row = 0; row < R; row++) {
			int down = 1;
			if (next >= 0) {
				down = 0;
				const uint64_t *nb = live[next] + (size_t)row * g->lay[next].words;
				for (int w = 0; w < g->lay[next].words; w++)
					if (nb[w])
						down = 1;
			}
			uint64_t *lb = live[l] + (size_t)row * L->words;
			if (!down)
				continue;
			if (L->neg_slope != 0) {
				for (int j = 0; j < L->units; j++)
					lb[j / 64] |= 1ULL << (j % 64);
			} else {
				memcpy(lb, L->bits + (size_t)row * L->words, (size_t)L->words * sizeof *lb);
			}
		}
	}
	for (int l = 0; l < nl; l++)
		out->units += g->lay[l].units;
	/* per affine block: which inputs and outputs belong to kinked layers */
	for (int b = 0; b < m->nblocks; b++) {
		const struct tensor_view *W, *bias;
		if (!affine(&m->blocks[b], &W, &bias))
			continue;
		/* the kinked layer feeding it (through smooth activations) and the one after */
		int src = -1, dst = -1;
		for (int a = b - 1; a >= 0; a--) {
			if (!m->blocks[a].kind->is_activation)
				break;
			if ((src = layer_of_block(g, a)) >= 0)
				break;
		}
		for (int a = b + 1; a < m->nblocks; a++) {
			if (!m->blocks[a].kind->is_activation)
				break;
			if ((dst = layer_of_block(g, a)) >= 0)
				break;
		}
		/* outputs that are never live only if a kinked layer follows (before
		 * another affine block); without one, a gradient reaches every output
		 * whenever anything downstream is live, which the next layers decide */
		int downstream = -1;
		if (dst < 0)
			for (int l = 0; l < nl; l++)
				if (g->lay[l].block > b) {
					downstream = l;
					break;
				}
		int out_w = W->dim[0], in_w = W->dim[1];
		const struct census_layer *S = src >= 0 ? &g->lay[src] : NULL, *T = dst >= 0 ? &g->lay[dst] : NULL;
		/* co[j*in_w + i]: some row has output j live and input i non-zero */
		unsigned char *co = xcalloc((size_t)out_w * in_w + 1, 1);
		unsigned char *olive = xcalloc((size_t)out_w + 1, 1);
		int iw = S ? S->words : 0;
		uint64_t *acc = xcalloc((size_t)out_w * (iw ? iw : 1) + 1, sizeof *acc);
		for (long row = 0; row < R; row++) {
			int any_down = 1;
			if (!T && downstream >= 0) {
				any_down = 0;
				const uint64_t *nb = live[downstream] + (size_t)row * g->lay[downstream].words;
				for (int w = 0; w < g->lay[downstream].words; w++)
					if (nb[w])
						any_down = 1;
			}
			if (!any_down)
				continue;
			const uint64_t *tl = T ? live[dst] + (size_t)row * T->words : NULL;
			const uint64_t *sb = S ? S->bits + (size_t)row * S->words : NULL;
			for (int j = 0; j < out_w; j++) {
				if (tl && !((tl[j / 64] >> (j % 64)) & 1))
					continue;
				olive[j] = 1;
				if (S && S->neg_slope == 0)
					for (int w = 0; w < iw; w++)
						acc[(size_t)j * iw + w] |= sb[w];
			}
		}
		for (int j = 0; j < out_w; j++)
			for (int i = 0; i < in_w; i++)
				co[(size_t)j * in_w + i] = olive[j] && (!S || S->neg_slope != 0 || ((acc[(size_t)j * iw + i / 64] >> (i % 64)) & 1));
		free(acc);
		/* connections cut: output live sometimes, input unit not dead, never both */
		int ncut = 0;
		for (int j = 0; j < out_w; j++)
			for (int i = 0; i < in_w; i++) {
				int di = S && S->neg_slope == 0 && S->on[i] == 0;
				if (!co[(size_t)j * in_w + i] && olive[j] && !di)
					ncut++;
			}
		/* laws: one quantity per dead unit (its row and bias here, its column
		 * in the next affine block), one for the cut connections */
		for (int j = 0; j < out_w && T; j++) {
			if (olive[j])
				continue;
			struct quantity *q;
			char name[96];
			snprintf(name, sizeof name, "local.dead.%s.n%d", m->blocks[T->block].name, j);
			int nc = in_w + (bias ? 1 : 0);
			/* the next affine block's column j */
			const struct tensor_view *W2 = NULL, *b2 = NULL;
			for (int a = T->block + 1; a < m->nblocks; a++) {
				if (affine(&m->blocks[a], &W2, &b2))
					break;
				W2 = NULL;
				if (!m->blocks[a].kind->is_activation)
					break;
			}
			int outer = W2 && T->on[j] == 0 && T->neg_slope == 0 ? W2->dim[0] : 0;
			q = quantity_new(name, QK_LINEAR, nc + outer);
			int c = 0;
			for (int i = 0; i < in_w; i++)
				qcomp_add(&q->comp[c++], (int)(W->off + (size_t)j * in_w + i), -1, 1.0);
			if (bias)
				qcomp_add(&q->comp[c++], (int)(bias->off + (size_t)j), -1, 1.0);
			for (int o = 0; o < outer; o++)
				qcomp_add(&q->comp[c++], (int)(W2->off + (size_t)o * W2->dim[1] + j), -1, 1.0);
			snprintf(q->formula, sizeof q->formula, "%s[%d,:]%s%s constant: unit n%d is %s", W->name, j,
			         bias ? " and its bias" : "", outer ? " and its outgoing column" : "", j,
			         T->on[j] == 0 ? "never on" : "never reached by a gradient");
			local_add_law(out, q);
			if (T->on[j] == 0) {
				out->dead++;
				local_add_note(out, q->ncomp - 1, "%s n%d: dead (on for 0 of %ld inputs): its %d incoming and %d outgoing "
				               "weights stay constant", m->blocks[T->block].name, j, R, nc, outer);
			} else {
				local_add_note(out, q->ncomp - 1, "%s n%d: no gradient reaches it (on for %ld of %ld inputs, but never "
				               "with a live unit after it): its %d incoming weights stay constant",
				               m->blocks[T->block].name, j, T->on[j], R, nc);
			}
		}
		if (ncut > 0) {
			char name[96];
			snprintf(name, sizeof name, "local.cut.%s", W->name);
			struct quantity *q = quantity_new(name, QK_LINEAR, ncut);
			int c = 0;
			for (int j = 0; j < out_w; j++)
				for (int i = 0; i < in_w; i++) {
					int di = S && S->neg_slope == 0 && S->on[i] == 0;
					if (!co[(size_t)j * in_w + i] && olive[j] && !di)
						qcomp_add(&q->comp[c++], (int)(W->off + (size_t)j * in_w + i), -1, 1.0);
				}
			snprintf(q->formula, sizeof q->formula, "%d entries of %s constant: their two units are never on together",
			         ncut, W->name);
			local_add_law(out, q);
			out->cut += ncut;
			local_add_note(out, ncut, "%s: %d connection%s between units never on together stay constant", W->name, ncut,
			               ncut == 1 ? "" : "s");
		}
		free(co);
		free(olive);
	}
	/* units that never switch side, between two affine blocks: Gram law */
	for (int l = 0; l < nl; l++) {
		const struct census_layer *L = &g->lay[l];
		int b = L->block;
		const struct tensor_view *W1, *b1, *W2, *b2;
		if (b == 0 || b + 1 >= m->nblocks || !affine(&m->blocks[b - 1], &W1, &b1) || !affine(&m->blocks[b + 1], &W2, &b2))
			continue;
		for (int side = 1; side >= 0; side--) {
			if (side == 0 && L->neg_slope == 0)
				continue;   /* relu units always off are dead, handled above */
			int *grp = xmalloc((size_t)L->units * sizeof *grp), n = 0;
			for (int j = 0; j < L->units; j++)
				if (side ? L->on[j] == R : L->on[j] == 0)
					grp[n++] = j;
			if (n >= 1)
				out->linear += n;
			if (n >= 2) {
				char name[96];
				snprintf(name, sizeof name, "local.linear.%s.%s", m->blocks[b].name, side ? "on" : "off");
				struct quantity *q = quantity_new(name, QK_QUADRATIC, n * (n - 1) / 2);
				int c = 0, in_w = W1->dim[1], o2 = W2->dim[0], r2 = W2->dim[1];
				for (int a = 0; a < n; a++)
					for (int e = a + 1; e < n; e++, c++) {
						int j = grp[a], k = grp[e];
						for (int t = 0; t < in_w; t++)
							qcomp_add(&q->comp[c], (int)(W1->off + (size_t)j * in_w + t), (int)(W1->off + (size_t)k * in_w + t), 1.0);
						if (b1)
							qcomp_add(&q->comp[c], (int)(b1->off + (size_t)j), (int)(b1->off + (size_t)k), 1.0);
						for (int o = 0; o < o2; o++)
							qcomp_add(&q->comp[c], (int)(W2->off + (size_t)o * r2 + j), (int)(W2->off + (size_t)o * r2 + k), -1.0);
					}
				snprintf(q->formula, sizeof q->formula, "off-diagonal W_in W_inᵀ + b bᵀ - W_outᵀ W_out over the %d units "
				         "of %s that are always %s", n, m->blocks[b].name, side ? "on" : "below 0");
				local_add_law(out, q);
				char list[96] = "";
				size_t p = 0;
				for (int a = 0; a < n && p < sizeof list - 12; a++)
					p += (size_t)snprintf(list + p, sizeof list - p, "%sn%d", a ? "," : "", grp[a]);
				if (p >= sizeof list - 12)
					snprintf(list + p, sizeof list - p, ",…");
				local_add_note(out, q->ncomp, "%s %s: never switch (%s on all %ld inputs): they act as one linear "
				               "layer, Gram law", m->blocks[b].name, list, side ? "on" : "below 0", R);
			}
			free(grp);
		}
	}
	for (int l = 0; l < nl; l++)
		free(live[l]);
	free(live);
}

void lie_local_free(struct lie_local *l)
{
	for (int i = 0; i < l->nlaws; i++)
		quantity_free(l->laws[i]);
	free(l->laws);
	free(l->notes);
	memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------------ family sampler */

/* Default family sampler: regenerate the base kind with a fresh seed and n
 * samples; fall back to random rows of the base set. Targets are random. */
struct dataset *lie_family_sample(void *ctx, long k, int n_hint, char *err, size_t len)
{
	const struct lie_family *f = ctx;
	const struct dataset *b = f->base;
	struct rng r;
	rng_seed(&r, lie_mix_seed(f->seed + 7919, k));
	int n = n_hint > 0 ? n_hint : 1;
	struct dataset *z = NULL;
	char buf[sizeof b->desc], *argv[40], nb[32], sb[32];
	str_copy(buf, b->desc, sizeof buf);
	int argc = 0;
	char *save = NULL;
	char *tok = strtok_r(buf, " ", &save); /* kind */
	while (tok && (tok = strtok_r(NULL, " ", &save)) && argc < 36)
		if (strncmp(tok, "n=", 2) && strncmp(tok, "seed=", 5))
			argv[argc++] = tok;
	snprintf(nb, sizeof nb, "n=%d", n);
	snprintf(sb, sizeof sb, "seed=%lu", (unsigned long)(rng_next(&r) % 0x7fffffffUL));
	argv[argc++] = nb;
	argv[argc++] = sb;
	char e2[256];
	z = b->kind[0] ? data_generate(b->kind, argc, argv, e2, sizeof e2) : NULL;
	if (z && (z->n != n || z->len != b->len || z->d_in != b->d_in || z->out_len != b->out_len ||
	          z->d_out != b->d_out || z->n_classes != b->n_classes)) {
		data_free(z);
		z = NULL;
	}
	if (!z) {
		if (b->n < 1) {
			nt_err(err, len, NT_ESTATE, "no base data set to sample from");
			return NULL;
		}
		z = xcalloc(1, sizeof *z);
		str_copy(z->kind, b->kind, sizeof z->kind);
		z->n = n; z->len = b->len; z->d_in = b->d_in; z->out_len = b->out_len;
		z->d_out = b->d_out; z->n_classes = b->n_classes; z->orbit = 1;
		size_t row = (size_t)b->len * b->d_in;
		z->x = xmalloc((size_t)n * row * sizeof(double));
		for (int i = 0; i < n; i++) {
			size_t src = (size_t)rng_below(&r, (uint64_t)b->n);
			memcpy(z->x + i * row, b->x + src * row, row * sizeof(double));
		}
		if (b->d_out > 0)
			z->y = xcalloc((size_t)n * b->out_len * b->d_out, sizeof(double));
		if (b->n_classes > 0)
			z->label = xcalloc((size_t)n * b->out_len, sizeof(int));
	}
	if (z->y)
		for (size_t i = 0; i < (size_t)z->n * z->out_len * z->d_out; i++)
			z->y[i] = rng_normal(&r);
	if (z->label)
		for (size_t i = 0; i < (size_t)z->n * z->out_len; i++)
			z->label[i] = (int)rng_below(&r, (uint64_t)(z->n_classes > 0 ? z->n_classes : 2));
	if (f->augment && f->augment(f->actx, z, err, len)) {
		data_free(z);
		return NULL;
	}
	return z;
}
