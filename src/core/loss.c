/* loss.c — mse, logistic, exponential and cross-entropy as means over output
 * rows, with ∂L/∂f; target construction from a data set (one-hot or ±1 for
 * classification data fed to mse). Numerically stable forms throughout
 * (log1p(exp(-m)) split by sign, log-sum-exp with the max subtracted). */
#include "noether/loss.h"
#include "noether/data.h"
#include "noether/util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const loss_names[] = { "mse", "logistic", "exponential", "cross-entropy", NULL };

int loss_find(const char *name)
{
	for (int i = 0; loss_names[i]; i++)
		if (!strcmp(loss_names[i], name))
			return i;
	if (!strcmp(name, "xent") || !strcmp(name, "ce"))
		return LOSS_XENT;
	return -1;
}

int loss_targets(enum loss_kind k, const struct dataset *d, int w, double **t, char *err, size_t errlen)
{
	size_t R = (size_t)d->n * d->out_len;
	*t = NULL;
	if (k == LOSS_XENT) {
		if (!d->label)
			return nt_err(err, errlen, NT_EINVAL, "loss cross-entropy needs class labels; data '%s' is regression", d->kind);
		if (w != d->n_classes)
			return nt_err(err, errlen, NT_EINVAL, "loss cross-entropy: the last layer has width %d but the data has %d classes", w, d->n_classes);
		return 0;
	}
	if (k == LOSS_LOGISTIC || k == LOSS_EXPONENTIAL) {
		if (w != 1)
			return nt_err(err, errlen, NT_EINVAL, "loss %s needs a last layer of width 1 (got %d)", loss_names[k], w);
		*t = xmalloc(R * sizeof(double));
		if (d->label) {
			if (d->n_classes != 2) {
				free(*t); *t = NULL;
				return nt_err(err, errlen, NT_EINVAL, "loss %s is binary; the data has %d classes", loss_names[k], d->n_classes);
			}
			for (size_t r = 0; r < R; r++)
				(*t)[r] = d->label[r] ? 1.0 : -1.0;
		} else {
			if (d->d_out != 1) {
				free(*t); *t = NULL;
				return nt_err(err, errlen, NT_EINVAL, "loss %s needs 1 target column; data has %d", loss_names[k], d->d_out);
			}
			for (size_t r = 0; r < R; r++)
				(*t)[r] = d->y[r] >= 0 ? 1.0 : -1.0; /* sign of the regression target */
		}
		return 0;
	}
	/* mse */
	if (d->label) {
		if (w == 1 && d->n_classes == 2) {
			*t = xmalloc(R * sizeof(double));
			for (size_t r = 0; r < R; r++)
				(*t)[r] = d->label[r] ? 1.0 : -1.0;
			return 0;
		}
		if (w != d->n_classes)
			return nt_err(err, errlen, NT_EINVAL, "loss mse on %d classes needs a last layer of width %d (one-hot) or 1 (two classes, ±1); got %d",
			              d->n_classes, d->n_classes, w);
		*t = xcalloc(R * (size_t)w, sizeof(double));
		for (size_t r = 0; r < R; r++)
			(*t)[r * w + d->label[r]] = 1.0;
		return 0;
	}
	if (w != d->d_out)
		return nt_err(err, errlen, NT_EINVAL, "loss mse: the last layer has width %d but the targets have %d columns", w, d->d_out);
	*t = xmalloc(R * (size_t)w * sizeof(double));
	memcpy(*t, d->y, R * (size_t)w * sizeof(double));
	return 0;
}

static double softplus(double z) /* log(1 + e^z), stable */
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

double loss_eval(enum loss_kind k, const double *f, int R, int w, const double *t, const int *labels, double *df)
{
	double L = 0, inv = 1.0 / R;
	switch (k) {
	case LOSS_MSE:
		for (size_t i = 0; i < (size_t)R * w; i++) {
			double e = f[i] - t[i];
			L += e * e;
			if (df)
				df[i] = e * inv;
		}
		return 0.5 * L * inv;
	case LOSS_LOGISTIC:
		for (int r = 0; r < R; r++) {
			double m = t[r] * f[r];
			L += softplus(-m);
			if (df) /* d/df log(1+e^{-y f}) = -y σ(-y f) */
				df[r] = -t[r] * inv * (m > 0 ? exp(-m) / (1.0 + exp(-m)) : 1.0 / (1.0 + exp(m)));
		}
		return L * inv;
	case LOSS_EXPONENTIAL:
		for (int r = 0; r < R; r++) {
			double e = exp(-t[r] * f[r]);
			L += e;
			if (df)
				df[r] = -t[r] * e * inv;
		}
		return L * inv;
	case LOSS_XENT:
		for (int r = 0; r < R; r++) {
			const double *z = f + (size_t)r * w;
			double mx = z[0], s = 0;
			for (int j = 1; j < w; j++)
				if (z[j] > mx)
					mx = z[j];
			for (int j = 0; j < w; j++)
				s += exp(z[j] - mx);
			double lse = mx + log(s);
			L += lse - z[labels[r]];
			if (df)
				for (int j = 0; j < w; j++)
					df[(size_t)r * w + j] = inv * (exp(z[j] - lse) - (j == labels[r]));
		}
		return L * inv;
	default:
		return NAN;
	}
}
