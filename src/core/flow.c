/* flow.c — continuous-time training: gradient flow integrated by the
 * Dormand–Prince 5(4) embedded Runge–Kutta pair with adaptive steps.
 *
 *   opt flow:           dθ/dt = -∇L(θ) - λθ
 *   opt flow+momentum:  θ' = v,  v' = -γ v - ∇L(θ) - λθ   (heavy-ball ODE
 *                       θ'' + γθ' + ∇L + λθ = 0), γ = (1-β)/√τ0, the
 *                       continuous limit of heavy ball with step τ0, momentum β.
 *
 * One call advances one accepted step: rejected trials are retried with a
 * smaller step. The local error estimate (5th minus 4th order solution) is
 * measured in the RMS norm with per-component scale tol·(1 + max|y|, |y_new|),
 * so tol is both the absolute and the relative tolerance. The step never
 * exceeds the schedule's τ_k (the initial and maximal step).
 * Invariants: state y = θ (n = D) or (θ, v) (n = 2D) lives in s->flow_ws;
 * the last stage of an accepted step is the first of the next (FSAL) while
 * s->flow_fsal is set (s: the run); nothing is allocated here. Weight decay: Λ = λ t. */
#include "exp_impl.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include <math.h>
#include <string.h>

#define FLOW_STAGES 7
#define FLOW_MAX_REJECT 60

/* Dormand–Prince 5(4) tableau */
static const double dp_a[FLOW_STAGES][FLOW_STAGES] = {
	{ 0 },
	{ 1.0 / 5 },
	{ 3.0 / 40, 9.0 / 40 },
	{ 44.0 / 45, -56.0 / 15, 32.0 / 9 },
	{ 19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729 },
	{ 9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656 },
	{ 35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84 },
};
/* error weights: b5 - b4 */
static const double dp_e[FLOW_STAGES] = {
	71.0 / 57600, 0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40
};

static int flow_momentum(const struct run *s) { return s->set.opt.kind == OPT_FLOW_MOMENTUM; }

static size_t flow_state(const struct run *s) { return flow_momentum(s) ? 2 * s->D : s->D; }

/* layout: k[0..6] (n each), y (n), ytmp (n), then [L(y), |∇L(y)|] */
size_t flow_workspace_size(const struct run *s)
{
	if (s->set.opt.kind != OPT_FLOW && s->set.opt.kind != OPT_FLOW_MOMENTUM)
		return 0;
	return (FLOW_STAGES + 2) * flow_state(s) + 2;
}

/* dy = f(y); returns the loss at y's θ part, *gn the gradient norm. */
static double flow_rhs(struct run *s, const double *y, double *dy, double *gn)
{
	size_t D = s->D;
	double lam = s->set.wd, *g = s->grad;
	double L = run_loss_grad(s, y, g);
	*gn = sqrt(dot((int)D, g, g));
	if (!flow_momentum(s)) {
		for (size_t i = 0; i < D; i++)
			dy[i] = -g[i] - lam * y[i];
		return L;
	}
	double gamma = (1.0 - s->set.opt.beta) / sqrt(s->set.sched.tau0);
	const double *v = y + D;
	for (size_t i = 0; i < D; i++) {
		dy[i] = v[i];
		dy[D + i] = -gamma * v[i] - g[i] - lam * y[i];
	}
	return L;
}

int flow_advance(struct run *s, double hmax, double *loss)
{
	size_t n = flow_state(s), D = s->D;
	double *k[FLOW_STAGES];
	for (int i = 0; i < FLOW_STAGES; i++)
		k[i] = s->flow_ws + (size_t)i * n;
	double *y = s->flow_ws + FLOW_STAGES * n, *yt = y + n, *cache = yt + n;
	double tol = s->set.opt.tol > 0 ? s->set.opt.tol : 1e-8;

	if (!s->flow_fsal) {
		memcpy(y, s->theta, D * sizeof *y);
		if (flow_momentum(s))
			memcpy(y + D, s->mom, D * sizeof *y);
		cache[0] = flow_rhs(s, y, k[0], &cache[1]);
		s->flow_fsal = 1;
	}
	*loss = cache[0];
	s->grad_norm = cache[1];
	if (!isfinite(cache[0]) || !isfinite(cache[1])) {
		s->diverged = 1;
		return nt_err(s->err, sizeof s->err, NT_EDIVERGED,
		              "diverged at step %ld (t=%g, loss NaN/Inf): try a smaller tol or τ", s->step, s->t);
	}
	double h = s->flow_h > 0 && s->flow_h < hmax ? s->flow_h : hmax;
	for (int reject = 0;; reject++) {
		double Lnew = 0, gnew = 0;
		for (int st = 1; st < FLOW_STAGES; st++) {
			memcpy(yt, y, n * sizeof *yt);
			for (int j = 0; j < st; j++)
				if (dp_a[st][j] != 0)
					axpy((int)n, h * dp_a[st][j], k[j], yt);
			double gtmp;
			double Ls = flow_rhs(s, yt, k[st], &gtmp);
			if (st == FLOW_STAGES - 1) {
				Lnew = Ls;
				gnew = gtmp;
			}
		}
		/* yt = 5th-order solution (stage 7 input); error estimate */
		double acc = 0;
		for (size_t i = 0; i < n; i++) {
			double e = 0;
			for (int j = 0; j < FLOW_STAGES; j++)
				e += dp_e[j] * k[j][i];
			e *= h;
			double a = fabs(y[i]), b = fabs(yt[i]);
			double sc = tol * (1.0 + (a > b ? a : b));
			acc += (e / sc) * (e / sc);
		}
		double err = sqrt(acc / (double)n);
		if (!isfinite(err))
			err = 1e10;
		if (err <= 1.0) {
			double fac = err > 0 ? 0.9 * pow(err, -0.2) : 5.0;
			fac = fac > 5.0 ? 5.0 : fac < 0.2 ? 0.2 : fac;
			memcpy(y, yt, n * sizeof *y);
			/* FSAL: k7 = f(y_new) is the next k1 */
			double *t0 = k[0];
			memcpy(t0, k[FLOW_STAGES - 1], n * sizeof *t0);
			cache[0] = Lnew;
			cache[1] = gnew;
			memcpy(s->theta, y, D * sizeof *y);
			if (flow_momentum(s))
				memcpy(s->mom, y + D, D * sizeof *y);
			s->t += h;
			s->Lambda += s->set.wd * h;
			s->flow_h = h * fac;
			return 0;
		}
		double fac = 0.9 * pow(err, -0.2);
		h *= fac < 0.1 ? 0.1 : fac > 0.9 ? 0.9 : fac;
		if (reject >= FLOW_MAX_REJECT || h < 1e-14 * (1.0 + s->t))
			return nt_err(s->err, sizeof s->err, NT_ERANGE,
			              "flow: step size underflow at step %ld (t=%g, h=%.3g): tolerance %g too tight or the flow is stiff",
			              s->step, s->t, h, tol);
	}
}
