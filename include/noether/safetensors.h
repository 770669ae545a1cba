/* safetensors.h — reading and writing the safetensors format, and the
 * experiment's `save params` / `load params` (params.c).
 *
 * File layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * (an object: "__metadata__" → {string: string}, and per tensor
 * NAME → {"dtype": "F64"|"F32"|"F16"|"BF16", "shape": [..], "data_offsets":
 * [begin, end]} with offsets relative to the byte after the header), then the
 * data, little-endian, row-major. The header is parsed by jansson (a
 * maintained JSON library); the reader is strict and bounded: the whole header
 * must parse (no duplicate keys, no unknown fields, integers ≤ 2^53), every
 * tensor's byte range must lie inside the data, match its shape and dtype, and
 * not overlap another; anything else is refused with a one-line message
 * naming the problem, the tensor and the byte offset in the file.
 *
 * Files are opened with mmap: opening touches only the header, a tensor's
 * pages are read when its values are converted (st_get_range) and can be
 * given back after use (st_release), so a checkpoint of any size is read
 * with memory bounded by what the caller converts at a time. */
#ifndef NOETHER_SAFETENSORS_H
#define NOETHER_SAFETENSORS_H
#include <stddef.h>

#define ST_MAX_DIM 8
#define ST_MAX_HEADER (100u << 20)     /* header bytes */
#define ST_MAX_FILE ((size_t)1 << 40)  /* whole file (1 TiB) */

/* element types; the numbers of F64 and F32 are st_write's old f32 flag.
 * ST_OTHER: an integer, bool or 8-bit float tensor (I64, U8, BOOL, F8_E4M3 ...):
 * its bytes are checked like any other, its values are not read. */
enum st_dtype { ST_F64 = 0, ST_F32 = 1, ST_F16 = 2, ST_BF16 = 3, ST_OTHER = 4 };

struct st_tensor {
	char name[256];
	char dtype[12];                /* as in the file: F64, F32, F16, BF16, I64 ... */
	enum st_dtype type;
	size_t esize;                  /* bytes per element */
	int ndim;
	long shape[ST_MAX_DIM];
	size_t nelem;
	size_t begin, end;             /* byte range in the data section */
};

struct st_file {
	int n;
	struct st_tensor *t;           /* in header order */
	int nmeta;
	char **meta_key, **meta_val;   /* __metadata__ pairs */
	const unsigned char *data;     /* the data section (in the mapping, or owned by st_parse) */
	size_t data_len;
	size_t data_off;               /* file offset of the data section: 8 + header length */
	size_t file_len;
	/* private */
	void *map_;
	size_t map_len_;
	unsigned char *own_;
};

/* Opens and validates FILE (mmap; only the header is read). Returns 0 and *out
 * (free with st_free), or NT_ENOENT (missing) / NT_EIO (not a regular file,
 * corrupt, truncated) / NT_ERANGE with "FILE: message" in err. */
int st_read(const char *path, struct st_file **out, char *err, size_t errlen);
/* Parses a file image already in memory (buf, len: the whole file); the data
 * section is copied. Messages have no file name. */
int st_parse(const unsigned char *buf, size_t len, struct st_file **out, char *err, size_t errlen);
void st_free(struct st_file *f);
const struct st_tensor *st_find(const struct st_file *f, const char *name);
const char *st_meta(const struct st_file *f, const char *key);
/* Converts tensor t's elements to doubles into out[t->nelem] (NaN for
 * ST_OTHER tensors: callers check the type first). */
void st_get(const struct st_file *f, const struct st_tensor *t, double *out);
/* Converts elements [i0, i0+n) of t (row-major order) into out[n];
 * the caller guarantees i0 + n <= t->nelem. */
void st_get_range(const struct st_file *f, const struct st_tensor *t, size_t i0, size_t n, double *out);
/* Gives the pages of elements [i0, i0+n) of t back to the system (mapped
 * files only; a later read maps them again). */
void st_release(const struct st_file *f, const struct st_tensor *t, size_t i0, size_t n);
/* Unit in the last place of a value stored as dtype (x must be representable
 * in it): the spacing of that dtype's numbers around x; 0 for F64 zero. */
double st_ulp(enum st_dtype type, double x);
/* Bytes per element of a float dtype (ST_F64 .. ST_BF16). */
size_t st_dtype_size(enum st_dtype type);

/* One tensor to write. */
struct st_out {
	const char *name;
	int ndim;
	const long *shape;
	const double *data;
};
/* Writes tensors as dtype (values rounded to nearest, ties to even) with the
 * metadata pairs meta[2*i], meta[2*i+1]; to FILE.tmp then renamed. Returns 0
 * or an error. */
int st_write(const char *path, const struct st_out *t, int n, const char *const *meta, int nmeta, enum st_dtype dtype,
             char *err, size_t errlen);

#endif
