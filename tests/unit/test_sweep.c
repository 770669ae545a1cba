/* test_sweep.c — τ sweeps: the log-log fit on exact power laws, argument
 * parsing, the acceptance numbers on the relu2-gd preset (full-batch GD: early
 * slope ≈ 2 with a constant step, smaller later as the gradients vanish; drift
 * bounded over k = 100, 1000, 10000 with τ0/(k+1)), and
 * that a sweep leaves the experiment's own runs exactly as they were. */
#include "test.h"
#include "cmdtest.h"
#include "cmd/cmd.h"
#include "noether/sweep.h"
#include "noether/util.h"
#include <string.h>
#include <stdlib.h>

static void test_fit(void)
{
	double x[4] = { 1e-3, 2e-3, 5e-3, 1e-2 }, y[4];
	double sl = 0;
	for (int i = 0; i < 4; i++)
		y[i] = 3.0 * x[i] * x[i];
	CHECK(sweep_fit_loglog(x, y, 4, &sl) == 0, "fit succeeds");
	CHECK_NEAR(sl, 2.0, 1e-12, "slope of 3x^2 is 2");
	for (int i = 0; i < 4; i++)
		y[i] = 0.5 * x[i];
	sweep_fit_loglog(x, y, 4, &sl);
	CHECK_NEAR(sl, 1.0, 1e-12, "slope of x/2 is 1");
	y[1] = 0; y[2] = -1; y[3] = 0;
	CHECK(sweep_fit_loglog(x, y, 4, &sl) == -1, "one usable point: no fit");
}

static void test_parse(void)
{
	struct sweep_spec sp;
	char err[256];
	char *a1[] = { "1e-3", "2e-3", "steps=1000" };
	CHECK(sweep_parse(3, a1, &sp, err, sizeof err) == 0, "parse basic");
	CHECK(sp.ntau == 2 && sp.nat == 2 && sp.at[0] == 100 && sp.at[1] == 1000, "default horizons K/10, K");
	char *a2[] = { "1e-3", "at=5,50", "steps=100", "seeds=3", "schedule=decay" };
	CHECK(sweep_parse(5, a2, &sp, err, sizeof err) == 0, "parse at/seeds/schedule");
	CHECK(sp.nat == 3 && sp.at[2] == 100 && sp.seeds == 3 && sp.sched == SCHED_DECAY, "K appended as last horizon");
	char *b1[] = { "steps=10" };
	CHECK(sweep_parse(1, b1, &sp, err, sizeof err) != 0 && strstr(err, "step size"), "no τ refused");
	char *b2[] = { "-1", "steps=10" };
	CHECK(sweep_parse(2, b2, &sp, err, sizeof err) != 0, "negative τ refused");
	char *b3[] = { "0.1", "steps=10", "at=20" };
	CHECK(sweep_parse(3, b3, &sp, err, sizeof err) != 0, "horizon beyond steps refused");
	char *b4[] = { "0.1", "steps=10", "bogus=1" };
	CHECK(sweep_parse(3, b4, &sp, err, sizeof err) != 0 && strstr(err, "bogus"), "unknown option named");
}

struct prog_log { int calls, monotone; double first, last; };
static void prog_note(void *user, double frac, const char *stage)
{
	struct prog_log *p = user;
	if (!p->calls) {
		p->first = frac;
		p->monotone = 1;
	} else if (frac < p->last) {
		p->monotone = 0;
	}
	p->last = frac;
	p->calls++;
	(void)stage;
}

static void test_relu2(void)
{
	struct cmd_ctx c = { 0 };
	c.x = experiment_new();
	c.out = c.msg = sink;
	CHECK(run(&c, "preset relu2-gd") == 0, "preset relu2-gd");
	CHECK(run(&c, "schedule const 0.05; step 37") == 0, "user steps");
	struct experiment *x = c.x;
	const struct run *s = experiment_run(x, 0);
	size_t D = run_nparams(s);
	double *th = malloc(D * sizeof *th), *th0 = malloc(D * sizeof *th0);
	memcpy(th, run_theta(s), D * sizeof *th);
	memcpy(th0, run_theta0(s), D * sizeof *th0);
	struct trace_view tv;
	run_trace(s, &tv);
	long step = run_steps(s), nrows = tv.nrows;
	double tt = run_time(s), budget = run_budget(s);

	struct sweep_spec sp;
	char err[256];
	char *a[] = { "1e-3", "2e-3", "5e-3", "1e-2", "steps=1000", "at=10,1000", "seeds=3" };
	CHECK(sweep_parse(7, a, &sp, err, sizeof err) == 0, "parse");
	struct sweep_result r;
	CHECK(sweep_run(x, &sp, &r, NULL, NULL) == 0, "sweep const runs");
	printf("  const: slope k=10 %.4f (max %.4f), k=1000 %.4f (max %.4f)\n", r.slope_eps[0], r.slope_max[0],
	       r.slope_eps[1], r.slope_max[1]);
	CHECK(r.slope_eps[0] >= 1.8 && r.slope_eps[0] <= 2.2, "early-horizon slope in [1.8, 2.2]");
	CHECK(r.slope_max[0] >= 1.8 && r.slope_max[0] <= 2.2, "early-horizon slope of the max law drift in [1.8, 2.2]");
	CHECK(r.slope_eps[1] < r.slope_eps[0] - 0.3, "late slope is smaller (gradients shrink), reported as is");
	double m1, m2, sd;
	CHECK(sweep_stat(&r, 0, 3, 1, &m1, &sd) == 3, "three seeds used");
	sweep_stat(&r, 0, 3, 0, &m2, &sd);
	CHECK(m1 > m2, "constant step: drift grows with k");
	CHECK(sd > 0, "seeds differ");

	/* with progress reported the runs step in pieces: the same numbers, to the bit */
	struct prog_log pl = { 0 };
	struct nt_progress pg = { prog_note, &pl };
	struct sweep_result r2;
	CHECK(sweep_run(x, &sp, &r2, NULL, &pg) == 0, "sweep with progress runs");
	size_t cells = (size_t)sp.ntau * sp.seeds * sp.nat;
	CHECK(!memcmp(r.eps, r2.eps, cells * sizeof *r.eps) && !memcmp(r.law, r2.law, cells * r.nlaws * sizeof *r.law),
	      "progress does not change a result (bit for bit)");
	CHECK(pl.calls >= 12 * 20 && pl.first == 0 && pl.last == 1 && pl.monotone, "progress from 0 to 1, rising, per piece");
	sweep_result_free(&r2);
	sweep_result_free(&r);

	/* the experiment's own run is untouched */
	run_trace(s, &tv);
	CHECK(run_steps(s) == step && tv.nrows == nrows && run_time(s) == tt && run_budget(s) == budget, "counters unchanged");
	CHECK(!memcmp(th, run_theta(s), D * sizeof *th) && !memcmp(th0, run_theta0(s), D * sizeof *th0), "θ and θ0 unchanged");
	CHECK(run(&c, "step 1") == 0 && run_steps(s) == step + 1, "run A still steps");

	char *b[] = { "0.02", "0.05", "steps=10000", "at=100,1000,10000", "schedule=decay" };
	CHECK(sweep_parse(5, b, &sp, err, sizeof err) == 0, "parse decay");
	CHECK(sweep_run(x, &sp, &r, NULL, NULL) == 0, "sweep decay runs");
	for (int j = 0; j < 2; j++) {
		double e100, e1k, e10k;
		sweep_stat(&r, 0, j, 0, &e100, &sd);
		sweep_stat(&r, 0, j, 1, &e1k, &sd);
		sweep_stat(&r, 0, j, 2, &e10k, &sd);
		printf("  decay τ0=%g: ε(100) %.4e ε(1000) %.4e ε(10000) %.4e\n", sp.tau[j], e100, e1k, e10k);
		CHECK(e100 > 0 && e10k < 1.05 * e100 && e10k < 1.01 * e1k, "decay: drift bounded as k grows");
		/* Σ τ_k² ≤ τ0² π²/6: drift of a 1e-?-sized bound, far below the constant-step drift */
	}
	sweep_result_free(&r);
	free(th);
	free(th0);
	experiment_free(c.x);
}

int main(void)
{
	test_fit();
	test_parse();
	test_relu2();
	return test_summary("test_sweep");
}
