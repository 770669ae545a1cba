/* test_errstate.c — after a command fails, the session is as it was: the
 * front ends that go on after an error (the prompt, the screen) must be able
 * to step, list laws and save without a crash. Each case is a sequence the
 * fuzzer (tests/fuzz) reached; the commands run as typed at the prompt. */
#include "cmd/cmd.h"
#include "noether/experiment.h"
#include "noether/lie.h"
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

/* Raises the interrupt when laws find reaches its last stage (the laws are
 * made by then). */
static volatile sig_atomic_t stop;
static void stop_at_check(void *ctx, double frac, const char *stage)
{
	(void)ctx;
	(void)frac;
	if (!strcmp(stage, "find: check"))
		stop = 1;
}

/* laws find interrupted while checking the laws it had made: the result is
 * released by lie_find (it leaked; make asan's leak check shows it) */
static void test_find_interrupted(void)
{
	struct cmd_ctx c;
	memset(&c, 0, sizeof c);
	c.x = experiment_new();
	c.out = c.msg = sink;
	CHECK(cmd_exec_line(&c, "data teacher n=32 in=3 out=1; layer dense 3; layer relu; layer dense 1") == 0 &&
	      experiment_prepare(c.x) == 0, "find: setup");
	struct model *m = experiment_model(c.x);
	struct lie_gen *g = lie_gen_outputs(m, 1, 1.0, 0);
	struct lie_fields F = lie_gen_fields(g);
	struct lie_find_opts o;
	lie_find_defaults(&o);
	o.progress = stop_at_check;
	o.interrupt = &stop;
	struct lie_find_result fr;
	char err[256];
	int rc = lie_find(m, &F, &o, &fr, err, sizeof err);
	CHECK(rc == NT_EINTR && fr.nlaws == 0 && fr.laws == NULL, "an interrupted laws find returns no laws to free");
	lie_gen_free(g);
	experiment_free(c.x);
}

int main(void)
{
	test_find_interrupted();
	/* a layer refused by its options left the model without its workspace
	 * (freed before the options were read) and the next step crashed */
	const char *const bad_layer[] = { "data teacher out=2; layer dense 2", "step 2", "layer attn )", "step 1", NULL };
	CHECK(run_lines(bad_layer) == 0, "a refused layer leaves the model able to step");
	const char *const bad_kind[] = { "data teacher n=8 in=3 out=1; layer dense 4; layer relu; layer dense 1",
		"step 1", "layer moe experts=1 hidden=2", "layer swiglu", "step 2; laws all", NULL };
	CHECK(run_lines(bad_kind) == 0, "refused moe and swiglu options, then step and laws");
	/* under momentum the phase-space laws (on θ and the velocity, 2D
	 * coordinates) were handed to the rank of θ-gradients: read past θ */
	const char *const rank[] = { "opt flow+momentum; data seq d=4; layer attn", "print laws.rank", NULL };
	CHECK(run_lines(rank) == 0, "laws.rank under flow+momentum");
	const char *const rank2[] = { "preset relu2", "opt momentum", "step 3", "print laws.rank laws", NULL };
	CHECK(run_lines(rank2) == 0, "laws.rank under momentum");
	/* and to laws find / laws count's catalogue (their rank and span tests
	 * read past θ; make asan shows it) */
	const char *const find[] = { "opt momentum; data teacher n=3 in=4; layer dense 6; layer dense 1", "laws find",
		"laws count", NULL };
	CHECK(run_lines(find) == 0, "laws find and laws count under momentum");
	return test_summary("test_errstate");
}
