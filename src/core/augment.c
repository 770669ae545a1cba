/* augment.c — finite groups acting on samples and data sets closed under them.
 *
 * Invariants: element 0 is the identity; every action is a signed permutation
 * of the sample's entries (exact in floating point), so a closed set maps onto
 * itself exactly under any element. Closed sets are orbit-major (sample
 * i·order + e = e·x_i) and remember their group in d->group (re-parsable) and
 * d->orbit (= order), which is how aug_base and aug_from_dataset undo and
 * recover an augmentation. */
#include "noether/augment.h"
#include "noether/util.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const aug_kinds[] = { "none", "signs", "cyclic", "c4", "perm", "reflect", "seq-reverse", "seq-cyclic", NULL };

static int is_seq(enum aug_kind k) { return k == AUG_SEQ_REVERSE || k == AUG_SEQ_CYCLIC; }

/* Parses "0,2" (or "0" "2" across words) appending to g->coord. */
static int parse_coords(struct aug_group *g, const char *w, int limit, char *err, size_t errlen)
{
	const char *p = w;
	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || (*end && *end != ','))
			return nt_err(err, errlen, NT_EINVAL, "augment: '%s' is not a coordinate list (e.g. 0,2)", w);
		if (v < 0 || v >= limit)
			return nt_err(err, errlen, NT_ERANGE, "augment: coordinate %ld out of range 0..%d (the data has %d features)",
			              v, limit - 1, limit);
		for (int i = 0; i < g->ncoord; i++)
			if (g->coord[i] == v)
				return nt_err(err, errlen, NT_EINVAL, "augment: coordinate %ld listed twice", v);
		if (g->ncoord >= AUG_MAX_COORDS)
			return nt_err(err, errlen, NT_ERANGE, "augment: at most %d coordinates", AUG_MAX_COORDS);
		g->coord[g->ncoord++] = (int)v;
		p = *end ? end + 1 : end;
	}
	return 0;
}

static void make_desc(struct aug_group *g, const char *kind)
{
	char *p = g->desc;
	size_t left = sizeof g->desc;
	int w = snprintf(p, left, "%s", kind);
	for (int i = 0; i < g->ncoord && w > 0 && (size_t)w < left; i++) {
		p += w; left -= (size_t)w;
		w = snprintf(p, left, "%s%d", i ? "," : " ", g->coord[i]);
	}
	if (g->equivariant && w > 0 && (size_t)w < left)
		snprintf(p + w, left - (size_t)w, " equivariant");
}

int aug_parse(struct aug_group *g, int argc, char **argv, int len, int d_in, char *err, size_t errlen)
{
	memset(g, 0, sizeof *g);
	g->len = len;
	g->d_in = d_in;
	g->order = 1;
	if (argc < 1)
		return nt_err(err, errlen, NT_EINVAL, "augment: missing GROUP (signs, cyclic, c4, perm, reflect, seq-reverse, seq-cyclic, none)");
	const char *k = argv[0];
	if (!strcmp(k, "none")) g->kind = AUG_NONE;
	else if (!strcmp(k, "signs")) g->kind = AUG_SIGNS;
	else if (!strcmp(k, "cyclic")) g->kind = AUG_CYCLIC;
	else if (!strcmp(k, "c4")) g->kind = AUG_C4;
	else if (!strcmp(k, "perm")) g->kind = AUG_PERM;
	else if (!strcmp(k, "reflect")) g->kind = AUG_REFLECT;
	else if (!strcmp(k, "seq-reverse")) g->kind = AUG_SEQ_REVERSE;
	else if (!strcmp(k, "seq-cyclic")) g->kind = AUG_SEQ_CYCLIC;
	else
		return nt_err(err, errlen, NT_ENOENT, "augment: unknown group '%s' (signs, cyclic, c4, perm, reflect, seq-reverse, seq-cyclic, none)", k);
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "equivariant")) {
			g->equivariant = 1;
			continue;
		}
		if (g->kind == AUG_NONE || is_seq(g->kind))
			return nt_err(err, errlen, NT_EINVAL, "augment %s: unexpected argument '%s' (it takes no coordinates)", k, argv[a]);
		int rc = parse_coords(g, argv[a], d_in, err, errlen);
		if (rc)
			return rc;
	}
	int n = g->ncoord;
	switch (g->kind) {
	case AUG_NONE:
		break;
	case AUG_SIGNS:
		if (n < 1)
			return nt_err(err, errlen, NT_EINVAL, "augment signs: name the coordinates to flip (e.g. signs 0,2)");
		if (n > 15)
			return nt_err(err, errlen, NT_ERANGE, "augment signs: at most 15 coordinates (2^15 elements)");
		g->order = 1 << n;
		break;
	case AUG_CYCLIC:
	case AUG_PERM:
		if (n == 0) {
			if (d_in > AUG_MAX_COORDS)
				return nt_err(err, errlen, NT_ERANGE, "augment %s: the data has %d features; list at most %d coordinates", k, d_in, AUG_MAX_COORDS);
			for (int i = 0; i < d_in; i++)
				g->coord[i] = i;
			g->ncoord = n = d_in;
		}
		if (n < 2)
			return nt_err(err, errlen, NT_EINVAL, "augment %s: needs at least 2 coordinates", k);
		if (g->kind == AUG_CYCLIC) {
			g->order = n;
		} else {
			if (n > 8)
				return nt_err(err, errlen, NT_ERANGE, "augment perm: at most 8 coordinates (8! = %d elements)", AUG_MAX_ORDER);
			g->order = 1;
			for (int i = 2; i <= n; i++)
				g->order *= i;
		}
		break;
	case AUG_C4:
		if (n != 2)
			return nt_err(err, errlen, NT_EINVAL, "augment c4: name the plane as two coordinates (e.g. c4 0,1)");
		g->order = 4;
		break;
	case AUG_REFLECT:
		if (n != 1 && n != 2)
			return nt_err(err, errlen, NT_EINVAL, "augment reflect: one coordinate (x_i -> -x_i) or two (swap x_i, x_j)");
		if (n == 2)
			g->kind = AUG_SWAP;
		g->order = 2;
		break;
	case AUG_SWAP:
		break;
	case AUG_SEQ_REVERSE:
	case AUG_SEQ_CYCLIC:
		if (len < 2)
			return nt_err(err, errlen, NT_EINVAL, "augment %s: needs sequence data (the samples have 1 position)", k);
		g->order = g->kind == AUG_SEQ_REVERSE ? 2 : len;
		break;
	}
	if (g->equivariant && (g->kind == AUG_NONE || is_seq(g->kind)))
		return nt_err(err, errlen, NT_EINVAL, "augment %s: `equivariant` applies to coordinate groups (sequence groups move per-position targets already)", k);
	make_desc(g, k);
	return 0;
}

int aug_from_dataset(struct aug_group *g, const struct dataset *d, char *err, size_t errlen)
{
	if (!d || !d->group[0])
		return nt_err(err, errlen, NT_ESTATE, "the data set is not augmented (e.g. augment c4 0,1)");
	char buf[sizeof d->group];
	char *argv[AUG_MAX_COORDS + 4];
	int argc = 0;
	str_copy(buf, d->group, sizeof buf);
	for (char *p = strtok(buf, " "); p && argc < AUG_MAX_COORDS + 4; p = strtok(NULL, " "))
		argv[argc++] = p;
	return aug_parse(g, argc, argv, d->len, d->d_in, err, errlen);
}

/* Permutation number e (Lehmer code) of k items into p[k]. */
static void perm_decode(int e, int k, int *p)
{
	int pool[AUG_MAX_COORDS], fact = 1;
	for (int i = 0; i < k; i++)
		pool[i] = i;
	for (int i = 2; i < k; i++)
		fact *= i;
	for (int i = 0; i < k; i++) {
		int q = fact ? e / fact : 0;
		e = fact ? e % fact : 0;
		p[i] = pool[q];
		memmove(pool + q, pool + q + 1, (size_t)(k - i - 1 - q) * sizeof *pool);
		if (k - 1 - i > 0)
			fact /= (k - 1 - i);
	}
}

static int perm_encode(const int *p, int k)
{
	int e = 0;
	for (int i = 0; i < k; i++) {
		int smaller = 0;
		for (int j = i + 1; j < k; j++)
			smaller += p[j] < p[i];
		e = e * (k - i) + smaller;
	}
	return e;
}

/* Coordinate action on one row of width >= max coordinate + 1; y starts as x. */
static void act_row(const struct aug_group *g, int e, const double *x, double *y)
{
	const int *c = g->coord;
	int n = g->ncoord;
	switch (g->kind) {
	case AUG_SIGNS:
		for (int i = 0; i < n; i++)
			if (e >> i & 1)
				y[c[i]] = -x[c[i]];
		break;
	case AUG_CYCLIC:
		for (int i = 0; i < n; i++)
			y[c[(i + e) % n]] = x[c[i]];
		break;
	case AUG_C4: {
		double a = x[c[0]], b = x[c[1]];
		switch (e & 3) {
		case 1: y[c[0]] = -b; y[c[1]] = a; break;
		case 2: y[c[0]] = -a; y[c[1]] = -b; break;
		case 3: y[c[0]] = b; y[c[1]] = -a; break;
		default: break;
		}
		break;
	}
	case AUG_PERM: {
		int p[AUG_MAX_COORDS];
		perm_decode(e, n, p);
		for (int i = 0; i < n; i++)
			y[c[i]] = x[c[p[i]]];
		break;
	}
	case AUG_REFLECT:
		if (e)
			y[c[0]] = -x[c[0]];
		break;
	case AUG_SWAP:
		if (e) {
			y[c[0]] = x[c[1]];
			y[c[1]] = x[c[0]];
		}
		break;
	default:
		break;
	}
}

/* Destination row of row r (of rows) under a sequence element e. */
static int row_dest(const struct aug_group *g, int e, int r, int rows)
{
	if (g->kind == AUG_SEQ_REVERSE)
		return e ? rows - 1 - r : r;
	return (r + e) % rows;
}

/* Acts on a block of `rows` rows of `width`: sequence groups move rows,
 * coordinate groups act within each row. */
static void act_block(const struct aug_group *g, int e, const double *x, int rows, int width, double *y)
{
	if (is_seq(g->kind)) {
		for (int r = 0; r < rows; r++)
			memcpy(y + (size_t)row_dest(g, e, r, rows) * width, x + (size_t)r * width, (size_t)width * sizeof *y);
		return;
	}
	memcpy(y, x, (size_t)rows * width * sizeof *y);
	for (int r = 0; r < rows; r++)
		act_row(g, e, x + (size_t)r * width, y + (size_t)r * width);
}

void aug_apply(const struct aug_group *g, int e, const double *x, double *y)
{
	act_block(g, e, x, g->len, g->d_in, y);
}

int aug_inverse(const struct aug_group *g, int e)
{
	switch (g->kind) {
	case AUG_CYCLIC: return (g->ncoord - e) % g->ncoord;
	case AUG_SEQ_CYCLIC: return (g->len - e) % g->len;
	case AUG_C4: return (4 - e) % 4;
	case AUG_PERM: {
		int p[AUG_MAX_COORDS], q[AUG_MAX_COORDS];
		perm_decode(e, g->ncoord, p);
		for (int i = 0; i < g->ncoord; i++)
			q[p[i]] = i;
		return perm_encode(q, g->ncoord);
	}
	default: return e; /* involutions */
	}
}

struct dataset *aug_close(const struct aug_group *g, const struct dataset *d, char *err, size_t errlen)
{
	if (d->group[0]) {
		nt_err(err, errlen, NT_ESTATE, "augment: the data set is augmented already (augment none first)");
		return NULL;
	}
	if (g->len != d->len || g->d_in != d->d_in) {
		nt_err(err, errlen, NT_EINVAL, "augment: the group was made for samples of %d×%d, the data has %d×%d",
		       g->len, g->d_in, d->len, d->d_in);
		return NULL;
	}
	int G = g->order;
	if ((double)d->n * G > NT_MAX_SAMPLES || (double)d->n * G * d->len * d->d_in > NT_MAX_ELEMS) {
		nt_err(err, errlen, NT_ERANGE, "augment %s: %d samples × %d elements exceeds the limit of %d samples",
		       g->desc, d->n, G, NT_MAX_SAMPLES);
		return NULL;
	}
	int seq = is_seq(g->kind);
	if (seq && d->out_len != 1 && d->out_len != d->len) {
		nt_err(err, errlen, NT_EINVAL, "augment %s: targets have %d rows per sample, neither 1 nor the sequence length %d",
		       g->desc, d->out_len, d->len);
		return NULL;
	}
	if (g->equivariant && (!d->y || d->d_out != d->d_in)) {
		nt_err(err, errlen, NT_EINVAL, "augment %s: equivariant needs regression targets as wide as the inputs (%d), got %d",
		       g->desc, d->d_in, d->y ? d->d_out : 0);
		return NULL;
	}
	struct dataset *c = xcalloc(1, sizeof *c);
	*c = *d;
	c->n = d->n * G;
	size_t xs = (size_t)d->len * d->d_in, ys = (size_t)d->out_len * d->d_out, ls = (size_t)d->out_len;
	c->x = xmalloc((size_t)c->n * xs * sizeof(double));
	c->y = d->y ? xmalloc((size_t)c->n * ys * sizeof(double) + 1) : NULL;
	c->label = d->label ? xmalloc((size_t)c->n * ls * sizeof(int)) : NULL;
	for (int i = 0; i < d->n; i++)
		for (int e = 0; e < G; e++) {
			size_t k = (size_t)i * G + e;
			act_block(g, e, d->x + i * xs, d->len, d->d_in, c->x + k * xs);
			int move_rows = seq && d->out_len == d->len && d->out_len > 1;
			if (d->y) {
				const double *src = d->y + i * ys;
				double *dst = c->y + k * ys;
				if (move_rows || g->equivariant)
					act_block(g, e, src, d->out_len, d->d_out, dst);
				else
					memcpy(dst, src, ys * sizeof(double));
			}
			if (d->label)
				for (size_t r = 0; r < ls; r++)
					c->label[k * ls + (move_rows ? (size_t)row_dest(g, e, (int)r, (int)ls) : r)] = d->label[i * ls + r];
		}
	str_copy(c->group, g->desc, sizeof c->group);
	c->orbit = G;
	return c;
}

struct dataset *aug_base(const struct dataset *d)
{
	if (!d->group[0] || d->orbit <= 1) {
		struct dataset *c = data_clone(d);
		return c;
	}
	int G = d->orbit;
	struct dataset *c = xcalloc(1, sizeof *c);
	*c = *d;
	c->n = d->n / G;
	size_t xs = (size_t)d->len * d->d_in, ys = (size_t)d->out_len * d->d_out, ls = (size_t)d->out_len;
	c->x = xmalloc((size_t)c->n * xs * sizeof(double));
	c->y = d->y ? xmalloc((size_t)c->n * ys * sizeof(double) + 1) : NULL;
	c->label = d->label ? xmalloc((size_t)c->n * ls * sizeof(int)) : NULL;
	for (int i = 0; i < c->n; i++) {
		size_t k = (size_t)i * G;
		memcpy(c->x + i * xs, d->x + k * xs, xs * sizeof(double));
		if (d->y)
			memcpy(c->y + i * ys, d->y + k * ys, ys * sizeof(double));
		if (d->label)
			memcpy(c->label + i * ls, d->label + k * ls, ls * sizeof(int));
	}
	c->group[0] = 0;
	c->orbit = 1;
	return c;
}

struct dataset *aug_sample_family(const struct aug_group *g, const struct dataset *like, int nbase, struct rng *r)
{
	struct dataset b = { 0 };
	str_copy(b.kind, like->kind, sizeof b.kind);
	snprintf(b.desc, sizeof b.desc, "family sample of %s", like->kind);
	b.n = nbase > 0 ? nbase : 1;
	b.len = like->len;
	b.d_in = like->d_in;
	b.out_len = like->out_len;
	b.d_out = like->d_out;
	b.n_classes = like->n_classes;
	b.orbit = 1;
	size_t nx = (size_t)b.n * b.len * b.d_in, ny = (size_t)b.n * b.out_len;
	b.x = xmalloc(nx * sizeof(double));
	for (size_t i = 0; i < nx; i++)
		b.x[i] = rng_normal(r);
	if (like->label) {
		b.label = xmalloc(ny * sizeof(int));
		for (size_t i = 0; i < ny; i++)
			b.label[i] = (int)rng_below(r, (uint64_t)(b.n_classes > 1 ? b.n_classes : 2));
	} else {
		b.y = xmalloc(ny * (size_t)b.d_out * sizeof(double) + 1);
		for (size_t i = 0; i < ny * (size_t)b.d_out; i++)
			b.y[i] = rng_normal(r);
	}
	char err[256];
	struct dataset *c = aug_close(g, &b, err, sizeof err);
	if (!c) /* sizes beyond the limits: the caller asked for too many samples */
		c = data_clone(&b);
	free(b.x); free(b.y); free(b.label);
	return c;
}

static uint64_t hash_row(const double *x, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p = (const unsigned char *)x;
	for (size_t i = 0; i < n * sizeof(double); i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void aug_orbit_sizes(const struct dataset *d, int *min_size, int *max_size)
{
	int G = d->orbit > 1 ? d->orbit : 1;
	*min_size = *max_size = G;
	if (G <= 1 || d->n % G)
		return;
	size_t xs = (size_t)d->len * d->d_in;
	uint64_t *h = xmalloc((size_t)G * sizeof *h);
	int lo = G, hi = 0;
	for (int i = 0; i < d->n / G; i++) {
		for (int e = 0; e < G; e++) {
			/* +0.0 and -0.0 are the same point: normalise before hashing */
			const double *row = d->x + ((size_t)i * G + e) * xs;
			uint64_t v = 1469598103934665603ULL;
			for (size_t k = 0; k < xs; k++) {
				double z = row[k] == 0 ? 0.0 : row[k];
				v = v * 31 + hash_row(&z, 1);
			}
			h[e] = v;
		}
		qsort(h, (size_t)G, sizeof *h, cmp_u64);
		int distinct = 1;
		for (int e = 1; e < G; e++)
			distinct += h[e] != h[e - 1];
		if (distinct < lo) lo = distinct;
		if (distinct > hi) hi = distinct;
	}
	free(h);
	*min_size = lo;
	*max_size = hi;
}

int aug_family_close(void *actx, struct dataset *z, char *err, size_t errlen)
{
	const struct aug_group *g = actx;
	if (!g || g->kind == AUG_NONE)
		return 0;
	struct dataset *c = aug_close(g, z, err, errlen);
	if (!c)
		return NT_ERANGE;
	free(z->x); free(z->y); free(z->label);
	*z = *c;
	free(c);
	return 0;
}
