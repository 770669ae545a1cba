/* optim.c — the discrete optimizers' update rules (see optim.h). Each loop
 * writes the same operations in the same order as torch.optim's single-tensor
 * path, so a float64 run agrees with PyTorch to rounding. */
#include "noether/optim.h"
#include <math.h>

int optim_state(enum opt_kind k)
{
	switch (k) {
	case OPT_MOMENTUM: case OPT_FLOW_MOMENTUM: return OPTIM_M;
	case OPT_ADAM: case OPT_ADAMW: return OPTIM_M | OPTIM_V;
	case OPT_RMSPROP: return OPTIM_V;
	default: return 0;
	}
}

static void adam_core(const struct optimizer *o, double tau, long t, size_t D, double *th, const double *g,
                      double lam, double *m, double *v)
{
	double b1 = o->beta1, b2 = o->beta2, eps = o->eps;
	double bc1 = 1.0 - pow(b1, (double)t), bc2 = 1.0 - pow(b2, (double)t);
	double step = tau / bc1, bc2s = sqrt(bc2);
	for (size_t i = 0; i < D; i++) {
		double gi = lam != 0 ? g[i] + lam * th[i] : g[i];
		m[i] = m[i] * b1 + (1.0 - b1) * gi;
		v[i] = v[i] * b2 + (1.0 - b2) * gi * gi;
		double den = sqrt(v[i]) / bc2s + eps;
		th[i] += -step * (m[i] / den);
	}
}

void optim_step(const struct optimizer *o, double tau, double lam, long t, size_t D, double *th,
                const double *g, double *m, double *v)
{
	switch (o->kind) {
	case OPT_MOMENTUM:
		for (size_t i = 0; i < D; i++) {
			m[i] = o->beta * m[i] + g[i] + lam * th[i];
			th[i] -= tau * m[i];
		}
		break;
	case OPT_ADAM:
		adam_core(o, tau, t, D, th, g, lam, m, v);
		break;
	case OPT_ADAMW:
		if (lam != 0)
			for (size_t i = 0; i < D; i++)
				th[i] *= 1.0 - tau * lam;
		adam_core(o, tau, t, D, th, g, 0.0, m, v);
		break;
	case OPT_RMSPROP:
		for (size_t i = 0; i < D; i++) {
			double gi = lam != 0 ? g[i] + lam * th[i] : g[i];
			v[i] = v[i] * o->alpha + (1.0 - o->alpha) * gi * gi;
			th[i] += -tau * (gi / (sqrt(v[i]) + o->eps));
		}
		break;
	case OPT_SIGN:
		for (size_t i = 0; i < D; i++) {
			double gi = lam != 0 ? g[i] + lam * th[i] : g[i];
			th[i] -= tau * (gi > 0 ? 1.0 : gi < 0 ? -1.0 : 0.0);
		}
		break;
	case OPT_FLOW: case OPT_FLOW_MOMENTUM:
		break;
	default:
		if (lam != 0)
			for (size_t i = 0; i < D; i++)
				th[i] -= tau * (g[i] + lam * th[i]);
		else
			for (size_t i = 0; i < D; i++)
				th[i] -= tau * g[i];
		break;
	}
}
