/* test_lawbuild.c — the law builders (lawbuild.h) and the laws the model derives
 * from the blocks' declarations.
 *  - Every catalogue candidate of a set of models is a conservation law of the
 *    model function itself: <∇h, ∇θ <v, f(x;θ)>> = 0 (relative, at rounding
 *    level) at random θ, x and output weights v (rows of v summing to zero when
 *    the model ends in the softmax head, whose laws need cross-entropy), while
 *    the contrasts built beside the unit laws are not. The expected number of
 *    laws of each model is worked out by hand in the table.
 *  - Values of built laws equal the matrices and norms computed here directly
 *    from θ (deep linear pair, attention's read-out law, a RoPE plane, a unit
 *    law through attention, the residual-stream law, the law between two
 *    stacked attention layers).
 *  - The builders never compare block kinds: a kind copied under another name
 *    gets the same laws.
 *  - Normalization layers (eps = 0): the scale, shift, zero-sum and gain laws
 *    derived from their declarations are laws of f (batchnorm's f over the
 *    batch of 5), with values computed here directly; with eps > 0 exactly
 *    the scale laws fail, by a rate of the size eps makes. */
#include "test.h"
#include "noether/lawbuild.h"
#include "noether/model.h"
#include "noether/quantity.h"
#include "noether/rng.h"
#include "noether/util.h"
#include <stdlib.h>
#include <string.h>

/* Builds "dense 5 | relu | dense 2" on samples (len, width), batch n. */
static struct model *build(const char *layers, int len, int width, int n)
{
	struct model *m = model_new();
	char buf[512], err[512];
	snprintf(buf, sizeof buf, "%s", layers);
	char *psave = NULL;   /* strtok_r: residual's configure uses strtok */
	for (char *part = strtok_r(buf, "|", &psave); part; part = strtok_r(NULL, "|", &psave)) {
		char *w[32], *save = NULL;
		int nw = 0;
		for (char *t = strtok_r(part, " ", &save); t && nw < 32; t = strtok_r(NULL, " ", &save))
			w[nw++] = t;
		if (model_add(m, w[0], nw - 1, w + 1, err, sizeof err)) {
			printf("# %s: %s\n", layers, err);
			model_free(m);
			return NULL;
		}
	}
	if (model_build(m, (struct shape){ len, width }, n, err, sizeof err)) {
		printf("# %s: %s\n", layers, err);
		model_free(m);
		return NULL;
	}
	return m;
}

static double dot_plain(size_t n, const double *a, const double *b)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static void fill(double *a, size_t n, double s, struct rng *r)
{
	for (size_t i = 0; i < n; i++)
		a[i] = s * rng_normal(r);
}

/* A claim pattern is a substring of the name, or its end when it ends in '$'. */
static int is_claim(const char *name, const char *const *claims)
{
	for (int i = 0; claims && claims[i]; i++) {
		size_t n = strlen(claims[i]), m = strlen(name);
		if (n && claims[i][n - 1] == '$' ? m >= n - 1 && !strncmp(name + m - (n - 1), claims[i], n - 1)
		                                 : strstr(name, claims[i]) != NULL)
			return 1;
	}
	return 0;
}

/* Checks that the candidates of `layers` are want laws of f, the claims fail
 * (rate > claim_floor), and a contrast fails; prints the worst rate. */
static void laws_of_f_claims(const char *layers, int len, int width, int want, const char *const *claims,
                             double claim_floor)
{
	const int n = 5;
	struct model *m = build(layers, len, width, n);
	if (!CHECK(m != NULL, layers))
		return;
	struct qset s = { 0 };
	model_laws(m, &s);
	size_t D = m->nparams;
	int C = m->out.width, R = n * m->out.len;
	int xent = !strcmp(m->blocks[m->nblocks - 1].kind->name, "head");
	double *th = malloc(D * sizeof *th), *g = malloc(D * sizeof *g), *gh = malloc(D * sizeof *gh);
	double *x = malloc((size_t)n * len * width * sizeof *x), *v = malloc((size_t)R * C * sizeof *v);
	struct rng r;
	rng_seed(&r, 11);
	int ncand = 0, nclaim = 0;
	for (int i = 0; i < s.n; i++)
		if (s.q[i]->role == QR_CANDIDATE)
			ncand++;
	double worst = 0, claim_min = INFINITY, contrast_max = 0;
	for (int trial = 0; trial < 3; trial++) {
		fill(th, D, 0.7, &r);
		fill(x, (size_t)n * len * width, 1.0, &r);
		fill(v, (size_t)R * C, 1.0, &r);
		if (xent)   /* the cross-entropy gradient in the logits sums to zero per row */
			for (int k = 0; k < R; k++) {
				double mean = 0;
				for (int c = 0; c < C; c++)
					mean += v[(size_t)k * C + c] / C;
				for (int c = 0; c < C; c++)
					v[(size_t)k * C + c] -= mean;
			}
		memset(g, 0, D * sizeof *g);
		model_forward(m, th, x, n);
		model_backward(m, th, v, g, NULL);
		double gn = sqrt(dot_plain(D, g, g));
		for (int i = 0; i < s.n; i++) {
			struct quantity *q = s.q[i];
			for (int k = 0; k < q->ncomp; k++) {
				memset(gh, 0, D * sizeof *gh);
				quantity_comp_grad(q, k, th, 1.0, gh);
				double hn = sqrt(dot_plain(D, gh, gh));
				if (hn == 0)
					continue;
				double rate = fabs(dot_plain(D, gh, g)) / (hn * gn);
				if (q->role == QR_CONTRAST && strstr(q->name, ".in"))
					contrast_max = fmax(contrast_max, rate);
				else if (q->role == QR_CANDIDATE && is_claim(q->name, claims))
					claim_min = fmin(claim_min, rate);
				else if (q->role == QR_CANDIDATE)
					worst = fmax(worst, rate);
			}
		}
	}
	for (int i = 0; i < s.n; i++)
		nclaim += s.q[i]->role == QR_CANDIDATE && is_claim(s.q[i]->name, claims);
	char what[600];
	snprintf(what, sizeof what, "%s: %d candidates (%d laws + %d claims; want %d laws)", layers, ncand,
	         ncand - nclaim, nclaim, want);
	CHECK(ncand - nclaim == want, what);
	snprintf(what, sizeof what, "%s: every law has rate %.1e < 1e-11 against ∇f", layers, worst);
	CHECK(worst < 1e-11, what);
	if (nclaim) {
		snprintf(what, sizeof what, "%s: the claims fail (rate %.1e > %g)", layers, claim_min, claim_floor);
		CHECK(claim_min > claim_floor, what);
	}
	if (contrast_max > 0) {
		snprintf(what, sizeof what, "%s: a single term of a unit law moves (rate %.1e > 1e-3)", layers, contrast_max);
		CHECK(contrast_max > 1e-3, what);
	}
	qset_clear(&s);
	free(th); free(g); free(gh); free(x); free(v);
	model_free(m);
}

static void laws_of_f(const char *layers, int len, int width, int want, const char *const *claims)
{
	laws_of_f_claims(layers, len, width, want, claims, 1e-4);
}

static void test_laws_of_f(void)
{
	static const char *const rope[] = { "qk-full", NULL }, *const nsig[] = { ".gate", NULL };
	laws_of_f("dense 5 | relu | dense 2", 1, 3, 5, NULL);
	laws_of_f("dense 4 bias=off | quadratic | dense 3 | leaky-relu slope=0.2 | dense 2", 1, 3, 7, NULL);
	laws_of_f("dense 3 | dense 3 bias=off | dense 2", 1, 4, 2, NULL);
	/* a dense layer right before the softmax head: W → GW, b → Gb, Θ → ΘG^-1 */
	laws_of_f("dense 3 | head softmax classes=3", 1, 4, 3, NULL);
	laws_of_f("dense 4 | relu | head softmax classes=3", 1, 3, 6, NULL);
	laws_of_f("attn heads=2 dk=2 | dense 2", 4, 4, 5, NULL);
	laws_of_f("attn heads=1 dk=2 pe=rope | dense 2", 4, 4, 3, rope);
	laws_of_f("attn heads=2 dk=2 pe=sin", 4, 4, 4, NULL);
	/* qk, vo; attention's 4 output features rescaled one by one through the relu;
	 * and x → Gx between the dense layer and attention's Q, K, V */
	laws_of_f("dense 4 | attn dk=2 | relu | dense 3", 4, 3, 7, NULL);
	/* a sinusoidal encoding adds to x: no law between dense and attention */
	laws_of_f("dense 4 | attn dk=2 pe=sin | dense 2", 4, 3, 3, NULL);
	/* stacked attention: qk, vo per layer and O1 O1^T - (Q2 Q2^T + K2 K2^T + V2 V2^T) */
	laws_of_f("attn dk=2 | attn dk=2", 4, 4, 5, NULL);
	/* attention, mean pooling, head: the stream law through the pooling */
	laws_of_f("attn dk=2 | pool | head softmax classes=3", 4, 4, 5, NULL);
	laws_of_f("lattn dk=2 | dense 2", 4, 3, 3, NULL);
	laws_of_f("dense 4 | lattn dk=2 | dense 2", 4, 3, 4, NULL);
	/* 3 channels and U U^T - W^T W with the dense layer after */
	laws_of_f("conv1d channels=3 kernel=3 | dense 2", 5, 2, 4, NULL);
	laws_of_f("ffn hidden=3 act=gelu | dense 2", 1, 3, 1, NULL);
	laws_of_f("swiglu hidden=3 | dense 2", 1, 3, 4, NULL);
	laws_of_f("dense 3 | moe experts=2 hidden=2 | dense 2", 1, 3, 7, NULL);
	laws_of_f("ffn hidden=4 act=relu out=2", 1, 3, 4, NULL);
	laws_of_f("swiglu hidden=3 out=2", 1, 3, 3, NULL);
	laws_of_f("moe experts=3 hidden=2 gate=softmax", 1, 3, 7, NULL);
	laws_of_f("moe experts=3 hidden=2 gate=topk:2", 1, 3, 7, NULL);
	laws_of_f("moe experts=3 hidden=2 gate=nsigmoid", 1, 3, 6, nsig);
	/* residual streams: 5 neurons, and the stream law of everything touching it */
	laws_of_f("dense 4 | residual { dense 5 , relu , dense 4 } | dense 1", 1, 3, 6, NULL);
	laws_of_f("dense 4 | residual { dense 4 } | residual { dense 5 , relu , dense 4 } | dense 1", 1, 3, 6, NULL);
	laws_of_f("dense 4 | residual { attn dk=2 } | dense 2", 4, 3, 3, NULL);
}

static const struct quantity *find(const struct qset *s, const char *name)
{
	const struct quantity *q = qset_find(s, name);
	if (!q)
		printf("# no quantity %s\n", name);
	return q;
}

/* Largest |built − direct| over the upper triangle of a Gram law. */
static double gram_err(const struct quantity *q, const double *th, int r, const double *M)
{
	double *h = malloc((size_t)q->ncomp * sizeof *h), e = 0;
	quantity_eval(q, th, h);
	int c = 0;
	for (int i = 0; i < r; i++)
		for (int j = i; j < r; j++, c++)
			e = fmax(e, fabs(h[c] - M[i * r + j]));
	free(h);
	return e;
}

static void test_values(void)
{
	struct rng r;
	rng_seed(&r, 5);
	/* deep linear pair: W1 W1^T + b1 b1^T - W2^T W2 */
	struct model *m = build("dense 3 | dense 2 bias=off", 1, 4, 1);
	double th[256], M[64];
	fill(th, m->nparams, 1.0, &r);
	struct qset s = { 0 };
	model_laws(m, &s);
	const struct tensor_view *W1 = model_find_tensor(m, "layer1.dense.W"), *b1 = model_find_tensor(m, "layer1.dense.b");
	const struct tensor_view *W2 = model_find_tensor(m, "layer2.dense.W");
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			double a = th[b1->off + i] * th[b1->off + j];
			for (int t = 0; t < 4; t++)
				a += th[W1->off + i * 4 + t] * th[W1->off + j * 4 + t];
			for (int t = 0; t < 2; t++)
				a -= th[W2->off + t * 3 + i] * th[W2->off + t * 3 + j];
			M[i * 3 + j] = a;
		}
	const struct quantity *q = find(&s, "layer1.dense.balance");
	CHECK(q && q->ncomp == 6 && gram_err(q, th, 3, M) < 1e-14, "dense pair: W1W1^T + b1b1^T - W2^TW2 entry by entry");
	CHECK(q && q->comp[1].weight == 2 && q->comp[0].weight == 1, "off-diagonal entries weigh 2 in the norm");
	qset_clear(&s);
	model_free(m);

	/* attention then dense: Σ_h O_h O_h^T - W^T W; a RoPE plane; V^TV - O^TO */
	m = build("attn heads=2 dk=2 pe=rope | dense 3", 4, 4, 1);
	fill(th, m->nparams, 1.0, &r);
	model_laws(m, &s);
	const struct tensor_view *O0 = model_find_tensor(m, "layer1.attn.head0.O"), *O1 = model_find_tensor(m, "layer1.attn.head1.O");
	const struct tensor_view *W = model_find_tensor(m, "layer2.dense.W"), *Q1 = model_find_tensor(m, "layer1.attn.head1.Q");
	const struct tensor_view *K1 = model_find_tensor(m, "layer1.attn.head1.K");
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			double a = 0;
			for (int t = 0; t < 2; t++)
				a += th[O0->off + i * 2 + t] * th[O0->off + j * 2 + t] + th[O1->off + i * 2 + t] * th[O1->off + j * 2 + t];
			for (int t = 0; t < 3; t++)
				a -= th[W->off + t * 4 + i] * th[W->off + t * 4 + j];
			M[i * 4 + j] = a;
		}
	q = find(&s, "layer1.attn.o-next");
	CHECK(q && gram_err(q, th, 4, M) < 1e-14, "attn then dense: sum_h O_h O_h^T - W^T W entry by entry");
	double plane = 0;
	for (int t = 0; t < 4; t++)
		for (int c = 0; c < 2; c++)
			plane += th[Q1->off + t * 2 + c] * th[Q1->off + t * 2 + c] - th[K1->off + t * 2 + c] * th[K1->off + t * 2 + c];
	q = find(&s, "layer1.attn.head1.plane0");
	CHECK(q && fabs(quantity_comp_value(q, 0, th) - plane) < 1e-14 && q->sym_p == 1,
	      "RoPE plane: ||Q[:,0:2]||^2 - ||K[:,0:2]||^2");
	CHECK(find(&s, "layer1.attn.head1.plane0.Q") && !find(&s, "layer1.attn.head1.plane0.Q")->watched
	      && find(&s, "layer1.attn.head0.plane0.Q")->watched, "only the first head's plane terms are on screen");
	qset_clear(&s);
	model_free(m);

	/* a unit law through attention's output: ||O[j,:]||^2 - ||W[:,j]||^2 */
	m = build("attn dk=2 | relu | dense 2", 3, 3, 1);
	fill(th, m->nparams, 1.0, &r);
	model_laws(m, &s);
	O0 = model_find_tensor(m, "layer1.attn.head0.O");
	W = model_find_tensor(m, "layer3.dense.W");
	double u = 0;
	for (int t = 0; t < 2; t++)
		u += th[O0->off + 2 * 2 + t] * th[O0->off + 2 * 2 + t];
	for (int t = 0; t < 2; t++)
		u -= th[W->off + t * 3 + 2] * th[W->off + t * 3 + 2];
	q = find(&s, "layer2.relu.n2");
	CHECK(q && fabs(quantity_comp_value(q, 0, th) - u) < 1e-14 && q->block == 1,
	      "attn, relu, dense: ||O[2,:]||^2 - ||W[:,2]||^2, owned by the relu");
	qset_clear(&s);
	model_free(m);
}

/* Σ_k sign_k Gram_axis(T_k) computed here from θ (r×r). */
struct gpart { const char *name; int axis, sign; };

static void gram_direct(const struct model *m, const double *th, const struct gpart *p, int np, int r, double *M)
{
	memset(M, 0, (size_t)r * r * sizeof *M);
	for (int k = 0; k < np; k++) {
		const struct tensor_view *t = model_find_tensor(m, p[k].name);
		if (!t) {
			printf("# no tensor %s\n", p[k].name);
			continue;
		}
		int rows = t->dim[0], cols = t->ndim > 1 ? t->dim[1] : 1;
		for (int i = 0; i < r; i++)
			for (int j = 0; j < r; j++) {
				double a = 0;
				if (t->ndim == 1)
					a = th[t->off + i] * th[t->off + j];
				else if (p[k].axis == 0)
					for (int c = 0; c < cols; c++)
						a += th[t->off + (size_t)i * cols + c] * th[t->off + (size_t)j * cols + c];
				else
					for (int c = 0; c < rows; c++)
						a += th[t->off + (size_t)c * cols + i] * th[t->off + (size_t)c * cols + j];
				M[i * r + j] += p[k].sign * a;
			}
	}
}

static void test_stream_values(void)
{
	struct rng r;
	rng_seed(&r, 9);
	double th[2048], M[64];
	struct qset s = { 0 };
	/* the residual stream: W1W1^T + b1b1^T + (W_b W_b^T + b_b b_b^T - W_a^T W_a) - W4^T W4 */
	struct model *m = build("dense 3 | residual { dense 4 , relu , dense 3 } | dense 2", 1, 2, 1);
	fill(th, m->nparams, 1.0, &r);
	model_laws(m, &s);
	static const struct gpart res[] = {
		{ "layer1.dense.W", 0, 1 }, { "layer1.dense.b", 0, 1 }, { "layer2.residual.dense1.W", 1, -1 },
		{ "layer2.residual.dense3.W", 0, 1 }, { "layer2.residual.dense3.b", 0, 1 }, { "layer3.dense.W", 1, -1 },
	};
	gram_direct(m, th, res, 6, 3, M);
	const struct quantity *q = find(&s, "layer1.dense.stream");
	CHECK(q && q->block == 0 && gram_err(q, th, 3, M) < 1e-13,
	      "residual stream: W1W1^T + b1b1^T + W_bW_b^T + b_bb_b^T - W_a^TW_a - W4^TW4 entry by entry");
	qset_clear(&s);
	model_free(m);
	/* the same stream read by a layernorm: only 1^T M 1 of that Gram matrix M */
	m = build("dense 3 | residual { dense 4 , relu , dense 3 } | layernorm eps=0 | dense 2", 1, 2, 1);
	fill(th, m->nparams, 1.0, &r);
	model_laws(m, &s);
	static const struct gpart resn[] = {
		{ "layer1.dense.W", 0, 1 }, { "layer1.dense.b", 0, 1 }, { "layer2.residual.dense1.W", 1, -1 },
		{ "layer2.residual.dense3.W", 0, 1 }, { "layer2.residual.dense3.b", 0, 1 },
	};
	gram_direct(m, th, resn, 5, 3, M);
	double sum = 0;
	for (int i = 0; i < 9; i++)
		sum += M[i];
	q = find(&s, "layer1.dense.stream-sum");
	CHECK(q && q->ncomp == 1 && fabs(quantity_comp_value(q, 0, th) - sum) < 1e-13,
	      "residual stream into layernorm: 1^T M 1 of the stream's Gram matrix");
	CHECK(!qset_find(&s, "layer1.dense.stream-shift0") && !qset_find(&s, "layer1.dense.stream-shift1")
	      && find(&s, "layer1.dense.stream-shift2") && find(&s, "layer1.dense.stream-shift3"),
	      "only the inner writer (after the inner reader) has column-sum laws");
	qset_clear(&s);
	model_free(m);
	/* two attention layers: O1 O1^T - Q2 Q2^T - K2 K2^T - V2 V2^T */
	m = build("attn dk=2 | attn dk=2", 3, 4, 1);
	fill(th, m->nparams, 1.0, &r);
	model_laws(m, &s);
	static const struct gpart a2[] = {
		{ "layer1.attn.head0.O", 0, 1 }, { "layer2.attn.head0.Q", 0, -1 }, { "layer2.attn.head0.K", 0, -1 },
		{ "layer2.attn.head0.V", 0, -1 },
	};
	gram_direct(m, th, a2, 4, 4, M);
	q = find(&s, "layer1.attn.o-next");
	CHECK(q && gram_err(q, th, 4, M) < 1e-13, "stacked attention: O1 O1^T - Q2 Q2^T - K2 K2^T - V2 V2^T entry by entry");
	CHECK(q && strstr(q->formula, "of layer2.attn"), "its formula names the second layer's readers");
	qset_clear(&s);
	model_free(m);
}

static void test_no_kind_identity(void)
{
	/* the same model with the dense kind copied under another name */
	struct model *m = build("dense 4 | relu | dense 3 | dense 2", 1, 3, 2);
	struct block_kind lin = *block_kind_find("dense");
	lin.name = "lin";
	struct qset a = { 0 }, b = { 0 };
	model_laws(m, &a);
	for (int i = 0; i < m->nblocks; i++)
		if (!strcmp(m->blocks[i].kind->name, "dense"))
			m->blocks[i].kind = &lin;
	model_laws(m, &b);
	int same = a.n == b.n;
	for (int i = 0; same && i < a.n; i++)
		same = !strcmp(a.q[i]->name, b.q[i]->name) && a.q[i]->ncomp == b.q[i]->ncomp
		       && a.q[i]->comp[0].nterms == b.q[i]->comp[0].nterms;
	CHECK(same && a.n > 0, "a kind copied under another name gets the same laws: only declarations count");
	qset_clear(&a);
	qset_clear(&b);
	model_free(m);
}

/* Laws around normalization layers, counted by hand (quantities, not components). */
static void test_norm_laws(void)
{
	/* the scale law of W, b and 5 gain laws g_j^2 - ||W2[:,j]||^2 */
	laws_of_f("dense 5 | rmsnorm eps=0 | dense 2", 1, 3, 6, NULL);
	laws_of_f("dense 5 | rmsnorm gain=off eps=0 | dense 2", 1, 3, 1, NULL);
	/* + the column sums of W and the sum of b (mean subtraction) */
	laws_of_f("dense 5 | layernorm eps=0 | dense 2", 1, 3, 8, NULL);
	/* without affine: the rows sum to 0, so W2's row sums (one quantity) */
	laws_of_f("dense 5 | layernorm affine=off eps=0 | dense 2", 1, 3, 4, NULL);
	/* per channel ||W[j,:]||^2 + b_j^2 (5), each b_j (one 5-vector), 5 gain laws */
	laws_of_f("dense 5 | batchnorm eps=0 | dense 2", 1, 3, 11, NULL);
	laws_of_f("dense 4 | batchnorm affine=off eps=0 | dense 2", 2, 3, 5, NULL);
	/* the gain and shift rescale through a relu: per feature g_j^2 + b_j^2 - ||W2[:,j]||^2 */
	laws_of_f("dense 4 | batchnorm eps=0 | relu | dense 2", 1, 3, 9, NULL);
	/* after attention: qk, vo, ||O||^2, sum_j O[j,:], 4 gain laws */
	laws_of_f("attn dk=2 | layernorm eps=0 | dense 2", 4, 4, 8, NULL);
	/* zero-sum rows read by attention: sum_j Q[j,:], K, V; qk, vo */
	laws_of_f("layernorm affine=off | attn dk=2", 4, 4, 5, NULL);
	/* pre-norm: per block 4 gain laws, qk + vo, swiglu's 3; the stream scaled
	 * by one factor: ||W1||^2 + ||b1||^2 + ||O||^2 + ||A||^2 - ||W_out||^2 */
	laws_of_f("dense 4 | residual { rmsnorm eps=0 , attn dk=2 } | residual { rmsnorm eps=0 , swiglu hidden=3 } | dense 2",
	          4, 3, 14, NULL);
	static const char *const scale[] = { ".scale", ".stream-scale", ".stream$", NULL };
	/* post-norm: layernorm after a residual block. The stream scaled by one
	 * factor (W, b, A against B, C), 1^T M 1 of its Gram matrix M (the change
	 * of basis I + t 11^T, a row shift for layernorm, undone by B and C),
	 * A's column sums (its row shift reaches only the layernorm), 3 SwiGLU
	 * laws, 4 gain laws */
	laws_of_f("dense 4 | residual { swiglu hidden=3 } | layernorm eps=0 | dense 2", 1, 3, 10, NULL);
	/* with rmsnorm neither 1^T M 1 nor the column sums */
	laws_of_f("dense 4 | residual { swiglu hidden=3 } | rmsnorm eps=0 | dense 2", 1, 3, 8, NULL);
	/* eps > 0: only the scale laws fail, and only by a little */
	laws_of_f_claims("dense 4 | residual { swiglu hidden=3 } | layernorm | dense 2", 1, 3, 9, scale, 1e-9);
	laws_of_f_claims("dense 5 | layernorm | dense 2", 1, 3, 7, scale, 1e-9);
	laws_of_f_claims("dense 5 | batchnorm eps=1e-3 | dense 2", 1, 3, 6, scale, 1e-9);
	laws_of_f_claims("dense 4 | residual { rmsnorm , attn dk=2 } | dense 2", 4, 3, 6, scale, 1e-9);

	/* values: the scale law is ||W||^2 + ||b||^2; batchnorm's bias law is b
	 * itself; the gain law g_j^2 + b_j^2 - ||W2[:,j]||^2; W's column sums */
	struct rng r;
	rng_seed(&r, 21);
	double th[512];
	struct qset s = { 0 };
	struct model *m = build("dense 3 | layernorm eps=0 | dense 2", 1, 4, 2);
	fill(th, m->nparams, 1.0, &r);
	model_laws(m, &s);
	const struct tensor_view *W = model_find_tensor(m, "layer1.dense.W"), *b = model_find_tensor(m, "layer1.dense.b");
	const struct tensor_view *g = model_find_tensor(m, "layer2.layernorm.g"), *sh = model_find_tensor(m, "layer2.layernorm.b");
	const struct tensor_view *W2 = model_find_tensor(m, "layer3.dense.W");
	double sc = 0, col[4] = { 0 };
	for (int i = 0; i < 12; i++)
		sc += th[W->off + i] * th[W->off + i];
	for (int i = 0; i < 3; i++)
		sc += th[b->off + i] * th[b->off + i];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 4; j++)
			col[j] += th[W->off + i * 4 + j];
	const struct quantity *q = find(&s, "layer1.dense.scale");
	CHECK(q && q->ncomp == 1 && fabs(quantity_comp_value(q, 0, th) - sc) < 1e-13 && q->sym_p == 0,
	      "dense then layernorm: the scale law is ||W||^2 + ||b||^2");
	q = find(&s, "layer1.dense.shift-W");
	double e = 0;
	for (int j = 0; q && j < 4; j++)
		e = fmax(e, fabs(quantity_comp_value(q, j, th) - col[j]));
	CHECK(q && q->ncomp == 4 && q->kind == QK_LINEAR && e < 1e-14, "dense then layernorm: sum_i W[i,:] (4-vector)");
	q = find(&s, "layer2.layernorm.gain1");
	double gl = th[g->off + 1] * th[g->off + 1] + th[sh->off + 1] * th[sh->off + 1]
	            - th[W2->off + 1] * th[W2->off + 1] - th[W2->off + 3 + 1] * th[W2->off + 3 + 1];
	CHECK(q && fabs(quantity_comp_value(q, 0, th) - gl) < 1e-14 && q->sym_p == 1,
	      "layernorm then dense: g_1^2 + b_1^2 - ||W2[:,1]||^2");
	qset_clear(&s);
	model_free(m);
	m = build("dense 3 | batchnorm eps=0 | dense 2", 1, 4, 4);
	fill(th, m->nparams, 1.0, &r);
	model_laws(m, &s);
	b = model_find_tensor(m, "layer1.dense.b");
	q = find(&s, "layer1.dense.shift-b");
	e = 0;
	for (int j = 0; q && j < 3; j++)
		e = fmax(e, fabs(quantity_comp_value(q, j, th) - th[b->off + j]));
	CHECK(q && q->ncomp == 3 && e == 0, "dense then batchnorm: each b_j is a law (3-vector)");
	W = model_find_tensor(m, "layer1.dense.W");
	q = find(&s, "layer1.dense.scale2");
	double c2 = th[b->off + 2] * th[b->off + 2];
	for (int j = 0; j < 4; j++)
		c2 += th[W->off + 8 + j] * th[W->off + 8 + j];
	CHECK(q && fabs(quantity_comp_value(q, 0, th) - c2) < 1e-14, "dense then batchnorm: ||W[2,:]||^2 + b_2^2");
	qset_clear(&s);
	model_free(m);
}

int main(void)
{
	test_laws_of_f();
	test_norm_laws();
	test_values();
	test_stream_values();
	test_no_kind_identity();
	return test_summary("lawbuild");
}
