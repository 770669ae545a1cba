/* model.h — a model is a stack of blocks over one contiguous θ buffer.
 *
 * Lifecycle: model_new → model_add (any number) → model_build (infers shapes,
 * lays out θ, sizes the workspace for max_batch samples) → forward/backward any
 * number of times without allocation → model_free. Adding a block after a build
 * invalidates it (model_build must be called again). The model does not own θ:
 * each run does, so the runs of an experiment share one model. */
#ifndef NOETHER_MODEL_H
#define NOETHER_MODEL_H
#include <stddef.h>
#include "noether/block.h"
#include "noether/util.h"

struct model {
	int nblocks;
	struct block blocks[NT_MAX_BLOCKS];
	int built;
	struct shape in, out;
	size_t nparams;
	int max_batch;
	/* workspace, sized by model_build */
	double **outs;      /* per block: (max_batch*out.len, out.width) */
	double **acts;      /* per block: act_per_sample*max_batch */
	double *ws;         /* shared scratch: max over blocks */
	double *gbuf[2];    /* ping-pong gradient buffers */
	size_t gbuf_size;
	int n_cur;          /* samples of the last forward */
	const double *x_cur;/* input of the last forward */
};

struct model *model_new(void);
void model_free(struct model *m);
/* Removes all blocks. */
void model_clear(struct model *m);

/* Appends a block of kind `name` with options argv. Returns 0, or NT_ENOENT
 * (unknown kind), NT_EINVAL (bad option), NT_ERANGE (too many blocks), with a
 * message in err. */
int model_add(struct model *m, const char *name, int argc, char **argv, char *err, size_t errlen);
/* Removes the last block; 0 or NT_ESTATE if empty. */
int model_pop(struct model *m);

/* Infers shapes from the input shape, lays out θ, allocates the workspace for
 * max_batch samples. Returns 0, or an error naming the offending layer. */
int model_build(struct model *m, struct shape in, int max_batch, char *err, size_t errlen);

/* The layout pass of model_build without the workspace: runs every block's
 * setup in order from shape `in`, names the blocks ("layerN.kind", or
 * "PREFIX.kindN" for the inner model of a composite block such as residual),
 * and lays their tensors out from offset 0. Sets m->in, m->out, m->nparams.
 * Returns 0 or an error naming the block. */
int model_layout(struct model *m, struct shape in, const char *prefix, char *err, size_t errlen);

/* Initialises θ (nparams doubles). Balanced init is applied by the experiment
 * (it needs the laws). */
void model_init(const struct model *m, double *theta, const struct init_spec *spec);

/* Forward pass on n <= max_batch samples x (n*in.len, in.width). Returns a pointer
 * to the model output (n*out.len, out.width), owned by the model, valid until
 * the next forward. */
const double *model_forward(struct model *m, const double *theta, const double *x, int n);

/* Backward after model_forward: dy (n*out.len, out.width) → ADDS ∇θ into grad.
 * If dx != NULL, writes the gradient w.r.t. the input. */
void model_backward(struct model *m, const double *theta, const double *dy, double *grad, double *dx);

/* Tensor lookup by full name ("layer1.dense.W") or NULL. */
const struct tensor_view *model_find_tensor(const struct model *m, const char *name);
/* Number of floating-point operations of one forward+backward per sample (estimate
 * used by the benchmark), 0 if unknown. */
double model_flops_per_sample(const struct model *m);
/* Human-readable name of parameter index i: "layer1.dense.W[3,4]". */
void model_param_name(const struct model *m, size_t i, char *buf, size_t len);
/* Catalogue laws and contrasts of the whole model (roles QR_CANDIDATE/QR_CONTRAST):
 * the laws built from the blocks' declarations (lawbuild_model), then each
 * tensor's squared norm as a contrast. */
void model_laws(const struct model *m, struct qset *out);
/* Is the model tensorizable (every block kind says so: dense, quadratic, lattn)? */
int model_tensorizable(const struct model *m);
/* Does a block (or an inner block of a composite) take statistics over the
 * batch (batch_stats)? Then a sample's output depends on its batch-mates, and
 * fields of f must be taken over batches, not single samples. */
int model_batch_stats(const struct model *m);
#endif
