/* fuzz_expr.c — `watch NAME = EXPR` expressions: the input (after a first
 * byte choosing the model) is compiled against a small MLP or a sequence
 * model (attention, SwiGLU), evaluated with its gradient, rebound to the
 * other model and evaluated again. Compile must accept or refuse with a
 * column; evaluation must stay in bounds whatever the slices and values. */
#include "common.h"
#include "noether/expr.h"
#include "noether/experiment.h"
#include "noether/run.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cmd_ctx ctx[2];
static double *grad[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *build[2] = {
		"data teacher n=8 in=3 out=2; layer dense 4; layer relu; layer dense 2",
		"data seq n=4 len=3 d=4; layer attn heads=2 pe=rope; layer swiglu hidden=3",
	};
	for (int i = 0; i < 2; i++) {
		ctx[i] = fuzz_ctx_new();
		if (cmd_exec_line(&ctx[i], build[i]) || experiment_prepare(ctx[i].x))
			abort();
		grad[i] = calloc(experiment_nparams(ctx[i].x), sizeof(double));
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 2048)
		return -1;
	int k = data[0] & 1;
	char *text = fuzz_text(data + 1, size - 1), err[512];
	struct experiment *s = ctx[k].x, *o = ctx[!k].x;
	const double *th_s = run_theta(experiment_run(s, 0)), *th_o = run_theta(experiment_run(o, 0));
	struct expr *e = expr_compile(text, experiment_model(s), err, sizeof err);
	if (e) {
		memset(grad[k], 0, experiment_nparams(s) * sizeof(double));
		expr_eval(e, th_s, grad[k], 1.0);
		if (expr_rebind(e, experiment_model(o), err, sizeof err) == 0) {
			memset(grad[!k], 0, experiment_nparams(o) * sizeof(double));
			expr_eval(e, th_o, grad[!k], 0.5);
		} else {
			expr_eval(e, th_o, NULL, 1.0);   /* unresolved: NaN, no gradient */
		}
		expr_free(e);
	}
	free(text);
	return 0;
}
