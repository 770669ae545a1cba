/* safetensors.h — reading and writing the safetensors format, and the
 * experiment's `save params` / `load params` (params.c).
 *
 * File layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * (an object: "__metadata__" → {string: string}, and per tensor
 * NAME → {"dtype": "F64"|"F32"|"F16"|"BF16", "shape": [..], "data_offsets":
 * [begin, end]} with offsets relative to the byte after the header), then the
 * data, little-endian, row-major. The reader is strict and bounded: the whole
 * header must parse, every tensor's byte range must lie inside the data, match
 * its shape and dtype, and not overlap another; anything else is refused with
 * a one-line message naming the problem (and the tensor). */
#ifndef NOETHER_SAFETENSORS_H
#define NOETHER_SAFETENSORS_H
#include <stddef.h>

#define ST_MAX_DIM 8
#define ST_MAX_HEADER (100u << 20)     /* header bytes */
#define ST_MAX_FILE ((size_t)4 << 30)  /* whole file */

struct st_tensor {
	char name[256];
	char dtype[8];                 /* F64, F32, F16, BF16 (others refused on read) */
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
	unsigned char *data;           /* the data section (owned) */
	size_t data_len;
};

/* Reads and validates FILE. Returns 0 and *out (free with st_free), or
 * NT_ENOENT / NT_EIO / NT_ERANGE with a message in err. */
int st_read(const char *path, struct st_file **out, char *err, size_t errlen);
/* Parses a file image already in memory (buf, len: the whole file). */
int st_parse(const unsigned char *buf, size_t len, struct st_file **out, char *err, size_t errlen);
void st_free(struct st_file *f);
const struct st_tensor *st_find(const struct st_file *f, const char *name);
const char *st_meta(const struct st_file *f, const char *key);
/* Converts tensor t's elements to doubles into out[t->nelem]. */
void st_get(const struct st_file *f, const struct st_tensor *t, double *out);

/* One tensor to write. */
struct st_out {
	const char *name;
	int ndim;
	const long *shape;
	const double *data;
};
/* Writes tensors as F64 (or F32 when f32 != 0) with the metadata pairs
 * meta[2*i], meta[2*i+1]; to FILE.tmp then renamed. Returns 0 or an error. */
int st_write(const char *path, const struct st_out *t, int n, const char *const *meta, int nmeta, int f32,
             char *err, size_t errlen);

#endif
