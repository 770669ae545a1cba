/* bridge.c — catalogue laws evaluated on the safetensors checkpoints of an
 * outside training run (see bridge.h for the series, the map and the laws).
 *
 * How a checkpoint is read: its files (one, or the shards of an index) are
 * mapped; for each block the tensors it uses are streamed a row block at a
 * time (converted to double, pages given back), feeding small Gram
 * accumulators — per head or group the dk×dk Gram of its slice of q, k, v or
 * o (bias as an extra row), per neuron the squared norm of its up row and
 * down column — and, for rounding floors, per slice the variance terms. The
 * block's laws are then formed from those accumulators. Memory: one row block
 * (at most BLOCK_ELEMS doubles or one head slice), one block's accumulators,
 * and the first checkpoint's law values.
 *
 * Invariants: the map and the quantities are fixed by the first checkpoint;
 * every later checkpoint must have the same shapes, else it is refused with
 * the file and tensor named and the series is unchanged; a law a declared
 * feature breaks (QK-norm, tying) is BQ_NA and never gets a value; drift is
 * relative to the first checkpoint and to the law's magnitude. */
#include "noether/bridge.h"
#include "noether/safetensors.h"
#include "noether/util.h"
#include <cblas.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef NT_VERSION
#define NT_VERSION "0.0"
#endif

#define MAP_MAX_BLOCKS 100000
#define BRIDGE_MAX_FILES 100000
#define BLOCK_ELEMS ((size_t)1 << 20)   /* doubles converted at a time */
#define JSON_MAX_BYTES ((size_t)64 << 20)
#define PATHLEN 1024

enum { MB_ATTN, MB_SWIGLU, MB_NOTE };
enum { LAY_LINEAR, LAY_CONV1D };
enum { ROPE_NONE, ROPE_HALF, ROPE_INTERLEAVED };
enum { T_Q, T_K, T_V, T_O, T_QKV, T_QB, T_KB, T_VB, T_QKVB,
       T_GATE, T_UP, T_DOWN, T_GATE_UP, T_UPB, T_GATEB, T_DOWNB, T_COUNT };
static const char *const tkey[T_COUNT] = { "q", "k", "v", "o", "qkv", "q_bias", "k_bias", "v_bias", "qkv_bias",
                                           "gate", "up", "down", "gate_up", "up_bias", "gate_bias", "down_bias" };
static const char *const rope_name[] = { "none", "half", "interleaved" };

enum { AX_ROWS, AX_COLS };
/* accumulator slots: attention Q K V O, MLP UP DOWN GATE */
enum { S_Q = 0, S_K = 1, S_V = 2, S_O = 3, S_UP = 0, S_DOWN = 1, NSLOT = 4 };

enum { FK_QK, FK_QK_PLANE, FK_QK_NOPE, FK_QK_TRACE, FK_VO, FK_VO_TRACE, FK_NEURON,
       FK_C_QKFULL };
/* a law A − B and its single terms: part 0 the law, 1 the term A, 2 the term B */
static const char *const part_name[][2] = {
	[FK_QK] = { "QtQ", "KtK" }, [FK_QK_PLANE] = { "Q", "K" }, [FK_QK_NOPE] = { "QtQ", "KtK" },
	[FK_QK_TRACE] = { "|Wq|^2", "|Wk|^2" }, [FK_VO] = { "VtV", "OtO" }, [FK_VO_TRACE] = { "|Wv|^2", "|Wo|^2" },
	[FK_NEURON] = { "down", "up" }, [FK_C_QKFULL] = { "", "" } };

/* How one weight tensor feeds one accumulator slot: `count` slices of `n`
 * rows (AX_ROWS, Gram W_s W_sᵀ) or columns (AX_COLS, Gram W_sᵀ W_s) starting
 * at row/column `off`; the bias (1-d, indexed like the output axis) joins each
 * slice as one more sample. tail: first index of the sub-block whose variance
 * sums are kept apart (the dimensions RoPE leaves alone). */
struct slicing {
	int role, bias, axis, n, count, tail;
	long off;
};

struct pass {              /* one walk over the rows of a tensor */
	int role, bias;        /* bias: a bias pass for slicing sl[0] */
	int nsl, sl[NSLOT];
	long r0, r1, step;
};

struct mblock {
	int kind;
	char name[64];
	char t[T_COUNT][256];
	int layout;
	int heads, kv, hd, rope, rd, qknorm;   /* hd 0: head split unknown (trace laws) */
	char tied[512];
	char note[300];
	int li;                /* layer number for the printed map, -1 none */
	char key[1200];        /* its map line with {i}, for grouping and order */
	long d, dff, qd, kd;   /* from the first checkpoint */
	int na_all;            /* inferred but not evaluable: all laws BQ_NA with note */
	int nsl, npass;
	struct slicing sl[NSLOT];
	struct pass pass[3 * NSLOT];
	const struct st_file *rf[T_COUNT];     /* current checkpoint */
	const struct st_tensor *rt[T_COUNT];
};

struct acc {               /* one slot's accumulators, reused block to block */
	int n, count;
	size_t cap;
	double *G, *dg, *T, *Tt;
};

struct src {               /* one checkpoint found */
	char name[PATHLEN];
	char dir[PATHLEN];
	int nfiles;
	char **files;
	char index[PATHLEN];
	long name_step;
	int state;             /* 0 pending, 1 read, 2 refused */
	double first_fail;
};

struct lookup { const char *name; int file; const struct st_tensor *t; };

struct ckopen {
	int nf;
	struct st_file **f;
	char **path;
	long *size;
	long *mtime;
	int n;
	struct lookup *lk;
};

struct sbuf { char *s; size_t n, cap; };

struct bridge {
	struct bridge_opts o;
	char spec[PATHLEN], rundir[PATHLEN], map_path[PATHLEN];
	int nb, nnotes;
	struct mblock *b, *notes;
	int map_known;
	char *map_text;
	int nsrc;
	struct src *src;
	char **bad;            /* follow: names already reported as unreadable */
	int nbad;
	int nfam;
	struct bridge_fam *fam;
	int nck;
	struct bridge_ck *ck;
	struct acc acc[NSLOT];
	double *X, *scratch;   /* row block, variance sums */
	size_t xcap, scap;
	/* the checkpoint being read */
	int cur, cur_src, cur_bi, cur_pi;
	long cur_row;
	struct ckopen co;
	double cur_bytes_done, cur_bytes_total, cur_t0;
	int cur_dtype_mixed;
	char cur_dtype[8];
	double rss0, peak, largest;
	double *tmp;           /* contrasts' drifts for the median */
	size_t tmpcap;
};

/* ------------------------------------------------------------------ helpers */

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if (b->n + (size_t)k + 1 > b->cap) {
		b->cap = (b->n + (size_t)k + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)k;
}

/* Compares strings with digit runs as numbers ("checkpoint-500" < "checkpoint-1000"). */
static int natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (*a == '0') a++;
			while (*b == '0') b++;
			size_t la = 0, lb = 0;
			while (isdigit((unsigned char)a[la])) la++;
			while (isdigit((unsigned char)b[lb])) lb++;
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = strncmp(a, b, la);
			if (c)
				return c;
			a += la;
			b += lb;
		} else {
			if (*a != *b)
				return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
			a++;
			b++;
		}
	}
	return *a ? 1 : *b ? -1 : 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

/* The last run of digits in a checkpoint's name (extensions dropped), or -1. */
static long name_number(const char *path)
{
	char b[PATHLEN];
	str_copy(b, base_name(path), sizeof b);
	char *e = strstr(b, ".safetensors");
	if (e)
		*e = 0;
	long v = -1;
	for (char *p = b; *p; p++)
		if (isdigit((unsigned char)*p)) {
			char *q = p;
			long x = 0;
			while (isdigit((unsigned char)*q) && x < 100000000000L)
				x = x * 10 + (*q++ - '0');
			v = x;
			p = q - 1;
		}
	return v;
}

static double file_mtime(const char *path, long *size)
{
	struct stat st;
	if (stat(path, &st))
		return -1;
	if (size)
		*size = (long)st.st_size;
	return (double)st.st_mtim.tv_sec + 1e-9 * (double)st.st_mtim.tv_nsec;
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Resident memory of this process, bytes (0 where /proc is not there). */
static double rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long a = 0, r = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &a, &r) != 2)
		r = 0;
	fclose(f);
	long pg = sysconf(_SC_PAGESIZE);
	return (double)r * (double)(pg > 0 ? pg : 4096);
}

static void sample_memory(struct bridge *b)
{
	double r = rss_bytes() - b->rss0;
	if (r > b->peak)
		b->peak = r;
}

/* Reads a JSON file of at most JSON_MAX_BYTES. */
static int read_json(const char *path, json_t **out, char *err, size_t errlen)
{
	*out = NULL;
	struct stat st;
	if (!stat(path, &st) && !S_ISREG(st.st_mode))   /* before opening: a FIFO would block */
		return nt_err(err, errlen, NT_EIO, "'%s' is not a regular file", path);
	FILE *f = fopen(path, "rb");
	if (!f)
		return nt_err(err, errlen, NT_ENOENT, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > JSON_MAX_BYTES) {
		fclose(f);
		return nt_err(err, errlen, NT_EIO, "'%s': not a regular file of at most %zu bytes", path, JSON_MAX_BYTES);
	}
	size_t n = (size_t)st.st_size;
	char *buf = xmalloc(n + 1);
	size_t got = fread(buf, 1, n, f);
	fclose(f);
	if (got != n) {
		free(buf);
		return nt_err(err, errlen, NT_EIO, "cannot read '%s'", path);
	}
	json_error_t je;
	json_t *j = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (!j)
		return nt_err(err, errlen, NT_EIO, "%s: bad JSON at byte %d: %s", path, je.position, je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return nt_err(err, errlen, NT_EIO, "%s: not a JSON object", path);
	}
	*out = j;
	return 0;
}

/* --------------------------------------------------------------------- map */

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

static int role_kind(int t)
{
	return t <= T_QKVB ? MB_ATTN : MB_SWIGLU;
}

/* Checks a block's options; "" on success, else the problem. */
static const char *block_check(struct mblock *b)
{
	if (b->kind == MB_ATTN) {
		int sep = b->t[T_Q][0] || b->t[T_K][0] || b->t[T_V][0];
		if (sep && b->t[T_QKV][0])
			return "give q= k= v= or qkv=, not both";
		if (!b->t[T_QKV][0] && (!b->t[T_Q][0] || !b->t[T_K][0] || !b->t[T_V][0]))
			return "attention needs q=, k= and v= (or qkv=)";
		if (!b->t[T_O][0])
			return "attention needs o=TENSOR";
		if (b->t[T_QKVB][0] && !b->t[T_QKV][0])
			return "qkv_bias= goes with qkv=";
		if ((b->t[T_QB][0] || b->t[T_KB][0] || b->t[T_VB][0]) && b->t[T_QKV][0])
			return "with qkv= the bias is qkv_bias=";
		if (!b->heads != !b->hd)
			return "give heads= and head_dim= together (or neither: whole-layer trace laws)";
		if (!b->heads && (b->kv > 0 || b->rd > 0))
			return "kv_heads= and rope_dims= need heads= and head_dim=";
		if (!b->heads && b->t[T_QKV][0])
			return "a fused qkv= needs heads= and head_dim= to be split";
		if (b->heads) {
			if (b->rope < 0)
				return "attention with heads= needs rope=none|half|interleaved";
			if (b->kv <= 0)
				b->kv = b->heads;
			if (b->kv > b->heads || b->heads % b->kv)
				return "kv_heads must divide heads";
			if (b->rd <= 0)
				b->rd = b->rope == ROPE_NONE ? 0 : b->hd;
			if (b->rope == ROPE_NONE && b->rd)
				return "rope_dims= needs rope=half|interleaved";
			if (b->rope != ROPE_NONE && (b->rd % 2 || b->rd > b->hd))
				return "RoPE needs an even rope_dims (default head_dim) of at most head_dim";
		}
	} else {
		if (!b->t[T_DOWN][0])
			return "swiglu needs down=TENSOR";
		if ((b->t[T_GATE][0] || b->t[T_UP][0]) && b->t[T_GATE_UP][0])
			return "give gate= up= or gate_up=, not both";
		if (!b->t[T_GATE_UP][0] && (!b->t[T_GATE][0] || !b->t[T_UP][0]))
			return "swiglu needs gate= and up= (or gate_up=)";
	}
	return "";
}

static int map_line(struct bridge *br, char **w, int nw, const char *path, int ln, char *err, size_t errlen)
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
			if (!dash || (*dash = 0, parse_long(w[i] + 7, &a)) || parse_long(dash + 1, &z) || a < 0 || z < a || z - a > 10000)
				return nt_err(err, errlen, NT_EINVAL, "%s:%d: layers=A-B needs 0 <= A <= B, at most 10001 layers", path, ln);
			*dash = '-';
			ranged = 1;
		}
	for (long li = a; li <= z; li++) {
		if (br->nb >= MAP_MAX_BLOCKS)
			return nt_err(err, errlen, NT_ERANGE, "%s:%d: more than %d blocks", path, ln, MAP_MAX_BLOCKS);
		br->b = xappend(br->b, (size_t)(br->nb), sizeof *br->b);
		struct mblock *b = &br->b[br->nb];
		memset(b, 0, sizeof *b);
		b->kind = kind;
		b->kv = -1;
		b->rope = -1;
		b->li = ranged ? (int)li : -1;
		subst(b->name, sizeof b->name, w[1], li);
		for (int i = 2; i < nw; i++) {
			char *eq = strchr(w[i], '=');
			if (!eq)
				return nt_err(err, errlen, NT_EINVAL, "%s:%d: expected key=value, not '%s'", path, ln, w[i]);
			*eq = 0;
			const char *k = w[i];
			char v[256];
			subst(v, sizeof v, eq + 1, li);
			int ok = 0;
			long l;
			for (int t = 0; t < T_COUNT; t++)
				if (!strcmp(k, tkey[t]) && role_kind(t) == kind) {
					int isbias = t == T_QB || t == T_KB || t == T_VB || t == T_QKVB || t >= T_UPB;
					if (!isbias || (strcmp(v, "no") && strcmp(v, "none") && strcmp(v, "off")))
						str_copy(b->t[t], v, sizeof b->t[t]);
					ok = v[0] != 0;
				}
			if (!strcmp(k, "layers"))
				ok = 1;
			else if (kind == MB_ATTN && (!strcmp(k, "heads") || !strcmp(k, "kv_heads") || !strcmp(k, "head_dim")
			                             || !strcmp(k, "rope_dims"))) {
				ok = !parse_long(v, &l) && l >= 1 && l <= 65536;
				if (ok)
					*(!strcmp(k, "heads") ? &b->heads : !strcmp(k, "kv_heads") ? &b->kv : !strcmp(k, "head_dim") ? &b->hd : &b->rd) = (int)l;
			} else if (kind == MB_ATTN && !strcmp(k, "rope")) {
				b->rope = !strcmp(v, "none") ? ROPE_NONE : !strcmp(v, "half") ? ROPE_HALF : !strcmp(v, "interleaved") ? ROPE_INTERLEAVED : -2;
				ok = b->rope >= 0;
			} else if (kind == MB_ATTN && !strcmp(k, "qk_norm"))
				ok = !yesno(v, &b->qknorm);
			else if (!strcmp(k, "layout")) {
				b->layout = !strcmp(v, "linear") ? LAY_LINEAR : !strcmp(v, "conv1d") ? LAY_CONV1D : -1;
				ok = b->layout >= 0;
			} else if (!strcmp(k, "tied")) {
				snprintf(b->tied, sizeof b->tied, ",%s,", v);
				ok = 1;
			}
			*eq = '=';
			if (!ok)
				return nt_err(err, errlen, NT_EINVAL, "%s:%d: bad or unknown option '%s' for %s", path, ln, w[i], w[0]);
		}
		const char *why = block_check(b);
		if (why[0])
			return nt_err(err, errlen, NT_EINVAL, "%s:%d: %s %s: %s", path, ln, w[0], b->name, why);
		br->nb++;
		if (!ranged)
			break;
	}
	return 0;
}

static int map_read(struct bridge *br, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (!stat(path, &st) && !S_ISREG(st.st_mode))   /* before opening: a FIFO would block */
		return nt_err(err, errlen, NT_EIO, "map: '%s' is not a regular file", path);
	FILE *f = fopen(path, "r");
	if (!f)
		return nt_err(err, errlen, NT_ENOENT, "map: cannot open '%s': %s", path, strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		return nt_err(err, errlen, NT_EIO, "map: '%s' is not a regular file", path);
	}
	char line[8192];
	int ln = 0, rc = 0;
	while (!rc && fgets(line, sizeof line, f)) {
		ln++;
		if (!strchr(line, '\n') && !feof(f)) {
			rc = nt_err(err, errlen, NT_EINVAL, "%s:%d: line longer than %zu bytes", path, ln, sizeof line - 1);
			break;
		}
		if (strlen(line) + 1 < sizeof line && memchr(line, 0, strlen(line) + 1) != line + strlen(line)) {
			rc = nt_err(err, errlen, NT_EINVAL, "%s:%d: NUL byte", path, ln);
			break;
		}
		char *h = strchr(line, '#');
		if (h)
			*h = 0;
		char *w[64], *save = NULL;
		int nw = 0;
		for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
			if (nw == 64) {
				rc = nt_err(err, errlen, NT_EINVAL, "%s:%d: more than 64 words", path, ln);
				break;
			}
			w[nw++] = t;
		}
		if (!rc && nw)
			rc = map_line(br, w, nw, path, ln, err, errlen);
	}
	fclose(f);
	if (!rc && !br->nb)
		rc = nt_err(err, errlen, NT_EINVAL, "map %s: no blocks (attention ... / swiglu ...)", path);
	return rc;
}

/* Replaces the first ".LI." in s by ".{i}." (and "layerLI" by "layer{i}");
 * 0 if there is none to replace. */
static int templ(char *dst, size_t n, const char *s, int li, int is_name)
{
	char pat[32], rep[32];
	if (is_name) {
		snprintf(pat, sizeof pat, "layer%d", li);
		snprintf(rep, sizeof rep, "layer{i}");
	} else {
		snprintf(pat, sizeof pat, ".%d.", li);
		snprintf(rep, sizeof rep, ".{i}.");
	}
	const char *p = strstr(s, pat);
	if (is_name && p && isdigit((unsigned char)p[strlen(pat)]))
		p = NULL;
	if (!p) {
		str_copy(dst, s, n);
		return 0;
	}
	snprintf(dst, n, "%.*s%s%s", (int)(p - s), s, rep, p + strlen(pat));
	return 1;
}

/* The block's map line; with li >= 0 its layer number replaced by {i}. */
static void block_line(const struct mblock *b, int li, struct sbuf *sb)
{
	char x[300];
	if (b->kind == MB_NOTE) {
		templ(x, sizeof x, b->name, li, 1);
		sb_printf(sb, "# %s: %s", li >= 0 ? x : b->name, b->note);
		return;
	}
	templ(x, sizeof x, b->name, li, 1);
	sb_printf(sb, "%s %s", b->kind == MB_ATTN ? "attention" : "swiglu", li >= 0 ? x : b->name);
	for (int t = 0; t < T_COUNT; t++)
		if (b->t[t][0]) {
			templ(x, sizeof x, b->t[t], li, 0);
			sb_printf(sb, " %s=%s", tkey[t], li >= 0 ? x : b->t[t]);
		}
	if (b->kind == MB_ATTN && b->heads) {
		sb_printf(sb, " heads=%d kv_heads=%d head_dim=%d rope=%s", b->heads, b->kv, b->hd, rope_name[b->rope]);
		if (b->rope != ROPE_NONE && b->rd != b->hd)
			sb_printf(sb, " rope_dims=%d", b->rd);
	}
	if (b->qknorm)
		sb_printf(sb, " qk_norm=yes");
	if (b->layout == LAY_CONV1D)
		sb_printf(sb, " layout=conv1d");
	if (b->tied[0]) {
		char tt[512];
		str_copy(tt, b->tied + 1, sizeof tt);
		if (tt[0])
			tt[strlen(tt) - 1] = 0;
		sb_printf(sb, " tied=%s", tt);
	}
}

/* The grouping key: the line with {i} when every layer-numbered part has it. */
static void block_key(struct mblock *b)
{
	struct sbuf sb = { 0 };
	block_line(b, b->li, &sb);
	if (b->kind != MB_NOTE && b->note[0])
		sb_printf(&sb, "\n# %s", b->note);
	/* check: substituting back gives the line without templating */
	if (b->li >= 0) {
		struct sbuf raw = { 0 };
		block_line(b, -1, &raw);
		if (b->kind != MB_NOTE && b->note[0])
			sb_printf(&raw, "\n# %s", b->note);
		char *back = xmalloc(sb.n + 64);
		subst(back, sb.n + 64, sb.s, b->li);
		if (strcmp(back, raw.s) || strstr(raw.s, "{i}")) {
			free(sb.s);
			sb = raw;
			raw.s = NULL;
			b->li = -1;
		}
		free(back);
		free(raw.s);
	}
	str_copy(b->key, sb.s ? sb.s : "", sizeof b->key);
	free(sb.s);
}

static void map_text_build(struct bridge *br)
{
	struct sbuf sb = { 0 };
	for (int pass = 0; pass < 2; pass++) {
		struct mblock *v = pass ? br->notes : br->b;
		int n = pass ? br->nnotes : br->nb;
		for (int i = 0; i < n;) {
			int j = i + 1;
			if (v[i].li >= 0)
				while (j < n && v[j].li == v[j - 1].li + 1 && !strcmp(v[j].key, v[i].key))
					j++;
			if (j - i > 1 || v[i].li >= 0) {
				if (j - i == 1) {
					block_line(&v[i], -1, &sb);
					if (v[i].kind != MB_NOTE && v[i].note[0])
						sb_printf(&sb, "\n# %s", v[i].note);
				} else {
					char *nl = strchr(v[i].key, '\n');
					sb_printf(&sb, "%.*s layers=%d-%d%s", nl ? (int)(nl - v[i].key) : (int)strlen(v[i].key), v[i].key,
					          v[i].li, v[j - 1].li, nl ? nl : "");
				}
			} else
				sb_printf(&sb, "%s", v[i].key);
			sb_printf(&sb, "\n");
			i = j;
		}
	}
	free(br->map_text);
	br->map_text = sb.s ? sb.s : xstrdup("");
}

/* --------------------------------------------------------------- discovery */

static void src_free(struct src *s)
{
	for (int i = 0; i < s->nfiles; i++)
		free(s->files[i]);
	free(s->files);
	s->files = NULL;
	s->nfiles = 0;
}

static void src_add_file(struct src *s, const char *path)
{
	s->files = xappend(s->files, (size_t)(s->nfiles), sizeof *s->files);
	s->files[s->nfiles++] = xstrdup(path);
}

static void dir_of(char *dst, size_t n, const char *path)
{
	str_copy(dst, path, n);
	char *s = strrchr(dst, '/');
	if (s)
		*s = s == dst ? (s[1] = 0, '/') : 0;
	else
		str_copy(dst, ".", n);
}

/* "PREFIX-00001-of-00004.safetensors" → prefix, k, m. */
static int shard_name(const char *base, char *prefix, size_t n, long *k, long *m)
{
	const char *of = strstr(base, "-of-");
	if (!of || !ends_with(base, ".safetensors"))
		return -1;
	const char *d = of;
	while (d > base && isdigit((unsigned char)d[-1]))
		d--;
	if (d == of || d == base || d[-1] != '-')
		return -1;
	char *e;
	*k = strtol(d, &e, 10);
	if (e != of)
		return -1;
	*m = strtol(of + 4, &e, 10);
	if (strcmp(e, ".safetensors") || *m < 1 || *k < 1 || *k > *m)
		return -1;
	snprintf(prefix, n, "%.*s", (int)(d - 1 - base), base);
	return 0;
}

/* Reads an index: its shard files (relative to its folder, no '..' or '/'). */
static int index_files(const char *index, struct src *s, char *err, size_t errlen)
{
	json_t *j;
	int rc = read_json(index, &j, err, errlen);
	if (rc)
		return rc;
	json_t *wm = json_object_get(j, "weight_map");
	if (!json_is_object(wm) || !json_object_size(wm)) {
		json_decref(j);
		return nt_err(err, errlen, NT_EIO, "%s: no \"weight_map\" object naming the shards", index);
	}
	char dir[PATHLEN];
	dir_of(dir, sizeof dir, index);
	const char *key;
	json_t *v;
	json_object_foreach(wm, key, v) {
		const char *fn = json_string_value(v);
		if (!fn || !fn[0] || strchr(fn, '/') || !strcmp(fn, "..") || !ends_with(fn, ".safetensors")) {
			rc = nt_err(err, errlen, NT_EIO, "%s: weight_map entry '%.100s' does not name a .safetensors file beside the index",
			            index, key);
			break;
		}
		char p[PATHLEN];
		snprintf(p, sizeof p, "%s/%s", dir, fn);
		int seen = 0;
		for (int i = 0; i < s->nfiles && !seen; i++)
			seen = !strcmp(s->files[i], p);
		if (!seen) {
			if (s->nfiles >= BRIDGE_MAX_FILES) {
				rc = nt_err(err, errlen, NT_ERANGE, "%s: more than %d shards", index, BRIDGE_MAX_FILES);
				break;
			}
			src_add_file(s, p);
		}
	}
	json_decref(j);
	return rc;
}

static int cmp_path(const void *a, const void *b)
{
	return natcmp(*(char *const *)a, *(char *const *)b);
}

/* Groups the files of one folder (or a glob) into checkpoints: each index
 * with its shards, shards without an index by prefix, other files alone. */
static int group_files(struct bridge *br, char **paths, int n, struct src **out, int *nout, char *err, size_t errlen)
{
	int rc = 0;
	char *claimed = xcalloc((size_t)n + 1, 1);
	qsort(paths, (size_t)n, sizeof *paths, cmp_path);
	for (int i = 0; i < n && !rc; i++) {
		if (!ends_with(paths[i], ".safetensors.index.json"))
			continue;
		claimed[i] = 1;
		struct src s = { 0 };
		int r = index_files(paths[i], &s, err, errlen);
		if (r) {
			src_free(&s);
			if (!br->o.follow)
				rc = r;
			else {
				double mt = file_mtime(paths[i], NULL);
				int known = 0;
				for (int k = 0; k < br->nbad && !known; k++)
					known = !strcmp(br->bad[k], paths[i]);
				if (!known && wall_now() - mt >= br->o.settle) {
					br->bad = xappend(br->bad, (size_t)(br->nbad), sizeof *br->bad);
					br->bad[br->nbad++] = xstrdup(paths[i]);
					rc = r;
				}
			}
			continue;
		}
		str_copy(s.name, paths[i], sizeof s.name);
		str_copy(s.index, paths[i], sizeof s.index);
		dir_of(s.dir, sizeof s.dir, paths[i]);
		s.name_step = name_number(paths[i]);
		for (int k = 0; k < n; k++)
			for (int f = 0; f < s.nfiles; f++)
				if (!strcmp(paths[k], s.files[f]))
					claimed[k] = 1;
		*out = xappend(*out, (size_t)(*nout), sizeof **out);
		(*out)[(*nout)++] = s;
	}
	for (int i = 0; i < n && !rc; i++) {
		if (claimed[i] || !ends_with(paths[i], ".safetensors"))
			continue;
		char pre[PATHLEN], pre2[PATHLEN];
		long k, m, k2, m2;
		struct src s = { 0 };
		dir_of(s.dir, sizeof s.dir, paths[i]);
		if (!shard_name(base_name(paths[i]), pre, sizeof pre, &k, &m)) {
			snprintf(s.name, sizeof s.name, "%s/%s-*-of-%05ld.safetensors", s.dir, pre, m);
			for (int j = i; j < n; j++)
				if (!claimed[j] && !shard_name(base_name(paths[j]), pre2, sizeof pre2, &k2, &m2) && m2 == m
				    && !strcmp(pre, pre2)) {
					char dj[PATHLEN];
					dir_of(dj, sizeof dj, paths[j]);
					if (strcmp(dj, s.dir))
						continue;
					claimed[j] = 1;
					src_add_file(&s, paths[j]);
				}
			s.name_step = name_number(pre);
		} else {
			claimed[i] = 1;
			str_copy(s.name, paths[i], sizeof s.name);
			src_add_file(&s, paths[i]);
			s.name_step = name_number(paths[i]);
		}
		*out = xappend(*out, (size_t)(*nout), sizeof **out);
		(*out)[(*nout)++] = s;
	}
	free(claimed);
	return rc;
}

static int hidden_name(const char *b)
{
	return b[0] == '.' || !strncmp(b, "tmp-", 4) || ends_with(b, ".tmp");
}

/* Lists a folder's entries (not hidden ones): files and sub-folders. */
static int list_dir(const char *dir, char ***files, int *nf, char ***dirs, int *nd, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d)
		return nt_err(err, errlen, NT_ENOENT, "cannot open folder '%s': %s", dir, strerror(errno));
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		if (hidden_name(e->d_name))
			continue;
		char p[PATHLEN];
		if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p)
			continue;
		struct stat st;
		if (stat(p, &st))
			continue;
		if (S_ISDIR(st.st_mode) && dirs) {
			*dirs = xappend(*dirs, (size_t)(*nd), sizeof **dirs);
			(*dirs)[(*nd)++] = xstrdup(p);
		} else if (S_ISREG(st.st_mode) && (ends_with(p, ".safetensors") || ends_with(p, ".safetensors.index.json"))) {
			if (*nf >= BRIDGE_MAX_FILES) {
				rc = nt_err(err, errlen, NT_ERANGE, "more than %d checkpoint files in '%s'", BRIDGE_MAX_FILES, dir);
				break;
			}
			*files = xappend(*files, (size_t)(*nf), sizeof **files);
			(*files)[(*nf)++] = xstrdup(p);
		}
	}
	closedir(d);
	return rc;
}

static void free_strs(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int src_cmp(const void *a, const void *b)
{
	return natcmp(((const struct src *)a)->name, ((const struct src *)b)->name);
}

/* A checkpoint folder (checkpoint-N/): the one model in it. */
static int folder_src(struct bridge *br, const char *dir, struct src **out, int *nout, char *err, size_t errlen)
{
	char **files = NULL;
	int nf = 0, rc = list_dir(dir, &files, &nf, NULL, NULL, err, errlen);
	struct src *v = NULL;
	int nv = 0;
	if (!rc && nf)
		rc = group_files(br, files, nf, &v, &nv, err, errlen);
	free_strs(files, nf);
	if (rc || !nv) {
		for (int i = 0; i < nv; i++)
			src_free(&v[i]);
		free(v);
		return rc;
	}
	int pick = nv == 1 ? 0 : -1;
	for (int i = 0; i < nv && pick < 0; i++) {
		const char *bn = base_name(v[i].index[0] ? v[i].index : v[i].files[0]);
		if (!strncmp(bn, "model.safetensors", 17) || !strncmp(bn, "model-", 6))
			pick = i;
	}
	if (pick < 0)
		rc = nt_err(err, errlen, NT_EINVAL, "%s: %d models and none named model.safetensors (give one with a glob)", dir, nv);
	else {
		struct src s = v[pick];
		v[pick].files = NULL;
		v[pick].nfiles = 0;
		str_copy(s.name, dir, sizeof s.name);
		str_copy(s.dir, dir, sizeof s.dir);
		s.name_step = name_number(dir);
		*out = xappend(*out, (size_t)(*nout), sizeof **out);
		(*out)[(*nout)++] = s;
	}
	for (int i = 0; i < nv; i++)
		src_free(&v[i]);
	free(v);
	return rc;
}

static int discover(struct bridge *br, struct src **out, int *nout, char *err, size_t errlen)
{
	*out = NULL;
	*nout = 0;
	struct stat st;
	int rc = 0;
	char **files = NULL, **dirs = NULL;
	int nf = 0, nd = 0;
	if (!stat(br->spec, &st) && S_ISDIR(st.st_mode)) {
		rc = list_dir(br->spec, &files, &nf, &dirs, &nd, err, errlen);
	} else if (!stat(br->spec, &st) && S_ISREG(st.st_mode)) {
		files = xmalloc(sizeof *files);
		files[nf++] = xstrdup(br->spec);
	} else {
		glob_t g;
		int r = glob(br->spec, 0, NULL, &g);
		if (r == 0) {
			for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
				if (hidden_name(base_name(g.gl_pathv[i])) || stat(g.gl_pathv[i], &st))
					continue;
				if (nf + nd >= BRIDGE_MAX_FILES)
					rc = nt_err(err, errlen, NT_ERANGE, "more than %d files match '%s'", BRIDGE_MAX_FILES, br->spec);
				else if (S_ISDIR(st.st_mode)) {
					dirs = xappend(dirs, (size_t)(nd), sizeof *dirs);
					dirs[nd++] = xstrdup(g.gl_pathv[i]);
				} else if (S_ISREG(st.st_mode)) {
					files = xappend(files, (size_t)(nf), sizeof *files);
					files[nf++] = xstrdup(g.gl_pathv[i]);
				}
			}
			globfree(&g);
		} else if (!br->o.follow)
			rc = nt_err(err, errlen, NT_ENOENT, "no checkpoints match '%s'", br->spec);
	}
	if (!rc && nf)
		rc = group_files(br, files, nf, out, nout, err, errlen);
	if (nd)
		qsort(dirs, (size_t)nd, sizeof *dirs, cmp_path);
	for (int i = 0; i < nd && !rc; i++)
		rc = folder_src(br, dirs[i], out, nout, err, errlen);
	free_strs(files, nf);
	free_strs(dirs, nd);
	if (!rc && *nout)
		qsort(*out, (size_t)*nout, sizeof **out, src_cmp);
	return rc;
}

int bridge_scan(struct bridge *br, char *err, size_t errlen)
{
	struct src *v;
	int n, rc = discover(br, &v, &n, err, errlen), added = 0;
	for (int i = 0; i < n; i++) {
		int known = 0;
		for (int k = 0; k < br->nsrc && !known; k++)
			known = !strcmp(br->src[k].name, v[i].name);
		if (known || rc) {
			src_free(&v[i]);
			continue;
		}
		if (br->nsrc >= BRIDGE_MAX_FILES) {
			src_free(&v[i]);
			rc = nt_err(err, errlen, NT_ERANGE, "more than %d checkpoints", BRIDGE_MAX_FILES);
			continue;
		}
		br->src = xappend(br->src, (size_t)(br->nsrc), sizeof *br->src);
		br->src[br->nsrc++] = v[i];
		added++;
	}
	free(v);
	return rc ? rc : added;
}

/* -------------------------------------------------------- checkpoint files */

static void ck_close(struct ckopen *c)
{
	for (int i = 0; i < c->nf; i++) {
		st_free(c->f[i]);
		free(c->path[i]);
	}
	free(c->f);
	free(c->path);
	free(c->size);
	free(c->mtime);
	free(c->lk);
	memset(c, 0, sizeof *c);
}

static int lk_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lookup *)a)->name, ((const struct lookup *)b)->name);
}

static const struct lookup *ck_find(const struct ckopen *c, const char *name)
{
	struct lookup key = { name, 0, NULL };
	return bsearch(&key, c->lk, (size_t)c->n, sizeof *c->lk, lk_cmp);
}

/* Opens every file of a checkpoint and checks the index against the shards. */
static int ck_open(struct bridge *br, const struct src *s, struct ckopen *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	int rc = 0;
	if (!s->index[0] && s->nfiles) {   /* shards without an index: all there? */
		char pre[PATHLEN];
		long k, m;
		if (!shard_name(base_name(s->files[0]), pre, sizeof pre, &k, &m) && s->nfiles != m)
			return nt_err(err, errlen, NT_ENOENT, "%s: %d of %ld shards present", s->name, s->nfiles, m);
	}
	c->f = xcalloc((size_t)s->nfiles + 1, sizeof *c->f);
	c->path = xcalloc((size_t)s->nfiles + 1, sizeof *c->path);
	c->size = xcalloc((size_t)s->nfiles + 1, sizeof *c->size);
	c->mtime = xcalloc((size_t)s->nfiles + 1, sizeof *c->mtime);
	for (int i = 0; i < s->nfiles && !rc; i++) {
		rc = st_read(s->files[i], &c->f[i], err, errlen);
		if (rc)
			break;
		c->path[i] = xstrdup(s->files[i]);
		c->mtime[i] = (long)file_mtime(s->files[i], &c->size[i]);
		c->n += c->f[i]->n;
		c->nf++;
		sample_memory(br);
	}
	if (!rc) {
		c->lk = xcalloc((size_t)c->n + 1, sizeof *c->lk);
		int k = 0;
		for (int i = 0; i < c->nf; i++)
			for (int t = 0; t < c->f[i]->n; t++)
				c->lk[k++] = (struct lookup){ c->f[i]->t[t].name, i, &c->f[i]->t[t] };
		qsort(c->lk, (size_t)c->n, sizeof *c->lk, lk_cmp);
		for (int i = 1; i < c->n && !rc; i++)
			if (!strcmp(c->lk[i].name, c->lk[i - 1].name))
				rc = nt_err(err, errlen, NT_EIO, "%s: tensor '%s' is in both %s and %s", s->name, c->lk[i].name,
				            c->path[c->lk[i - 1].file], c->path[c->lk[i].file]);
	}
	if (!rc && s->index[0]) {
		json_t *j;
		rc = read_json(s->index, &j, err, errlen);
		if (!rc) {
			json_t *wm = json_object_get(j, "weight_map");
			const char *key;
			json_t *v;
			json_object_foreach(wm, key, v) {
				const struct lookup *l = ck_find(c, key);
				if (!l || strcmp(base_name(c->path[l->file]), json_string_value(v))) {
					rc = nt_err(err, errlen, NT_EIO, "%s: the index puts tensor '%.200s' in %s, %s", s->index, key,
					            json_string_value(v), l ? "it is in another shard" : "no shard has it");
					break;
				}
			}
			json_decref(j);
		}
	}
	if (rc)
		ck_close(c);
	return rc;
}

/* The files changed since they were opened (rewritten in place)? */
static int ck_changed(const struct ckopen *c, char *err, size_t errlen)
{
	for (int i = 0; i < c->nf; i++) {
		long sz = -1;
		double mt = file_mtime(c->path[i], &sz);
		if (sz != c->size[i] || (long)mt != c->mtime[i])
			return nt_err(err, errlen, NT_EIO, "%s changed while it was being read", c->path[i]);
	}
	return 0;
}

/* ---------------------------------------------------------------- infer */

struct cfg { int heads, kv, hd, hidden, rope, rd, have, found; char type[64], err[200]; double rfac; };

static long jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

static void cfg_read(const char *path, struct cfg *c)
{
	json_t *j;
	char e[300];
	memset(c, 0, sizeof *c);
	c->rope = -1;
	struct stat st;
	c->found = !stat(path, &st);
	if (read_json(path, &j, e, sizeof e)) {
		str_copy(c->err, e, sizeof c->err);
		return;
	}
	json_t *o = j;
	if (jint(o, "num_attention_heads") < 0 && jint(o, "n_head") < 0 && json_is_object(json_object_get(o, "text_config")))
		o = json_object_get(o, "text_config");
	long h = jint(o, "num_attention_heads");
	if (h < 0) h = jint(o, "n_head");
	if (h < 0) h = jint(o, "num_heads");
	long kv = jint(o, "num_key_value_heads");
	if (kv < 0) kv = jint(o, "n_kv_heads");
	if (kv < 0) kv = jint(o, "num_kv_heads");
	if (kv < 0 && json_is_true(json_object_get(o, "multi_query"))) kv = 1;
	long hid = jint(o, "hidden_size");
	if (hid < 0) hid = jint(o, "n_embd");
	if (hid < 0) hid = jint(o, "d_model");
	long hd = jint(o, "head_dim");
	const char *mt = json_string_value(json_object_get(o, "model_type"));
	str_copy(c->type, mt ? mt : "", sizeof c->type);
	if (h > 0 && h <= 65536) {
		c->heads = (int)h;
		c->kv = kv > 0 && kv <= h ? (int)kv : (int)h;
		c->hd = hd > 0 && hd <= 65536 ? (int)hd : hid > 0 && hid % h == 0 ? (int)(hid / h) : 0;
		c->have = c->hd > 0;
	}
	c->hidden = hid > 0 && hid < (1L << 30) ? (int)hid : 0;
	const char *rp = json_string_value(json_object_get(o, "rope_pairing"));
	json_t *pf = json_object_get(o, "partial_rotary_factor"), *rpct = json_object_get(o, "rotary_pct");
	c->rfac = json_is_number(pf) ? json_number_value(pf) : json_is_number(rpct) ? json_number_value(rpct) : 1;
	long rdim = jint(o, "rotary_dim");
	if (rp)
		c->rope = !strcmp(rp, "none") ? ROPE_NONE : !strcmp(rp, "half") ? ROPE_HALF : !strcmp(rp, "interleaved") ? ROPE_INTERLEAVED : -1;
	else if (!strcmp(c->type, "gpt2") || !strcmp(c->type, "gpt_bigcode") || !strcmp(c->type, "opt"))
		c->rope = ROPE_NONE;
	else if (!strcmp(c->type, "gptj") || !strcmp(c->type, "codegen"))
		c->rope = ROPE_INTERLEAVED;
	else if (json_object_get(o, "rope_theta") || json_object_get(o, "rope_scaling") || c->type[0])
		c->rope = ROPE_HALF;
	c->rd = rdim > 0 ? (int)rdim : c->hd > 0 ? (int)(c->rfac * c->hd + 0.5) : 0;
	json_decref(j);
}

static const struct st_tensor *lk_t(const struct ckopen *c, const char *fmt, const char *p)
{
	char n[600];
	snprintf(n, sizeof n, fmt, p);
	const struct lookup *l = ck_find(c, n);
	return l ? l->t : NULL;
}

/* Block name from a tensor prefix: "model.layers.3.self_attn" → "layer3.attn". */
static void short_name(const char *p, char *name, size_t n, int *li)
{
	*li = -1;
	static const char *const keys[] = { "layers.", "h.", "blocks.", "layer.", "block." };
	const char *best = NULL;
	size_t bl = 0;
	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
		for (const char *q = p; (q = strstr(q, keys[k])); q++)
			if ((q == p || q[-1] == '.') && isdigit((unsigned char)q[strlen(keys[k])])) {
				best = q;
				bl = strlen(keys[k]);
				break;
			}
		if (best)
			break;
	}
	if (!best) {
		str_copy(name, p, n);
		return;
	}
	char *e;
	long v = strtol(best + bl, &e, 10);
	*li = v >= 0 && v < 1000000 ? (int)v : -1;
	char rest[512] = "";
	if (*e == '.') {
		str_copy(rest, e + 1, sizeof rest);
		static const char *const from[] = { "self_attn", "attention", "block_sparse_moe", "experts.", "shared_expert", "feed_forward" };
		static const char *const to[] = { "attn", "attn", "moe", "e", "shared", "mlp" };
		for (size_t k = 0; k < sizeof from / sizeof *from; k++) {
			char *q = strstr(rest, from[k]);
			if (q) {
				char t[512];
				snprintf(t, sizeof t, "%.*s%s%s", (int)(q - rest), rest, to[k], q + strlen(from[k]));
				str_copy(rest, t, sizeof rest);
			}
		}
	}
	snprintf(name, n, "layer%d%s%s", *li, rest[0] ? "." : "", rest);
}

static struct mblock *new_block(struct bridge *br, int kind, const char *prefix)
{
	struct mblock **v = kind == MB_NOTE ? &br->notes : &br->b;
	int *n = kind == MB_NOTE ? &br->nnotes : &br->nb;
	*v = xappend(*v, (size_t)(*n), sizeof **v);
	struct mblock *b = &(*v)[(*n)++];
	memset(b, 0, sizeof *b);
	b->kind = kind;
	b->kv = -1;
	b->rope = -1;
	short_name(prefix, b->name, sizeof b->name, &b->li);
	return b;
}

static void set_t(struct mblock *b, int role, const char *fmt, const char *p)
{
	snprintf(b->t[role], sizeof b->t[role], fmt, p);
}

static int blk_cmp(const void *a, const void *b)
{
	const struct mblock *x = a, *y = b;
	int c = natcmp(x->key, y->key);
	return c ? c : x->li - y->li;
}

/* Infers the blocks from the first checkpoint's tensor names and config.json. */
static int infer_map(struct bridge *br, const struct ckopen *c, const struct src *s, char *err, size_t errlen)
{
	struct cfg cfg;
	char cp[PATHLEN + 16];
	snprintf(cp, sizeof cp, "%s/config.json", s->dir);
	cfg_read(cp, &cfg);
	if (!cfg.found) {
		snprintf(cp, sizeof cp, "%s/config.json", br->rundir);
		cfg_read(cp, &cfg);
	}
	char nocfg[260];
	snprintf(nocfg, sizeof nocfg, "%s", !cfg.found ? "no config.json" : cfg.err[0] ? cfg.err
	         : "config.json gives no usable num_attention_heads/head_dim");
	for (int i = 0; i < c->n; i++) {
		const char *nm = c->lk[i].name;
		char p[512];
		size_t L = strlen(nm);
#define SUF(x) (ends_with(nm, x) && L - strlen(x) < sizeof p && (snprintf(p, sizeof p, "%.*s", (int)(L - strlen(x)), nm), 1))
		if (SUF(".q_proj.weight") || SUF(".qkv_proj.weight") || SUF(".c_attn.weight")) {
			int fused = ends_with(nm, ".qkv_proj.weight"), gpt2 = ends_with(nm, ".c_attn.weight");
			const char *o = lk_t(c, "%s.o_proj.weight", p) ? "%s.o_proj.weight" : lk_t(c, "%s.out_proj.weight", p) ? "%s.out_proj.weight"
			              : lk_t(c, "%s.dense.weight", p) ? "%s.dense.weight" : lk_t(c, "%s.c_proj.weight", p) && gpt2 ? "%s.c_proj.weight" : NULL;
			if (!o || (!fused && !gpt2 && (!lk_t(c, "%s.k_proj.weight", p) || !lk_t(c, "%s.v_proj.weight", p))))
				continue;
			struct mblock *b = new_block(br, MB_ATTN, p);
			if (fused || gpt2) {
				set_t(b, T_QKV, gpt2 ? "%s.c_attn.weight" : "%s.qkv_proj.weight", p);
				if (lk_t(c, gpt2 ? "%s.c_attn.bias" : "%s.qkv_proj.bias", p))
					set_t(b, T_QKVB, gpt2 ? "%s.c_attn.bias" : "%s.qkv_proj.bias", p);
				b->layout = gpt2 ? LAY_CONV1D : LAY_LINEAR;
			} else {
				set_t(b, T_Q, "%s.q_proj.weight", p);
				set_t(b, T_K, "%s.k_proj.weight", p);
				set_t(b, T_V, "%s.v_proj.weight", p);
				if (lk_t(c, "%s.q_proj.bias", p)) set_t(b, T_QB, "%s.q_proj.bias", p);
				if (lk_t(c, "%s.k_proj.bias", p)) set_t(b, T_KB, "%s.k_proj.bias", p);
				if (lk_t(c, "%s.v_proj.bias", p)) set_t(b, T_VB, "%s.v_proj.bias", p);
			}
			set_t(b, T_O, o, p);
			b->qknorm = lk_t(c, "%s.q_norm.weight", p) || lk_t(c, "%s.k_norm.weight", p) || lk_t(c, "%s.q_layernorm.weight", p)
			            || lk_t(c, "%s.k_layernorm.weight", p);
			int fits = cfg.have;
			if (fits) {   /* does config.json's split fit the tensors? (rows of q/k, or of the fused qkv) */
				const struct st_tensor *tq = lk_t(c, "%s", b->t[fused || gpt2 ? T_QKV : T_Q]), *tk = fused || gpt2 ? NULL : lk_t(c, "%s", b->t[T_K]);
				long qd = (long)cfg.heads * cfg.hd, kd = (long)cfg.kv * cfg.hd;
				long oq = tq->ndim == 2 ? tq->shape[gpt2 ? 1 : 0] : -1, ok = tk && tk->ndim == 2 ? tk->shape[0] : -1;
				fits = tk ? oq == qd && ok == kd : oq == qd + 2 * kd;
			}
			if (cfg.have && !fits) {
				b->na_all = fused || gpt2;
				snprintf(b->note, sizeof b->note, "config.json's heads %d, kv heads %d, head_dim %d do not fit the tensor shapes: %s",
				         cfg.heads, cfg.kv, cfg.hd, b->na_all ? "laws not applicable" : "whole-layer trace laws only");
			} else if (cfg.have) {
				b->heads = cfg.heads;
				b->kv = cfg.kv;
				b->hd = cfg.hd;
				b->rope = gpt2 ? ROPE_NONE : cfg.rope;
				if (b->rope < 0) {
					b->rope = ROPE_HALF;
					snprintf(b->note, sizeof b->note, "rope=half assumed (config.json does not say; Llama/Qwen/Mistral convention)");
				}
				b->rd = b->rope == ROPE_NONE ? 0 : cfg.rd > 0 && cfg.rd <= cfg.hd && cfg.rd % 2 == 0 ? cfg.rd : cfg.hd;
			} else if (fused || gpt2) {
				b->na_all = 1;
				snprintf(b->note, sizeof b->note, "fused q/k/v cannot be split without heads (%s): laws not applicable", nocfg);
			} else
				snprintf(b->note, sizeof b->note, "heads unknown (%s): whole-layer trace laws only; "
				         "a config.json or map= gives the per-group laws", nocfg);
		} else if (SUF(".gate_proj.weight") || SUF(".gate_up_proj.weight") || SUF(".w1.weight")) {
			int fused = ends_with(nm, ".gate_up_proj.weight"), mix = ends_with(nm, ".w1.weight");
			const char *down = mix ? "%s.w2.weight" : "%s.down_proj.weight", *up = mix ? "%s.w3.weight" : "%s.up_proj.weight";
			if (!lk_t(c, down, p) || (!fused && !lk_t(c, up, p)))
				continue;
			struct mblock *b = new_block(br, MB_SWIGLU, p);
			if (fused)
				set_t(b, T_GATE_UP, "%s.gate_up_proj.weight", p);
			else {
				set_t(b, T_GATE, mix ? "%s.w1.weight" : "%s.gate_proj.weight", p);
				set_t(b, T_UP, up, p);
				if (!mix && lk_t(c, "%s.up_proj.bias", p)) set_t(b, T_UPB, "%s.up_proj.bias", p);
				if (!mix && lk_t(c, "%s.gate_proj.bias", p)) set_t(b, T_GATEB, "%s.gate_proj.bias", p);
			}
			set_t(b, T_DOWN, down, p);
			if (!mix && lk_t(c, "%s.down_proj.bias", p)) set_t(b, T_DOWNB, "%s.down_proj.bias", p);
		} else if (SUF(".c_fc.weight") || SUF(".fc1.weight")) {
			int gpt2 = ends_with(nm, ".c_fc.weight");
			if (!lk_t(c, gpt2 ? "%s.c_proj.weight" : "%s.fc2.weight", p))
				continue;
			struct mblock *b = new_block(br, MB_NOTE, p);
			snprintf(b->note, sizeof b->note, "%s: an MLP that is not gated (GELU/ReLU): no law evaluated",
			         gpt2 ? "c_fc/c_proj" : "fc1/fc2");
		}
#undef SUF
	}
	if (!br->nb) {
		free(br->notes);
		br->notes = NULL;
		br->nnotes = 0;
		return nt_err(err, errlen, NT_EINVAL, "%s: no attention or gated-MLP tensors recognised among %d tensor names "
		              "(Llama/Qwen/Mistral or GPT-2 style expected, e.g. '%s'): give map=FILE", s->name, c->n,
		              c->n ? c->lk[0].name : "none");
	}
	for (int i = 0; i < br->nb; i++) {
		const char *why = br->b[i].na_all ? "" : block_check(&br->b[i]);
		if (why[0])
			return nt_err(err, errlen, NT_EINVAL, "%s: inferred block %s: %s", s->name, br->b[i].name, why);
		block_key(&br->b[i]);
	}
	for (int i = 0; i < br->nnotes; i++)
		block_key(&br->notes[i]);
	qsort(br->b, (size_t)br->nb, sizeof *br->b, blk_cmp);
	if (br->nnotes)
		qsort(br->notes, (size_t)br->nnotes, sizeof *br->notes, blk_cmp);
	return 0;
}

/* ------------------------------------------------------------ quantities */

static const char *tied_reason(const struct mblock *b, const int *roles, int n)
{
	static char buf[300];
	if (!b->tied[0])
		return NULL;
	for (int i = 0; i < n; i++) {
		char pat[300];
		if (!b->t[roles[i]][0])
			continue;
		snprintf(pat, sizeof pat, ",%s,", b->t[roles[i]]);
		if (strstr(b->tied, pat)) {
			snprintf(buf, sizeof buf, "%s is tied to another tensor", b->t[roles[i]]);
			return buf;
		}
	}
	return NULL;
}

static void add_fam(struct bridge *br, int block, int kind, const char *name, enum bq_role role, int group, int n, int ncomp,
                    const char *why)
{
	br->fam = xappend(br->fam, (size_t)(br->nfam), sizeof *br->fam);
	struct bridge_fam *f = &br->fam[br->nfam++];
	memset(f, 0, sizeof *f);
	f->block = block;
	f->kind = kind;
	str_copy(f->name, name, sizeof f->name);
	f->role = why ? BQ_NA : role;
	f->group = role == BQ_CONTRAST ? -1 : group;
	if (why)
		str_copy(f->why, why, sizeof f->why);
	f->n = n;
	f->ncomp = ncomp;
	if (!why) {
		f->h0 = xcalloc((size_t)n * (size_t)ncomp + 1, sizeof *f->h0);
		f->hk = xcalloc((size_t)n + 1, sizeof *f->hk);
		f->rel = xcalloc((size_t)n + 1, sizeof *f->rel);
		f->floor = xcalloc((size_t)n + 1, sizeof *f->floor);
		f->mag0 = xcalloc((size_t)n + 1, sizeof *f->mag0);
		f->var0 = xcalloc((size_t)n + 1, sizeof *f->var0);
	}
}

/* A law family and its two term families (contrasts: each term alone). */
static void add_law(struct bridge *br, int block, int kind, const char *name, int group, int n, int ncomp, const char *why,
                    const char *na_all)
{
	add_fam(br, block, kind, name, BQ_LAW, group, n, ncomp, why);
	for (int part = 1; part <= 2; part++) {
		char nm[32];
		snprintf(nm, sizeof nm, "%s[%s]", name, part_name[kind][part - 1]);
		add_fam(br, block, kind, nm, BQ_CONTRAST, -1, n, ncomp, na_all);
		br->fam[br->nfam - 1].part = part;
	}
}

static void build_families(struct bridge *br, int bi)
{
	const struct mblock *b = &br->b[bi];
	if (b->kind == MB_ATTN) {
		int G = b->hd ? b->kv : 1, hd = b->hd;
		static const int qkr[] = { T_Q, T_K, T_QKV }, vor[] = { T_V, T_O, T_QKV };
		const char *na = b->na_all ? b->note : NULL;
		const char *qk = na ? na : b->qknorm ? "QK-norm: normalising q and k breaks the rescaling symmetry" : tied_reason(b, qkr, 3);
		const char *vo = na ? na : tied_reason(b, vor, 3);
		if (!hd) {
			add_law(br, bi, FK_QK_TRACE, "qk.trace", BG_QK, 1, 1, qk, na);
			add_law(br, bi, FK_VO_TRACE, "vo.trace", BG_VO, 1, 1, vo, na);
		} else if (b->rope == ROPE_NONE)
			add_law(br, bi, FK_QK, "qk", BG_QK, G, hd * hd, qk, na);
		else {
			add_law(br, bi, FK_QK_PLANE, "qk.plane", BG_QK, G * (b->rd / 2), 1, qk, na);
			if (b->rd < hd)
				add_law(br, bi, FK_QK_NOPE, "qk.nope", BG_QK, G, (hd - b->rd) * (hd - b->rd), qk, na);
			add_fam(br, bi, FK_C_QKFULL, "qk(full, RoPE)", BQ_CONTRAST, -1, G, hd * hd, na);
		}
		if (hd)
			add_law(br, bi, FK_VO, "vo", BG_VO, G, hd * hd, vo, na);
	} else {
		static const int r[] = { T_UP, T_DOWN, T_GATE_UP };
		add_law(br, bi, FK_NEURON, "neuron", BG_MLP, (int)b->dff, 1, tied_reason(b, r, 3), NULL);
	}
}

void bridge_member_name(const struct bridge *br, int fi, int i, char *buf, size_t len)
{
	const struct bridge_fam *f = &br->fam[fi];
	const struct mblock *b = &br->b[f->block];
	const char *gl = b->kind == MB_ATTN && b->kv == b->heads ? "h" : "g";
	char part[40] = "";
	if (f->part)
		snprintf(part, sizeof part, "[%s]", part_name[f->kind][f->part - 1]);
	switch (f->kind) {
	case FK_QK_PLANE: snprintf(buf, len, "%s.%s%d.plane%d%s", b->name, gl, i / (b->rd / 2), i % (b->rd / 2), part); break;
	case FK_QK: snprintf(buf, len, "%s.%s%d.QtQ-KtK%s", b->name, gl, i, part); break;
	case FK_QK_NOPE: snprintf(buf, len, "%s.%s%d.QtQ-KtK(no RoPE dims)%s", b->name, gl, i, part); break;
	case FK_C_QKFULL: snprintf(buf, len, "%s.%s%d.QtQ-KtK(full, RoPE)", b->name, gl, i); break;
	case FK_VO: snprintf(buf, len, "%s.%s%d.VtV-OtO%s", b->name, gl, i, part); break;
	case FK_QK_TRACE: snprintf(buf, len, "%s.|Wq|^2-|Wk|^2%s", b->name, part); break;
	case FK_VO_TRACE: snprintf(buf, len, "%s.|Wv|^2-|Wo|^2%s", b->name, part); break;
	default: snprintf(buf, len, "%s.n%d%s", b->name, i, part); break;
	}
}

/* -------------------------------------------------- shapes and slicings */

static int shape_err(const struct st_tensor *t, long r, long c, const char *file, const char *what, char *err, size_t errlen)
{
	if (c < 0 ? t->ndim == 1 && t->shape[0] == r : t->ndim == 2 && t->shape[0] == r && t->shape[1] == c)
		return 0;
	char got[128] = "";
	for (int i = 0; i < t->ndim; i++)
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%ld", i ? "," : "", t->shape[i]);
	if (c < 0)
		return nt_err(err, errlen, NT_EINVAL, "%s: tensor '%s' (%s) has shape [%s], the map needs [%ld]", file, t->name, what, got, r);
	return nt_err(err, errlen, NT_EINVAL, "%s: tensor '%s' (%s) has shape [%s], the map needs [%ld,%ld]", file, t->name, what, got, r, c);
}

/* (out, in) of a weight whatever its layout; -1 if not 2-d */
static void dims(const struct mblock *b, const struct st_tensor *t, long *out, long *in)
{
	*out = *in = -1;
	if (t->ndim == 2) {
		*out = b->layout == LAY_CONV1D ? t->shape[1] : t->shape[0];
		*in = b->layout == LAY_CONV1D ? t->shape[0] : t->shape[1];
	}
}

/* Finds a block's tensors in the checkpoint and checks their shapes (against
 * the first checkpoint's when first == 0). */
static int resolve(struct bridge *br, struct mblock *b, const struct ckopen *c, const char *file, int first, char *err, size_t errlen)
{
	for (int t = 0; t < T_COUNT; t++) {
		b->rt[t] = NULL;
		b->rf[t] = NULL;
		if (!b->t[t][0])
			continue;
		const struct lookup *l = ck_find(c, b->t[t]);
		if (!l)
			return nt_err(err, errlen, NT_EINVAL, "%s: no tensor '%s' (the map's %s %s=)", file, b->t[t], b->name, tkey[t]);
		if (l->t->type == ST_OTHER)
			return nt_err(err, errlen, NT_EINVAL, "%s: tensor '%s' (the map's %s %s=) has dtype %s (F64, F32, F16, BF16 are read)",
			              file, b->t[t], b->name, tkey[t], l->t->dtype);
		b->rt[t] = l->t;
		b->rf[t] = c->f[l->file];
	}
	if (b->na_all)
		return 0;
	long d, dff = 0, qd = 0, kd = 0, o, in;
	int conv = b->layout == LAY_CONV1D, rc;
#define W(role, R, C, what) (conv ? shape_err(b->rt[role], C, R, file, what, err, errlen) : shape_err(b->rt[role], R, C, file, what, err, errlen))
#define B(role, R, what) (b->rt[role] ? shape_err(b->rt[role], R, -1, file, what, err, errlen) : 0)
	if (b->kind == MB_ATTN) {
		dims(b, b->rt[T_O], &d, &in);
		if (b->hd) {
			qd = (long)b->heads * b->hd;
			kd = (long)b->kv * b->hd;
		} else {
			dims(b, b->rt[T_Q], &qd, &in);
			dims(b, b->rt[T_K], &kd, &in);
		}
		if (b->rt[T_QKV]) {
			dims(b, b->rt[T_QKV], &o, &d);
			if ((rc = W(T_QKV, qd + 2 * kd, d, "qkv")) || (rc = B(T_QKVB, qd + 2 * kd, "qkv_bias")))
				return rc;
		} else {
			dims(b, b->rt[T_Q], &o, &d);
			if ((rc = W(T_Q, qd, d, "q")) || (rc = W(T_K, kd, d, "k")) || (rc = W(T_V, kd, d, "v")) || (rc = B(T_QB, qd, "q_bias"))
			    || (rc = B(T_KB, kd, "k_bias")) || (rc = B(T_VB, kd, "v_bias")))
				return rc;
		}
		if ((rc = W(T_O, d, qd, "o")))
			return rc;
	} else {
		if (b->rt[T_GATE_UP]) {
			dims(b, b->rt[T_GATE_UP], &o, &d);
			dff = o / 2;
			if ((rc = W(T_GATE_UP, 2 * dff, d, "gate_up")))
				return rc;
		} else {
			dims(b, b->rt[T_UP], &dff, &d);
			if ((rc = W(T_UP, dff, d, "up")) || (rc = W(T_GATE, dff, d, "gate")))
				return rc;
		}
		if ((rc = W(T_DOWN, d, dff, "down")) || (rc = B(T_UPB, dff, "up_bias")) || (rc = B(T_GATEB, dff, "gate_bias"))
		    || (rc = B(T_DOWNB, d, "down_bias")))
			return rc;
		if (dff < 1 || d < 1)
			return nt_err(err, errlen, NT_EINVAL, "%s: block %s has an empty MLP", file, b->name);
	}
#undef W
#undef B
	if (first) {
		b->d = d;
		b->dff = dff;
		b->qd = qd;
		b->kd = kd;
	} else if (d != b->d || dff != b->dff || qd != b->qd || kd != b->kd)
		return nt_err(err, errlen, NT_EINVAL, "%s: block %s has other shapes than in the first checkpoint", file, b->name);
	(void)br;
	return 0;
}

static void add_slicing(struct mblock *b, int slot, int role, int bias, int axis, long off, int n, int count, int tail)
{
	b->sl[slot] = (struct slicing){ role, bias, axis, n, count, tail, off };
	if (slot + 1 > b->nsl)
		b->nsl = slot + 1;
}

/* Slicings (which tensor feeds which accumulator) and passes (the walks over
 * rows that feed them). Called once the first checkpoint fixed the shapes. */
static void build_passes(struct mblock *b)
{
	int conv = b->layout == LAY_CONV1D, rows_ax = conv ? AX_COLS : AX_ROWS, cols_ax = conv ? AX_ROWS : AX_COLS;
	b->nsl = 0;
	b->npass = 0;
	if (b->na_all)
		return;
	if (b->kind == MB_ATTN) {
		int fused = b->t[T_QKV][0] != 0, n = b->hd ? b->hd : 1;
		int cq = b->hd ? b->heads : (int)b->qd, ck = b->hd ? b->kv : (int)b->kd;
		int tail = b->rope != ROPE_NONE && b->hd ? b->rd : n;
		add_slicing(b, S_Q, fused ? T_QKV : T_Q, fused ? T_QKVB : T_QB, rows_ax, 0, n, cq, tail);
		add_slicing(b, S_K, fused ? T_QKV : T_K, fused ? T_QKVB : T_KB, rows_ax, fused ? b->qd : 0, n, ck, tail);
		add_slicing(b, S_V, fused ? T_QKV : T_V, fused ? T_QKVB : T_VB, rows_ax, fused ? b->qd + b->kd : 0, n, ck, n);
		add_slicing(b, S_O, T_O, -1, cols_ax, 0, n, cq, n);
	} else {
		int fused = b->t[T_GATE_UP][0] != 0;
		add_slicing(b, S_UP, fused ? T_GATE_UP : T_UP, T_UPB, rows_ax, fused ? b->dff : 0, 1, (int)b->dff, 1);
		add_slicing(b, S_DOWN, T_DOWN, -1, cols_ax, 0, 1, (int)b->dff, 1);
	}
	b->npass = 0;
	/* one walk over all rows per tensor for its column slicings */
	for (int s = 0; s < b->nsl; s++) {
		const struct slicing *L = &b->sl[s];
		if (L->axis != AX_COLS)
			continue;
		int seen = 0;
		for (int p = 0; p < b->npass && !seen; p++)
			if (b->pass[p].role == L->role && !b->pass[p].bias) {
				b->pass[p].sl[b->pass[p].nsl++] = s;
				seen = 1;
			}
		if (!seen)
			b->pass[b->npass++] = (struct pass){ L->role, 0, 1, { s }, 0, 0, 0 };
	}
	/* a walk over its rows per row slicing */
	for (int s = 0; s < b->nsl; s++) {
		const struct slicing *L = &b->sl[s];
		if (L->axis == AX_ROWS)
			b->pass[b->npass++] = (struct pass){ L->role, 0, 1, { s }, L->off, L->off + (long)L->n * L->count, 0 };
	}
	for (int s = 0; s < b->nsl; s++)
		if (b->sl[s].bias >= 0 && b->t[b->sl[s].bias][0])
			b->pass[b->npass++] = (struct pass){ b->sl[s].bias, 1, 1, { s }, 0, 1, 1 };
}

/* Row range and chunk of a pass on the current checkpoint's tensor. */
static void pass_rows(const struct mblock *b, struct pass *p)
{
	if (p->bias)
		return;
	const struct st_tensor *t = b->rt[p->role];
	long rows = t->shape[0], cols = t->shape[1];
	const struct slicing *L = &b->sl[p->sl[0]];
	if (L->axis == AX_COLS) {
		p->r0 = 0;
		p->r1 = rows;
		p->step = (long)(BLOCK_ELEMS / (size_t)cols);
		if (p->step < 1)
			p->step = 1;
	} else {
		long per = (long)(BLOCK_ELEMS / ((size_t)L->n * (size_t)cols));
		p->step = (long)L->n * (per < 1 ? 1 : per);
	}
}

/* ----------------------------------------------------------- accumulate */

/* Variance of the rounding error of a stored value: ulp²/12 with ulp =
 * 2^(floor(log2|x|) − (p−1)), the exponent at least emin (p significant bits).
 * Written with a mask and a max so that the loops using it vectorise. */
struct prec { double lo, scale; };

static inline double sig2(double x, struct prec q)
{
	uint64_t u;
	memcpy(&u, &x, 8);
	u &= 0x7ff0000000000000ull;   /* 2^floor(log2|x|), 0 for 0 and subnormals */
	double m;
	memcpy(&m, &u, 8);
	m = m > q.lo ? m : q.lo;
	return m * m * q.scale;
}

static struct prec prec_of(enum st_dtype t)
{
	int p = t == ST_F32 ? 24 : t == ST_F16 ? 11 : 8, emin = t == ST_F16 ? -14 : -126;
	return (struct prec){ ldexp(1.0, emin), ldexp(1.0, -2 * (p - 1)) / 12 };
}

static double *grow(double **v, size_t *cap, size_t n)
{
	if (n > *cap) {
		free(*v);
		*v = xmalloc(n * sizeof **v);
		*cap = n;
	}
	return *v;
}

static void acc_reset(struct bridge *br, const struct mblock *b)
{
	for (int s = 0; s < b->nsl; s++) {
		struct acc *a = &br->acc[s];
		const struct slicing *L = &b->sl[s];
		a->n = L->n;
		a->count = L->count;
		size_t nn = (size_t)L->n * L->n;
		size_t need = (size_t)L->count * (nn + L->n + 2);
		if (need > a->cap) {
			free(a->G);
			a->G = xmalloc(need * sizeof *a->G);
			a->cap = need;
		}
		memset(a->G, 0, need * sizeof *a->G);
		a->dg = a->G + (size_t)L->count * nn;
		a->T = a->dg + (size_t)L->count * L->n;
		a->Tt = a->T + L->count;
	}
}

/* Row slicing: X holds rows [r0, r0+R) of a (rows, cols) tensor, whole slices. */
static void acc_rows(struct bridge *br, const struct slicing *L, struct acc *a, const double *X, long r0, long R, long cols,
                     enum st_dtype type)
{
	int fl = type != ST_F64, n = L->n;
	struct prec pq = prec_of(type);
	long s0 = (r0 - L->off) / n, ns = R / n;
	for (long s = s0; s < s0 + ns; s++) {
		const double *W = X + (size_t)(s - s0) * n * cols;
		double *G = a->G + (size_t)s * n * n, *dg = a->dg + (size_t)s * n;
		if (n == 1) {
			double g = 0, d4 = 0;
			if (fl)
				for (long c = 0; c < cols; c++) {
					double x2 = W[c] * W[c];
					g += x2;
					d4 += x2 * sig2(W[c], pq);
				}
			else
				for (long c = 0; c < cols; c++)
					g += W[c] * W[c];
			G[0] += g;
			dg[0] += 4 * d4;
			a->T[s] += d4;
			if (L->tail == 0)
				a->Tt[s] += d4;
			continue;
		}
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, (int)cols, 1.0, W, (int)cols, 1.0, G, n);
		if (!fl)
			continue;
		double *xa = grow(&br->scratch, &br->scap, 4 * (size_t)cols), *sa = xa + cols, *xt = sa + cols, *st = xt + cols;
		memset(xa, 0, 4 * (size_t)cols * sizeof *xa);
		for (int r = 0; r < n; r++) {
			double d4 = 0;
			const double *w = W + (size_t)r * cols;
			double *xx = r >= L->tail ? xt : xa, *ss = r >= L->tail ? st : sa;
			for (long c = 0; c < cols; c++) {
				double x2 = w[c] * w[c], s2 = sig2(w[c], pq);
				d4 += x2 * s2;
				xx[c] += x2;
				ss[c] += s2;
			}
			dg[r] += 4 * d4;
		}
		double T = 0, Tt = 0;
		for (long c = 0; c < cols; c++) {
			Tt += xt[c] * st[c];
			T += (xa[c] + xt[c]) * (sa[c] + st[c]);
		}
		a->T[s] += T;
		a->Tt[s] += Tt;
	}
}

/* Column slicing: X holds rows [.., +R) of a (rows, cols) tensor, all columns. */
static void acc_cols(const struct slicing *L, struct acc *a, const double *X, long R, long cols, enum st_dtype type)
{
	int fl = type != ST_F64, n = L->n;
	struct prec pq = prec_of(type);
	if (n == 1) {
		for (long r = 0; r < R; r++) {
			const double *w = X + (size_t)r * cols + L->off;
			if (fl)
				for (int i = 0; i < L->count; i++) {
					double x2 = w[i] * w[i], d = x2 * sig2(w[i], pq);
					a->G[i] += x2;
					a->dg[i] += 4 * d;
					a->T[i] += d;
				}
			else
				for (int i = 0; i < L->count; i++)
					a->G[i] += w[i] * w[i];
		}
		return;
	}
	for (int s = 0; s < L->count; s++)
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, (int)R, 1.0, X + L->off + (size_t)s * n, (int)cols, 1.0,
		            a->G + (size_t)s * n * n, n);
	if (!fl)
		return;
	for (long r = 0; r < R; r++)
		for (int s = 0; s < L->count; s++) {
			const double *w = X + (size_t)r * cols + L->off + (size_t)s * n;
			double *dg = a->dg + (size_t)s * n, xa = 0, sa = 0, xt = 0, st = 0;
			for (int i = 0; i < n; i++) {
				double x2 = w[i] * w[i], s2 = sig2(w[i], pq);
				dg[i] += 4 * x2 * s2;
				if (i >= L->tail) { xt += x2; st += s2; }
				else { xa += x2; sa += s2; }
			}
			a->T[s] += (xa + xt) * (sa + st);
			a->Tt[s] += xt * st;
		}
}

/* A bias joins each slice as one more sample. */
static void acc_bias(const struct slicing *L, struct acc *a, const double *bv, enum st_dtype type)
{
	int fl = type != ST_F64, n = L->n;
	struct prec pq = prec_of(type);
	for (int s = 0; s < L->count; s++) {
		const double *v = bv + L->off + (size_t)s * n;
		double *G = a->G + (size_t)s * n * n, *dg = a->dg + (size_t)s * n, xa = 0, sa = 0, xt = 0, st = 0;
		for (int i = 0; i < n; i++) {
			for (int j = i; j < n; j++)
				G[i * n + j] += v[i] * v[j];
			double x2 = v[i] * v[i], s2 = fl ? sig2(v[i], pq) : 0;
			dg[i] += 4 * x2 * s2;
			if (i >= L->tail) { xt += x2; st += s2; }
			else { xa += x2; sa += s2; }
		}
		a->T[s] += (xa + xt) * (sa + st);
		a->Tt[s] += xt * st;
	}
}

/* ------------------------------------------------------------- evaluate */

static double frob_sub(const double *G, int n, int a0)
{
	double v = 0;
	for (int i = a0; i < n; i++)
		for (int j = a0; j < n; j++)
			v += G[i * n + j] * G[i * n + j];
	return sqrt(v);
}

/* var of the Frobenius norm² of a Gram's sub-block [a0,n)² */
static double var_sub(const struct acc *a, int s, int a0)
{
	double d = 0;
	for (int i = a0; i < a->n; i++)
		d += a->dg[(size_t)s * a->n + i];
	return 2 * (a0 ? a->Tt[s] : a->T[s]) + d / 2;
}

static double trace(const struct acc *a, int s)
{
	double t = 0;
	for (int i = 0; i < a->n; i++)
		t += a->G[(size_t)s * a->n * a->n + (size_t)i * a->n + i];
	return t;
}

static double dsum(const struct acc *a, int s)
{
	double t = 0;
	for (int i = 0; i < a->n; i++)
		t += a->dg[(size_t)s * a->n + i];
	return t;
}

/* out[r×r] += sign × sub-block [a0,n)² of slice s's Gram */
static void add_sub(double *out, const struct acc *a, int s, int a0, double sign)
{
	int n = a->n, r = n - a0;
	const double *G = a->G + (size_t)s * n * n;
	for (int i = 0; i < r; i++)
		for (int j = 0; j < r; j++)
			out[i * r + j] += sign * G[(i + a0) * n + j + a0];
}

/* Member i of family f: values into v, its magnitude and rounding variance.
 * A law is A − B; its part 1 is A alone, part 2 is B alone. */
static void eval_member(const struct bridge *br, const struct bridge_fam *f, int i, double *v, double *mag, double *var)
{
	const struct mblock *b = &br->b[f->block];
	const struct acc *A = br->acc;
	int hd = b->hd, r = b->hd ? b->heads / b->kv : 1;
	double fa = f->part == 2 ? 0 : 1, fb = f->part == 0 ? -1 : f->part == 2 ? 1 : 0;
	*mag = *var = 0;
	memset(v, 0, (size_t)f->ncomp * sizeof *v);
	switch (f->kind) {
	case FK_QK: case FK_C_QKFULL: case FK_QK_NOPE: {
		int a0 = f->kind == FK_QK_NOPE ? b->rd : 0;
		for (int h = i * r; fa != 0 && h < (i + 1) * r; h++) {
			add_sub(v, &A[S_Q], h, a0, fa);
			*mag += frob_sub(A[S_Q].G + (size_t)h * hd * hd, hd, a0);
			*var += var_sub(&A[S_Q], h, a0);
		}
		if (fb != 0) {
			add_sub(v, &A[S_K], i, a0, fb);
			*mag += frob_sub(A[S_K].G + (size_t)i * hd * hd, hd, a0);
			*var += var_sub(&A[S_K], i, a0);
		}
		break;
	}
	case FK_QK_PLANE: {
		int np = b->rd / 2, g = i / np, j = i % np;
		int p1 = b->rope == ROPE_HALF ? j : 2 * j, p2 = b->rope == ROPE_HALF ? j + np : 2 * j + 1;
		double x = 0, y, vx = 0, vy;
		for (int h = g * r; h < (g + 1) * r; h++) {
			const double *G = A[S_Q].G + (size_t)h * hd * hd, *d = A[S_Q].dg + (size_t)h * hd;
			x += G[p1 * hd + p1] + G[p2 * hd + p2];
			vx += d[p1] + d[p2];
		}
		const double *G = A[S_K].G + (size_t)g * hd * hd, *d = A[S_K].dg + (size_t)g * hd;
		y = G[p1 * hd + p1] + G[p2 * hd + p2];
		vy = d[p1] + d[p2];
		v[0] = fa * x + fb * y;
		*mag = fabs(fa) * x + fabs(fb) * y;
		*var = fabs(fa) * vx + fabs(fb) * vy;
		break;
	}
	case FK_VO: {
		if (fa != 0) {
			add_sub(v, &A[S_V], i, 0, fa);
			*mag += frob_sub(A[S_V].G + (size_t)i * hd * hd, hd, 0);
			*var += var_sub(&A[S_V], i, 0);
		}
		for (int h = i * r; fb != 0 && h < (i + 1) * r; h++) {
			add_sub(v, &A[S_O], h, 0, fb);
			*mag += frob_sub(A[S_O].G + (size_t)h * hd * hd, hd, 0);
			*var += var_sub(&A[S_O], h, 0);
		}
		break;
	}
	case FK_QK_TRACE: case FK_VO_TRACE: {
		const struct acc *x = &A[f->kind == FK_QK_TRACE ? S_Q : S_V], *y = &A[f->kind == FK_QK_TRACE ? S_K : S_O];
		double tx = 0, ty = 0, vx = 0, vy = 0;
		for (int s = 0; s < x->count; s++) { tx += trace(x, s); vx += dsum(x, s); }
		for (int s = 0; s < y->count; s++) { ty += trace(y, s); vy += dsum(y, s); }
		v[0] = fa * tx + fb * ty;
		*mag = fabs(fa) * tx + fabs(fb) * ty;
		*var = fabs(fa) * vx + fabs(fb) * vy;
		break;
	}
	default: /* FK_NEURON: ||down[:,i]||² − ||up[i,:]||² − up_bias_i² */
		v[0] = fa * A[S_DOWN].G[i] + fb * A[S_UP].G[i];
		*mag = fabs(fa) * A[S_DOWN].G[i] + fabs(fb) * A[S_UP].G[i];
		*var = fabs(fa) * A[S_DOWN].dg[i] + fabs(fb) * A[S_UP].dg[i];
		break;
	}
}

/* Forms every quantity of block bi from the accumulators. */
static void eval_block(struct bridge *br, int bi, int first)
{
	const struct mblock *b = &br->b[bi];
	/* Grams: lower triangle from the upper one */
	for (int s = 0; s < b->nsl; s++) {
		struct acc *a = &br->acc[s];
		for (int k = 0; k < a->count && a->n > 1; k++) {
			double *G = a->G + (size_t)k * a->n * a->n;
			for (int i = 0; i < a->n; i++)
				for (int j = 0; j < i; j++)
					G[i * a->n + j] = G[j * a->n + i];
		}
	}
	double *v = NULL;
	size_t vcap = 0;
	for (int fi = 0; fi < br->nfam; fi++) {
		struct bridge_fam *f = &br->fam[fi];
		if (f->block != bi || f->role == BQ_NA)
			continue;
		grow(&v, &vcap, (size_t)f->ncomp);
		for (int i = 0; i < f->n; i++) {
			double mag, var;
			eval_member(br, f, i, v, &mag, &var);
			double *h0 = f->h0 + (size_t)i * f->ncomp, dv = 0, nk = 0;
			if (first) {
				memcpy(h0, v, (size_t)f->ncomp * sizeof *v);
				f->mag0[i] = mag;
				f->var0[i] = var;
			}
			for (int c = 0; c < f->ncomp; c++) {
				dv += (v[c] - h0[c]) * (v[c] - h0[c]);
				nk += v[c] * v[c];
			}
			f->hk[i] = f->ncomp == 1 ? v[0] : sqrt(nk);
			double m0 = f->mag0[i];
			f->rel[i] = m0 > 0 ? sqrt(dv) / m0 : sqrt(dv);
			f->floor[i] = m0 > 0 ? sqrt(f->var0[i] + var) / m0 : 0;
		}
	}
	free(v);
}

/* ------------------------------------------------------------------ work */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void finish_ck(struct bridge *br)
{
	const struct src *s = &br->src[br->cur_src];
	br->ck = xappend(br->ck, (size_t)(br->nck), sizeof *br->ck);
	struct bridge_ck *k = &br->ck[br->nck];
	memset(k, 0, sizeof *k);
	str_copy(k->name, s->name, sizeof k->name);
	k->nfiles = br->co.nf;
	for (int i = 0; i < br->co.nf; i++)
		k->bytes += (double)br->co.size[i];
	str_copy(k->dtype, br->cur_dtype_mixed ? "mixed" : br->cur_dtype, sizeof k->dtype);
	const char *ms = br->co.nf ? st_meta(br->co.f[0], "step") : NULL;
	long step;
	k->step = ms && !parse_long(ms, &step) ? step : s->name_step >= 0 ? s->name_step : br->nck;
	k->law_max = k->floor_max = -1;
	k->law_argmax_fam = k->law_argmax_member = -1;
	double sum = 0;
	size_t nlaw = 0, nc = 0;
	for (int fi = 0; fi < br->nfam; fi++) {
		struct bridge_fam *f = &br->fam[fi];
		f->hist_max = xappend(f->hist_max, (size_t)(br->nck), sizeof *f->hist_max);
		f->hist_mean = xappend(f->hist_mean, (size_t)(br->nck), sizeof *f->hist_mean);
		f->hist_floor = xappend(f->hist_floor, (size_t)(br->nck), sizeof *f->hist_floor);
		if (f->role == BQ_NA) {
			f->hist_max[br->nck] = f->hist_mean[br->nck] = f->hist_floor[br->nck] = NAN;
			continue;
		}
		double mx = -1, fm = 0, sm = 0;
		f->argmax = 0;
		for (int i = 0; i < f->n; i++) {
			if (f->rel[i] > mx) {
				mx = f->rel[i];
				f->argmax = i;
			}
			sm += f->rel[i];
			if (f->floor[i] > fm)
				fm = f->floor[i];
		}
		f->hist_max[br->nck] = mx;
		f->hist_mean[br->nck] = f->n ? sm / f->n : NAN;
		f->hist_floor[br->nck] = fm;
		if (f->role == BQ_LAW) {
			sum += sm;
			nlaw += (size_t)f->n;
			if (mx > k->law_max) {
				k->law_max = mx;
				k->law_argmax_fam = fi;
				k->law_argmax_member = f->argmax;
			}
			if (fm > k->floor_max)
				k->floor_max = fm;
		} else {
			if (nc + (size_t)f->n > br->tmpcap) {
				br->tmpcap = 2 * (nc + (size_t)f->n);
				br->tmp = xrealloc(br->tmp, br->tmpcap * sizeof *br->tmp);
			}
			for (int i = 0; i < f->n; i++)
				br->tmp[nc++] = f->rel[i];
		}
	}
	if (k->law_max < 0)
		k->law_max = k->floor_max = NAN;
	k->law_mean = nlaw ? sum / (double)nlaw : NAN;
	if (nc) {
		qsort(br->tmp, nc, sizeof *br->tmp, cmp_double);
		k->contrast_median = nc % 2 ? br->tmp[nc / 2] : 0.5 * (br->tmp[nc / 2 - 1] + br->tmp[nc / 2]);
	} else
		k->contrast_median = NAN;
	k->seconds = now_seconds() - br->cur_t0;
	br->nck++;
	br->src[br->cur_src].state = 1;
	ck_close(&br->co);
	br->cur = 0;
}

/* Opens the next pending checkpoint; 1 when one is under way, 0 when none. */
static int start_ck(struct bridge *br, char *err, size_t errlen)
{
	int si = -1;
	for (int i = 0; i < br->nsrc && si < 0; i++)
		if (br->src[i].state == 0)
			si = i;
	if (si < 0)
		return 0;
	struct src *s = &br->src[si];
	int first = !br->nck;
	int rc = ck_open(br, s, &br->co, err, errlen);
	if (!rc && first && !br->map_known)
		rc = infer_map(br, &br->co, s, err, errlen);
	for (int bi = 0; bi < br->nb && !rc; bi++)
		rc = resolve(br, &br->b[bi], &br->co, s->name, first, err, errlen);
	if (rc) {
		ck_close(&br->co);
		if (first && !br->map_known) {   /* infer again from the next one */
			free(br->b);
			free(br->notes);
			br->b = br->notes = NULL;
			br->nb = br->nnotes = 0;
		}
		if (br->o.follow) {
			double t = wall_now(), newest = -1;
			for (int i = 0; i < s->nfiles; i++) {
				double m = file_mtime(s->files[i], NULL);
				newest = m > newest ? m : newest;
			}
			if (!s->first_fail)
				s->first_fail = t;
			if (t - newest < br->o.settle || t - s->first_fail < br->o.settle)
				return 0;   /* may still be being written: try again later */
		}
		s->state = 2;
		return rc;
	}
	if (first && !br->map_known) {
		br->map_known = 1;
		map_text_build(br);
	}
	if (first) {
		for (int bi = 0; bi < br->nb; bi++) {
			build_passes(&br->b[bi]);
			build_families(br, bi);
		}
		if (!br->map_text)
			map_text_build(br);
	}
	br->cur = 1;
	br->cur_src = si;
	br->cur_bi = 0;
	br->cur_pi = 0;
	br->cur_bytes_done = 0;
	br->cur_bytes_total = 0;
	br->cur_dtype[0] = 0;
	br->cur_dtype_mixed = 0;
	br->cur_t0 = now_seconds();
	for (int bi = 0; bi < br->nb; bi++) {
		struct mblock *b = &br->b[bi];
		for (int p = 0; p < b->npass; p++) {
			pass_rows(b, &b->pass[p]);
			const struct st_tensor *t = b->rt[b->pass[p].role];
			double bytes = b->pass[p].bias ? (double)(t->end - t->begin)
			             : (double)(b->pass[p].r1 - b->pass[p].r0) * (double)t->shape[1] * (double)t->esize;
			br->cur_bytes_total += bytes;
			if ((double)t->nelem * 8 > br->largest)
				br->largest = (double)t->nelem * 8;
			if (!br->cur_dtype[0])
				str_copy(br->cur_dtype, t->dtype, sizeof br->cur_dtype);
			else if (strcmp(br->cur_dtype, t->dtype))
				br->cur_dtype_mixed = 1;
		}
	}
	br->cur_row = br->nb && br->b[0].npass ? br->b[0].pass[0].r0 : 0;
	if (br->nb)
		acc_reset(br, &br->b[0]);
	return 1;
}

/* One row block of the current pass; advances the position. */
static int work_chunk(struct bridge *br, double *bytes, char *err, size_t errlen)
{
	struct mblock *b = &br->b[br->cur_bi];
	if (br->cur_pi < b->npass) {
		struct pass *p = &b->pass[br->cur_pi];
		const struct st_file *f = b->rf[p->role];
		const struct st_tensor *t = b->rt[p->role];
		if (br->cur_row == p->r0) {
			int rc = ck_changed(&br->co, err, errlen);
			if (rc)
				return rc;
		}
		if (p->bias) {
			double *X = grow(&br->X, &br->xcap, t->nelem + 1);
			st_get(f, t, X);
			sample_memory(br);
			st_release(f, t, 0, t->nelem);
			acc_bias(&b->sl[p->sl[0]], &br->acc[p->sl[0]], X, t->type);
			*bytes += (double)(t->end - t->begin);
			br->cur_pi++;
			br->cur_row = br->cur_pi < b->npass ? b->pass[br->cur_pi].r0 : 0;
			return 0;
		}
		long cols = t->shape[1], R = p->step;
		if (br->cur_row + R > p->r1)
			R = p->r1 - br->cur_row;
		size_t n = (size_t)R * (size_t)cols;
		double *X = grow(&br->X, &br->xcap, n + 1);
		st_get_range(f, t, (size_t)br->cur_row * (size_t)cols, n, X);
		sample_memory(br);
		st_release(f, t, (size_t)br->cur_row * (size_t)cols, n);
		for (int k = 0; k < p->nsl; k++) {
			const struct slicing *L = &b->sl[p->sl[k]];
			if (L->axis == AX_ROWS)
				acc_rows(br, L, &br->acc[p->sl[k]], X, br->cur_row, R, cols, t->type);
			else
				acc_cols(L, &br->acc[p->sl[k]], X, R, cols, t->type);
		}
		*bytes += (double)n * (double)t->esize;
		br->cur_row += R;
		if (br->cur_row >= p->r1) {
			br->cur_pi++;
			br->cur_row = br->cur_pi < b->npass ? b->pass[br->cur_pi].r0 : 0;
		}
		return 0;
	}
	/* all passes of the block done */
	eval_block(br, br->cur_bi, br->nck == 0);
	sample_memory(br);
	br->cur_bi++;
	br->cur_pi = 0;
	if (br->cur_bi < br->nb) {
		acc_reset(br, &br->b[br->cur_bi]);
		br->cur_row = br->b[br->cur_bi].npass ? br->b[br->cur_bi].pass[0].r0 : 0;
	}
	return 0;
}

static void free_fams(struct bridge *br)
{
	for (int i = 0; i < br->nfam; i++) {
		struct bridge_fam *f = &br->fam[i];
		free(f->h0); free(f->hk); free(f->rel); free(f->floor); free(f->mag0); free(f->var0);
		free(f->hist_max); free(f->hist_mean); free(f->hist_floor);
	}
	free(br->fam);
	br->fam = NULL;
	br->nfam = 0;
}

int bridge_work(struct bridge *br, size_t budget, char *err, size_t errlen)
{
	if (!br->cur) {
		int rc = start_ck(br, err, errlen);
		if (rc <= 0)
			return rc < 0 ? rc : BRIDGE_IDLE;
	}
	double bytes = 0;
	for (;;) {
		double before = bytes;
		int rc = work_chunk(br, &bytes, err, errlen);
		br->cur_bytes_done += bytes - before;
		if (rc) {
			ck_close(&br->co);
			br->cur = 0;
			/* with follow a checkpoint rewritten under us is read again */
			br->src[br->cur_src].state = br->o.follow ? 0 : 2;
			if (br->nck == 0)      /* the first checkpoint failed half-way: start clean */
				free_fams(br);
			return rc;
		}
		if (br->cur_bi >= br->nb) {
			finish_ck(br);
			return BRIDGE_ADDED;
		}
		if (bytes >= (double)budget)
			return BRIDGE_BUSY;
	}
}

/* ---------------------------------------------------------------- public */

int bridge_open(struct bridge **out, const char *spec, const struct bridge_opts *o, char *err, size_t errlen)
{
	*out = NULL;
	if (strlen(spec) >= PATHLEN - 64)
		return nt_err(err, errlen, NT_EINVAL, "path '%.60s...' longer than %d bytes", spec, PATHLEN - 64);
	struct bridge *br = xcalloc(1, sizeof *br);
	br->rss0 = rss_bytes();
	if (o)
		br->o = *o;
	if (br->o.settle <= 0)
		br->o.settle = 5;
	str_copy(br->spec, spec, sizeof br->spec);
	struct stat st;
	if (!stat(spec, &st) && S_ISDIR(st.st_mode))
		str_copy(br->rundir, spec, sizeof br->rundir);
	else
		dir_of(br->rundir, sizeof br->rundir, spec);
	int rc = 0;
	if (br->o.map) {
		str_copy(br->map_path, br->o.map, sizeof br->map_path);
		br->o.map = br->map_path;
		rc = map_read(br, br->map_path, err, errlen);
		if (!rc) {
			br->map_known = 1;
			for (int i = 0; i < br->nb; i++)
				block_key(&br->b[i]);
			map_text_build(br);
		}
	}
	if (!rc && br->o.follow && (stat(spec, &st) || !S_ISDIR(st.st_mode)) && !strpbrk(spec, "*?["))
		rc = nt_err(err, errlen, NT_ENOENT, "follow needs a folder or a glob: '%s' is %s", spec,
		            stat(spec, &st) ? "not there" : "a file");
	if (!rc) {
		int n = bridge_scan(br, err, errlen);
		if (n < 0)
			rc = n;
		else if (!n && !br->o.follow)
			rc = nt_err(err, errlen, NT_ENOENT, "no checkpoints (*.safetensors, *.safetensors.index.json, checkpoint-N/) in '%s'", spec);
	}
	if (rc) {
		bridge_free(br);
		return rc;
	}
	*out = br;
	return 0;
}

void bridge_free(struct bridge *br)
{
	if (!br)
		return;
	ck_close(&br->co);
	free_fams(br);
	for (int i = 0; i < br->nsrc; i++)
		src_free(&br->src[i]);
	free(br->src);
	free_strs(br->bad, br->nbad);
	for (int s = 0; s < NSLOT; s++)
		free(br->acc[s].G);
	free(br->X);
	free(br->scratch);
	free(br->tmp);
	free(br->ck);
	free(br->b);
	free(br->notes);
	free(br->map_text);
	free(br);
}

int bridge_pending(const struct bridge *br)
{
	int n = 0;
	for (int i = 0; i < br->nsrc; i++)
		n += br->src[i].state == 0;
	return n;
}

double bridge_progress(const struct bridge *br)
{
	return br->cur && br->cur_bytes_total > 0 ? br->cur_bytes_done / br->cur_bytes_total : 0;
}

int bridge_nblocks(const struct bridge *br) { return br->map_known ? br->nb : 0; }
const char *bridge_block_name(const struct bridge *br, int i) { return br->b[i].name; }
int bridge_nfam(const struct bridge *br) { return br->nfam; }
const struct bridge_fam *bridge_fam(const struct bridge *br, int i) { return &br->fam[i]; }
int bridge_nck(const struct bridge *br) { return br->nck; }
const struct bridge_ck *bridge_ck(const struct bridge *br, int k) { return &br->ck[k]; }
const char *bridge_map_text(const struct bridge *br) { return br->map_known ? br->map_text : NULL; }
double bridge_peak_bytes(const struct bridge *br) { return br->peak; }
double bridge_largest_tensor_bytes(const struct bridge *br) { return br->largest; }

double bridge_group_max(const struct bridge *br, int group, int block, int k)
{
	double m = NAN;
	for (int i = 0; i < br->nfam && k >= 0 && k < br->nck; i++) {
		const struct bridge_fam *f = &br->fam[i];
		if (f->role != BQ_LAW || (group >= 0 && f->group != group) || (block >= 0 && f->block != block))
			continue;
		if (isnan(m) || f->hist_max[k] > m)
			m = f->hist_max[k];
	}
	return m;
}

double bridge_block_eps(const struct bridge *br, int block, int k)
{
	double s = 0;
	long n = 0;
	for (int i = 0; i < br->nfam && k >= 0 && k < br->nck; i++) {
		const struct bridge_fam *f = &br->fam[i];
		if (f->role != BQ_LAW || f->block != block)
			continue;
		s += f->hist_mean[k] * f->n;
		n += f->n;
	}
	return n ? s / (double)n : NAN;
}

int bridge_na_count(const struct bridge *br)
{
	int n = 0;
	for (int i = 0; i < br->nfam; i++)
		if (br->fam[i].role == BQ_NA)
			n += br->fam[i].n;
	return n;
}

static const char *const group_name[BG_COUNT] = { "qk", "vo", "mlp" };

char *bridge_csv_header(const struct bridge *br, int per_law)
{
	struct sbuf sb = { 0 };
	sb_printf(&sb, "step,file,law_max,law_mean,contrast_median,floor_max");
	for (int g = 0; g < BG_COUNT; g++)
		sb_printf(&sb, ",%s.max", group_name[g]);
	for (int bi = 0; bi < br->nb; bi++)
		sb_printf(&sb, ",%s.eps", br->b[bi].name);
	for (int fi = 0; per_law && fi < br->nfam; fi++) {
		const struct bridge_fam *f = &br->fam[fi];
		for (int i = 0; f->role != BQ_NA && i < f->n; i++) {
			char nm[200];
			bridge_member_name(br, fi, i, nm, sizeof nm);
			sb_printf(&sb, ",%s%s", f->role == BQ_LAW ? "law:" : "q:", nm);
		}
	}
	return sb.s;
}

char *bridge_csv_row(const struct bridge *br, int per_law)
{
	struct sbuf sb = { 0 };
	int k = br->nck - 1;
	if (k < 0)
		return xstrdup("");
	const struct bridge_ck *c = &br->ck[k];
	sb_printf(&sb, "%ld,", c->step);
	for (const char *p = c->name; *p; p++)    /* file names: no commas, quotes or newlines in the CSV */
		sb_printf(&sb, "%c", *p == ',' || *p == '"' || *p == '\n' || *p == '\r' ? '_' : *p);
	sb_printf(&sb, ",%.6g,%.6g,%.6g,%.6g", c->law_max, c->law_mean, c->contrast_median, c->floor_max);
	for (int g = 0; g < BG_COUNT; g++)
		sb_printf(&sb, ",%.6g", bridge_group_max(br, g, -1, k));
	for (int bi = 0; bi < br->nb; bi++)
		sb_printf(&sb, ",%.6g", bridge_block_eps(br, bi, k));
	for (int fi = 0; per_law && fi < br->nfam; fi++) {
		const struct bridge_fam *f = &br->fam[fi];
		for (int i = 0; f->role != BQ_NA && i < f->n; i++)
			sb_printf(&sb, ",%.17g", f->rel[i]);
	}
	return sb.s;
}

char *bridge_csv_meta(const struct bridge *br, const char *command)
{
	struct sbuf sb = { 0 };
	sb_printf(&sb, "# noether %s\n", NT_VERSION);
	if (command)
		sb_printf(&sb, "# command: %s\n", command);
	sb_printf(&sb, "# values: relative drift from the first checkpoint (over the law's magnitude); floor: rounding floor\n");
	if (br->map_text)
		for (const char *p = br->map_text; *p;) {
			const char *e = strchr(p, '\n');
			int len = e ? (int)(e - p) : (int)strlen(p);
			sb_printf(&sb, "# map: %.*s\n", len, p);
			p += len + (e ? 1 : 0);
		}
	for (int fi = 0; fi < br->nfam; fi++)
		if (br->fam[fi].role == BQ_NA)
			sb_printf(&sb, "# not applicable: %s.%s (%d): %s\n", br->b[br->fam[fi].block].name, br->fam[fi].name,
			          br->fam[fi].n, br->fam[fi].why);
	return sb.s;
}
