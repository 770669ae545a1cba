/* kind_cases.c — the table of small test models per block kind (see
 * kind_cases.h). Every option a kind has should appear in some case here
 * (heads, pe, causal, gates, bias, out=...), so the gradient check and the
 * BLAS/reference comparison cover each code path, not just the default one. */
#include "kind_cases.h"
#include "noether/model.h"
#include "noether/util.h"
#include <stdio.h>
#include <string.h>

static const struct kind_case cases[] = {
	{ "dense", { "dense 4", "dense 3 bias=off", "dense 2", NULL }, 1, 3, 3 },
	{ "dense", { "dense 3 bias=off", NULL }, 2, 4, 2 },
	{ "relu", { "dense 5", "relu", "dense 2", NULL }, 1, 3, 4 },
	{ "leaky-relu", { "dense 5", "leaky-relu slope=0.3", "dense 2", NULL }, 1, 3, 4 },
	{ "leaky-relu", { "dense 5", "leaky-relu", "dense 2", NULL }, 2, 3, 2 },
	{ "tanh", { "dense 5", "tanh", "dense 2", NULL }, 1, 3, 4 },
	{ "sigmoid", { "dense 5", "sigmoid", "dense 2", NULL }, 1, 3, 4 },
	{ "gelu", { "dense 5", "gelu", "dense 2", NULL }, 1, 3, 4 },
	{ "silu", { "dense 5", "silu", "dense 2", NULL }, 1, 3, 4 },
	{ "quadratic", { "dense 5", "quadratic", "dense 2", NULL }, 1, 3, 4 },
	{ "swiglu", { "dense 4", "swiglu hidden=5", "dense 2", NULL }, 1, 3, 3 },
	{ "swiglu", { "swiglu hidden=3 out=2", NULL }, 2, 4, 2 },
	{ "ffn", { "ffn hidden=5 act=gelu", "dense 2", NULL }, 1, 3, 3 },
	{ "ffn", { "ffn hidden=5 act=silu bias=off", NULL }, 2, 3, 2 },
	{ "ffn", { "ffn hidden=5 act=relu out=2", NULL }, 1, 3, 3 },
	{ "head", { "dense 4", "tanh", "head softmax classes=3", NULL }, 1, 3, 4 },
	{ "attn", { "dense 4", "attn heads=2 dk=2 pe=none", "dense 2", NULL }, 4, 3, 2 },
	{ "attn", { "attn heads=2 dk=2 pe=sin causal", NULL }, 4, 4, 2 },
	{ "attn", { "attn heads=1 dk=4 dv=3 pe=rope", "dense 2", NULL }, 5, 4, 2 },
	{ "attn", { "attn heads=2 dk=2 pe=rope causal", NULL }, 4, 4, 2 },
	{ "attn", { "attn heads=1 dk=3 pe=sin", NULL }, 3, 5, 2 },
	{ "lattn", { "dense 4", "lattn", "dense 2", NULL }, 4, 3, 2 },
	{ "lattn", { "lattn dk=2 causal", NULL }, 4, 3, 2 },
	{ "pool", { "dense 4", "pool", "dense 2", NULL }, 4, 3, 3 },
	{ "conv1d", { "conv1d channels=3", "dense 2", NULL }, 5, 2, 2 },
	{ "conv1d", { "conv1d channels=2 kernel=4 out=3", NULL }, 6, 2, 2 },
	{ "moe", { "moe experts=3 hidden=2 gate=softmax", NULL }, 2, 3, 2 },
	{ "moe", { "dense 4", "moe experts=4 hidden=2 gate=topk:2", "dense 2", NULL }, 1, 3, 4 },
	{ "moe", { "moe experts=3 hidden=2 gate=nsigmoid out=2", NULL }, 2, 3, 2 },
	{ "residual", { "dense 4", "residual { dense 5 , relu , dense 4 }", "dense 2", NULL }, 1, 3, 3 },
	{ "residual", { "residual { attn heads=1 dk=2 pe=rope }", "dense 2", NULL }, 3, 4, 2 },
	{ "residual", { "residual dense 4 bias=off , tanh", "residual { swiglu hidden=3 }", NULL }, 2, 4, 2 },
	{ "rmsnorm", { "dense 5", "rmsnorm eps=0", "dense 2", NULL }, 1, 3, 3 },
	{ "rmsnorm", { "rmsnorm gain=off", "dense 2", NULL }, 3, 4, 2 },
	{ "rmsnorm", { "residual { rmsnorm , attn heads=2 dk=2 pe=rope causal }", "dense 2", NULL }, 4, 4, 2 },
	{ "layernorm", { "dense 5", "layernorm eps=0", "dense 2", NULL }, 1, 3, 3 },
	{ "layernorm", { "dense 5", "layernorm affine=off", "relu", "dense 2", NULL }, 1, 3, 3 },
	{ "layernorm", { "attn heads=1 dk=2 pe=rope", "layernorm", "dense 2", NULL }, 4, 4, 2 },
	{ "batchnorm", { "dense 5", "batchnorm eps=0", "dense 2", NULL }, 1, 3, 4 },
	{ "batchnorm", { "dense 4", "batchnorm affine=off", "tanh", "dense 2", NULL }, 3, 3, 2 },
	{ "batchnorm", { "dense 4", "residual { batchnorm , swiglu hidden=3 }", "head softmax classes=3", NULL }, 2, 3, 3 },
};

int kind_cases_for(const char *name, const struct kind_case **out, int max)
{
	int n = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (!strcmp(cases[i].kind, name) && n < max)
			out[n++] = &cases[i];
	return n;
}

void kind_case_generic(const char *layer, struct kind_case *kc)
{
	static char mid[256];
	snprintf(mid, sizeof mid, "%s", layer);
	memset(kc, 0, sizeof *kc);
	kc->kind = "generic";
	kc->layers[0] = "dense 3";
	kc->layers[1] = mid;
	kc->layers[2] = "dense 2";
	kc->len = 3;
	kc->width = 3;
	kc->batch = 2;
}

int kind_case_build(struct model *m, const struct kind_case *kc, char *err, size_t errlen)
{
	for (int i = 0; i < KC_MAX_LAYERS && kc->layers[i]; i++) {
		char line[256], *argv[64];
		int argc = 0;
		snprintf(line, sizeof line, "%s", kc->layers[i]);
		for (char *p = strtok(line, " \t"); p && argc < 64; p = strtok(NULL, " \t"))
			argv[argc++] = p;
		int rc = model_add(m, argv[0], argc - 1, argv + 1, err, errlen);
		if (rc)
			return rc;
	}
	struct shape in = { kc->len, kc->width };
	return model_build(m, in, kc->batch, err, errlen);
}

void kind_case_describe(const struct kind_case *kc, char *buf, size_t len)
{
	buf[0] = 0;
	for (int i = 0; i < KC_MAX_LAYERS && kc->layers[i]; i++) {
		if (i)
			strncat(buf, " | ", len - strlen(buf) - 1);
		strncat(buf, kc->layers[i], len - strlen(buf) - 1);
	}
}
