/* test_build.c — building a model is atomic (issue 13): a layer that is
 * refused (unknown option, a shape that does not fit what feeds it,
 * attention on one position per sample) leaves the experiment exactly as it
 * was — same blocks, still built, and the next steps give θ bit for bit equal
 * to a run that never saw the bad layer; a new model refused likewise keeps
 * the old one. Links the core alone. */
#include "test.h"
#include "noether/experiment.h"
#include "noether/run.h"
#include "noether/util.h"
#include <stdio.h>
#include <string.h>

static int words(char *buf, char **argv, int max)
{
	int n = 0;
	for (char *t = strtok(buf, " "); t && n < max; t = strtok(NULL, " "))
		argv[n++] = t;
	return n;
}

static int layer(struct experiment *x, const char *text, int fresh)
{
	char buf[256], *argv[32];
	str_copy(buf, text, sizeof buf);
	int n = words(buf, argv, 32);
	return fresh ? experiment_start_model(x, n, argv) : experiment_add_layer(x, n, argv);
}

static struct experiment *net(void)
{
	struct experiment *x = experiment_new();
	char buf[128], *argv[8];
	str_copy(buf, "n=40 in=5 out=1 hidden=4 seed=3", sizeof buf);
	int n = words(buf, argv, 8);
	CHECK(experiment_set_data(x, "teacher", n, argv) == 0, "data teacher");
	CHECK(layer(x, "dense 9", 0) == 0 && layer(x, "relu", 0) == 0 && layer(x, "dense 1", 0) == 0, "layers");
	CHECK(experiment_prepare(x) == 0, "prepare");
	return x;
}

int main(void)
{
	struct experiment *ctl = net(), *x = net();
	struct run *a = experiment_run(x, 0), *c = experiment_run(ctl, 0);
	size_t D = run_nparams(a);
	CHECK(experiment_step(x, 7, NULL) == 0 && experiment_step(ctl, 7, NULL) == 0, "both step 7");

	static const char *const bad[] = {
		"residual { dense 4 , relu , dense 3 }",   /* inner output 3 wide, input 1 */
		"dense 4 foo=2",                           /* unknown option */
		"attn heads=2",                            /* one position per sample */
		"frobnicate 3",                            /* unknown kind */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = layer(x, bad[i], 0);
		char what[160];
		snprintf(what, sizeof what, "refused: layer %s", bad[i]);
		CHECK(rc < 0, what);
		printf("  %s\n", experiment_error(x));
		snprintf(what, sizeof what, "after %s: 3 blocks, still built, same D", bad[i]);
		CHECK(experiment_model(x)->nblocks == 3 && !experiment_dirty(x) && experiment_nparams(x) == D, what);
		CHECK(layer(x, bad[i], 1) < 0 && experiment_model(x)->nblocks == 3 && !experiment_dirty(x),
		      "refused as a new model too: the old model stays");
	}
	CHECK(strstr(experiment_error(x), "unknown layer 'frobnicate'") != NULL, "unknown kind named");
	CHECK(layer(x, bad[0], 0) < 0 && strstr(experiment_error(x), "make the last inner block 1 wide") &&
	      strstr(experiment_error(x), "the model is unchanged"), "shape error says how to fix it and that nothing changed");
	CHECK(layer(x, bad[2], 0) < 0 && strstr(experiment_error(x), "'teacher n=40 in=5 out=1 hidden=4 seed=3'") &&
	      strstr(experiment_error(x), "data seq"), "attention on vectors: the data named, sequence data suggested");

	CHECK(experiment_step(x, 5, NULL) == 0 && experiment_step(ctl, 5, NULL) == 0, "both step 5 more");
	CHECK(run_steps(a) == 12 && !memcmp(run_theta(a), run_theta(c), D * sizeof(double)),
	      "θ bit for bit as if the bad layers were never typed");

	/* a good new model replaces the old one; a good layer appends */
	CHECK(layer(x, "dense 3", 1) == 0 && experiment_model(x)->nblocks == 1 && experiment_dirty(x), "new model: one block");
	CHECK(layer(x, "relu", 0) == 0 && layer(x, "dense 1", 0) == 0 && experiment_prepare(x) == 0 &&
	      experiment_nparams(x) == 5 * 3 + 3 + 3 + 1, "appended and built");
	experiment_free(x);
	experiment_free(ctl);
	return test_summary("test_build");
}
