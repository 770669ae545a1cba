/* fuzz_safetensors.c — safetensors files: st_parse on the bytes (header JSON,
 * dtypes, shapes, offsets, overlap), every accepted tensor converted to
 * doubles, and the same bytes as a file through `load params` into a small
 * model (names, shapes, F32/F16/BF16 conversion, nothing changed on error). */
#include "common.h"
#include "noether/safetensors.h"
#include "noether/experiment.h"
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cmd_ctx ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ctx = fuzz_ctx_new();
	if (cmd_exec_line(&ctx, "data teacher n=4 in=2 out=1; layer dense 2; layer relu; layer dense 1") ||
	    experiment_prepare(ctx.x))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return -1;
	struct st_file *f = NULL;
	char err[512];
	if (st_parse(data, size, &f, err, sizeof err) == 0) {
		for (int i = 0; i < f->n; i++) {
			const struct st_tensor *t = &f->t[i];
			double *v = malloc((t->nelem ? t->nelem : 1) * sizeof *v);
			if (!v)
				abort();
			st_get(f, t, v);
			free(v);
			(void)st_find(f, t->name);
		}
		(void)st_meta(f, "format");
		st_free(f);
	}
	const char *path = fuzz_write_file(data, size, ".safetensors");
	if (path)
		experiment_load_params(ctx.x, path);
	return 0;
}
