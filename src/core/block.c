/* block.c — the block registry and the helpers every block kind uses: tensor
 * declaration, option parsing through the kind's table (opts.h), default
 * initialisation.
 * Adding a block kind: one file in src/core/blocks/ and one line in block_kinds[]. */
#include "noether/block.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

extern const struct block_kind block_dense;
extern const struct block_kind block_relu, block_leaky_relu, block_tanh, block_sigmoid,
	block_gelu, block_silu, block_quadratic;
extern const struct block_kind block_swiglu, block_ffn, block_head, block_conv1d, block_moe,
	block_residual;
extern const struct block_kind block_attn, block_lattn, block_pool;   /* attn.c lattn.c pool.c */
extern const struct block_kind block_rmsnorm, block_layernorm, block_batchnorm;   /* norm.c */

const struct block_kind *const block_kinds[] = {
	&block_dense,
	&block_relu, &block_leaky_relu, &block_tanh, &block_sigmoid, &block_gelu, &block_silu,
	&block_quadratic,
	&block_swiglu, &block_ffn, &block_head, &block_conv1d, &block_moe, &block_residual,
	&block_attn, &block_lattn, &block_pool,
	&block_rmsnorm, &block_layernorm, &block_batchnorm,
	NULL
};

const struct block_kind *block_kind_find(const char *name)
{
	for (int i = 0; block_kinds[i]; i++)
		if (!strcmp(block_kinds[i]->name, name))
			return block_kinds[i];
	return NULL;
}

int block_add_tensor(struct block *b, const char *short_name, int ndim, int d0, int d1, int d2)
{
	if (b->ntensors >= NT_BLOCK_TENSORS)
		return -1;
	struct tensor_view *t = &b->tensors[b->ntensors];
	memset(t, 0, sizeof *t);
	str_copy(t->short_name, short_name, sizeof t->short_name);
	snprintf(t->name, sizeof t->name, "%s.%s", b->name, short_name);
	t->ndim = ndim;
	t->dim[0] = d0;
	t->dim[1] = ndim > 1 ? d1 : 1;
	t->dim[2] = ndim > 2 ? d2 : 1;
	t->size = (size_t)d0 * (size_t)t->dim[1] * (size_t)t->dim[2];
	t->off = b->nparam; /* relative until model_build shifts it */
	b->nparam += t->size;
	return b->ntensors++;
}

const struct tensor_view *block_tensor(const struct block *b, const char *short_name)
{
	for (int i = 0; i < b->ntensors; i++)
		if (!strcmp(b->tensors[i].short_name, short_name))
			return &b->tensors[i];
	return NULL;
}

int block_opts_configure(struct block *b, int argc, char **argv, char *err, size_t errlen)
{
	const struct block_kind *k = b->kind;
	if (k->cfg_size > sizeof b->cfg.bytes)
		return nt_err(err, errlen, NT_EINVAL, "%s: configuration of %zu bytes exceeds NT_BLOCK_CFG (%zu)", k->name,
		              k->cfg_size, sizeof b->cfg.bytes);
	memset(b->cfg.bytes, 0, sizeof b->cfg.bytes);
	int rc = opts_parse(k->opts, k->name, k->usage, argc, argv, b->cfg.bytes, err, errlen);
	if (!rc && k->check)
		rc = k->check(b, err, errlen);
	return rc;
}

void block_opts_describe(const struct block *b, char *buf, size_t len)
{
	opts_describe(b->kind->opts, b->cfg.bytes, buf, len);
}

void block_describe(const struct block *b, char *buf, size_t len)
{
	if (len)
		buf[0] = 0;
	if (b->kind->describe)
		b->kind->describe(b, buf, len);
}

void block_init_normal(const struct tensor_view *t, double *theta, int fan_in,
                       const struct init_spec *spec, struct rng *r)
{
	double std = spec->std > 0 ? spec->std : 1.0 / sqrt(fan_in > 0 ? fan_in : 1);
	double *p = theta + t->off;
	if (spec->kind == INIT_UNIFORM) {
		double a = std * sqrt(3.0);
		for (size_t i = 0; i < t->size; i++)
			p[i] = a * (2.0 * rng_uniform(r) - 1.0);
		return;
	}
	for (size_t i = 0; i < t->size; i++)
		p[i] = std * rng_normal(r);
}
