/* block.h — the block interface. One block kind = one file in src/core/blocks/
 * exporting one `const struct block_kind`, registered in block_kinds[] (blocks.c).
 *
 * Data layout: a batch of n samples; a sample is `len` rows of `width` features,
 * row-major, so a block input x is (n*in.len, in.width) and its output y is
 * (n*out.len, out.width). Parameters live in the model's single θ buffer: a block
 * owns tensors that are views (offset, shape) into it, row-major.
 *
 * Options: a kind declares its options as a table (opts.h) over its own typed
 * configuration struct, which lives in the block's cfg bytes (cfg_size <=
 * NT_BLOCK_CFG); block_opts_configure parses argv into it and
 * block_opts_describe writes it back as re-parsable text. Kernels read the
 * struct through block_config(b); setup may store derived sizes in it.
 *
 * Contracts for the hooks:
 *  - configure: parses argv into the config (block_opts_configure for a kind
 *    with an option table; a composite such as residual parses its own);
 *    check, when set, then validates options against each other.
 *  - setup: validates options against the input shape, sets b->out, declares
 *    tensors with block_add_tensor (offsets relative to the block), and the sizes
 *    act_per_sample / ws_per_sample / ws_fixed. Errors name the block.
 *  - forward: y = f(x); may store what backward needs in act
 *    (act_per_sample*n doubles). Must not allocate.
 *  - backward: given dy, ADDS ∂L/∂θ into dtheta (full θ layout) and WRITES dx
 *    (skip when dx == NULL). ws holds ws_per_sample*n + ws_fixed doubles.
 *  - declare: says which slices of the block's tensors scale together per unit,
 *    which products are Gram-invariant, which entries sum to a conserved
 *    quantity, and through which slices the block reads and writes its features
 *    (lawbuild.h). It never looks at other blocks: laws between neighbours are
 *    derived from their declarations and `pass`.
 */
#ifndef NOETHER_BLOCK_H
#define NOETHER_BLOCK_H
#include <stddef.h>
#include "noether/rng.h"
#include "noether/quantity.h"
#include "noether/opts.h"

#define NT_BLOCK_TENSORS 64
#define NT_BLOCK_CFG 128     /* bytes of a kind's configuration struct */

struct shape { int len; int width; };

struct tensor_view {
	char name[64];        /* full name, e.g. "layer1.dense.W" */
	char short_name[24];  /* "W", "b", "head0.Q" */
	size_t off;           /* absolute offset in θ (after model_build) */
	int ndim;
	int dim[3];
	size_t size;
};

struct init_spec {
	enum { INIT_NORMAL, INIT_BALANCED, INIT_UNIFORM } kind;
	double std;           /* <= 0: 1/sqrt(fan_in) per tensor */
	unsigned long seed;
};

struct model;
struct block;
struct law_decls;

/* How a block passes its input features on, for laws between its neighbours. */
enum block_pass {
	PASS_NONE,    /* no symmetry of the features crosses the block */
	PASS_SCALE,   /* elementwise σ(λz) = λ^p σ(z), λ > 0 (p = positive_homogeneous) */
	PASS_LINEAR,  /* commutes with every linear map of the features (mean pooling) */
	PASS_SKIP     /* y = x + g(x) (residual): the stream goes on; g reads and writes it */
};

struct block_kind {
	const char *name;
	const char *usage;          /* "dense WIDTH [bias=on|off]" */
	const char *help;           /* one paragraph, shown by `help layer NAME` */
	const struct opt_spec *opts;/* option table over the kind's config struct (NULL: none) */
	size_t cfg_size;            /* sizeof that struct, <= NT_BLOCK_CFG */
	int positive_homogeneous;   /* activation: σ(λz) = λ^p σ(z) for λ>0; p here (0: no) */
	int is_activation;          /* elementwise, no parameters */
	enum block_pass pass;       /* how features pass through (PASS_SCALE: per feature) */
	int tensorizable;           /* polynomial in θ and x as the data-symmetry theory needs */
	int needs_sequence;         /* mixes the positions of a sample: one position is refused */
	int batch_stats;            /* a sample's output depends on the other samples of its batch
	                             * (batchnorm): f is a function of a whole batch */
	/* Parse options (argv after the kind name); block_opts_configure for most. */
	int (*configure)(struct block *b, int argc, char **argv, char *err, size_t errlen);
	/* Optional: cross-option checks after block_opts_configure parsed them. */
	int (*check)(struct block *b, char *err, size_t errlen);
	int (*setup)(struct block *b, struct shape in, char *err, size_t errlen);
	void (*init)(const struct block *b, double *theta, const struct init_spec *spec, struct rng *r);
	void (*forward)(const struct block *b, const double *theta, int n,
	                const double *x, double *y, double *act, double *ws);
	void (*backward)(const struct block *b, const double *theta, int n,
	                 const double *x, const double *y, const double *act,
	                 const double *dy, double *dx, double *dtheta, double *ws);
	void (*declare)(const struct block *b, struct law_decls *d);   /* may be NULL: no laws */
	/* Composite blocks (residual): the inner chain, whose laws are the block's. */
	const struct model *(*inner)(const struct block *b);
	void (*destroy)(struct block *b);   /* frees priv; may be NULL */
	/* Describe the options for `show` and `save session` (re-parsable);
	 * block_opts_describe for a kind with an option table. */
	void (*describe)(const struct block *b, char *buf, size_t len);
	/* Optional: FLOPs per sample of forward+backward beyond the parameter
	 * matmuls the model already counts (6·nparam·len; 4· for the first block),
	 * e.g. attention's T×T score products, or negative for work a block skips
	 * (moe top-k: unrouted experts). May be NULL. */
	double (*flops)(const struct block *b);
};

struct block {
	const struct block_kind *kind;
	int index;                  /* 0-based position in the model */
	char name[48];              /* "layer2.dense" (1-based layer number) */
	struct shape in, out;
	size_t param_off, nparam;   /* absolute, after model_build */
	int ntensors;
	struct tensor_view tensors[NT_BLOCK_TENSORS];
	size_t act_per_sample, ws_per_sample, ws_fixed;
	union {                     /* the kind's config struct (block_config) */
		max_align_t align;
		unsigned char bytes[NT_BLOCK_CFG];
	} cfg;
	void *priv;                 /* kind-owned, freed by destroy */
};

/* Registry. block_kind_find returns NULL when unknown. */
extern const struct block_kind *const block_kinds[];
const struct block_kind *block_kind_find(const char *name);

/* Declares a tensor of the block (setup only); returns its index. ndim 1..3. */
int block_add_tensor(struct block *b, const char *short_name, int ndim, int d0, int d1, int d2);
/* Tensor by short name or NULL. */
const struct tensor_view *block_tensor(const struct block *b, const char *short_name);

/* The kind's config struct of b (cfg_size bytes). */
static inline const void *block_config(const struct block *b) { return b->cfg.bytes; }
static inline void *block_config_mut(struct block *b) { return b->cfg.bytes; }

/* configure hook of a kind with an option table: parses argv into the config
 * with opts_parse (messages "KIND: ...", usage appended where it helps), then
 * runs the kind's check. Returns 0 or the error code. */
int block_opts_configure(struct block *b, int argc, char **argv, char *err, size_t errlen);
/* describe hook of a kind with an option table (opts_describe of the config). */
void block_opts_describe(const struct block *b, char *buf, size_t len);
/* `show`/`save session` text of b's options, whichever hook the kind has ("" if none). */
void block_describe(const struct block *b, char *buf, size_t len);

/* Default init of one tensor: N(0, std) or N(0, 1/fan_in) when spec->std <= 0. */
void block_init_normal(const struct tensor_view *t, double *theta, int fan_in,
                       const struct init_spec *spec, struct rng *r);
#endif
