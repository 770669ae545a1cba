/* fixture.h — reader for the golden fixture files written by
 * tests/fixtures/gen_fixtures.py (PyTorch float64 reference values), and the
 * relative-error measure the numeric tests share.
 *
 * A file holds cases; a case is a command list (`layer ...`, `loss ...`), the
 * shape of one sample, a batch size and named tensors (see gen_fixtures.py for
 * the format and the tensor names). Everything is owned by the fixture_file and
 * freed by fixture_free. */
#ifndef NOETHER_TEST_FIXTURE_H
#define NOETHER_TEST_FIXTURE_H
#include <stddef.h>
#include <stdio.h>

#define FIXTURE_MAX_CMDS 32
#define FIXTURE_MAX_TENSORS 96

struct fixture_tensor {
	char name[64];
	int ndim;
	int dim[3];
	size_t size;
	double *v;
};

struct fixture_case {
	char name[64];
	int ncmds;
	char cmd[FIXTURE_MAX_CMDS][256];
	int in_len, in_width, batch;
	int ntensors;
	struct fixture_tensor t[FIXTURE_MAX_TENSORS];
};

struct fixture_file {
	int ncases;
	struct fixture_case *c;
};

/* Reads a fixture file. Returns NULL (with a message in err) on a missing file
 * or a malformed line. Caller frees with fixture_free. */
struct fixture_file *fixture_load(const char *path, char *err, size_t errlen);
/* The same from an open stream (not closed); path names it in messages. */
struct fixture_file *fixture_read(FILE *fp, const char *path, char *err, size_t errlen);
void fixture_free(struct fixture_file *f);

/* Tensor of a case by name, or NULL. */
const struct fixture_tensor *fixture_tensor(const struct fixture_case *c, const char *name);

/* Directory holding the fixtures: $NOETHER_FIXTURES or "tests/fixtures". */
const char *fixture_dir(void);

/* max_i |a_i - b_i| / max(max_i |b_i|, floor): the error relative to the scale
 * of the reference b (robust to individual near-zero entries). */
double fixture_rel_err(const double *a, const double *b, size_t n, double floor);
#endif
