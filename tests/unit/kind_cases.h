/* kind_cases.h — small test models around each block kind, shared by the
 * numeric tests (finite-difference gradient check, BLAS vs reference). A case
 * is a list of layer commands (as typed after `layer`), the shape of one
 * sample and a batch size. kind_cases_for() gives the cases of one kind of the
 * registry; a kind with no entry gets a generic guess (dense 3 → KIND → dense 2,
 * see test_gradcheck.c) so a newly registered block is exercised without
 * touching the tests. */
#ifndef NOETHER_TEST_KIND_CASES_H
#define NOETHER_TEST_KIND_CASES_H
#include <stddef.h>

struct model;

#define KC_MAX_LAYERS 8

struct kind_case {
	const char *kind;                    /* block kind under test */
	const char *layers[KC_MAX_LAYERS];   /* NULL-terminated */
	int len, width, batch;
};

/* Cases for kind `name`: fills out (at most max), returns the count (0: none known,
 * the caller may try kind_case_generic). */
int kind_cases_for(const char *name, const struct kind_case **out, int max);
/* A generic model around one layer line ("KIND [args]"): dense 3 → layer →
 * dense 2 on samples of 3 rows of width 3. Writes into *kc (its layer strings
 * point into static storage, valid until the next call). */
void kind_case_generic(const char *layer, struct kind_case *kc);
/* Builds m from kc (model_add each layer, model_build). Returns 0 or an error
 * with a message in err. */
int kind_case_build(struct model *m, const struct kind_case *kc, char *err, size_t errlen);
/* "dense 3 | relu | dense 2" into buf. */
void kind_case_describe(const struct kind_case *kc, char *buf, size_t len);
#endif
