/* block.c — the block registry and the helpers every block kind uses: tensor
 * declaration, option lookup and validation, default initialisation.
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

const struct block_kind *const block_kinds[] = {
	&block_dense,
	&block_relu, &block_leaky_relu, &block_tanh, &block_sigmoid, &block_gelu, &block_silu,
	&block_quadratic,
	&block_swiglu, &block_ffn, &block_head, &block_conv1d, &block_moe, &block_residual,
	&block_attn, &block_lattn, &block_pool,
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

const char *block_opt(int argc, char **argv, const char *key)
{
	size_t k = strlen(key);
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], key, k) && argv[i][k] == '=')
			return argv[i] + k + 1;
	return NULL;
}

int block_check_opts(const struct block *b, int argc, char **argv, const char *const *keys,
                     int npos, char *err, size_t errlen)
{
	int pos = 0;
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (!eq) {
			if (++pos > npos)
				return nt_err(err, errlen, NT_EINVAL, "%s: unexpected argument '%s'",
				              b->kind->name, argv[i]);
			continue;
		}
		int ok = 0;
		for (int k = 0; keys && keys[k]; k++)
			if (strlen(keys[k]) == (size_t)(eq - argv[i]) && !strncmp(argv[i], keys[k], (size_t)(eq - argv[i])))
				ok = 1;
		if (!ok) {
			char list[256] = "";
			for (int k = 0; keys && keys[k]; k++) {
				strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
				strncat(list, keys[k], sizeof list - strlen(list) - 1);
			}
			return nt_err(err, errlen, NT_EINVAL, "%s: unknown option '%.*s' (options: %s)",
			              b->kind->name, (int)(eq - argv[i]), argv[i], list[0] ? list : "none");
		}
	}
	return 0;
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
