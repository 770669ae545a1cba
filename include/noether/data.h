/* data.h — data sets: n samples, each `len` rows of d_in features, with targets.
 *
 * Regression targets are y (n*out_len, d_out). Classification sets store class
 * indices in label[n*out_len] (0..n_classes-1) and y == NULL until
 * data_targets_for() builds the target matrix a loss needs. Every generator has
 * its own seed, independent of the model's initialisation seed. */
#ifndef NOETHER_DATA_H
#define NOETHER_DATA_H
#include <stddef.h>
#include <stdint.h>

struct dataset {
	char kind[24];          /* "teacher", "blobs", "xor", "spirals", "csv", ... */
	char desc[256];         /* the command arguments that made it (re-parsable) */
	unsigned long seed;
	int n;                  /* samples */
	int len;                /* rows per sample (sequence length; 1 for vectors) */
	int d_in;
	int out_len;            /* target rows per sample (len, or 1) */
	int d_out;              /* regression target width (0 for classification) */
	int n_classes;          /* > 0 for classification */
	double *x;              /* (n*len, d_in) */
	double *y;              /* (n*out_len, d_out) or NULL */
	int *label;             /* (n*out_len) or NULL */
	char group[64];         /* augmentation group applied ("" if none) */
	int orbit;              /* group order used by augmentation (1 if none) */
};

/* Builds a data set of kind `kind` (argv: key=value options). Returns NULL and a
 * message in err on an unknown kind, bad option or absurd size. Caller frees
 * with data_free. */
struct dataset *data_generate(const char *kind, int argc, char **argv, char *err, size_t errlen);
void data_free(struct dataset *d);
struct dataset *data_clone(const struct dataset *d);
/* CSV data sets (data_csv.c). Layout: optional '#' lines (save writes
 * "# noether data: len=T out_len=O classes=C"), a header x0..x{d-1} then
 * y0..y{m-1} (regression) or label (class index), one line per sample row;
 * T consecutive lines make one sample. argv: FILE [len=T]. Returns NULL and a
 * message naming the file and line on bad input. */
struct dataset *data_csv_read(int argc, char **argv, char *err, size_t errlen);
/* Writes d as CSV (temp file + rename). Returns 0 or NT_EIO/NT_EINVAL. */
int data_csv_write(const struct dataset *d, const char *path, char *err, size_t errlen);
/* Names of data kinds (NULL-terminated), for completion and help. */
extern const char *const data_kinds[];
const char *data_kind_usage(const char *kind);
/* The option table (opts.h) of a generated kind, for completion and help; NULL
 * for csv and unknown kinds. */
struct opt_spec;
const struct opt_spec *data_kind_opts(const char *kind);
/* Sequence generators (data_seq.c): kinds "seq" and "seqcls"; data_generate
 * falls through to them. Same contract as data_generate / data_kind_usage. */
struct dataset *data_seq_generate(const char *kind, int argc, char **argv, char *err, size_t errlen);
const char *data_seq_usage(const char *kind);
const struct opt_spec *data_seq_opts(const char *kind);
#endif
