/* test_twin.c — `compare` and `portrait` in the core: twin runs start from
 * the same θ0, stay step-locked, follow resets, end when the experiment
 * changes (generation counters, not history text), keep θ when only a setting
 * changes, and on the full-batch relu2 net the constant step's law drift grows
 * while the decaying step's levels off; the portrait's coordinate shorthands,
 * its rate check of x² − y² (a law for the toy f = a·b·x and for a ReLU
 * neuron's norms with its bias, not without), and its trajectory, recorded in
 * the trace, riding the level set. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "cmd/cmd.h"
#include "noether/util.h"

static char last_msg[1024];
static void sink(void *u, const char *t) { (void)u; str_copy(last_msg, t, sizeof last_msg); }

/* the full-batch 10-32-1 ReLU net (the converged-gradients lesson) */
static const char *const relu2[] = {
	"data teacher n=64 in=10 out=1 hidden=8 seed=1", "layer dense 32", "layer relu", "layer dense 1",
	"loss mse", "init normal std=0.2 seed=2", "schedule const 0.05", NULL
};

static void setup(struct cmd_ctx *c, const char *const *lines)
{
	memset(c, 0, sizeof *c);
	c->x = experiment_new();
	c->out = sink;
	c->msg = sink;
	for (int i = 0; lines[i]; i++)
		if (cmd_exec_line(c, lines[i]))
			printf("# setup '%s': %s\n", lines[i], last_msg);
	experiment_prepare(c->x);
}

static double max_law_drift(struct run *r)
{
	run_update(r);
	const struct qset *qs = run_quantities(r);
	double m = 0;
	for (int i = 0; i < qs->n; i++)
		if (qs->q[i]->role == QR_LAW && qs->q[i]->drift_rel > m)
			m = qs->q[i]->drift_rel;
	return m;
}

static void test_parse(void)
{
	struct cmd_ctx c;
	setup(&c, relu2);
	struct experiment *x = c.x;
	CHECK(cmd_exec_line(&c, "compare schedule const 0.05 decay 0.05") == 0 && experiment_nruns(x) == 2,
	      "compare schedule parses and starts B");
	const struct train_settings *a = run_settings(experiment_run(x, 0)), *b = run_settings(experiment_run(x, 1));
	CHECK(a->sched.kind == SCHED_CONST && b->sched.kind == SCHED_DECAY && b->sched.tau0 == 0.05,
	      "schedule settings split at the second kind");
	CHECK(cmd_exec_line(&c, "compare opt gd momentum beta=0.5") == 0, "compare opt gd momentum beta=0.5");
	a = run_settings(experiment_run(x, 0));
	b = run_settings(experiment_run(x, 1));
	CHECK(a->opt.kind == OPT_GD && b->opt.kind == OPT_MOMENTUM && b->opt.beta == 0.5, "A gd, B momentum β=0.5");
	CHECK(cmd_exec_line(&c, "compare wd 0 0.01") == 0 && run_settings(experiment_run(x, 1))->wd == 0.01
	      && run_settings(experiment_run(x, 0))->wd == 0, "compare wd 0 0.01");
	CHECK(cmd_exec_line(&c, "compare momentum 0 0.9") == 0 && run_settings(experiment_run(x, 0))->opt.kind == OPT_GD
	      && run_settings(experiment_run(x, 1))->opt.kind == OPT_MOMENTUM && run_settings(experiment_run(x, 1))->opt.beta == 0.9,
	      "compare momentum 0 0.9: gd against β=0.9");
	CHECK(cmd_exec_line(&c, "compare schedule const 0.05") < 0 && strstr(last_msg, "two settings"),
	      "one setting is refused with a hint");
	CHECK(cmd_exec_line(&c, "compare colour red blue") < 0, "unknown setting refused");
	CHECK(cmd_exec_line(&c, "compare off") == 0 && experiment_nruns(x) == 1, "compare off: one run again");
	experiment_free(x);
}

static void test_twin_relu2(void)
{
	struct cmd_ctx c;
	setup(&c, relu2);
	struct experiment *x = c.x;
	cmd_exec_line(&c, "step 7");             /* A is somewhere: compare starts both at θ0 */
	int rc = cmd_exec_line(&c, "compare schedule const 0.05 decay 0.05");
	CHECK(rc == 0 && experiment_nruns(x) == 2, "twin starts");
	if (rc) {
		printf("# %s\n", last_msg);
		experiment_free(x);
		return;
	}
	struct run *s = experiment_run(x, 0), *b = experiment_run(x, 1);
	size_t D = run_nparams(s);
	CHECK(run_steps(s) == 0 && run_steps(b) == 0, "both at step 0");
	CHECK(run_nparams(b) == D && memcmp(run_theta0(b), run_theta0(s), D * sizeof(double)) == 0, "same θ0, bit for bit");
	CHECK(run_settings(b)->sched.kind == SCHED_DECAY && run_settings(s)->sched.kind == SCHED_CONST, "A const, B decay");
	CHECK(run_count(b, QR_LAW) == 32, "B has the 32 neuron laws");

	unsigned long g0 = experiment_config_gen(x);
	cmd_exec_line(&c, "step 10");
	CHECK(run_steps(b) == 10, "step-locked after 10 steps");
	double a10 = max_law_drift(s), b10 = max_law_drift(b);
	cmd_exec_line(&c, "step 290");
	double a300 = max_law_drift(s), b300 = max_law_drift(b);
	cmd_exec_line(&c, "step 1700");
	double a2000 = max_law_drift(s), b2000 = max_law_drift(b);
	printf("# max law drift k=10/300/2000: const %.3e %.3e %.3e, decay %.3e %.3e %.3e\n",
	       a10, a300, a2000, b10, b300, b2000);
	CHECK(run_steps(b) == 2000, "B at step 2000");
	CHECK(a2000 > 3 * b2000 && a300 > 3 * b300, "drift_const > drift_decay (3x) at k=300 and 2000");
	CHECK(a300 > 2 * a10 && a2000 > a300, "constant step: drift keeps growing (x2 from k=10 to 300)");
	CHECK(b300 < 1.1 * b10 && b2000 < 1.01 * b300, "decaying step: drift levels off");

	/* reset inside one line with more steps: B follows from θ0 */
	cmd_exec_line(&c, "reset; step 5");
	CHECK(run_steps(b) == 5 && run_steps(s) == 5, "reset; step 5 followed");
	struct cmd_ctx c2;
	setup(&c2, relu2);
	cmd_exec_line(&c2, "schedule decay 0.05");
	struct run *ref = experiment_run(c2.x, 0);
	run_reset_at(ref, run_theta0(s));
	run_step(ref, 5, NULL);
	CHECK(memcmp(run_theta(ref), run_theta(b), D * sizeof(double)) == 0, "B after reset equals a fresh decay run, bit for bit");
	experiment_free(c2.x);

	/* A's own setting may change without touching θ; the experiment may not */
	double th5 = run_theta(s)[3];
	cmd_exec_line(&c, "wd 0.001; schedule const 0.03");
	CHECK(experiment_nruns(x) == 2 && experiment_config_gen(x) == g0, "a setting change on A keeps the twin");
	CHECK(run_steps(s) == 5 && run_theta(s)[3] == th5, "a schedule change does not reset θ");
	CHECK(run_settings(b)->sched.kind == SCHED_DECAY && run_settings(b)->wd == 0, "B keeps its own settings");
	cmd_exec_line(&c, "layer add dense 1");
	CHECK(experiment_nruns(x) == 2, "a new layer is pending until the next step");
	last_msg[0] = '\0';
	cmd_exec_line(&c, "step 1");
	CHECK(experiment_config_gen(x) != g0 && experiment_nruns(x) == 1 && strstr(last_msg, "compare ended"),
	      "a new layer ends the twin, with a notice");
	cmd_exec_line(&c, "layer pop; compare schedule const 0.05 decay 0.05");
	CHECK(experiment_nruns(x) == 2, "compare again");
	cmd_exec_line(&c, "data teacher n=64 in=10 out=1 hidden=8 seed=5; step 1");
	CHECK(experiment_nruns(x) == 1, "new data ends the twin");
	experiment_free(x);
}

static void test_twin_bad(void)
{
	struct cmd_ctx c;
	setup(&c, relu2);
	CHECK(cmd_exec_line(&c, "compare schedule const 0.05 decay -3") < 0 && experiment_nruns(c.x) == 1,
	      "a bad B setting is refused, nothing left on");
	CHECK(run_settings(experiment_run(c.x, 0))->sched.kind == SCHED_CONST, "A untouched by a refused compare");
	CHECK(cmd_exec_line(&c, "print B.loss") < 0 && strstr(last_msg, "no run B"), "B.METRIC without a comparison is an error");
	experiment_free(c.x);
}

static void test_portrait_text(void)
{
	char o[512], x[256], y[256];
	CHECK(portrait_expand("|layer1.dense.W[3,:]|", o, sizeof o) == 0 && !strcmp(o, "sqrt(norm2(layer1.dense.W[3,:]))"),
	      "|X| expands to a norm");
	CHECK(portrait_expand("|W1[3,:], b1[3]|", o, sizeof o) == 0 && !strcmp(o, "sqrt(norm2(W1[3,:])+norm2( b1[3]))"),
	      "|A, B| is the norm of both");
	CHECK(portrait_expand("|W", o, sizeof o) != 0, "unbalanced bar refused");
	char *v[] = { "|W1[3,:],", "b1[3]|", "|W2[:,3]|" };
	CHECK(portrait_split(3, v, x, y, sizeof x) == 0 && !strcmp(x, "|W1[3,:],b1[3]|") && !strcmp(y, "|W2[:,3]|"),
	      "split keeps |A, B| together");
	char *v2[] = { "a", "+", "b", "c" };
	CHECK(portrait_split(4, v2, x, y, sizeof x) == 0 && !strcmp(x, "a+b") && !strcmp(y, "c"), "split joins operators");
	char *v3[] = { "a" };
	CHECK(portrait_split(1, v3, x, y, sizeof x) != 0, "one coordinate refused");
}

static void test_portrait_toy(void)
{
	static const char *const toy[] = { "data teacher n=16 in=1 out=1 seed=1", "layer dense 1 bias=off",
		"layer dense 1 bias=off", "schedule const 0.01", NULL };
	struct cmd_ctx c;
	setup(&c, toy);
	struct experiment *x = c.x;
	int rc = cmd_exec_line(&c, "portrait layer1.dense.W[0,0] layer2.dense.W[0,0]");
	const struct portrait_info *p = experiment_portrait_info(x);
	CHECK(rc == 0 && p->on, "toy portrait starts");
	if (rc) {
		printf("# %s\n", last_msg);
		experiment_free(x);
		return;
	}
	struct run *s = experiment_run(x, 0);
	const double *th0 = run_theta0(s);
	CHECK(p->level_law && p->rate < 1e-12, "a² − b² passes the rate check");
	CHECK_NEAR(p->c0, th0[0] * th0[0] - th0[1] * th0[1], 1e-15, "c0 = a0² − b0²");
	cmd_exec_line(&c, "step 200");
	struct trace_view t;
	run_trace(s, &t);
	CHECK(t.nrows == 201, "one trace row per step");
	double worst = 0, xk = 0, yk = 0;
	for (long r = 0; r < t.nrows; r++) {
		xk = t.rows[r * t.width + TRACE_FIXED + p->slot_x];
		yk = t.rows[r * t.width + TRACE_FIXED + p->slot_y];
		if (fabs(xk * xk - yk * yk - p->c0) > worst)
			worst = fabs(xk * xk - yk * yk - p->c0);
	}
	double moved = hypot(xk - p->x0, yk - p->y0);
	printf("# toy: moved %.3g along the hyperbola, |c - c0| <= %.3g\n", moved, worst);
	CHECK(moved > 0.05 && worst < 0.02 * moved, "the trajectory rides the hyperbola (moves, c stays)");
	char err[128];
	double v;
	CHECK(cmd_metric(&c, "portrait.x", &v, err, sizeof err) == 0 && v == xk, "portrait.x is the coordinate now");
	cmd_exec_line(&c, "reset");
	run_trace(s, &t);
	CHECK(t.nrows == 1 && t.rows[TRACE_FIXED + p->slot_x] == p->x0, "reset starts the trajectory over at θ0");
	cmd_exec_line(&c, "layer dense 1 bias=off");
	last_msg[0] = '\0';
	cmd_exec_line(&c, "step 1");
	CHECK(!experiment_portrait_info(x)->on && strstr(last_msg, "portrait ended"), "a model change ends the portrait");
	experiment_free(x);
}

static void test_portrait_neuron(void)
{
	struct cmd_ctx c;
	setup(&c, relu2);
	const struct portrait_info *p = experiment_portrait_info(c.x);
	int rc = cmd_exec_line(&c, "portrait |layer1.dense.W[3,:], layer1.dense.b[3]| |layer3.dense.W[:,3]|");
	CHECK(rc == 0 && p->level_law, "neuron norms with the bias: x² − y² is a law");
	rc = cmd_exec_line(&c, "portrait |layer1.dense.W[3,:]| |layer3.dense.W[:,3]|");
	CHECK(rc == 0 && !p->level_law && p->rate > 1e-6, "without the bias it is not (the check says so)");
	rc = cmd_exec_line(&c, "portrait |layer9.W| |W2|");
	CHECK(rc != 0 && p->on && strstr(last_msg, "portrait: x"), "unknown tensor refused with the coordinate named, old portrait kept");
	CHECK(run_count(experiment_run(c.x, 0), QR_LAW) == 32, "the portrait's helpers are not counted as laws");
	CHECK(cmd_exec_line(&c, "portrait off") == 0 && !p->on, "portrait off");
	experiment_free(c.x);
}

int main(void)
{
	test_parse();
	test_twin_relu2();
	test_twin_bad();
	test_portrait_text();
	test_portrait_toy();
	test_portrait_neuron();
	return test_summary("test_twin");
}
