/* test_engine.c — the core library alone (linked without the command layer
 * or the screen): an experiment configured through experiment.h, its run A
 * stepped through run.h, twin runs, detached runs and the generation
 * counters. If the core ever needs the command layer, this stops linking. */
#include "test.h"
#include "noether/experiment.h"
#include "noether/run.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* argv from a space-separated literal (modifies buf) */
static int words(char *buf, char **argv, int max)
{
	int n = 0;
	for (char *t = strtok(buf, " "); t && n < max; t = strtok(NULL, " "))
		argv[n++] = t;
	return n;
}

static int cfg(struct experiment *x, int (*fn)(struct experiment *, int, char **), const char *text)
{
	char buf[256], *argv[16];
	str_copy(buf, text, sizeof buf);
	int n = words(buf, argv, 16);
	int rc = fn(x, n, argv);
	if (rc)
		printf("  %s: %s\n", text, experiment_error(x));
	return rc;
}

static struct experiment *relu_net(void)
{
	struct experiment *x = experiment_new();
	char buf[128], *argv[8];
	str_copy(buf, "n=48 in=6 out=1 hidden=5 seed=3", sizeof buf);
	int n = words(buf, argv, 8);
	CHECK(experiment_set_data(x, "teacher", n, argv) == 0, "data teacher");
	CHECK(cfg(x, experiment_add_layer, "dense 12") == 0 && cfg(x, experiment_add_layer, "relu") == 0
	      && cfg(x, experiment_add_layer, "dense 1") == 0, "layers");
	CHECK(experiment_prepare(x) == 0, "prepare");
	return x;
}

static void test_run_a(void)
{
	struct experiment *x = relu_net();
	struct run *a = experiment_run(x, 0);
	CHECK(experiment_nruns(x) == 1 && !strcmp(run_label(a), "A"), "run A exists");
	CHECK(run_count(a, QR_LAW) == 12, "12 per-neuron laws checked");
	CHECK(run_nparams(a) == experiment_nparams(x) && run_nparams(a) == 6 * 12 + 12 + 12 + 1, "D");
	CHECK(memcmp(run_theta0(a), experiment_theta0(x), run_nparams(a) * sizeof(double)) == 0, "A starts at θ0");
	double L0 = run_loss(a);
	CHECK(run_step(a, 50, NULL) == 0 && run_steps(a) == 50 && run_loss(a) < L0, "A trains");
	struct trace_view t;
	run_trace(a, &t);
	CHECK(t.nrows == 51 && t.stride == 1 && t.rows[50 * t.width] == 50, "one trace row per step");
	double mx = 0;
	const struct qset *qs = run_quantities(a);
	for (int i = 0; i < qs->n; i++)
		if (qs->q[i]->role == QR_LAW)
			mx = fmax(mx, qs->q[i]->drift_rel);
	CHECK(mx > 0 && mx < 1e-2, "laws drift a little under GD (τ² per step)");
	/* the one check behind every label: a law passes, its single term fails */
	double work[2 * 97 + 2];
	const struct quantity *law = NULL, *term = NULL;
	for (int i = 0; i < qs->n; i++) {
		if (!law && qs->q[i]->role == QR_LAW)
			law = qs->q[i];
		if (!term && qs->q[i]->role == QR_CONTRAST && strstr(qs->q[i]->name, ".in"))
			term = qs->q[i];
	}
	CHECK(law && experiment_check_rate(x, law, work) <= LAW_RATE_TOL, "experiment_check_rate passes a law");
	CHECK(term && experiment_check_rate(x, term, work) > 1e-4, "and fails a single term of it");
	experiment_free(x);
}

static void test_generations(void)
{
	struct experiment *x = relu_net();
	struct run *a = experiment_run(x, 0);
	unsigned long cg = experiment_config_gen(x), tg = experiment_theta0_gen(x);
	run_step(a, 10, NULL);
	double th = run_theta(a)[5];
	CHECK(cfg(x, experiment_set_schedule, "decay 0.05") == 0, "schedule decay");
	CHECK(experiment_config_gen(x) == cg && experiment_theta0_gen(x) == tg && run_steps(a) == 10 && run_theta(a)[5] == th,
	      "a schedule change bumps no generation and keeps θ");
	CHECK(run_settings(a)->sched.kind == SCHED_DECAY, "A follows the default schedule");
	CHECK(experiment_reseed(x) == 0 && experiment_theta0_gen(x) != tg && experiment_config_gen(x) == cg
	      && run_steps(a) == 0, "reseed: new θ0, same configuration, A back at step 0");
	tg = experiment_theta0_gen(x);
	CHECK(cfg(x, experiment_add_layer, "relu") == 0 && cfg(x, experiment_add_layer, "dense 1") == 0, "two more layers");
	CHECK(experiment_dirty(x) && experiment_prepare(x) == 0, "rebuild");
	CHECK(experiment_config_gen(x) != cg && experiment_theta0_gen(x) != tg, "a new layer bumps both generations");
	a = experiment_run(x, 0);
	CHECK(run_nparams(a) == experiment_nparams(x) && run_count(a, QR_LAW) == 13, "A rebuilt for the new model (12 + 1 neuron laws)");
	experiment_free(x);
}

static void test_twins_and_detached(void)
{
	struct experiment *x = relu_net();
	char buf[128], *argv[8];
	str_copy(buf, "schedule const 0.05 decay 0.05", sizeof buf);
	int n = words(buf, argv, 8);
	CHECK(experiment_compare(x, n, argv) == 0 && experiment_nruns(x) == 2, "compare in the core");
	struct run *a = experiment_run(x, 0), *b = experiment_run(x, 1);
	CHECK(!strcmp(experiment_compare_what(x), "schedule") && !strcmp(run_label(b), "B"), "B labelled");
	CHECK(experiment_step(x, 100, NULL) == 0 && run_steps(a) == 100 && run_steps(b) == 100, "both step");
	CHECK(run_budget(a) > 10 * run_budget(b), "B's budget Σ τ_k² is bounded, A's grows");
	/* a detached run with the same settings as B retraces B bit for bit */
	struct run *d = run_new(x);
	str_copy(buf, "decay 0.05", sizeof buf);
	n = words(buf, argv, 8);
	CHECK(run_set_schedule(d, n, argv) == 0 && run_step(d, 100, NULL) == 0, "detached run steps");
	CHECK(memcmp(run_theta(d), run_theta(b), run_nparams(b) * sizeof(double)) == 0, "detached run = B, bit for bit");
	CHECK(run_set_init_seed(d, 77) == 0 && run_steps(d) == 0
	      && memcmp(run_theta0(d), run_theta0(a), run_nparams(a) * sizeof(double)) != 0, "own init seed: another θ0");
	cfg(x, experiment_add_layer, "relu");
	cfg(x, experiment_add_layer, "dense 1");
	CHECK(experiment_prepare(x) == 0 && experiment_nruns(x) == 1, "the experiment changed: B dropped");
	const char *note = experiment_take_notice(x);
	CHECK(note && strstr(note, "compare ended"), "with a notice");
	CHECK(run_step(d, 1, NULL) == NT_ESTATE && strstr(run_error(d), "changed"), "a detached run refuses to step after it");
	run_free(d);
	experiment_free(x);
}

int main(void)
{
	test_run_a();
	test_generations();
	test_twins_and_detached();
	return test_summary("test_engine");
}
