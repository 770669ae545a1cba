/* safetensors.c — the safetensors reader/writer and save/load of parameters.
 *
 * The header parser is a small strict JSON reader for exactly what the format
 * allows: one object whose values are tensor objects {dtype, shape,
 * data_offsets} or the "__metadata__" object of string values. It is bounded
 * (the header length is checked against the file and ST_MAX_HEADER; nesting is
 * fixed by the grammar; every read checks the end) and refuses duplicates,
 * unknown fields, bad escapes, numbers beyond 2^53, and trailing garbage
 * (trailing spaces, used as padding by writers, are allowed).
 * Invariants: a returned st_file's tensors all lie inside data, match
 * nelem*size(dtype) bytes and do not overlap; load changes nothing unless the
 * whole file matched the model. Files are written to FILE.tmp then renamed. */
#include "noether/safetensors.h"
#include "noether/afile.h"
#include "noether/util.h"
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_MAX_TENSORS 100000
#define ST_MAX_META 256

struct jp {                    /* JSON cursor */
	const char *p, *end;
	char *err; size_t errlen;
};

static int jp_fail(struct jp *j, const char *what)
{
	return nt_err(j->err, j->errlen, NT_EIO, "bad safetensors header: %s", what);
}

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int jp_expect(struct jp *j, char ch)
{
	jp_ws(j);
	if (j->p >= j->end || *j->p != ch) {
		char m[64];
		if (j->p >= j->end)
			snprintf(m, sizeof m, "ends early (expected '%c')", ch);
		else
			snprintf(m, sizeof m, "expected '%c', found '%c'", ch, *j->p >= 0x20 && *j->p < 0x7f ? *j->p : '?');
		return jp_fail(j, m);
	}
	j->p++;
	return 0;
}

static int jp_peek(struct jp *j, char ch)
{
	jp_ws(j);
	return j->p < j->end && *j->p == ch;
}

static void utf8_put(char **o, unsigned cp)
{
	unsigned char *u = (unsigned char *)*o;
	if (cp < 0x80) { *u++ = (unsigned char)cp; }
	else if (cp < 0x800) { *u++ = (unsigned char)(0xC0 | cp >> 6); *u++ = (unsigned char)(0x80 | (cp & 0x3F)); }
	else if (cp < 0x10000) { *u++ = (unsigned char)(0xE0 | cp >> 12); *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); *u++ = (unsigned char)(0x80 | (cp & 0x3F)); }
	else { *u++ = (unsigned char)(0xF0 | cp >> 18); *u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F)); *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); *u++ = (unsigned char)(0x80 | (cp & 0x3F)); }
	*o = (char *)u;
}

static int hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
		           : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
		if (d > 15)
			return -1;
		*v = *v * 16 + d;
	}
	return 0;
}

/* Parses a JSON string; returns a malloc'd UTF-8 copy in *out. */
static int jp_string(struct jp *j, char **out)
{
	*out = NULL;
	if (jp_expect(j, '"'))
		return NT_EIO;
	const char *q = j->p;
	size_t n = 0;
	while (q < j->end && *q != '"') { /* length bound: the escaped form is never shorter */
		if (*q == '\\')
			q++;
		q++;
		n++;
	}
	if (q >= j->end)
		return jp_fail(j, "unterminated string");
	char *buf = xmalloc(4 * n + 1), *o = buf;
	while (*j->p != '"') {
		unsigned char c = (unsigned char)*j->p++;
		if (c < 0x20) {
			free(buf);
			return jp_fail(j, "control character in a string");
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		char e = *j->p++;
		switch (e) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (j->end - j->p < 4 || hex4(j->p, &cp)) {
				free(buf);
				return jp_fail(j, "bad \\u escape");
			}
			j->p += 4;
			if (cp >= 0xD800 && cp < 0xDC00) {
				if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || hex4(j->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
					free(buf);
					return jp_fail(j, "bad surrogate pair");
				}
				j->p += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			} else if (cp >= 0xDC00 && cp < 0xE000) {
				free(buf);
				return jp_fail(j, "lone low surrogate");
			}
			if (cp == 0) {
				free(buf);
				return jp_fail(j, "NUL in a string");
			}
			utf8_put(&o, cp);
			break;
		}
		default:
			free(buf);
			return jp_fail(j, "bad escape in a string");
		}
	}
	j->p++;
	*o = 0;
	*out = buf;
	return 0;
}

/* Non-negative integer ≤ 2^53. */
static int jp_uint(struct jp *j, uint64_t *v)
{
	jp_ws(j);
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return jp_fail(j, "expected a non-negative integer");
	if (*j->p == '0' && j->p + 1 < j->end && j->p[1] >= '0' && j->p[1] <= '9')
		return jp_fail(j, "leading zero in a number");
	*v = 0;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		*v = *v * 10 + (uint64_t)(*j->p++ - '0');
		if (*v > ((uint64_t)1 << 53))
			return jp_fail(j, "number too large");
	}
	if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
		return jp_fail(j, "expected an integer");
	return 0;
}

/* [u, u, ...] with at most max entries */
static int jp_uint_array(struct jp *j, uint64_t *v, int max, int *n, const char *what)
{
	*n = 0;
	if (jp_expect(j, '['))
		return NT_EIO;
	if (jp_peek(j, ']')) {
		j->p++;
		return 0;
	}
	for (;;) {
		if (*n >= max) {
			char m[96];
			snprintf(m, sizeof m, "%s has more than %d entries", what, max);
			return jp_fail(j, m);
		}
		if (jp_uint(j, &v[(*n)++]))
			return NT_EIO;
		if (jp_peek(j, ',')) { j->p++; continue; }
		return jp_expect(j, ']');
	}
}

static size_t dtype_size(const char *d)
{
	if (!strcmp(d, "F64")) return 8;
	if (!strcmp(d, "F32")) return 4;
	if (!strcmp(d, "F16") || !strcmp(d, "BF16")) return 2;
	return 0;
}

static int parse_tensor(struct jp *j, struct st_tensor *t)
{
	int have_dtype = 0, have_shape = 0, have_off = 0;
	char m[400];
	if (jp_expect(j, '{'))
		return NT_EIO;
	for (int first = 1;; first = 0) {
		if (first && jp_peek(j, '}'))
			break;
		char *key;
		if (jp_string(j, &key))
			return NT_EIO;
		if (jp_expect(j, ':')) {
			free(key);
			return NT_EIO;
		}
		int rc = 0;
		if (!strcmp(key, "dtype") && !have_dtype) {
			char *v;
			rc = jp_string(j, &v);
			if (!rc) {
				if (!dtype_size(v)) {
					snprintf(m, sizeof m, "tensor '%s' has unsupported dtype '%.16s' (F64, F32, F16, BF16 are read)", t->name, v);
					rc = nt_err(j->err, j->errlen, NT_EIO, "%s", m);
				} else
					str_copy(t->dtype, v, sizeof t->dtype);
				free(v);
			}
			have_dtype = 1;
		} else if (!strcmp(key, "shape") && !have_shape) {
			uint64_t v[ST_MAX_DIM];
			rc = jp_uint_array(j, v, ST_MAX_DIM, &t->ndim, "shape");
			t->nelem = 1;
			for (int i = 0; !rc && i < t->ndim; i++) {
				if (v[i] > (uint64_t)1 << 40 || (v[i] && t->nelem > ((size_t)1 << 40) / v[i])) {
					snprintf(m, sizeof m, "tensor '%s' has an absurd shape", t->name);
					rc = nt_err(j->err, j->errlen, NT_EIO, "%s", m);
					break;
				}
				t->shape[i] = (long)v[i];
				t->nelem *= (size_t)v[i];
			}
			have_shape = 1;
		} else if (!strcmp(key, "data_offsets") && !have_off) {
			uint64_t v[2];
			int n;
			rc = jp_uint_array(j, v, 2, &n, "data_offsets");
			if (!rc && n != 2)
				rc = jp_fail(j, "data_offsets must have two entries");
			t->begin = (size_t)v[0];
			t->end = (size_t)v[1];
			have_off = 1;
		} else {
			snprintf(m, sizeof m, "tensor '%s': unexpected or repeated field '%.40s'", t->name, key);
			rc = nt_err(j->err, j->errlen, NT_EIO, "bad safetensors header: %s", m);
		}
		free(key);
		if (rc)
			return rc;
		if (jp_peek(j, ',')) { j->p++; continue; }
		if (jp_expect(j, '}'))
			return NT_EIO;
		break;
	}
	if (!have_dtype || !have_shape || !have_off) {
		snprintf(m, sizeof m, "tensor '%s' lacks %s", t->name, !have_dtype ? "dtype" : !have_shape ? "shape" : "data_offsets");
		return nt_err(j->err, j->errlen, NT_EIO, "bad safetensors header: %s", m);
	}
	return 0;
}

static int parse_meta(struct jp *j, struct st_file *f)
{
	if (jp_expect(j, '{'))
		return NT_EIO;
	if (jp_peek(j, '}')) {
		j->p++;
		return 0;
	}
	for (;;) {
		if (f->nmeta >= ST_MAX_META)
			return jp_fail(j, "too many __metadata__ entries");
		char *k, *v;
		if (jp_string(j, &k))
			return NT_EIO;
		if (jp_expect(j, ':') || jp_string(j, &v)) {
			free(k);
			return j->err[0] ? NT_EIO : jp_fail(j, "__metadata__ values must be strings");
		}
		for (int i = 0; i < f->nmeta; i++)
			if (!strcmp(f->meta_key[i], k)) {
				free(k); free(v);
				return jp_fail(j, "repeated __metadata__ key");
			}
		f->meta_key = xrealloc(f->meta_key, (size_t)(f->nmeta + 1) * sizeof *f->meta_key);
		f->meta_val = xrealloc(f->meta_val, (size_t)(f->nmeta + 1) * sizeof *f->meta_val);
		f->meta_key[f->nmeta] = k;
		f->meta_val[f->nmeta++] = v;
		if (jp_peek(j, ',')) { j->p++; continue; }
		return jp_expect(j, '}');
	}
}

static int cmp_begin(const void *a, const void *b)
{
	const struct st_tensor *x = *(const struct st_tensor *const *)a, *y = *(const struct st_tensor *const *)b;
	return x->begin < y->begin ? -1 : x->begin > y->begin;
}

void st_free(struct st_file *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->nmeta; i++) {
		free(f->meta_key[i]);
		free(f->meta_val[i]);
	}
	free(f->meta_key);
	free(f->meta_val);
	free(f->t);
	free(f->data);
	free(f);
}

int st_parse(const unsigned char *buf, size_t len, struct st_file **out, char *err, size_t errlen)
{
	*out = NULL;
	err[0] = 0;
	if (len < 8)
		return nt_err(err, errlen, NT_EIO, "not a safetensors file: %zu bytes, shorter than the 8-byte header length", len);
	uint64_t hl = 0;
	for (int i = 7; i >= 0; i--)
		hl = hl << 8 | buf[i];
	if (hl < 2 || hl > ST_MAX_HEADER)
		return nt_err(err, errlen, NT_EIO, "bad safetensors header: length %llu outside 2..%u bytes",
		              (unsigned long long)hl, ST_MAX_HEADER);
	if (hl > len - 8)
		return nt_err(err, errlen, NT_EIO, "truncated safetensors file: header says %llu bytes, file has %zu after the length",
		              (unsigned long long)hl, len - 8);
	struct st_file *f = xcalloc(1, sizeof *f);
	struct jp j = { (const char *)buf + 8, (const char *)buf + 8 + hl, err, errlen };
	int rc = jp_expect(&j, '{'), cap = 0;
	if (!rc && jp_peek(&j, '}'))
		j.p++;
	else
		while (!rc) {
			char *key;
			if ((rc = jp_string(&j, &key)))
				break;
			if ((rc = jp_expect(&j, ':'))) {
				free(key);
				break;
			}
			if (!strcmp(key, "__metadata__")) {
				rc = f->nmeta ? jp_fail(&j, "repeated __metadata__") : parse_meta(&j, f);
				free(key);
			} else {
				if (strlen(key) >= sizeof f->t[0].name || !key[0]) {
					free(key);
					rc = jp_fail(&j, "tensor name empty or longer than 255 bytes");
					break;
				}
				if (f->n >= ST_MAX_TENSORS) {
					free(key);
					rc = jp_fail(&j, "too many tensors");
					break;
				}
				for (int i = 0; i < f->n; i++)
					if (!strcmp(f->t[i].name, key)) {
						char m[300];
						snprintf(m, sizeof m, "tensor '%s' appears twice", key);
						rc = jp_fail(&j, m);
					}
				if (rc) {
					free(key);
					break;
				}
				if (f->n == cap) {
					cap = cap ? 2 * cap : 16;
					f->t = xrealloc(f->t, (size_t)cap * sizeof *f->t);
				}
				struct st_tensor *t = &f->t[f->n++];
				memset(t, 0, sizeof *t);
				str_copy(t->name, key, sizeof t->name);
				free(key);
				rc = parse_tensor(&j, t);
			}
			if (rc)
				break;
			if (jp_peek(&j, ',')) { j.p++; continue; }
			rc = jp_expect(&j, '}');
			break;
		}
	if (!rc) {
		jp_ws(&j);
		if (j.p != j.end)
			rc = jp_fail(&j, "trailing bytes after the JSON object");
	}
	if (rc) {
		if (!err[0])
			nt_err(err, errlen, NT_EIO, "bad safetensors header");
		st_free(f);
		return NT_EIO;
	}
	/* byte ranges: inside the data, sized by shape × dtype, no overlaps */
	size_t dlen = len - 8 - (size_t)hl;
	for (int i = 0; i < f->n; i++) {
		struct st_tensor *t = &f->t[i];
		size_t want = t->nelem * dtype_size(t->dtype);
		if (t->begin > t->end || t->end > dlen) {
			rc = nt_err(err, errlen, NT_EIO, "%s file: tensor '%s' bytes [%zu, %zu) outside the %zu data bytes",
			            t->end > dlen ? "truncated or corrupt safetensors" : "corrupt safetensors", t->name, t->begin, t->end, dlen);
			break;
		}
		if (t->end - t->begin != want) {
			rc = nt_err(err, errlen, NT_EIO, "corrupt safetensors file: tensor '%s' has %zu bytes, its shape and %s need %zu",
			            t->name, t->end - t->begin, t->dtype, want);
			break;
		}
	}
	if (!rc && f->n > 1) {
		struct st_tensor **ord = xmalloc((size_t)f->n * sizeof *ord);
		for (int i = 0; i < f->n; i++)
			ord[i] = &f->t[i];
		qsort(ord, (size_t)f->n, sizeof *ord, cmp_begin);
		for (int i = 1; i < f->n && !rc; i++)
			if (ord[i]->begin < ord[i - 1]->end && ord[i]->end > ord[i]->begin)
				rc = nt_err(err, errlen, NT_EIO, "corrupt safetensors file: tensors '%s' and '%s' overlap",
				            ord[i - 1]->name, ord[i]->name);
		free(ord);
	}
	if (rc) {
		st_free(f);
		return rc;
	}
	f->data_len = dlen;
	f->data = xmalloc(dlen + 1);
	memcpy(f->data, buf + 8 + hl, dlen);
	*out = f;
	return 0;
}

int st_read(const char *path, struct st_file **out, char *err, size_t errlen)
{
	*out = NULL;
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return nt_err(err, errlen, NT_ENOENT, "cannot open '%s': %s", path, strerror(errno));
	if (fseek(fp, 0, SEEK_END)) {
		fclose(fp);
		return nt_err(err, errlen, NT_EIO, "cannot read '%s' (not a regular file?)", path);
	}
	long sz = ftell(fp);
	if (sz < 0 || (size_t)sz > ST_MAX_FILE) {
		fclose(fp);
		return nt_err(err, errlen, sz < 0 ? NT_EIO : NT_ERANGE, "'%s': size beyond the limit of %zu bytes", path, ST_MAX_FILE);
	}
	rewind(fp);
	unsigned char *buf = xmalloc((size_t)sz + 1);
	size_t got = fread(buf, 1, (size_t)sz, fp);
	fclose(fp);
	if (got != (size_t)sz) {
		free(buf);
		return nt_err(err, errlen, NT_EIO, "cannot read '%s'", path);
	}
	char e2[900];
	int rc = st_parse(buf, got, out, e2, sizeof e2);
	free(buf);
	if (rc)
		nt_err(err, errlen, rc, "%s: %s", path, e2);
	return rc;
}

const struct st_tensor *st_find(const struct st_file *f, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->t[i].name, name))
			return &f->t[i];
	return NULL;
}

const char *st_meta(const struct st_file *f, const char *key)
{
	for (int i = 0; i < f->nmeta; i++)
		if (!strcmp(f->meta_key[i], key))
			return f->meta_val[i];
	return NULL;
}

static uint64_t le_u(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static double half_to_double(unsigned h)
{
	unsigned sgn = h >> 15, e = (h >> 10) & 31, m = h & 1023;
	double v = e == 0 ? ldexp((double)m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp((double)(m | 1024), (int)e - 25);
	return sgn ? -v : v;
}

void st_get(const struct st_file *f, const struct st_tensor *t, double *out)
{
	const unsigned char *p = f->data + t->begin;
	size_t w = dtype_size(t->dtype);
	for (size_t i = 0; i < t->nelem; i++, p += w) {
		uint64_t u = le_u(p, (int)w);
		if (w == 8) {
			double d;
			memcpy(&d, &u, 8);
			out[i] = d;
		} else if (w == 4 || !strcmp(t->dtype, "BF16")) {
			uint32_t u32 = w == 4 ? (uint32_t)u : (uint32_t)u << 16;
			float fl;
			memcpy(&fl, &u32, 4);
			out[i] = fl;
		} else
			out[i] = half_to_double((unsigned)u);
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

int st_write(const char *path, const struct st_out *t, int n, const char *const *meta, int nmeta, int f32,
             char *err, size_t errlen)
{
	/* header into a memory stream first: its length goes first in the file */
	char *hdr = NULL;
	size_t hlen = 0;
	FILE *h = open_memstream(&hdr, &hlen);
	if (!h)
		return nt_err(err, errlen, NT_EIO, "save: out of memory");
	size_t off = 0, w = f32 ? 4 : 8;
	fputc('{', h);
	if (nmeta) {
		fputs("\"__metadata__\":{", h);
		for (int i = 0; i < nmeta; i++) {
			if (i)
				fputc(',', h);
			json_str(h, meta[2 * i]);
			fputc(':', h);
			json_str(h, meta[2 * i + 1]);
		}
		fputc('}', h);
	}
	for (int i = 0; i < n; i++) {
		size_t ne = 1;
		if (nmeta || i)
			fputc(',', h);
		json_str(h, t[i].name);
		fprintf(h, ":{\"dtype\":\"%s\",\"shape\":[", f32 ? "F32" : "F64");
		for (int d = 0; d < t[i].ndim; d++) {
			fprintf(h, "%s%ld", d ? "," : "", t[i].shape[d]);
			ne *= (size_t)t[i].shape[d];
		}
		fprintf(h, "],\"data_offsets\":[%zu,%zu]}", off, off + ne * w);
		off += ne * w;
	}
	fputc('}', h);
	while ((ftell(h) + 8) % 8) /* pad so the data starts 8-byte aligned */
		fputc(' ', h);
	if (fclose(h)) {
		free(hdr);
		return nt_err(err, errlen, NT_EIO, "save: out of memory");
	}
	struct afile a;
	int rc = afile_open(&a, path, "wb", "save", err, errlen);
	if (rc) {
		free(hdr);
		return rc;
	}
	FILE *f = a.f;
	unsigned char lenb[8];
	for (int i = 0; i < 8; i++)
		lenb[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
	fwrite(lenb, 1, 8, f);
	fwrite(hdr, 1, hlen, f);
	free(hdr);
	for (int i = 0; i < n; i++) {
		size_t ne = 1;
		for (int d = 0; d < t[i].ndim; d++)
			ne *= (size_t)t[i].shape[d];
		for (size_t k = 0; k < ne; k++) {
			unsigned char b[8];
			uint64_t u;
			if (f32) {
				float fl = (float)t[i].data[k];
				uint32_t u32;
				memcpy(&u32, &fl, 4);
				u = u32;
			} else
				memcpy(&u, &t[i].data[k], 8);
			for (size_t q = 0; q < w; q++)
				b[q] = (unsigned char)(u >> (8 * q));
			fwrite(b, 1, w, f);
		}
	}
	return afile_commit(&a, "save", err, errlen);
}
