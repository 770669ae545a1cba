/* expr.c — user expressions (see expr.h for the syntax): a recursive-descent
 * parser that resolves tensor names while it parses and emits a tape of nodes,
 * then forward evaluation and reverse-mode gradients over that tape.
 *
 * Invariants: a node's operands come before it on the tape (so one forward
 * sweep and one backward sweep suffice); every node owns a fixed range of the
 * value and adjoint buffers, sized at compile time (evaluation never
 * allocates); a leaf holds the absolute θ offsets of its entries. The source
 * text is kept so the expression can be recompiled against a rebuilt model. */
#include "noether/expr.h"
#include "noether/util.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum op { OP_CONST, OP_LEAF, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_NEG, OP_DOT,
	OP_SUM, OP_NORM2, OP_NORM, OP_ATAN2, OP_SQRT, OP_EXP, OP_LOG, OP_ABS };

struct node {
	enum op op;
	int a, b;          /* operand nodes (-1: none) */
	int n;             /* length of the value */
	size_t off;        /* offset of the value (and adjoint) in the buffers */
	size_t leaf;       /* OP_LEAF: offset of its θ indices in idx */
	double c;          /* OP_CONST */
};

struct tape {
	int nnodes, cap;
	struct node *nodes;
	size_t nvals, nidx, capidx;
	size_t *idx;
	double *val, *adj;
};

struct expr {
	char *text;
	struct tape t;
	int broken;        /* unresolved after a rebuild: evaluates to NaN */
	int refs;          /* holders (quantity copies share one expression) */
};

struct parser {
	const char *s, *p;
	const struct model *m;
	struct tape *t;
	char *err; size_t errlen;
	int failed;
};

#define MAX_DEPTH 200

static int perr(struct parser *ps, const char *at, const char *fmt, const char *arg)
{
	if (ps->failed)
		return -1;
	char msg[400];
	snprintf(msg, sizeof msg, fmt, arg ? arg : "");
	nt_err(ps->err, ps->errlen, NT_EINVAL, "column %d: %s", (int)(at - ps->s) + 1, msg);
	ps->failed = 1;
	return -1;
}

static int node_new(struct tape *t, enum op op, int a, int b, int n)
{
	if (t->nnodes == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->nodes = xrealloc(t->nodes, (size_t)t->cap * sizeof *t->nodes);
	}
	struct node *d = &t->nodes[t->nnodes];
	memset(d, 0, sizeof *d);
	d->op = op; d->a = a; d->b = b; d->n = n;
	d->off = t->nvals;
	t->nvals += (size_t)n;
	return t->nnodes++;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

static int is_middot(const char *p) { return (unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xB7; }
static int is_ident_start(const char *p)
{
	unsigned char c = (unsigned char)*p;
	return isalpha(c) || c == '_' || (c >= 0x80 && !is_middot(p));
}
static int is_ident_char(const char *p)
{
	unsigned char c = (unsigned char)*p;
	return isalnum(c) || c == '_' || c == '.' || (c >= 0x80 && !is_middot(p));
}

static int parse_expr(struct parser *ps, int depth);

/* ---- tensor names ------------------------------------------------------- */

static const struct tensor_view *tensor_at(const struct model *m, int k, int *block)
{
	for (int b = 0; b < m->nblocks; b++) {
		if (k < m->blocks[b].ntensors) {
			*block = b;
			return &m->blocks[b].tensors[k];
		}
		k -= m->blocks[b].ntensors;
	}
	return NULL;
}

static int ntensors(const struct model *m)
{
	int n = 0;
	for (int b = 0; b < m->nblocks; b++)
		n += m->blocks[b].ntensors;
	return n;
}

/* Short-name match: exact or case-insensitive. */
static int short_eq(const char *a, const char *b, size_t blen, int icase)
{
	if (strlen(a) != blen)
		return 0;
	return icase ? !strncasecmp(a, b, blen) : !strncmp(a, b, blen);
}

/* Resolves name (see expr.h). Writes a message naming the candidates when ambiguous. */
static const struct tensor_view *resolve(const struct model *m, const char *name, char *why, size_t whylen)
{
	const struct tensor_view *v = model_find_tensor(m, name);
	if (v)
		return v;
	int nt = ntensors(m), blk;
	why[0] = 0;
	/* layerN.SHORT */
	const char *dot = strchr(name, '.');
	if (!strncmp(name, "layer", 5) && dot) {
		for (int k = 0; k < nt; k++) {
			const struct tensor_view *t = tensor_at(m, k, &blk);
			size_t pl = (size_t)(dot - name);
			if (!strncmp(t->name, name, pl) && t->name[pl] == '.' && !strcmp(t->short_name, dot + 1))
				return t;
		}
	}
	for (int icase = 0; icase < 2; icase++) {
		/* unique short name */
		const struct tensor_view *hit = NULL;
		int count = 0;
		char list[200] = "";
		for (int k = 0; k < nt; k++) {
			const struct tensor_view *t = tensor_at(m, k, &blk);
			if (short_eq(t->short_name, name, strlen(name), icase)) {
				hit = t;
				if (count++ < 4 && strlen(list) + strlen(t->name) + 3 < sizeof list) {
					if (list[0])
						strcat(list, ", ");
					strcat(list, t->name);
				}
			}
		}
		if (count == 1)
			return hit;
		if (count > 1) {
			snprintf(why, whylen, "'%s' is ambiguous (%s): write %s1, %s2, ... or a full name", name, list, name, name);
			return NULL;
		}
		/* SHORT + K: the K-th tensor with that short name */
		size_t L = strlen(name);
		size_t e = L;
		while (e > 0 && isdigit((unsigned char)name[e - 1]))
			e--;
		if (e == L || e == 0)
			continue;
		long K = strtol(name + e, NULL, 10);
		int seen = 0;
		for (int k = 0; k < nt; k++) {
			const struct tensor_view *t = tensor_at(m, k, &blk);
			if (short_eq(t->short_name, name, e, icase) && ++seen == K)
				return t;
		}
		if (seen > 0) {
			snprintf(why, whylen, "'%s': the model has %d tensor%s named %.*s", name, seen, seen == 1 ? "" : "s", (int)e, name);
			return NULL;
		}
	}
	return NULL;
}

/* ---- slices ------------------------------------------------------------- */

struct range { int lo, hi; const char *at; };

/* Parses one index: INT | ':' | INT ':' INT | ':' INT | INT ':' (hi = -1: to the end). */
static int parse_range(struct parser *ps, struct range *r)
{
	skip_ws(ps);
	r->at = ps->p;
	r->lo = 0; r->hi = -1;
	char *end;
	int have_lo = 0;
	if (isdigit((unsigned char)*ps->p)) {
		long v = strtol(ps->p, &end, 10);
		if (v > 1000000000L)
			return perr(ps, ps->p, "index too large", NULL);
		r->lo = (int)v;
		ps->p = end;
		have_lo = 1;
	} else if (*ps->p == '-') {
		return perr(ps, ps->p, "negative indices are not supported", NULL);
	}
	skip_ws(ps);
	if (*ps->p != ':') {
		if (!have_lo)
			return perr(ps, ps->p, "expected an index or ':'", NULL);
		r->hi = r->lo + 1;
		return 0;
	}
	ps->p++;
	skip_ws(ps);
	if (isdigit((unsigned char)*ps->p)) {
		long v = strtol(ps->p, &end, 10);
		if (v > 1000000000L)
			return perr(ps, ps->p, "index too large", NULL);
		r->hi = (int)v;
		ps->p = end;
	}
	return 0;
}

static void idx_push(struct tape *t, size_t v)
{
	if (t->nidx == t->capidx) {
		t->capidx = t->capidx ? 2 * t->capidx : 64;
		t->idx = xrealloc(t->idx, t->capidx * sizeof *t->idx);
	}
	t->idx[t->nidx++] = v;
}

/* A leaf for tensor v with optional [ranges]; name_at is the tensor name's position. */
static int parse_leaf(struct parser *ps, const struct tensor_view *v, const char *name_at)
{
	struct range r[3];
	int nr = 0;
	const char *open = NULL;
	skip_ws(ps);
	if (*ps->p == '[') {
		open = ps->p++;
		for (;;) {
			if (nr == 3)
				return perr(ps, ps->p, "too many indices (tensors have at most 3 dimensions)", NULL);
			if (parse_range(ps, &r[nr]))
				return -1;
			nr++;
			skip_ws(ps);
			if (*ps->p == ',') {
				ps->p++;
				continue;
			}
			if (*ps->p != ']')
				return perr(ps, ps->p, "expected ',' or ']'", NULL);
			ps->p++;
			break;
		}
	}
	/* the dimensions the indices address: all, or the non-1 ones when fewer are given */
	int dims[3], map[3], nd = 0;
	char shape[64];
	if (v->ndim == 1) snprintf(shape, sizeof shape, "(%d)", v->dim[0]);
	else if (v->ndim == 2) snprintf(shape, sizeof shape, "(%d, %d)", v->dim[0], v->dim[1]);
	else snprintf(shape, sizeof shape, "(%d, %d, %d)", v->dim[0], v->dim[1], v->dim[2]);
	struct range full[3];
	for (int k = 0; k < v->ndim; k++) {
		full[k].lo = 0;
		full[k].hi = v->dim[k];
		full[k].at = name_at;
	}
	if (nr == v->ndim || nr == 0) {
		for (int k = 0; k < v->ndim; k++)
			map[k] = nr ? k : -1;
	} else {
		for (int k = 0; k < v->ndim; k++)
			if (v->dim[k] != 1)
				dims[nd++] = k;
		if (nd != nr) {
			char msg[160];
			snprintf(msg, sizeof msg, "%s has shape %s: give %d ind%s", v->name, shape, v->ndim, v->ndim == 1 ? "ex" : "ices");
			return perr(ps, open, "%s", msg);
		}
		for (int k = 0; k < v->ndim; k++)
			map[k] = -1;
		for (int k = 0; k < nd; k++)
			map[dims[k]] = k;
	}
	struct range use[3];
	for (int k = 0; k < v->ndim; k++) {
		use[k] = map[k] < 0 ? full[k] : r[map[k]];
		if (use[k].hi < 0)
			use[k].hi = v->dim[k];
		if (use[k].lo >= v->dim[k] || use[k].hi > v->dim[k] || use[k].lo >= use[k].hi) {
			char msg[160];
			snprintf(msg, sizeof msg, "index out of range for %s of shape %s (dimension %d has %d)", v->name, shape, k + 1, v->dim[k]);
			return perr(ps, use[k].at, "%s", msg);
		}
	}
	int lo[3] = { 0, 0, 0 }, hi[3] = { 1, 1, 1 }, st[3] = { 0, 0, 0 };
	for (int k = 0; k < v->ndim; k++) {
		lo[k] = use[k].lo;
		hi[k] = use[k].hi;
	}
	/* row-major strides */
	if (v->ndim == 1) { st[0] = 1; }
	else if (v->ndim == 2) { st[0] = v->dim[1]; st[1] = 1; }
	else { st[0] = v->dim[1] * v->dim[2]; st[1] = v->dim[2]; st[2] = 1; }
	size_t first = ps->t->nidx;
	for (int i = lo[0]; i < hi[0]; i++)
		for (int j = lo[1]; j < hi[1]; j++)
			for (int k = lo[2]; k < hi[2]; k++)
				idx_push(ps->t, v->off + (size_t)i * st[0] + (size_t)j * st[1] + (size_t)k * st[2]);
	size_t n = ps->t->nidx - first;
	if (n > (size_t)NT_MAX_ELEMS)
		return perr(ps, name_at, "slice too large", NULL);
	int id = node_new(ps->t, OP_LEAF, -1, -1, (int)n);
	ps->t->nodes[id].leaf = first;
	return id;
}

/* ---- grammar ------------------------------------------------------------ */

static int len_of(struct parser *ps, int id) { return ps->t->nodes[id].n; }

static int binary(struct parser *ps, enum op op, int a, int b, const char *at)
{
	int na = len_of(ps, a), nb = len_of(ps, b);
	if (op == OP_DOT) {
		if (na == 1 || nb == 1)
			op = OP_MUL;
		else if (na != nb) {
			char msg[96];
			snprintf(msg, sizeof msg, "dot product of vectors of %d and %d entries", na, nb);
			return perr(ps, at, "%s", msg);
		} else
			return node_new(ps->t, OP_DOT, a, b, 1);
	}
	if (na != nb && na != 1 && nb != 1) {
		char msg[96];
		snprintf(msg, sizeof msg, "operands have %d and %d entries (one must be a number or both equal)", na, nb);
		return perr(ps, at, "%s", msg);
	}
	return node_new(ps->t, op, a, b, na > nb ? na : nb);
}

static const struct { const char *name; enum op op; int nargs; } funcs[] = {
	{ "atan2", OP_ATAN2, 2 }, { "dot", OP_DOT, 2 }, { "sqrt", OP_SQRT, 1 }, { "exp", OP_EXP, 1 },
	{ "log", OP_LOG, 1 }, { "abs", OP_ABS, 1 }, { "sum", OP_SUM, 1 }, { "norm2", OP_NORM2, 1 },
	{ "norm", OP_NORM, 1 },
};

static int parse_call(struct parser *ps, const char *name, size_t nlen, const char *at, int depth)
{
	int f = -1;
	for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
		if (strlen(funcs[i].name) == nlen && !strncmp(funcs[i].name, name, nlen))
			f = (int)i;
	if (f < 0) {
		char nm[64];
		snprintf(nm, sizeof nm, "%.*s", (int)(nlen < 60 ? nlen : 60), name);
		return perr(ps, at, "unknown function '%s' (atan2 dot sqrt exp log abs sum norm2 norm)", nm);
	}
	ps->p++; /* '(' */
	int args[2], na = 0;
	const char *argat[2];
	for (;;) {
		skip_ws(ps);
		if (na == funcs[f].nargs)
			return perr(ps, ps->p, "too many arguments to %s", funcs[f].name);
		argat[na] = ps->p;
		if ((args[na] = parse_expr(ps, depth + 1)) < 0)
			return -1;
		na++;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p != ')')
			return perr(ps, ps->p, "expected ')'", NULL);
		ps->p++;
		break;
	}
	if (na != funcs[f].nargs) {
		char msg[64];
		snprintf(msg, sizeof msg, "%s takes %d argument%s", funcs[f].name, funcs[f].nargs, funcs[f].nargs == 1 ? "" : "s");
		return perr(ps, ps->p - 1, "%s", msg);
	}
	enum op op = funcs[f].op;
	if (op == OP_DOT || op == OP_ATAN2)
		return binary(ps, op, args[0], args[1], argat[1]);
	int n = op == OP_SUM || op == OP_NORM2 || op == OP_NORM ? 1 : len_of(ps, args[0]);
	return node_new(ps->t, op, args[0], -1, n);
}

static int parse_primary(struct parser *ps, int depth)
{
	skip_ws(ps);
	const char *at = ps->p;
	if (depth > MAX_DEPTH)
		return perr(ps, at, "expression nested too deeply", NULL);
	if (*ps->p == '(') {
		ps->p++;
		int id = parse_expr(ps, depth + 1);
		if (id < 0)
			return -1;
		skip_ws(ps);
		if (*ps->p != ')')
			return perr(ps, ps->p, "expected ')'", NULL);
		ps->p++;
		return id;
	}
	if (isdigit((unsigned char)*ps->p) || (*ps->p == '.' && isdigit((unsigned char)ps->p[1]))) {
		char *end;
		double v = strtod(ps->p, &end);
		if (!isfinite(v))
			return perr(ps, at, "number out of range", NULL);
		ps->p = end;
		int id = node_new(ps->t, OP_CONST, -1, -1, 1);
		ps->t->nodes[id].c = v;
		return id;
	}
	if (is_ident_start(ps->p)) {
		const char *b = ps->p;
		while (*ps->p && is_ident_char(ps->p))
			ps->p++;
		size_t nlen = (size_t)(ps->p - b);
		while (nlen > 0 && b[nlen - 1] == '.') { /* a trailing '.' is not part of a name */
			nlen--;
			ps->p--;
		}
		const char *save = ps->p;
		skip_ws(ps);
		if (*ps->p == '(')
			return parse_call(ps, b, nlen, at, depth);
		ps->p = save;
		char name[128];
		if (nlen >= sizeof name)
			return perr(ps, at, "name too long", NULL);
		memcpy(name, b, nlen);
		name[nlen] = 0;
		char why[300];
		const struct tensor_view *v = resolve(ps->m, name, why, sizeof why);
		if (!v && !strcmp(name, "pi")) {
			int id = node_new(ps->t, OP_CONST, -1, -1, 1);
			ps->t->nodes[id].c = M_PI;
			return id;
		}
		if (!v) {
			if (why[0])
				return perr(ps, at, "%s", why);
			return perr(ps, at, "unknown tensor '%s' (see `show` for tensor names)", name);
		}
		return parse_leaf(ps, v, at);
	}
	if (!*ps->p)
		return perr(ps, at, "unexpected end of expression", NULL);
	char tok[8];
	snprintf(tok, sizeof tok, "%.*s", is_middot(ps->p) ? 2 : 1, ps->p);
	return perr(ps, at, "unexpected '%s'", tok);
}

static int parse_unary(struct parser *ps, int depth);

/* power := primary ['^' unary]   (right-associative, binds tighter than unary -) */
static int parse_power(struct parser *ps, int depth)
{
	int a = parse_primary(ps, depth);
	if (a < 0)
		return -1;
	skip_ws(ps);
	if (*ps->p == '^') {
		const char *at = ps->p++;
		int b = parse_unary(ps, depth + 1);
		if (b < 0)
			return -1;
		return binary(ps, OP_POW, a, b, at);
	}
	return a;
}

static int parse_unary(struct parser *ps, int depth)
{
	skip_ws(ps);
	if (depth > MAX_DEPTH)
		return perr(ps, ps->p, "expression nested too deeply", NULL);
	if (*ps->p == '-') {
		ps->p++;
		int a = parse_unary(ps, depth + 1);
		return a < 0 ? -1 : node_new(ps->t, OP_NEG, a, -1, len_of(ps, a));
	}
	if (*ps->p == '+') {
		ps->p++;
		return parse_unary(ps, depth + 1);
	}
	return parse_power(ps, depth);
}

static int parse_term(struct parser *ps, int depth)
{
	int a = parse_unary(ps, depth);
	for (;;) {
		if (a < 0)
			return -1;
		skip_ws(ps);
		enum op op;
		const char *at = ps->p;
		if (*ps->p == '*') { op = OP_MUL; ps->p++; }
		else if (*ps->p == '/') { op = OP_DIV; ps->p++; }
		else if (is_middot(ps->p)) { op = OP_DOT; ps->p += 2; }
		else return a;
		int b = parse_unary(ps, depth);
		if (b < 0)
			return -1;
		a = binary(ps, op, a, b, at);
	}
}

static int parse_expr(struct parser *ps, int depth)
{
	int a = parse_term(ps, depth);
	for (;;) {
		if (a < 0)
			return -1;
		skip_ws(ps);
		enum op op;
		const char *at = ps->p;
		if (*ps->p == '+') op = OP_ADD;
		else if (*ps->p == '-') op = OP_SUB;
		else return a;
		ps->p++;
		int b = parse_term(ps, depth);
		if (b < 0)
			return -1;
		a = binary(ps, op, a, b, at);
	}
}

static void tape_free(struct tape *t)
{
	free(t->nodes); free(t->idx); free(t->val); free(t->adj);
	memset(t, 0, sizeof *t);
}

static int compile_into(struct tape *t, const char *text, const struct model *m, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	struct parser ps = { text, text, m, t, err, errlen, 0 };
	if (!m || !m->built) {
		nt_err(err, errlen, NT_ESTATE, "the model is not built yet (add data and layers first)");
		return NT_ESTATE;
	}
	skip_ws(&ps);
	if (!*ps.p) {
		perr(&ps, ps.p, "empty expression", NULL);
		return NT_EINVAL;
	}
	int root = parse_expr(&ps, 0);
	if (root >= 0) {
		skip_ws(&ps);
		if (*ps.p == ')')
			perr(&ps, ps.p, "unbalanced ')'", NULL);
		else if (*ps.p)
			perr(&ps, ps.p, "expected an operator (+ - * / ^ ·)", NULL);
		else if (t->nodes[root].n != 1) {
			char msg[120];
			snprintf(msg, sizeof msg, "the expression has %d entries; reduce it with sum(), norm2() or dot()", t->nodes[root].n);
			perr(&ps, text, "%s", msg);
		} else if (root != t->nnodes - 1)
			perr(&ps, text, "internal: root is not last", NULL);
	}
	if (ps.failed) {
		tape_free(t);
		return NT_EINVAL;
	}
	t->val = xcalloc(t->nvals + 1, sizeof(double));
	t->adj = xcalloc(t->nvals + 1, sizeof(double));
	return 0;
}

struct expr *expr_compile(const char *text, const struct model *m, char *err, size_t errlen)
{
	struct expr *e = xcalloc(1, sizeof *e);
	if (compile_into(&e->t, text, m, err, errlen)) {
		free(e);
		return NULL;
	}
	e->text = xstrdup(text);
	e->refs = 1;
	return e;
}

void expr_free(struct expr *e)
{
	if (!e || --e->refs > 0)
		return;
	tape_free(&e->t);
	free(e->text);
	free(e);
}

const char *expr_text(const struct expr *e) { return e->text; }

int expr_rebind(struct expr *e, const struct model *m, char *err, size_t errlen)
{
	struct tape t;
	int rc = compile_into(&t, e->text, m, err, errlen);
	if (rc) {
		e->broken = 1;
		return rc;
	}
	tape_free(&e->t);
	e->t = t;
	e->broken = 0;
	return 0;
}

/* value of operand x at entry k (a length-1 operand broadcasts) */
static double at_k(const struct tape *t, const struct node *x, int k)
{
	return t->val[x->off + (x->n == 1 ? 0 : (size_t)k)];
}

static void add_adj(struct tape *t, const struct node *x, int k, double g)
{
	t->adj[x->off + (x->n == 1 ? 0 : (size_t)k)] += g;
}

static void forward(struct tape *t, const double *theta)
{
	for (int i = 0; i < t->nnodes; i++) {
		const struct node *d = &t->nodes[i];
		const struct node *A = d->a >= 0 ? &t->nodes[d->a] : NULL, *B = d->b >= 0 ? &t->nodes[d->b] : NULL;
		double *y = t->val + d->off;
		switch (d->op) {
		case OP_CONST: y[0] = d->c; break;
		case OP_LEAF:
			for (int k = 0; k < d->n; k++)
				y[k] = theta[t->idx[d->leaf + (size_t)k]];
			break;
		case OP_ADD: for (int k = 0; k < d->n; k++) y[k] = at_k(t, A, k) + at_k(t, B, k); break;
		case OP_SUB: for (int k = 0; k < d->n; k++) y[k] = at_k(t, A, k) - at_k(t, B, k); break;
		case OP_MUL: for (int k = 0; k < d->n; k++) y[k] = at_k(t, A, k) * at_k(t, B, k); break;
		case OP_DIV: for (int k = 0; k < d->n; k++) y[k] = at_k(t, A, k) / at_k(t, B, k); break;
		case OP_POW: for (int k = 0; k < d->n; k++) y[k] = pow(at_k(t, A, k), at_k(t, B, k)); break;
		case OP_ATAN2: for (int k = 0; k < d->n; k++) y[k] = atan2(at_k(t, A, k), at_k(t, B, k)); break;
		case OP_NEG: for (int k = 0; k < d->n; k++) y[k] = -at_k(t, A, k); break;
		case OP_SQRT: for (int k = 0; k < d->n; k++) y[k] = sqrt(at_k(t, A, k)); break;
		case OP_EXP: for (int k = 0; k < d->n; k++) y[k] = exp(at_k(t, A, k)); break;
		case OP_LOG: for (int k = 0; k < d->n; k++) y[k] = log(at_k(t, A, k)); break;
		case OP_ABS: for (int k = 0; k < d->n; k++) y[k] = fabs(at_k(t, A, k)); break;
		case OP_DOT: {
			double s = 0;
			for (int k = 0; k < A->n; k++)
				s += at_k(t, A, k) * at_k(t, B, k);
			y[0] = s;
			break;
		}
		case OP_SUM: case OP_NORM2: case OP_NORM: {
			double s = 0;
			for (int k = 0; k < A->n; k++) {
				double v = at_k(t, A, k);
				s += d->op == OP_SUM ? v : v * v;
			}
			y[0] = d->op == OP_NORM ? sqrt(s) : s;
			break;
		}
		}
	}
}

static void backward(struct tape *t, double *grad, double scale)
{
	memset(t->adj, 0, t->nvals * sizeof(double));
	t->adj[t->nodes[t->nnodes - 1].off] = 1.0;
	for (int i = t->nnodes - 1; i >= 0; i--) {
		const struct node *d = &t->nodes[i];
		const struct node *A = d->a >= 0 ? &t->nodes[d->a] : NULL, *B = d->b >= 0 ? &t->nodes[d->b] : NULL;
		const double *g = t->adj + d->off, *y = t->val + d->off;
		for (int k = 0; k < (d->op == OP_DOT || d->op == OP_SUM || d->op == OP_NORM2 || d->op == OP_NORM ? 1 : d->n); k++) {
			double gk = g[k];
			if (gk == 0)
				continue;
			double a = A ? at_k(t, A, k) : 0, b = B ? at_k(t, B, k) : 0;
			switch (d->op) {
			case OP_CONST: break;
			case OP_LEAF: grad[t->idx[d->leaf + (size_t)k]] += scale * gk; break;
			case OP_ADD: add_adj(t, A, k, gk); add_adj(t, B, k, gk); break;
			case OP_SUB: add_adj(t, A, k, gk); add_adj(t, B, k, -gk); break;
			case OP_MUL: add_adj(t, A, k, gk * b); add_adj(t, B, k, gk * a); break;
			case OP_DIV: add_adj(t, A, k, gk / b); add_adj(t, B, k, -gk * a / (b * b)); break;
			case OP_POW:
				add_adj(t, A, k, gk * b * pow(a, b - 1));
				if (B->op != OP_CONST)
					add_adj(t, B, k, gk * y[k] * log(a));
				break;
			case OP_ATAN2: { /* atan2(a, b): ∂a = b/(a²+b²), ∂b = -a/(a²+b²) */
				double r = a * a + b * b;
				add_adj(t, A, k, gk * b / r);
				add_adj(t, B, k, -gk * a / r);
				break;
			}
			case OP_NEG: add_adj(t, A, k, -gk); break;
			case OP_SQRT: add_adj(t, A, k, gk * 0.5 / y[k]); break;
			case OP_EXP: add_adj(t, A, k, gk * y[k]); break;
			case OP_LOG: add_adj(t, A, k, gk / a); break;
			case OP_ABS: add_adj(t, A, k, a > 0 ? gk : a < 0 ? -gk : 0); break;
			case OP_DOT:
				for (int j = 0; j < A->n; j++) {
					add_adj(t, A, j, gk * at_k(t, B, j));
					add_adj(t, B, j, gk * at_k(t, A, j));
				}
				break;
			case OP_SUM: for (int j = 0; j < A->n; j++) add_adj(t, A, j, gk); break;
			case OP_NORM2: for (int j = 0; j < A->n; j++) add_adj(t, A, j, 2 * gk * at_k(t, A, j)); break;
			case OP_NORM: for (int j = 0; j < A->n; j++) add_adj(t, A, j, gk * at_k(t, A, j) / y[0]); break;
			}
		}
	}
}

double expr_eval(struct expr *e, const double *theta, double *grad, double scale)
{
	if (e->broken)
		return NAN;
	forward(&e->t, theta);
	if (grad)
		backward(&e->t, grad, scale);
	return e->t.val[e->t.nodes[e->t.nnodes - 1].off];
}

/* ---- quantity glue ------------------------------------------------------ */

static double q_fn(const struct quantity *q, const double *theta, double *grad, double scale)
{
	return expr_eval(q->fn_ctx, theta, grad, scale);
}

static void q_free(void *ctx) { expr_free(ctx); }

static void *q_dup(void *ctx)
{
	((struct expr *)ctx)->refs++;
	return ctx;
}

static int q_rebind(struct quantity *q, const struct model *m)
{
	char err[400];
	struct expr *e = q->fn_ctx;
	int rc = expr_rebind(e, m, err, sizeof err);
	if (rc)
		snprintf(q->formula, sizeof q->formula, "(unresolved: %s) %s", err, e->text);
	else
		str_copy(q->formula, e->text, sizeof q->formula);
	return rc;
}

struct quantity *expr_quantity_new(const char *name, const char *text, const struct model *m, char *err, size_t errlen)
{
	size_t L = strlen(name);
	if (!L || L >= sizeof ((struct quantity *)0)->name || !(isalpha((unsigned char)name[0]) || name[0] == '_')) {
		nt_err(err, errlen, NT_EINVAL, "'%s' is not a valid name (a letter, then letters, digits, _ or -)", name);
		return NULL;
	}
	for (size_t i = 0; i < L; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-') {
			nt_err(err, errlen, NT_EINVAL, "'%s' is not a valid name (a letter, then letters, digits, _ or -)", name);
			return NULL;
		}
	struct expr *e = expr_compile(text, m, err, errlen);
	if (!e)
		return NULL;
	struct quantity *q = quantity_new(name, QK_EXPR, 1);
	str_copy(q->formula, text, sizeof q->formula);
	q->fn = q_fn;
	q->fn_ctx = e;
	q->fn_free = q_free;
	q->fn_rebind = q_rebind;
	q->fn_dup = q_dup;
	q->user = 1;
	q->role = QR_CONTRAST;
	return q;
}
