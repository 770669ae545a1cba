/* test_flow.c — the gradient-flow integrator (opt flow): laws conserved to the
 * integrator's tolerance (≤ 1e-8 relative at tol 1e-10 on relu2-gd, and on mha
 * when that preset exists), drift falling with the tolerance, weight decay
 * (Λ = λt exactly; e^{2Λ}h flat while h itself decays like e^{-2λt}), and the
 * heavy-ball ODE (flow+momentum) breaking the laws. */
#include "test.h"
#include "cmdtest.h"
#include "cmd/cmd.h"
#include "noether/util.h"
#include <string.h>

/* Largest relative drift of the gradient-flow laws: the laws shown, and the
 * ones these dynamics break (contrasts with a reason). */
static double max_law_drift(const struct run *s)
{
	const struct qset *qs = run_quantities(s);
	double mx = 0;
	for (int i = 0; i < qs->n; i++)
		if ((qs->q[i]->role == QR_LAW || qs->q[i]->why[0]) && !qs->q[i]->phase && qs->q[i]->drift_rel > mx)
			mx = qs->q[i]->drift_rel;
	return mx;
}

static double flow_drift(const char *preset, const char *opt, long steps, double *t_end, double *loss_ratio)
{
	struct cmd_ctx c = { 0 };
	c.x = experiment_new();
	c.out = c.msg = sink;
	char line[256];
	snprintf(line, sizeof line, "preset %s; schedule const 0.05; %s; step %ld", preset, opt, steps);
	double d = -1;
	if (run(&c, line) == 0) {
		struct run *a = experiment_run(c.x, 0);
		run_update(a);
		d = max_law_drift(a);
		*t_end = run_time(a);
		*loss_ratio = run_loss(a) / run_loss0(a);
	}
	experiment_free(c.x);
	return d;
}

static void test_tolerance(const char *preset, long steps)
{
	double t10, t6, r10, r6;
	double d10 = flow_drift(preset, "opt flow tol=1e-10", steps, &t10, &r10);
	double d6 = flow_drift(preset, "opt flow tol=1e-6", steps, &t6, &r6);
	printf("  %s: tol 1e-10: drift %.3e at t=%.3f (loss ×%.3f); tol 1e-6: drift %.3e at t=%.3f\n",
	       preset, d10, t10, r10, d6, t6);
	CHECK(d10 >= 0 && d10 <= 1e-8, "flow tol=1e-10: max relative law drift <= 1e-8");
	CHECK(t10 > 1.0 && r10 < 0.9, "the flow went somewhere (t > 1, loss fell)");
	CHECK(d6 > d10, "drift falls with the tolerance");
	double tg, rg;
	double dg = flow_drift(preset, "opt gd", 200, &tg, &rg);
	CHECK(dg > 100 * d10, "discrete GD at the same τ drifts far more");
}

static void test_weight_decay(void)
{
	struct cmd_ctx c = { 0 };
	c.x = experiment_new();
	c.out = c.msg = sink;
	CHECK(run(&c, "preset relu2-gd; schedule const 0.05; wd 1; opt flow tol=1e-10; step 6000") == 0, "flow with wd");
	struct run *s = experiment_run(c.x, 0);
	run_update(s);
	CHECK_NEAR(run_lambda(s), 1.0 * run_time(s), 1e-12, "Λ = λ t exactly");
	printf("  wd 1: t=%.4f, rescaled max drift %.3e\n", run_time(s), max_law_drift(s));
	CHECK(run_time(s) > 0.5, "integrated to t > 0.5");
	CHECK(max_law_drift(s) <= 1e-7, "e^{2Λ}h stays flat");
	int n = 0, ok = 0;
	const struct qset *qs = run_quantities(s);
	for (int i = 0; i < qs->n; i++) {
		const struct quantity *q = qs->q[i];
		if (q->role != QR_LAW || q->kind != QK_QUADRATIC || fabs(q->h0[0]) < 1e-3)
			continue;
		double plain = quantity_comp_value(q, 0, run_theta(s));
		double want = q->h0[0] * exp(-2.0 * run_lambda(s));
		n++;
		ok += fabs(plain - want) <= 1e-6 * fabs(q->h0[0]) && fabs(plain) < 0.5 * fabs(q->h0[0]);
	}
	CHECK(n > 0 && ok == n, "plain h decays like e^{-2λt} h0 (by more than half)");
	experiment_free(c.x);
}

static void test_momentum(void)
{
	double t, r;
	double d = flow_drift("relu2-gd", "opt flow+momentum beta=0.9 tol=1e-10", 1500, &t, &r);
	printf("  flow+momentum: drift %.3e at t=%.3f\n", d, t);
	CHECK(d > 1e-3, "heavy-ball ODE breaks the laws");
	struct cmd_ctx c = { 0 };
	c.x = experiment_new();
	c.out = c.msg = sink;
	CHECK(cmd_exec_line(&c, "opt flow tol=1") != 0, "absurd tol refused");
	CHECK(cmd_exec_line(&c, "opt gd tol=1e-8") != 0, "tol only for flow");
	experiment_free(c.x);
}

int main(void)
{
	test_tolerance("relu2-gd", 2000);
	char path[1024];
	if (cmd_preset_path("mha", path, sizeof path) == 0)
		test_tolerance("mha", 2000);
	else
		printf("  (no mha preset yet: skipped)\n");
	test_weight_decay();
	test_momentum();
	return test_summary("test_flow");
}
