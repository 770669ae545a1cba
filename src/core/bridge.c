/* bridge.c — catalogue laws evaluated on safetensors checkpoints of an outside
 * training run (see bridge.h for the map file and the laws).
 *
 * Invariants: quantities are created from the map and the first checkpoint's
 * shapes; every later checkpoint must have the same shapes (else it is refused
 * with the file and tensor named, and the series is unchanged); a law the map
 * declares broken (bias, QK-norm, tying, grouped K/V) is BQ_NA and never gets a
 * value; drift is relative to the first checkpoint (matrix laws in Frobenius
 * norm, guarded by the magnitude of the terms when h ≈ 0). */
#include "noether/bridge.h"
#include "noether/afile.h"
#include "noether/safetensors.h"
#include "noether/util.h"
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef NT_VERSION
#define NT_VERSION "0.0"
#endif

#define MAP_MAX_BLOCKS 64
#define BRIDGE_MAX_FILES 10000

enum { MB_ATTN, MB_SWIGLU };
enum { T_Q, T_K, T_V, T_O, T_GATE, T_UP, T_DOWN, T_COUNT };
enum { ROPE_NONE, ROPE_HALF, ROPE_INTERLEAVED };
enum { EV_QQKK, EV_PLANE, EV_VVOO, EV_QNORM, EV_VNORM, EV_NEURON, EV_DOWN, EV_UP, EV_GATE };

struct mblock {
	int kind;
	char name[64];
	char t[T_COUNT][256];
	int heads, kv, hd, rope;
	int qbias, kbias, vbias, qknorm, upbias, downbias;
	char tied[512];
	long d, dff;                  /* from the first checkpoint */
};

struct map { int n; struct mblock b[MAP_MAX_BLOCKS]; };

static const char *const tkey[T_COUNT] = { "q", "k", "v", "o", "gate", "up", "down" };

/* Substitutes {i} with v into dst. */
static void subst(char *dst, size_t n, const char *src, long v)
{
	size_t o = 0;
	for (const char *p = src; *p && o + 1 < n; p++) {
		if (!strncmp(p, "{i}", 3)) {
			o += (size_t)snprintf(dst + o, n - o, "%ld", v);
			if (o >= n) o = n - 1;
			p += 2;
		} else
			dst[o++] = *p;
	}
	dst[o] = 0;
}

static int yesno(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1")) { *out = 1; return 0; }
	if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0")) { *out = 0; return 0; }
	return -1;
}

static int map_line(struct map *m, char **w, int nw, const char *path, int ln, char *err, size_t errlen)
{
	int kind = !strcmp(w[0], "attention") ? MB_ATTN : !strcmp(w[0], "swiglu") ? MB_SWIGLU : -1;
	if (kind < 0)
		return nt_err(err, errlen, NT_EINVAL, "%s:%d: unknown block '%s' (attention, swiglu)", path, ln, w[0]);
	if (nw < 2 || strchr(w[1], '='))
		return nt_err(err, errlen, NT_EINVAL, "%s:%d: %s needs a NAME before the key=value pairs", path, ln, w[0]);
	long a = 0, z = 0;
	int ranged = 0;
	for (int i = 2; i < nw; i++)
		if (!strncmp(w[i], "layers=", 7)) {
			char *dash = strchr(w[i] + 7, '-');
			if (!dash || (*dash = 0, parse_long(w[i] + 7, &a)) || parse_long(dash + 1, &z) || a < 0 || z < a || z - a > 1000)
				return nt_err(err, errlen, NT_EINVAL, "%s:%d: layers=A-B needs 0 <= A <= B, at most 1001 layers", path, ln);
			*dash = '-';
			ranged = 1;
		}
	for (long li = a; li <= z; li++) {
		if (m->n >= MAP_MAX_BLOCKS)
			return nt_err(err, errlen, NT_ERANGE, "%s:%d: more than %d blocks", path, ln, MAP_MAX_BLOCKS);
		struct mblock *b = &m->b[m->n];
		memset(b, 0, sizeof *b);
		b->kind = kind;
		b->kv = -1;
		b->rope = -1;
		subst(b->name, sizeof b->name, w[1], li);
		for (int i = 2; i < nw; i++) {
			char *eq = strchr(w[i], '=');
			if (!eq)
				return nt_err(err, errlen, NT_EINVAL, "%s:%d: expected key=value, not '%s'", path, ln, w[i]);
			*eq = 0;
			const char *k = w[i];
			char v[256];
			subst(v, sizeof v, eq + 1, li);
			int ok = 0, t;
			long l;
			for (t = 0; t < T_COUNT; t++)
				if (!strcmp(k, tkey[t]) && ((kind == MB_ATTN) == (t <= T_O))) {
					str_copy(b->t[t], v, sizeof b->t[t]);
					ok = 1;
				}
			if (!strcmp(k, "layers")) ok = 1;
			else if (kind == MB_ATTN && (!strcmp(k, "heads") || !strcmp(k, "kv_heads") || !strcmp(k, "head_dim"))) {
				ok = !parse_long(v, &l) && l >= 1 && l <= 4096;
				if (ok) *(!strcmp(k, "heads") ? &b->heads : !strcmp(k, "kv_heads") ? &b->kv : &b->hd) = (int)l;
			} else if (kind == MB_ATTN && !strcmp(k, "rope")) {
				b->rope = !strcmp(v, "none") ? ROPE_NONE : !strcmp(v, "half") ? ROPE_HALF : !strcmp(v, "interleaved") ? ROPE_INTERLEAVED : -2;
				ok = b->rope >= 0;
			} else if (kind == MB_ATTN && !strcmp(k, "qk_norm"))
				ok = !yesno(v, &b->qknorm);
			else if ((kind == MB_ATTN && (!strcmp(k, "q_bias") || !strcmp(k, "k_bias") || !strcmp(k, "v_bias")))
			         || (kind == MB_SWIGLU && (!strcmp(k, "up_bias") || !strcmp(k, "down_bias")))) {
				int *f = !strcmp(k, "q_bias") ? &b->qbias : !strcmp(k, "k_bias") ? &b->kbias : !strcmp(k, "v_bias") ? &b->vbias
				       : !strcmp(k, "up_bias") ? &b->upbias : &b->downbias;
				*f = strcmp(v, "no") && strcmp(v, "none") && strcmp(v, "off");
				ok = 1;
			} else if (!strcmp(k, "tied")) {
				snprintf(b->tied, sizeof b->tied, ",%s,", v);
				ok = 1;
			}
			*eq = '=';
			if (!ok)
				return nt_err(err, errlen, NT_EINVAL, "%s:%d: bad or unknown option '%s' for %s", path, ln, w[i], w[0]);
		}
		for (int t = kind == MB_ATTN ? T_Q : T_GATE; t <= (kind == MB_ATTN ? T_O : T_DOWN); t++)
			if (!b->t[t][0])
				return nt_err(err, errlen, NT_EINVAL, "%s:%d: %s %s needs %s=TENSOR", path, ln, w[0], b->name, tkey[t]);
		if (kind == MB_ATTN) {
			if (!b->heads || !b->hd || b->rope < 0)
				return nt_err(err, errlen, NT_EINVAL, "%s:%d: attention needs heads=, head_dim= and rope=none|half|interleaved", path, ln);
			if (b->kv < 0)
				b->kv = b->heads;
			if (b->kv > b->heads || b->heads % b->kv)
				return nt_err(err, errlen, NT_EINVAL, "%s:%d: kv_heads must divide heads", path, ln);
			if (b->rope != ROPE_NONE && b->hd % 2)
				return nt_err(err, errlen, NT_EINVAL, "%s:%d: RoPE needs an even head_dim", path, ln);
		}
		m->n++;
		if (!ranged)
			break;
	}
	return 0;
}

struct bridge *bridge_new(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		nt_err(err, errlen, NT_ENOENT, "map: cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	struct map *m = xcalloc(1, sizeof *m);
	char line[4096];
	int ln = 0, rc = 0;
	while (!rc && fgets(line, sizeof line, f)) {
		ln++;
		if (!strchr(line, '\n') && !feof(f)) {
			rc = nt_err(err, errlen, NT_EINVAL, "%s:%d: line longer than %zu bytes", path, ln, sizeof line - 1);
			break;
		}
		char *h = strchr(line, '#');
		if (h)
			*h = 0;
		char *w[64], *save = NULL;
		int nw = 0;
		for (char *t = strtok_r(line, " \t\r\n", &save); t && nw < 64; t = strtok_r(NULL, " \t\r\n", &save))
			w[nw++] = t;
		if (nw)
			rc = map_line(m, w, nw, path, ln, err, errlen);
	}
	fclose(f);
	if (!rc && !m->n)
		rc = nt_err(err, errlen, NT_EINVAL, "map %s: no blocks (attention ... / swiglu ...)", path);
	if (rc) {
		free(m);
		return NULL;
	}
	struct bridge *b = xcalloc(1, sizeof *b);
	b->map = m;
	b->nblocks = m->n;
	for (int i = 0; i < m->n; i++)
		str_copy(b->block_name[i], m->b[i].name, sizeof b->block_name[i]);
	return b;
}

void bridge_free(struct bridge *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->nq; i++) {
		free(b->q[i].val);
		free(b->q[i].mag);
		free(b->q[i].rel);
	}
	free(b->q);
	free(b->ck_file);
	free(b->ck_step);
	free(b->map);
	free(b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bridge_list(const char *spec, char ***out, char *err, size_t errlen)
{
	char pat[4200];
	struct stat st;
	if (!stat(spec, &st) && S_ISDIR(st.st_mode))
		snprintf(pat, sizeof pat, "%s/*.safetensors", spec);
	else
		str_copy(pat, spec, sizeof pat);
	glob_t g;
	int rc = glob(pat, 0, NULL, &g);
	if (rc || !g.gl_pathc) {
		if (!rc)
			globfree(&g);
		return nt_err(err, errlen, NT_ENOENT, "no checkpoints match '%s'", spec);
	}
	if (g.gl_pathc > BRIDGE_MAX_FILES) {
		globfree(&g);
		return nt_err(err, errlen, NT_ERANGE, "more than %d checkpoints match '%s'", BRIDGE_MAX_FILES, spec);
	}
	int n = (int)g.gl_pathc;
	char **v = xcalloc((size_t)n, sizeof *v);
	for (int i = 0; i < n; i++)
		v[i] = xstrdup(g.gl_pathv[i]);
	globfree(&g);
	qsort(v, (size_t)n, sizeof *v, cmp_str);
	*out = v;
	return n;
}

static const char *tied_reason(const struct mblock *b, int t1, int t2)
{
	static char buf[2][300];
	static int k;
	if (!b->tied[0])
		return NULL;
	int ts[2] = { t1, t2 };
	for (int i = 0; i < 2; i++) {
		char pat[300];
		snprintf(pat, sizeof pat, ",%s,", b->t[ts[i]]);
		if (strstr(b->tied, pat)) {
			k ^= 1;
			snprintf(buf[k], sizeof buf[k], "%s is tied to another tensor", b->t[ts[i]]);
			return buf[k];
		}
	}
	return NULL;
}

static struct bridge_q *addq(struct bridge *br, int block, enum bq_role role, int ev, int i0, int i1, int ncomp,
                             const char *why, const char *fmt, ...) __attribute__((format(printf, 9, 10)));

static struct bridge_q *addq(struct bridge *br, int block, enum bq_role role, int ev, int i0, int i1, int ncomp,
                             const char *why, const char *fmt, ...)
{
	br->q = xrealloc(br->q, (size_t)(br->nq + 1) * sizeof *br->q);
	struct bridge_q *q = &br->q[br->nq++];
	memset(q, 0, sizeof *q);
	char nm[100];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(nm, sizeof nm, fmt, ap);
	va_end(ap);
	snprintf(q->name, sizeof q->name, "%s.%s", br->block_name[block], nm);
	q->block = block;
	q->role = why ? BQ_NA : role;
	if (why)
		str_copy(q->why, why, sizeof q->why);
	q->eval = ev;
	q->i0 = i0;
	q->i1 = i1;
	q->ncomp = ncomp;
	return q;
}

static void build_quantities(struct bridge *br)
{
	struct map *m = br->map;
	for (int bi = 0; bi < m->n; bi++) {
		const struct mblock *b = &m->b[bi];
		if (b->kind == MB_ATTN) {
			const char *qk = b->qbias || b->kbias ? "q/k bias: the law without bias terms is not conserved"
			               : b->qknorm ? "QK-norm: normalising q and k breaks the rescaling symmetry"
			               : b->kv != b->heads ? "grouped K/V (kv_heads < heads): a K head is shared, per-head laws do not apply"
			               : tied_reason(b, T_Q, T_K);
			const char *vo = b->vbias ? "v bias: the law without bias terms is not conserved"
			               : b->kv != b->heads ? "grouped K/V (kv_heads < heads): a V head is shared, per-head laws do not apply"
			               : tied_reason(b, T_V, T_O);
			int r = b->hd;
			for (int h = 0; h < b->heads; h++) {
				if (b->rope == ROPE_NONE)
					addq(br, bi, BQ_LAW, EV_QQKK, h, 0, r * r, qk, "h%d.QtQ-KtK", h);
				else {
					for (int j = 0; j < r / 2; j++)
						addq(br, bi, BQ_LAW, EV_PLANE, h, j, 1, qk, "h%d.plane%d", h, j);
					addq(br, bi, BQ_CONTRAST, EV_QQKK, h, 0, r * r, NULL, "h%d.QtQ-KtK(full, RoPE)", h);
				}
				addq(br, bi, BQ_LAW, EV_VVOO, h, 0, r * r, vo, "h%d.VtV-OtO", h);
				addq(br, bi, BQ_CONTRAST, EV_QNORM, h, 0, 1, NULL, "h%d.|Q|^2", h);
				addq(br, bi, BQ_CONTRAST, EV_VNORM, h, 0, 1, NULL, "h%d.|V|^2", h);
			}
		} else {
			const char *why = b->upbias || b->downbias ? "up/down bias: the law without bias terms is not conserved"
			                : tied_reason(b, T_DOWN, T_UP);
			for (long i = 0; i < b->dff; i++)
				addq(br, bi, BQ_LAW, EV_NEURON, (int)i, 0, 1, why, "n%ld", i);
			addq(br, bi, BQ_CONTRAST, EV_DOWN, 0, 0, 1, NULL, "|down|^2");
			addq(br, bi, BQ_CONTRAST, EV_UP, 0, 0, 1, NULL, "|up|^2");
			addq(br, bi, BQ_CONTRAST, EV_GATE, 0, 0, 1, NULL, "|gate|^2");
		}
	}
}

/* row r of a (rows, cols) matrix dotted with row s */
static double rowdot(const double *A, long cols, long r, long s)
{
	double v = 0;
	for (long c = 0; c < cols; c++)
		v += A[r * cols + c] * A[s * cols + c];
	return v;
}

static double coldot(const double *A, long rows, long cols, long r, long s)
{
	double v = 0;
	for (long i = 0; i < rows; i++)
		v += A[i * cols + r] * A[i * cols + s];
	return v;
}

static double sumsq(const double *A, size_t n)
{
	double v = 0;
	for (size_t i = 0; i < n; i++)
		v += A[i] * A[i];
	return v;
}

/* Evaluates q on the tensors w[] of its block into out[ncomp]; returns the magnitude. */
static double eval_q(const struct bridge_q *q, const struct mblock *b, double *const *w, double *out)
{
	long d = b->d, hd = b->hd, H = b->heads;
	int h = q->i0;
	switch (q->eval) {
	case EV_QQKK: {
		double mag = 0;
		for (long a = 0; a < hd; a++)
			for (long c = 0; c < hd; c++) {
				double x = rowdot(w[T_Q], d, h * hd + a, h * hd + c), y = rowdot(w[T_K], d, h * hd + a, h * hd + c);
				out[a * hd + c] = x - y;
				if (a == c) mag += x + y;
			}
		return mag;
	}
	case EV_PLANE: {
		long p1 = b->rope == ROPE_HALF ? q->i1 : 2 * q->i1, p2 = b->rope == ROPE_HALF ? q->i1 + hd / 2 : 2 * q->i1 + 1;
		double x = rowdot(w[T_Q], d, h * hd + p1, h * hd + p1) + rowdot(w[T_Q], d, h * hd + p2, h * hd + p2);
		double y = rowdot(w[T_K], d, h * hd + p1, h * hd + p1) + rowdot(w[T_K], d, h * hd + p2, h * hd + p2);
		out[0] = x - y;
		return x + y;
	}
	case EV_VVOO: {
		double mag = 0;
		for (long a = 0; a < hd; a++)
			for (long c = 0; c < hd; c++) {
				double x = rowdot(w[T_V], d, h * hd + a, h * hd + c), y = coldot(w[T_O], d, H * hd, h * hd + a, h * hd + c);
				out[a * hd + c] = x - y;
				if (a == c) mag += x + y;
			}
		return mag;
	}
	case EV_QNORM: out[0] = sumsq(w[T_Q] + h * hd * d, (size_t)(hd * d)); return out[0];
	case EV_VNORM: out[0] = sumsq(w[T_V] + h * hd * d, (size_t)(hd * d)); return out[0];
	case EV_NEURON: {
		double x = coldot(w[T_DOWN], d, b->dff, h, h), y = rowdot(w[T_UP], d, h, h);
		out[0] = x - y;
		return x + y;
	}
	case EV_DOWN: out[0] = sumsq(w[T_DOWN], (size_t)(d * b->dff)); return out[0];
	case EV_UP: out[0] = sumsq(w[T_UP], (size_t)(d * b->dff)); return out[0];
	default: out[0] = sumsq(w[T_GATE], (size_t)(d * b->dff)); return out[0];
	}
}

static int check_shape(const struct st_tensor *t, long r, long c, const char *path, const char *what, char *err, size_t errlen)
{
	if (t->ndim == 2 && t->shape[0] == r && t->shape[1] == c)
		return 0;
	char got[96] = "";
	for (int i = 0; i < t->ndim; i++)
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%ld", i ? "," : "", t->shape[i]);
	return nt_err(err, errlen, NT_EINVAL, "%s: tensor '%s' (%s) has shape [%s], the map needs [%ld,%ld]", path, t->name, what, got, r, c);
}

int bridge_add(struct bridge *br, const char *path, char *err, size_t errlen)
{
	struct map *m = br->map;
	struct st_file *f;
	int rc = st_read(path, &f, err, errlen);
	if (rc)
		return rc;
	const struct st_tensor *ts[MAP_MAX_BLOCKS][T_COUNT];
	long dd[MAP_MAX_BLOCKS], ff[MAP_MAX_BLOCKS];
	for (int bi = 0; bi < m->n && !rc; bi++) {
		const struct mblock *b = &m->b[bi];
		int t0 = b->kind == MB_ATTN ? T_Q : T_GATE, t1 = b->kind == MB_ATTN ? T_O : T_DOWN;
		for (int t = t0; t <= t1 && !rc; t++) {
			ts[bi][t] = st_find(f, b->t[t]);
			if (!ts[bi][t])
				rc = nt_err(err, errlen, NT_EINVAL, "%s: no tensor '%s' (the map's %s %s=)", path, b->t[t], b->name, tkey[t]);
		}
		if (rc)
			break;
		if (b->kind == MB_ATTN) {
			long d = ts[bi][T_Q]->ndim == 2 ? ts[bi][T_Q]->shape[1] : -1;
			(void)((rc = check_shape(ts[bi][T_Q], (long)b->heads * b->hd, d, path, "q", err, errlen))
			       || (rc = check_shape(ts[bi][T_K], (long)b->kv * b->hd, d, path, "k", err, errlen))
			       || (rc = check_shape(ts[bi][T_V], (long)b->kv * b->hd, d, path, "v", err, errlen))
			       || (rc = check_shape(ts[bi][T_O], d, (long)b->heads * b->hd, path, "o", err, errlen)));
			dd[bi] = d;
			ff[bi] = 0;
		} else {
			const struct st_tensor *u = ts[bi][T_UP];
			long dff = u->ndim == 2 ? u->shape[0] : -1, d = u->ndim == 2 ? u->shape[1] : -1;
			(void)((rc = check_shape(u, dff, d, path, "up", err, errlen))
			       || (rc = check_shape(ts[bi][T_GATE], dff, d, path, "gate", err, errlen))
			       || (rc = check_shape(ts[bi][T_DOWN], d, dff, path, "down", err, errlen)));
			dd[bi] = d;
			ff[bi] = dff;
		}
		if (!rc && br->nck && (dd[bi] != b->d || ff[bi] != b->dff))
			rc = nt_err(err, errlen, NT_EINVAL, "%s: block %s has other shapes than in the first checkpoint", path, b->name);
	}
	if (rc) {
		st_free(f);
		return rc;
	}
	if (!br->nck) {
		for (int bi = 0; bi < m->n; bi++) {
			m->b[bi].d = dd[bi];
			m->b[bi].dff = ff[bi];
		}
		build_quantities(br);
	}
	int k = br->nck;
	br->ck_file = xrealloc(br->ck_file, (size_t)(k + 1) * sizeof *br->ck_file);
	br->ck_step = xrealloc(br->ck_step, (size_t)(k + 1) * sizeof *br->ck_step);
	str_copy(br->ck_file[k], path, sizeof br->ck_file[k]);
	long step = k;
	const char *ms = st_meta(f, "step");
	if (!ms || parse_long(ms, &step))
		step = k;
	br->ck_step[k] = step;
	for (int bi = 0; bi < m->n; bi++) {
		const struct mblock *b = &m->b[bi];
		double *w[T_COUNT] = { 0 };
		int t0 = b->kind == MB_ATTN ? T_Q : T_GATE, t1 = b->kind == MB_ATTN ? T_O : T_DOWN;
		for (int t = t0; t <= t1; t++) {
			w[t] = xmalloc((ts[bi][t]->nelem + 1) * sizeof(double));
			st_get(f, ts[bi][t], w[t]);
		}
		for (int i = 0; i < br->nq; i++) {
			struct bridge_q *q = &br->q[i];
			if (q->block != bi)
				continue;
			q->val = xrealloc(q->val, (size_t)(k + 1) * q->ncomp * sizeof(double));
			q->mag = xrealloc(q->mag, (size_t)(k + 1) * sizeof(double));
			q->rel = xrealloc(q->rel, (size_t)(k + 1) * sizeof(double));
			double *v = q->val + (size_t)k * q->ncomp;
			if (q->role == BQ_NA) {
				for (int c = 0; c < q->ncomp; c++)
					v[c] = NAN;
				q->mag[k] = q->rel[k] = NAN;
				continue;
			}
			q->mag[k] = eval_q(q, b, w, v);
			double n0 = 0, dv = 0;
			for (int c = 0; c < q->ncomp; c++) {
				n0 += q->val[c] * q->val[c];
				dv += (v[c] - q->val[c]) * (v[c] - q->val[c]);
			}
			n0 = sqrt(n0);
			double den = n0 >= 1e-6 * q->mag[0] ? n0 : q->mag[0];
			q->rel[k] = den > 0 ? sqrt(dv) / den : sqrt(dv);
		}
		for (int t = 0; t < T_COUNT; t++)
			free(w[t]);
	}
	br->nck++;
	st_free(f);
	return 0;
}

static double agg(const struct bridge *b, int block, int k, enum bq_role role, int how)
{
	double acc = how == 1 ? INFINITY : 0;
	int n = 0;
	for (int i = 0; i < b->nq; i++) {
		const struct bridge_q *q = &b->q[i];
		if (q->role != role || (block >= 0 && q->block != block) || k < 0 || k >= b->nck)
			continue;
		double r = q->rel[k];
		if (how == 0) acc = r > acc ? r : acc;
		else if (how == 1) acc = r < acc ? r : acc;
		else acc += r;
		n++;
	}
	if (!n)
		return NAN;
	return how == 2 ? acc / n : acc;
}

double bridge_law_max(const struct bridge *b, int block, int k) { return agg(b, block, k, BQ_LAW, 0); }
double bridge_law_mean(const struct bridge *b, int block, int k) { return agg(b, block, k, BQ_LAW, 2); }
double bridge_contrast_min(const struct bridge *b, int block, int k) { return agg(b, block, k, BQ_CONTRAST, 1); }

int bridge_export_csv(const struct bridge *b, const char *path, const char *command, const char *map_path,
                      char *err, size_t errlen)
{
	struct afile a;
	int rc = afile_open(&a, path, "w", "csv", err, errlen);
	if (rc)
		return rc;
	FILE *f = a.f;
	fprintf(f, "# noether %s\n", NT_VERSION);
	fprintf(f, "# checkpoints=%d map=%s\n", b->nck, map_path);
	if (command)
		fprintf(f, "# command: %s\n", command);
	for (int i = 0; i < b->nq; i++)
		if (b->q[i].role == BQ_NA)
			fprintf(f, "# not applicable: %s: %s\n", b->q[i].name, b->q[i].why);
	fprintf(f, "# values: relative drift from the first checkpoint\n");
	fprintf(f, "step,file");
	for (int i = 0; i < b->nq; i++)
		if (b->q[i].role != BQ_NA)
			fprintf(f, ",%s%s", b->q[i].role == BQ_LAW ? "law:" : "q:", b->q[i].name);
	fputc('\n', f);
	for (int k = 0; k < b->nck; k++) {
		fprintf(f, "%ld,", b->ck_step[k]);
		for (const char *p = b->ck_file[k]; *p; p++) /* file names: no commas or quotes in the CSV */
			fputc(*p == ',' || *p == '"' ? '_' : *p, f);
		for (int i = 0; i < b->nq; i++)
			if (b->q[i].role != BQ_NA)
				fprintf(f, ",%.17g", b->q[i].rel[k]);
		fputc('\n', f);
	}
	return afile_commit(&a, "csv", err, errlen);
}
