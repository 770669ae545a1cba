/* test_optim.c — the optimizers' update rules (optim.h): one step of each
 * against a hand computation, then 20 steps of each against PyTorch's
 * torch.optim (tests/fixtures/golden_optim.txt, written by gen_optim.py) on
 * the same function and start; and, through the experiment, what each
 * optimizer conserves: gradient descent keeps a ReLU net's laws, adam,
 * adamw, rmsprop and signSGD break them (contrasts, with the reason). */
#include "test.h"
#include "fixture.h"
#include "cmd/cmd.h"
#include "noether/optim.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 6 };
static const double T[N] = { 1.0, 0.5, -0.3, 2.0, 0.1, -1.2 };
static const double S[N] = { 0.2, -0.1, 0.05, 0.0, 0.3, -0.25 };
static const double KAPPA = 0.4;

/* ∇L for L(θ) = Σ (θ_i² − t_i)²/4 + κ/2 Σ θ_i θ_{i+1} + Σ s_i θ_i */
static void grad(const double *p, double *g)
{
	for (int i = 0; i < N; i++) {
		g[i] = p[i] * (p[i] * p[i] - T[i]) + S[i];
		if (i > 0)
			g[i] += KAPPA / 2 * p[i - 1];
		if (i < N - 1)
			g[i] += KAPPA / 2 * p[i + 1];
	}
}

static void sink(void *u, const char *t) { (void)u; (void)t; }

/* Parses a case's `opt ...` command into o (defaults as the experiment's). */
static int parse_opt(const char *cmd, struct optimizer *o)
{
	char buf[256], *argv[16], err[256];
	str_copy(buf, cmd + 4, sizeof buf);
	int argc = cmd_split(buf, argv, 16);
	*o = (struct optimizer){ .kind = OPT_GD, .beta = 0.9, .tol = 1e-8, .beta1 = 0.9, .beta2 = 0.999, .alpha = 0.99,
	                         .eps = 1e-8, .seed = 1 };
	int rc = optimizer_parse(o, argc, argv, err, sizeof err);
	if (rc)
		printf("  %s: %s\n", cmd, err);
	return rc;
}

static void test_hand(void)
{
	/* one adam step at t=1 from m=v=0 moves every coordinate by −τ·g/(|g| + ε):
	 * the bias corrections cancel the (1−β) factors */
	struct optimizer o;
	parse_opt("opt adam", &o);
	double th[N], g[N], m[N] = { 0 }, v[N] = { 0 }, want[N];
	for (int i = 0; i < N; i++)
		th[i] = 0.1 * (i + 1);
	grad(th, g);
	for (int i = 0; i < N; i++)
		want[i] = th[i] - 0.05 * g[i] / (fabs(g[i]) + 1e-8);
	optim_step(&o, 0.05, 0, 1, N, th, g, m, v);
	double e = 0;
	for (int i = 0; i < N; i++)
		e = fmax(e, fabs(th[i] - want[i]));
	CHECK(e < 1e-15, "adam, first step: θ − τ g/(|g| + ε)");
	/* rmsprop, first step: v = (1−α)g², θ − τ g/(√((1−α))|g| + ε) */
	parse_opt("opt rmsprop", &o);
	for (int i = 0; i < N; i++)
		th[i] = 0.1 * (i + 1), v[i] = 0;
	grad(th, g);
	for (int i = 0; i < N; i++)
		want[i] = th[i] - 0.01 * g[i] / (sqrt(0.01 * g[i] * g[i]) + 1e-8);
	optim_step(&o, 0.01, 0, 1, N, th, g, NULL, v);
	e = 0;
	for (int i = 0; i < N; i++)
		e = fmax(e, fabs(th[i] - want[i]));
	CHECK(e < 1e-15, "rmsprop, first step: θ − τ g/(√(1−α)|g| + ε)");
	/* sign with decay: the sign of g + λθ; momentum: m = βm + g + λθ */
	parse_opt("opt sign", &o);
	double p[2] = { 1.0, -2.0 }, gs[2] = { -0.05, 0.3 };
	optim_step(&o, 0.1, 0.1, 1, 2, p, gs, NULL, NULL);
	CHECK(p[0] == 0.9 && p[1] == -2.1, "sign: θ − τ sign(g + λθ) (g + λθ = 0.05, 0.1)");
	parse_opt("opt momentum beta=0.5", &o);
	double q[1] = { 1.0 }, gq[1] = { 2.0 }, mq[1] = { 4.0 };
	optim_step(&o, 0.1, 0.0, 3, 1, q, gq, mq, NULL);
	CHECK(mq[0] == 4.0 && fabs(q[0] - 0.6) < 1e-15, "momentum: m = βm + g, θ − τm");
	parse_opt("opt adamw", &o);
	double w[1] = { 2.0 }, gw[1] = { 0.0 }, mw[1] = { 0 }, vw[1] = { 0 };
	optim_step(&o, 0.1, 0.5, 1, 1, w, gw, mw, vw);
	CHECK(w[0] == 2.0 * (1 - 0.05), "adamw: decoupled decay θ(1 − τλ) even where the gradient is 0");
}

static void test_torch(void)
{
	char path[512], err[256];
	snprintf(path, sizeof path, "%s/golden_optim.txt", fixture_dir());
	struct fixture_file *ff = fixture_load(path, err, sizeof err);
	if (!CHECK(ff != NULL, "golden_optim.txt loads")) {
		printf("  %s\n", err);
		return;
	}
	CHECK(ff->ncases == 10, "ten optimizer cases");
	for (int c = 0; c < ff->ncases; c++) {
		const struct fixture_case *fc = &ff->c[c];
		struct optimizer o;
		double wd = 0, tau = 0;
		int ok = 1;
		for (int k = 0; k < fc->ncmds; k++) {
			if (!strncmp(fc->cmd[k], "opt ", 4))
				ok &= parse_opt(fc->cmd[k], &o) == 0;
			else if (!strncmp(fc->cmd[k], "wd ", 3))
				ok &= parse_double(fc->cmd[k] + 3, &wd) == 0;
			else if (!strncmp(fc->cmd[k], "tau ", 4))
				ok &= parse_double(fc->cmd[k] + 4, &tau) == 0;
		}
		const struct fixture_tensor *t0 = fixture_tensor(fc, "theta0"), *tr = fixture_tensor(fc, "traj");
		if (!ok || !t0 || !tr || t0->size != N) {
			CHECK(0, "case readable");
			continue;
		}
		double th[N], g[N], m[N] = { 0 }, v[N] = { 0 }, worst = 0;
		memcpy(th, t0->v, sizeof th);
		int steps = tr->dim[0];
		for (int s = 0; s < steps; s++) {
			grad(th, g);
			optim_step(&o, tau, wd, s + 1, N, th, g, m, v);
			double e = fixture_rel_err(th, tr->v + (size_t)s * N, N, 1.0);
			worst = fmax(worst, e);
		}
		char what[160];
		snprintf(what, sizeof what, "%s: %d steps match torch.optim (worst %.1e)", fc->name, steps, worst);
		CHECK(steps == 20 && worst < 1e-13, what);
	}
	fixture_free(ff);
}

/* On a ReLU net: what each optimizer conserves, as the experiment labels it. */
static void test_labels(void)
{
	static const char *const kinds[] = { "gd", "sgd batch=8", "adam", "adamw", "rmsprop", "sign", "momentum",
		"flow+momentum", NULL };
	for (int i = 0; kinds[i]; i++) {
		struct cmd_ctx c = { 0 };
		c.x = experiment_new();
		c.out = c.msg = sink;
		char line[256], err[128];
		snprintf(line, sizeof line, "data teacher n=32 in=4 out=1 seed=3; layer dense 6; layer relu; layer dense 1; "
		         "schedule const 0.01; wd 0.01; opt %s; step 30", kinds[i]);
		int rc = cmd_exec_line(&c, line);
		double laws = -1, contrasts = 0;
		cmd_metric(&c, "laws", &laws, err, sizeof err);
		const struct qset *qs = run_quantities(experiment_run(c.x, 0));
		int why = 0;
		for (int k = 0; k < qs->n; k++)
			why += qs->q[k]->why[0] != 0;
		cmd_metric(&c, "contrasts", &contrasts, err, sizeof err);
		int keeps = i < 2;
		snprintf(line, sizeof line, "opt %s: %s (laws %g, %d broken with a reason)", kinds[i],
		         keeps ? "the 6 neuron laws stay laws" : "the neuron laws are contrasts, each with its reason", laws, why);
		CHECK(rc == 0 && (keeps ? laws == 6 && why == 0 : laws == 0 && why == 6), line);
		experiment_free(c.x);
	}
}

int main(void)
{
	test_hand();
	test_torch();
	test_labels();
	return test_summary("test_optim");
}
