/* safetensors.c — the safetensors reader and writer (save/load params: params.c).
 *
 * The header is parsed by jansson (duplicate keys refused, the whole header
 * must be one JSON object with nothing but spaces after it) and then checked
 * against exactly what the format allows: "__metadata__" with string values,
 * and tensor objects {dtype, shape, data_offsets} with no other field,
 * integers in 0..2^53. Files are mapped (mmap), so opening reads the header
 * only; st_get_range converts elements when asked and st_release gives their
 * pages back.
 * Invariants: a returned st_file's tensors all lie inside data, match
 * nelem*size(dtype) bytes and do not overlap. Files are written to FILE.tmp
 * then renamed. */
#include "noether/safetensors.h"
#include "noether/afile.h"
#include "noether/util.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ST_MAX_TENSORS 100000
#define ST_MAX_META 256
#define ST_MAX_INT ((json_int_t)1 << 53)

static const char *const dtype_name[] = { "F64", "F32", "F16", "BF16" };

size_t st_dtype_size(enum st_dtype type)
{
	return type == ST_F64 ? 8 : type == ST_F32 ? 4 : 2;
}

static const struct { const char *name; size_t size; } other_dtype[] = {
	{ "BOOL", 1 }, { "U8", 1 }, { "I8", 1 }, { "F8_E4M3", 1 }, { "F8_E5M2", 1 }, { "I16", 2 }, { "U16", 2 },
	{ "I32", 4 }, { "U32", 4 }, { "I64", 8 }, { "U64", 8 } };

static int dtype_parse(const char *d, enum st_dtype *type, size_t *size)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(d, dtype_name[i])) {
			*type = (enum st_dtype)i;
			*size = st_dtype_size(*type);
			return 0;
		}
	for (size_t i = 0; i < sizeof other_dtype / sizeof *other_dtype; i++)
		if (!strcmp(d, other_dtype[i].name)) {
			*type = ST_OTHER;
			*size = other_dtype[i].size;
			return 0;
		}
	return -1;
}

static int hdr_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int hdr_fail(char *err, size_t errlen, const char *fmt, ...)
{
	char m[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	return nt_err(err, errlen, NT_EIO, "bad safetensors header: %s", m);
}

/* A JSON integer in 0..2^53 into *v; -1 otherwise. */
static int json_uint(const json_t *j, uint64_t *v)
{
	if (!json_is_integer(j))
		return -1;
	json_int_t x = json_integer_value(j);
	if (x < 0 || x > ST_MAX_INT)
		return -1;
	*v = (uint64_t)x;
	return 0;
}

static int parse_tensor(const char *name, json_t *o, struct st_tensor *t, char *err, size_t errlen)
{
	if (!json_is_object(o))
		return hdr_fail(err, errlen, "tensor '%s' is not an object {dtype, shape, data_offsets}", name);
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		if (strcmp(key, "dtype") && strcmp(key, "shape") && strcmp(key, "data_offsets"))
			return hdr_fail(err, errlen, "tensor '%s': unexpected field '%.40s'", name, key);
	}
	json_t *dt = json_object_get(o, "dtype"), *sh = json_object_get(o, "shape"), *off = json_object_get(o, "data_offsets");
	if (!dt || !sh || !off)
		return hdr_fail(err, errlen, "tensor '%s' lacks %s", name, !dt ? "dtype" : !sh ? "shape" : "data_offsets");
	if (!json_is_string(dt))
		return hdr_fail(err, errlen, "tensor '%s': dtype is not a string", name);
	if (dtype_parse(json_string_value(dt), &t->type, &t->esize))
		return nt_err(err, errlen, NT_EIO, "tensor '%s' has unsupported dtype '%.16s' (F64, F32, F16, BF16 are read; "
		              "integer, bool and F8 tensors are skipped)", name, json_string_value(dt));
	str_copy(t->dtype, json_string_value(dt), sizeof t->dtype);
	if (!json_is_array(sh) || json_array_size(sh) > ST_MAX_DIM)
		return hdr_fail(err, errlen, "tensor '%s': shape is not an array of at most %d integers", name, ST_MAX_DIM);
	t->ndim = (int)json_array_size(sh);
	t->nelem = 1;
	for (int i = 0; i < t->ndim; i++) {
		uint64_t x;
		if (json_uint(json_array_get(sh, (size_t)i), &x))
			return hdr_fail(err, errlen, "tensor '%s': shape entries must be integers in 0..2^53", name);
		if (x > (uint64_t)1 << 40 || (x && t->nelem > ((size_t)1 << 40) / x))
			return hdr_fail(err, errlen, "tensor '%s' has an absurd shape (more than 2^40 elements)", name);
		t->shape[i] = (long)x;
		t->nelem *= (size_t)x;
	}
	uint64_t b, e;
	if (!json_is_array(off) || json_array_size(off) != 2 || json_uint(json_array_get(off, 0), &b)
	    || json_uint(json_array_get(off, 1), &e))
		return hdr_fail(err, errlen, "tensor '%s': data_offsets must be [begin, end], integers in 0..2^53", name);
	t->begin = (size_t)b;
	t->end = (size_t)e;
	return 0;
}

static int parse_meta(json_t *o, struct st_file *f, char *err, size_t errlen)
{
	if (!json_is_object(o))
		return hdr_fail(err, errlen, "__metadata__ is not an object");
	if (json_object_size(o) > ST_MAX_META)
		return hdr_fail(err, errlen, "more than %d __metadata__ entries", ST_MAX_META);
	f->meta_key = xcalloc(json_object_size(o) + 1, sizeof *f->meta_key);
	f->meta_val = xcalloc(json_object_size(o) + 1, sizeof *f->meta_val);
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		if (!json_is_string(v))
			return hdr_fail(err, errlen, "__metadata__ value of '%.60s' is not a string", key);
		f->meta_key[f->nmeta] = xstrdup(key);
		f->meta_val[f->nmeta++] = xstrdup(json_string_value(v));
	}
	return 0;
}

static int cmp_begin(const void *a, const void *b)
{
	const struct st_tensor *x = *(const struct st_tensor *const *)a, *y = *(const struct st_tensor *const *)b;
	return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : x->end < y->end ? -1 : x->end > y->end;
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
	free(f->own_);
	if (f->map_)
		munmap(f->map_, f->map_len_);
	free(f);
}

/* Parses and checks the header of the file image buf[0..len); fills f except
 * the data pointer. */
static int parse_header(const unsigned char *buf, size_t len, struct st_file *f, char *err, size_t errlen)
{
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
	f->file_len = len;
	f->data_off = 8 + (size_t)hl;
	f->data_len = len - f->data_off;
	json_error_t je;
	json_t *root = json_loadb((const char *)buf + 8, (size_t)hl, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return nt_err(err, errlen, NT_EIO, "bad safetensors header at byte %lld: %s", 8LL + je.position, je.text);
	int rc = 0;
	if (!json_is_object(root))
		rc = hdr_fail(err, errlen, "not a JSON object");
	else if (json_object_size(root) > ST_MAX_TENSORS)
		rc = hdr_fail(err, errlen, "more than %d tensors", ST_MAX_TENSORS);
	if (!rc)
		f->t = xcalloc(json_object_size(root) + 1, sizeof *f->t);
	const char *key;
	json_t *v;
	if (!rc)
		json_object_foreach(root, key, v) {
			if (!strcmp(key, "__metadata__")) {
				rc = parse_meta(v, f, err, errlen);
			} else if (!key[0] || strlen(key) >= sizeof f->t[0].name) {
				rc = hdr_fail(err, errlen, "tensor name empty or longer than %zu bytes", sizeof f->t[0].name - 1);
			} else {
				struct st_tensor *t = &f->t[f->n++];
				str_copy(t->name, key, sizeof t->name);
				rc = parse_tensor(key, v, t, err, errlen);
			}
			if (rc)
				break;
		}
	json_decref(root);
	if (rc)
		return rc;
	/* byte ranges: inside the data, sized by shape × dtype, no overlaps */
	for (int i = 0; i < f->n; i++) {
		struct st_tensor *t = &f->t[i];
		size_t want = t->nelem * t->esize;
		if (t->begin > t->end)
			return nt_err(err, errlen, NT_EIO, "corrupt safetensors file: tensor '%s' has data_offsets [%zu, %zu), begin after end",
			              t->name, t->begin, t->end);
		if (t->end > f->data_len)
			return nt_err(err, errlen, NT_EIO, "truncated or corrupt safetensors file: tensor '%s' bytes [%zu, %zu) "
			              "(file offset %zu) outside the %zu data bytes", t->name, t->begin, t->end, f->data_off + t->begin,
			              f->data_len);
		if (t->end - t->begin != want)
			return nt_err(err, errlen, NT_EIO, "corrupt safetensors file: tensor '%s' at file offset %zu has %zu bytes, "
			              "its shape and %s need %zu", t->name, f->data_off + t->begin, t->end - t->begin, t->dtype, want);
	}
	if (f->n > 1) {
		/* sorted by begin, each tensor is checked against the one reaching
		 * furthest so far (not only its neighbour: a 0-byte tensor between two
		 * overlapping ones must not hide the overlap) */
		struct st_tensor **ord = xmalloc((size_t)f->n * sizeof *ord);
		for (int i = 0; i < f->n; i++)
			ord[i] = &f->t[i];
		qsort(ord, (size_t)f->n, sizeof *ord, cmp_begin);
		const struct st_tensor *far = NULL;
		for (int i = 0; i < f->n && !rc; i++) {
			const struct st_tensor *t = ord[i];
			if (t->begin == t->end)
				continue;
			if (far && t->begin < far->end)
				rc = nt_err(err, errlen, NT_EIO, "corrupt safetensors file: tensors '%s' and '%s' overlap at file offset %zu",
				            far->name, t->name, f->data_off + t->begin);
			if (!far || t->end > far->end)
				far = t;
		}
		free(ord);
	}
	return rc;
}

int st_parse(const unsigned char *buf, size_t len, struct st_file **out, char *err, size_t errlen)
{
	*out = NULL;
	err[0] = 0;
	struct st_file *f = xcalloc(1, sizeof *f);
	int rc = parse_header(buf, len, f, err, errlen);
	if (rc) {
		if (!err[0])
			nt_err(err, errlen, NT_EIO, "bad safetensors header");
		st_free(f);
		return rc;
	}
	f->own_ = xmalloc(f->data_len + 1);
	memcpy(f->own_, buf + f->data_off, f->data_len);
	f->data = f->own_;
	*out = f;
	return 0;
}

int st_read(const char *path, struct st_file **out, char *err, size_t errlen)
{
	*out = NULL;
	struct stat st;   /* before opening: a FIFO would block, a directory would open */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return nt_err(err, errlen, NT_EIO, "cannot read '%s': it is %s, not a safetensors file", path,
		              S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return nt_err(err, errlen, errno == ENOENT ? NT_ENOENT : NT_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {   /* replaced between stat and open */
		close(fd);
		return nt_err(err, errlen, NT_EIO, "cannot read '%s': it is not a regular file", path);
	}
	if ((uint64_t)st.st_size > ST_MAX_FILE) {
		close(fd);
		return nt_err(err, errlen, NT_ERANGE, "'%s': size beyond the limit of %zu bytes", path, ST_MAX_FILE);
	}
	size_t len = (size_t)st.st_size;
	void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (len && map == MAP_FAILED)
		return nt_err(err, errlen, NT_EIO, "cannot map '%s': %s", path, strerror(errno));
	struct st_file *f = xcalloc(1, sizeof *f);
	f->map_ = map;
	f->map_len_ = len;
	char e2[900] = "";
	int rc = parse_header(map ? map : (const void *)"", len, f, e2, sizeof e2);
	if (rc) {
		st_free(f);
		return nt_err(err, errlen, rc, "%s: %s", path, e2[0] ? e2 : "bad safetensors header");
	}
	f->data = (const unsigned char *)map + f->data_off;
	if (len)
		madvise(map, len, MADV_SEQUENTIAL);
	*out = f;
	return 0;
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

static double half_to_double(unsigned h)
{
	unsigned sgn = h >> 15, e = (h >> 10) & 31, m = h & 1023;
	double v = e == 0 ? ldexp((double)m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp((double)(m | 1024), (int)e - 25);
	return sgn ? -v : v;
}

void st_get_range(const struct st_file *f, const struct st_tensor *t, size_t i0, size_t n, double *out)
{
	const unsigned char *p = f->data + t->begin + i0 * t->esize;
	switch (t->type) {
	case ST_OTHER:
		for (size_t i = 0; i < n; i++)
			out[i] = NAN;
		break;
	case ST_F64:
		for (size_t i = 0; i < n; i++, p += 8) {
			uint64_t u = 0;
			for (int k = 7; k >= 0; k--)
				u = u << 8 | p[k];
			memcpy(&out[i], &u, 8);
		}
		break;
	case ST_F32:
		for (size_t i = 0; i < n; i++, p += 4) {
			uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
			float fl;
			memcpy(&fl, &u, 4);
			out[i] = fl;
		}
		break;
	case ST_BF16:
		for (size_t i = 0; i < n; i++, p += 2) {
			uint32_t u = ((uint32_t)p[0] | (uint32_t)p[1] << 8) << 16;
			float fl;
			memcpy(&fl, &u, 4);
			out[i] = fl;
		}
		break;
	case ST_F16:
		for (size_t i = 0; i < n; i++, p += 2)
			out[i] = half_to_double((unsigned)p[0] | (unsigned)p[1] << 8);
		break;
	}
}

void st_get(const struct st_file *f, const struct st_tensor *t, double *out)
{
	st_get_range(f, t, 0, t->nelem, out);
}

void st_release(const struct st_file *f, const struct st_tensor *t, size_t i0, size_t n)
{
	if (!f->map_ || !n)
		return;
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;
	size_t a = f->data_off + t->begin + i0 * t->esize, b = a + n * t->esize;
	a -= a % page;
	if (b > f->map_len_)
		b = f->map_len_;
	if (b > a)
		madvise((char *)f->map_ + a, b - a, MADV_DONTNEED);
}

double st_ulp(enum st_dtype type, double x)
{
	int p = type == ST_F64 ? 53 : type == ST_F32 ? 24 : type == ST_F16 ? 11 : 8;
	int emin = type == ST_F64 ? -1022 : type == ST_F32 ? -126 : type == ST_F16 ? -14 : -126;
	int e = x == 0 || !isfinite(x) ? emin : ilogb(x);
	if (e < emin)
		e = emin;
	return ldexp(1.0, e - (p - 1));
}

/* x rounded to nearest (ties to even) with p significant bits, exponent at
 * least emin (gradual underflow); overflow is left to the encoder */
static double round_bits(double x, int p, int emin)
{
	if (x == 0 || !isfinite(x))
		return x;
	int e = ilogb(x);
	if (e < emin)
		e = emin;
	return ldexp(nearbyint(ldexp(x, (p - 1) - e)), e - (p - 1));
}

static uint64_t encode(double x, enum st_dtype type)
{
	uint64_t u;
	if (type == ST_F64) {
		memcpy(&u, &x, 8);
		return u;
	}
	if (type == ST_F32 || type == ST_BF16) {
		float fl = type == ST_F32 ? (float)x : isnan(x) ? NAN : (float)round_bits(x, 8, -126);
		uint32_t u32;
		memcpy(&u32, &fl, 4);
		if (type == ST_F32)
			return u32;
		if (isnan(x))
			return 0x7fc0;
		return u32 >> 16; /* exact: fl has at most 8 significant bits (inf when beyond the range) */
	}
	unsigned s = signbit(x) ? 0x8000u : 0;
	if (isnan(x))
		return 0x7e00;
	double r = fabs(round_bits(x, 11, -14));
	if (r > 65504)
		return s | 0x7c00;
	if (r == 0)
		return s;
	int e = ilogb(r);
	if (e < -14)
		return s | (unsigned)ldexp(r, 24);
	return s | (unsigned)(e + 15) << 10 | ((unsigned)ldexp(r, 10 - e) - 1024);
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

int st_write(const char *path, const struct st_out *t, int n, const char *const *meta, int nmeta, enum st_dtype dtype,
             char *err, size_t errlen)
{
	/* header into a memory stream first: its length goes first in the file */
	char *hdr = NULL;
	size_t hlen = 0;
	FILE *h = open_memstream(&hdr, &hlen);
	if (!h)
		return nt_err(err, errlen, NT_EIO, "save: out of memory");
	size_t off = 0, w = st_dtype_size(dtype);
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
		fprintf(h, ":{\"dtype\":\"%s\",\"shape\":[", dtype_name[dtype]);
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
			uint64_t u = encode(t[i].data[k], dtype);
			for (size_t q = 0; q < w; q++)
				b[q] = (unsigned char)(u >> (8 * q));
			fwrite(b, 1, w, f);
		}
	}
	return afile_commit(&a, "save", err, errlen);
}
