/* test_twin.c — the pure halves of `compare` and `portrait`: twin runs built
 * by replaying provenance start from the same θ0, stay step-locked, follow
 * resets, end when the experiment changes, and on relu2 the constant step's
 * law drift grows while the decaying step's levels off; the portrait's
 * coordinate shorthands, its rate check of x² − y² (a law for the toy
 * f = a·b·x and for a ReLU neuron's norms with its bias, not without), and
 * its trajectory riding the level set. The screen sources are not in
 * libnoether.a, so the pure ones are compiled in here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "noether/cmd.h"
#include "noether/expr.h"
#include "../../src/ui/ui_view.c"
#include "../../src/ui/ui_twin.c"
#include "../../src/ui/ui_portrait.c"

static char last_msg[1024];
static void sink(void *u, const char *t) { (void)u; str_copy(last_msg, t, sizeof last_msg); }

static const char *const relu2[] = {
	"data teacher n=64 in=10 out=1 hidden=8 seed=1", "layer dense 32", "layer relu", "layer dense 1",
	"loss mse", "init normal std=0.2 seed=2", "schedule const 0.05", NULL
};

static void setup(struct cmd_ctx *c, struct session *s, const char *const *lines)
{
	memset(c, 0, sizeof *c);
	c->s = s;
	c->out = sink;
	c->msg = sink;
	for (int i = 0; lines[i]; i++)
		if (cmd_exec_line(c, lines[i]))
			printf("# setup '%s': %s\n", lines[i], last_msg);
	session_prepare(s);
}

static double max_law_drift(const struct session *s)
{
	double m = 0;
	for (int i = 0; i < s->q.n; i++)
		if (s->q.q[i]->role == QR_LAW && s->q.q[i]->drift_rel > m)
			m = s->q.q[i]->drift_rel;
	return m;
}

static void test_parse(void)
{
	char a[256], b[256], err[256];
	int what = -1;
	char *v1[] = { "compare", "schedule", "const", "0.05", "decay", "0.05" };
	CHECK(ui_twin_parse(6, v1, &what, a, b, sizeof a, err, sizeof err) == 0 && what == UI_TW_SCHEDULE,
	      "compare schedule parses");
	CHECK(!strcmp(a, "schedule const 0.05") && !strcmp(b, "schedule decay 0.05"), "schedule lines split at the second kind");
	char *v2[] = { "compare", "opt", "gd", "momentum", "beta=0.5" };
	CHECK(ui_twin_parse(5, v2, &what, a, b, sizeof a, err, sizeof err) == 0 && !strcmp(b, "opt momentum beta=0.5")
	      && !strcmp(a, "opt gd"), "compare opt gd momentum beta=0.5");
	char *v3[] = { "compare", "wd", "0", "0.01" };
	CHECK(ui_twin_parse(4, v3, &what, a, b, sizeof a, err, sizeof err) == 0 && what == UI_TW_WD && !strcmp(b, "wd 0.01"),
	      "compare wd 0 0.01");
	char *v4[] = { "compare", "momentum", "0", "0.9" };
	CHECK(ui_twin_parse(4, v4, &what, a, b, sizeof a, err, sizeof err) == 0 && !strcmp(a, "opt gd")
	      && !strcmp(b, "opt momentum beta=0.9"), "compare momentum 0 0.9");
	char *v5[] = { "compare", "schedule", "const", "0.05" };
	CHECK(ui_twin_parse(4, v5, &what, a, b, sizeof a, err, sizeof err) != 0 && strstr(err, "two settings"),
	      "one setting is refused with a hint");
	char *v6[] = { "compare", "colour", "red", "blue" };
	CHECK(ui_twin_parse(4, v6, &what, a, b, sizeof a, err, sizeof err) != 0, "unknown setting refused");
}

static void test_twin_relu2(void)
{
	struct session *s = session_new();
	struct cmd_ctx c;
	setup(&c, s, relu2);
	cmd_exec_line(&c, "step 7");             /* A is somewhere: compare starts both at θ0 */
	struct ui_twin t;
	memset(&t, 0, sizeof t);
	int rc = ui_twin_start(&t, &c, UI_TW_SCHEDULE, "schedule const 0.05", "schedule decay 0.05");
	CHECK(rc == 0 && t.on && t.b, "twin starts");
	if (rc) {
		printf("# %s\n", t.err);
		session_free(s);
		return;
	}
	struct session *b = t.b;
	CHECK(s->step == 0 && b->step == 0, "both at step 0");
	CHECK(b->D == s->D && memcmp(b->theta0, s->theta0, s->D * sizeof(double)) == 0, "same θ0, bit for bit");
	CHECK(b->sched.kind == SCHED_DECAY && s->sched.kind == SCHED_CONST, "A const, B decay");
	CHECK(session_count(b, QR_LAW) == 32, "B has the 32 neuron laws");

	session_step(s, 10, NULL);
	CHECK(ui_twin_sync(&t, s, NULL) == 0 && b->step == 10, "step-locked after 10 steps");
	double a10 = max_law_drift(s), b10 = max_law_drift(b);
	session_step(s, 290, NULL);
	ui_twin_sync(&t, s, NULL);
	double a300 = max_law_drift(s), b300 = max_law_drift(b);
	session_step(s, 1700, NULL);
	ui_twin_sync(&t, s, NULL);
	double a2000 = max_law_drift(s), b2000 = max_law_drift(b);
	printf("# max law drift k=10/300/2000: const %.3e %.3e %.3e, decay %.3e %.3e %.3e\n",
	       a10, a300, a2000, b10, b300, b2000);
	CHECK(b->step == 2000, "B at step 2000");
	CHECK(a2000 > 3 * b2000 && a300 > 3 * b300, "drift_const > drift_decay (3x) at k=300 and 2000");
	CHECK(a300 > 2 * a10 && a2000 > a300, "constant step: drift keeps growing (x2 from k=10 to 300)");
	CHECK(b300 < 1.1 * b10 && b2000 < 1.01 * b300, "decaying step: drift levels off");

	/* reset inside one line with more steps: B follows from θ0 */
	cmd_exec_line(&c, "reset; step 5");
	ui_twin_sync(&t, s, NULL);
	CHECK(b->step == 5 && s->step == 5, "reset; step 5 followed");
	struct session *ref = session_new();
	struct cmd_ctx c2;
	setup(&c2, ref, relu2);
	cmd_exec_line(&c2, "schedule decay 0.05");
	session_reset_at(ref, s->theta0);
	session_step(ref, 5, NULL);
	CHECK(memcmp(ref->theta, b->theta, s->D * sizeof(double)) == 0, "B after reset equals a fresh decay run, bit for bit");
	session_free(ref);

	/* A's own setting may change; the experiment may not */
	cmd_exec_line(&c, "wd 0.001");
	CHECK(ui_twin_sync(&t, s, NULL) == 0 && t.on, "a setting change on A keeps the twin");
	cmd_exec_line(&c, "layer dense 1");
	CHECK(ui_twin_sync(&t, s, NULL) == 1 && !t.on && strstr(t.err, "changed"), "a new layer ends the twin");
	ui_twin_stop(&t);
	session_free(s);
}

static void test_twin_bad(void)
{
	struct session *s = session_new();
	struct cmd_ctx c;
	setup(&c, s, relu2);
	struct ui_twin t;
	memset(&t, 0, sizeof t);
	int rc = ui_twin_start(&t, &c, UI_TW_SCHEDULE, "schedule const 0.05", "schedule decay -3");
	CHECK(rc != 0 && !t.on && t.b == NULL && strstr(t.err, "B"), "a bad B setting is refused, nothing left on");
	CHECK(s->sched.kind == SCHED_CONST, "A untouched by a refused compare");
	ui_twin_stop(&t);
	session_free(s);
}

static void test_portrait_text(void)
{
	char o[512], x[256], y[256];
	CHECK(ui_portrait_expand("|layer1.dense.W[3,:]|", o, sizeof o) == 0 && !strcmp(o, "sqrt(norm2(layer1.dense.W[3,:]))"),
	      "|X| expands to a norm");
	CHECK(ui_portrait_expand("|W1[3,:], b1[3]|", o, sizeof o) == 0 && !strcmp(o, "sqrt(norm2(W1[3,:])+norm2( b1[3]))"),
	      "|A, B| is the norm of both");
	CHECK(ui_portrait_expand("|W", o, sizeof o) != 0, "unbalanced bar refused");
	char *v[] = { "portrait", "|W1[3,:],", "b1[3]|", "|W2[:,3]|" };
	CHECK(ui_portrait_split(4, v, x, y, sizeof x) == 0 && !strcmp(x, "|W1[3,:],b1[3]|") && !strcmp(y, "|W2[:,3]|"),
	      "split keeps |A, B| together");
	char *v2[] = { "portrait", "a", "+", "b", "c" };
	CHECK(ui_portrait_split(5, v2, x, y, sizeof x) == 0 && !strcmp(x, "a+b") && !strcmp(y, "c"), "split joins operators");
	char *v3[] = { "portrait", "a" };
	CHECK(ui_portrait_split(2, v3, x, y, sizeof x) != 0, "one coordinate refused");
}

static void test_portrait_toy(void)
{
	static const char *const toy[] = { "data teacher n=16 in=1 out=1 seed=1", "layer dense 1 bias=off",
		"layer dense 1 bias=off", "schedule const 0.01", NULL };
	struct session *s = session_new();
	struct cmd_ctx c;
	setup(&c, s, toy);
	struct ui_portrait p;
	memset(&p, 0, sizeof p);
	char err[256];
	int rc = ui_portrait_start(&p, s, "layer1.dense.W[0,0]", "layer2.dense.W[0,0]", err, sizeof err);
	CHECK(rc == 0 && p.on && p.n == 1, "toy portrait starts with θ0's point");
	if (rc) {
		printf("# %s\n", err);
		session_free(s);
		return;
	}
	CHECK(p.level_law && p.rate < 1e-12, "a² − b² passes the rate check");
	CHECK_NEAR(p.c0, s->theta0[0] * s->theta0[0] - s->theta0[1] * s->theta0[1], 1e-15, "c0 = a0² − b0²");
	double worst = 0;
	for (int k = 0; k < 200; k++) {
		session_step(s, 1, NULL);
		ui_portrait_sample(&p, s);
		double ck = p.xk * p.xk - p.yk * p.yk;
		if (fabs(ck - p.c0) > worst)
			worst = fabs(ck - p.c0);
	}
	CHECK(p.n == 201, "one point per step");
	double moved = hypot(p.xk - p.x0, p.yk - p.y0);
	printf("# toy: moved %.3g along the hyperbola, |c - c0| <= %.3g\n", moved, worst);
	CHECK(moved > 0.05 && worst < 0.02 * moved, "the trajectory rides the hyperbola (moves, c stays)");
	cmd_exec_line(&c, "reset");
	ui_portrait_sample(&p, s);
	CHECK(p.n == 1 && p.last_step == 0, "reset starts the trajectory over");
	for (int k = 0; k < 3 * UI_PORTRAIT_POINTS; k++) {
		s->step++;               /* sampling only: the buffer thins, never grows */
		ui_portrait_sample(&p, s);
	}
	CHECK(p.n <= UI_PORTRAIT_POINTS && p.n > UI_PORTRAIT_POINTS / 4 && p.pstep[0] == 0 && p.last_step == s->step,
	      "full buffer thins, keeps θ0 and the head");
	cmd_exec_line(&c, "layer dense 1 bias=off");
	CHECK(ui_portrait_sample(&p, s) == 1 && !p.on, "a model change ends the portrait");
	ui_portrait_stop(&p);
	session_free(s);
}

static void test_portrait_neuron(void)
{
	struct session *s = session_new();
	struct cmd_ctx c;
	setup(&c, s, relu2);
	struct ui_portrait p;
	memset(&p, 0, sizeof p);
	char err[256];
	int rc = ui_portrait_start(&p, s, "|layer1.dense.W[3,:], layer1.dense.b[3]|", "|layer3.dense.W[:,3]|", err, sizeof err);
	CHECK(rc == 0 && p.level_law, "neuron norms with the bias: x² − y² is a law");
	rc = ui_portrait_start(&p, s, "|layer1.dense.W[3,:]|", "|layer3.dense.W[:,3]|", err, sizeof err);
	CHECK(rc == 0 && !p.level_law && p.rate > 1e-6, "without the bias it is not (the check says so)");
	rc = ui_portrait_start(&p, s, "|layer9.W|", "|W2|", err, sizeof err);
	CHECK(rc != 0 && !p.on && strstr(err, "portrait: x"), "unknown tensor refused with the coordinate named");
	ui_portrait_stop(&p);
	session_free(s);
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
