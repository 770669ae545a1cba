/* test_errstate.c — after a command fails, the session is as it was: the
 * front ends that go on after an error (the prompt, the screen) must be able
 * to step, list laws and save without a crash. Each case is a sequence the
 * fuzzer (tests/fuzz) reached; the commands run as typed at the prompt. */
#include "cmd/cmd.h"
#include "noether/experiment.h"
#include "test.h"
#include <string.h>

static void sink(void *u, const char *t)
{
	(void)u;
	(void)t;
}

/* Runs lines in order as the prompt does (an error does not stop it);
 * returns the status of the last line. */
static int run_lines(const char *const *lines)
{
	struct cmd_ctx c;
	memset(&c, 0, sizeof c);
	c.x = experiment_new();
	c.out = c.msg = sink;
	c.interactive = 1;
	c.count_step = -1;
	int rc = 0;
	for (int i = 0; lines[i]; i++)
		rc = cmd_exec_line(&c, lines[i]);
	experiment_free(c.x);
	return rc;
}

int main(void)
{
	/* a layer refused by its options left the model without its workspace
	 * (freed before the options were read) and the next step crashed */
	const char *const bad_layer[] = { "data teacher out=2; layer dense 2", "step 2", "layer attn )", "step 1", NULL };
	CHECK(run_lines(bad_layer) == 0, "a refused layer leaves the model able to step");
	const char *const bad_kind[] = { "data teacher n=8 in=3 out=1; layer dense 4; layer relu; layer dense 1",
		"step 1", "layer moe experts=1 hidden=2", "layer swiglu", "step 2; laws all", NULL };
	CHECK(run_lines(bad_kind) == 0, "refused moe and swiglu options, then step and laws");
	return test_summary("test_errstate");
}
