/* balance.c — exact balancing of deep linear pairs (see balance.h).
 * With X = G², G P G = G^-1 S G^-1 ⇔ X P X = S, whose SPD solution is the
 * matrix geometric mean X = P^-1/2 (P^1/2 S P^1/2)^1/2 P^-1/2. Everything goes
 * through symmetric eigendecompositions (LAPACK dsyevd via sym_eig). Pairs
 * share layers, so the pairs are swept in order until they all agree. */
#include "noether/balance.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const struct block_kind block_dense;

/* f(A) for symmetric A (r,r) using its eigendecomposition: out = V diag(f(w)) V^T.
 * Returns -1 if an eigenvalue is not positive (beyond a relative 1e-12). */
static int sym_fun(int r, const double *A, double power, double *out, double *work)
{
	double *V = work, *w = work + (size_t)r * r, *T = w + r;
	memcpy(V, A, (size_t)r * r * sizeof *V);
	if (sym_eig(r, V, w))
		return -1;
	double top = fabs(w[r - 1]);
	for (int i = 0; i < r; i++)
		if (!(w[i] > 1e-12 * top))
			return -1;
	for (int i = 0; i < r; i++)          /* T = V diag(w^power) */
		for (int j = 0; j < r; j++)
			T[(size_t)i * r + j] = V[(size_t)i * r + j] * pow(w[j], power);
	mm(0, 1, r, r, r, 1.0, T, V, 0.0, out);
	return 0;
}

static double frob(int r, const double *A)
{
	double s = 0;
	for (size_t i = 0; i < (size_t)r * r; i++)
		s += A[i] * A[i];
	return sqrt(s);
}

/* P and S of the pair starting at block a. */
static void pair_grams(const struct block *a, const struct block *c, const double *theta, double *P, double *S)
{
	int r = a->out.width, in = a->in.width, o = c->out.width;
	const double *W1 = theta + a->tensors[0].off, *W2 = theta + c->tensors[0].off;
	mm(0, 1, r, r, in, 1.0, W1, W1, 0.0, P);
	if (a->ntensors > 1) {
		const double *b = theta + a->tensors[1].off;
		for (int i = 0; i < r; i++)
			for (int j = 0; j < r; j++)
				P[(size_t)i * r + j] += b[i] * b[j];
	}
	mm(1, 0, r, r, o, 1.0, W2, W2, 0.0, S);
}

static int balance_pair(const struct block *a, const struct block *c, double *theta, double *resid)
{
	int r = a->out.width, in = a->in.width, o = c->out.width;
	size_t rr = (size_t)r * r;
	/* 8 r×r matrices, sym_fun's work (2 r×r + r, rounded up to 2 r×r + 2r), and
	 * tmp for the updated W1 (r×in) or W2 (o×r) */
	double *buf = xmalloc((10 * rr + 2 * (size_t)r + (size_t)r * (in > o ? in : o)) * sizeof *buf);
	double *P = buf, *S = P + rr, *Ph = S + rr, *Pmh = Ph + rr, *M = Pmh + rr, *Mh = M + rr,
	       *X = Mh + rr, *G = X + rr, *work = G + rr;
	double *tmp = work + 2 * rr + 2 * (size_t)r;
	int rc = -1;
	pair_grams(a, c, theta, P, S);
	double scale = frob(r, P) + frob(r, S);
	if (sym_fun(r, P, 0.5, Ph, work) || sym_fun(r, P, -0.5, Pmh, work))
		goto out;
	mm(0, 0, r, r, r, 1.0, Ph, S, 0.0, X);      /* M = P^1/2 S P^1/2 */
	mm(0, 0, r, r, r, 1.0, X, Ph, 0.0, M);
	if (sym_fun(r, M, 0.5, Mh, work))
		goto out;
	mm(0, 0, r, r, r, 1.0, Pmh, Mh, 0.0, G);    /* X = P^-1/2 M^1/2 P^-1/2 */
	mm(0, 0, r, r, r, 1.0, G, Pmh, 0.0, X);
	for (size_t i = 0; i < (size_t)r; i++)      /* symmetrise against rounding */
		for (size_t j = i + 1; j < (size_t)r; j++)
			X[i * r + j] = X[j * r + i] = 0.5 * (X[i * r + j] + X[j * r + i]);
	if (sym_fun(r, X, 0.5, G, work) || sym_fun(r, X, -0.5, Ph, work)) /* G = X^1/2, Ph := G^-1 */
		goto out;
	double *W1 = theta + a->tensors[0].off, *W2 = theta + c->tensors[0].off;
	mm(0, 0, r, in, r, 1.0, G, W1, 0.0, tmp);   /* W1 ← G W1 */
	memcpy(W1, tmp, (size_t)r * in * sizeof *W1);
	if (a->ntensors > 1) {
		double *b = theta + a->tensors[1].off;
		for (int i = 0; i < r; i++)
			tmp[i] = dot(r, G + (size_t)i * r, b);
		memcpy(b, tmp, (size_t)r * sizeof *b);
	}
	mm(0, 0, o, r, r, 1.0, W2, Ph, 0.0, tmp);   /* W2 ← W2 G^-1 */
	memcpy(W2, tmp, (size_t)o * r * sizeof *W2);
	pair_grams(a, c, theta, P, S);
	for (size_t i = 0; i < rr; i++)
		P[i] -= S[i];
	*resid = scale > 0 ? frob(r, P) / scale : 0;
	rc = 0;
out:
	free(buf);
	return rc;
}

int balance_linear(const struct model *m, double *theta, double *resid, int *skipped)
{
	int npairs = 0, skip = 0;
	*resid = 0;
	for (int sweep = 0; sweep < 200; sweep++) {
		double worst = 0;
		npairs = skip = 0;
		for (int i = 0; i + 1 < m->nblocks; i++) {
			const struct block *a = &m->blocks[i], *c = &m->blocks[i + 1];
			if (a->kind != &block_dense || c->kind != &block_dense)
				continue;
			double r;
			if (balance_pair(a, c, theta, &r)) {
				skip++;
				continue;
			}
			npairs++;
		}
		/* residuals of all pairs after the sweep (later pairs move earlier ones' W) */
		for (int i = 0; i + 1 < m->nblocks; i++) {
			const struct block *a = &m->blocks[i], *c = &m->blocks[i + 1];
			if (a->kind != &block_dense || c->kind != &block_dense)
				continue;
			int r = a->out.width;
			double *P = xmalloc(2 * (size_t)r * r * sizeof *P), *S = P + (size_t)r * r;
			pair_grams(a, c, theta, P, S);
			double sc = frob(r, P) + frob(r, S);
			for (size_t k = 0; k < (size_t)r * r; k++)
				P[k] -= S[k];
			double res = sc > 0 ? frob(r, P) / sc : 0;
			free(P);
			if (res > worst && res < 1)
				worst = res;
		}
		*resid = worst;
		if (worst < 1e-13 || npairs <= 1)
			break;
	}
	if (skipped)
		*skipped = skip;
	return npairs;
}
