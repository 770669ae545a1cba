/* augment.h — finite groups acting on samples, and data sets closed under them
 * (data augmentation), for the data-symmetry experiments.
 *
 * A group is parsed from the words of `augment GROUP ...` and bound to a sample
 * shape (len rows of d_in features). Its elements are numbered 0..order-1 with
 * element 0 the identity; aug_apply(g, e, x, y) writes e·x. Groups:
 *   signs I,J,..   x_i -> -x_i for any subset of the listed coordinates (2^k)
 *   cyclic [I,J,..]  cyclic shifts of the listed coordinates (default all) (k)
 *   c4 I,J         90° rotations of the (x_I, x_J) plane (4)
 *   perm [I,J,..]  all permutations of the listed coordinates (default all) (k!)
 *   reflect I      x_I -> -x_I (2);  reflect I,J: swap x_I and x_J (2)
 *   seq-reverse    reverse the order of the len positions (2)
 *   seq-cyclic     cyclic shifts of the positions (len)
 * Coordinate groups act on every position of a sequence alike.
 *
 * Closed data sets: aug_close() returns n·|G| samples laid out orbit-major
 * (sample i·|G| + e is e·x_i), so the base set is the e = 0 rows and fixed
 * points are kept with multiplicity (the multiset is G-invariant, each orbit
 * weighs the same). Labels and regression targets are copied from the base
 * sample (invariant), except: sequence groups move per-position targets with
 * the positions (out_len == len), and coordinate groups act on the targets too
 * when `equivariant` was given (needs d_out == d_in). */
#ifndef NOETHER_AUGMENT_H
#define NOETHER_AUGMENT_H
#include <stddef.h>
#include "noether/data.h"
#include "noether/rng.h"

enum aug_kind { AUG_NONE, AUG_SIGNS, AUG_CYCLIC, AUG_C4, AUG_PERM, AUG_REFLECT, AUG_SWAP,
	AUG_SEQ_REVERSE, AUG_SEQ_CYCLIC };

#define AUG_MAX_COORDS 16
#define AUG_MAX_ORDER 40320      /* 8! */

struct aug_group {
	enum aug_kind kind;
	int ncoord;
	int coord[AUG_MAX_COORDS];   /* the coordinates (or positions) acted on */
	int len, d_in;               /* sample shape the group is bound to */
	int order;                   /* |G| */
	int equivariant;             /* also act on regression targets */
	char desc[64];               /* canonical words, re-parsable: "c4 0,1" */
};

/* Names of the group kinds (NULL-terminated), for completion and help. */
extern const char *const aug_kinds[];

/* Parses argv (argv[0] = kind, then its coordinate list and options such as
 * `equivariant`) for samples of shape (len, d_in). Returns 0, or NT_EINVAL /
 * NT_ERANGE / NT_ENOENT with a one-line message naming the bad word in err. */
int aug_parse(struct aug_group *g, int argc, char **argv, int len, int d_in, char *err, size_t errlen);
/* Parses a canonical description (d->group of an augmented data set) back into
 * a group bound to d's shape. Returns 0, or an error when d is not augmented. */
int aug_from_dataset(struct aug_group *g, const struct dataset *d, char *err, size_t errlen);

/* Applies element e (0 <= e < order) to one sample x (len*d_in doubles) into
 * y (same size, must not alias x). Exact in floating point (moves and sign
 * changes only). */
void aug_apply(const struct aug_group *g, int e, const double *x, double *y);
/* Index of the inverse of element e. */
int aug_inverse(const struct aug_group *g, int e);

/* Returns a new data set: d closed under g (n·order samples, orbit-major, see
 * above), with d->group = g->desc and d->orbit = order. The caller frees it.
 * Returns NULL with a message when the result would exceed NT_MAX_SAMPLES or
 * targets cannot follow an equivariant action. d must not be augmented. */
struct dataset *aug_close(const struct aug_group *g, const struct dataset *d, char *err, size_t errlen);
/* The base (un-augmented) data set of an augmented one (the e = 0 samples); a
 * copy of d when d is not augmented. Caller frees. */
struct dataset *aug_base(const struct dataset *d);

/* A random member of the family of G-closed data sets shaped like `like`:
 * nbase base samples with N(0,1) inputs and N(0,1) targets (regression, d_out
 * columns) or uniform labels (classification), closed under g (labels copied
 * from the base sample). Used by `laws count over=augmented`, which draws many
 * such sets and takes the span of the loss gradients. Caller frees. */
struct dataset *aug_sample_family(const struct aug_group *g, const struct dataset *like, int nbase, struct rng *r);

/* Closes z in place under the group actx (a const struct aug_group *, bound to
 * z's shape): the hook `struct lie_family.augment` of lie.h. Returns 0 or an
 * error (size limit, shape) with a message in err. For over=augmented, use
 * aug_from_dataset(&g, data) for the group and aug_base(data) as the
 * family's base set. */
int aug_family_close(void *actx, struct dataset *z, char *err, size_t errlen);

/* Distinct-orbit statistics of an augmented set: the smallest and largest
 * number of distinct samples in an orbit (order when no point is fixed). */
void aug_orbit_sizes(const struct dataset *d, int *min_size, int *max_size);
#endif
