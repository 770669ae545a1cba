/* fig.c — the pure half of figures (see fig.h): building a figure, axis
 * ranges, ticks, labels and positions. No drawing library here: the screen
 * and the tests use these functions without cairo. */
#include "fig.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "noether/util.h"

void fig_init(struct fig *f)
{
	memset(f, 0, sizeof *f);
}

void fig_free(struct fig *f)
{
	for (int i = 0; i < f->npanels; i++)
		for (int k = 0; k < f->panel[i].nseries; k++) {
			free(f->panel[i].series[k].x);
			free(f->panel[i].series[k].y);
		}
	fig_init(f);
}

struct fig_panel *fig_add_panel(struct fig *f, const char *title, enum fig_scale xs, const char *xtitle,
                                enum fig_scale ys, const char *ytitle)
{
	if (f->npanels >= FIG_MAX_PANELS)
		return NULL;
	struct fig_panel *p = &f->panel[f->npanels++];
	memset(p, 0, sizeof *p);
	str_copy(p->title, title ? title : "", sizeof p->title);
	p->x.scale = xs;
	p->y.scale = ys;
	str_copy(p->x.title, xtitle ? xtitle : "", sizeof p->x.title);
	str_copy(p->y.title, ytitle ? ytitle : "", sizeof p->y.title);
	return p;
}

struct fig_style fig_style(unsigned rgb, double width, enum fig_dash dash, char marker)
{
	struct fig_style s = { rgb, width, dash, marker };
	return s;
}

int fig_add_series(struct fig_panel *p, const double *x, const double *y, int n, const char *label,
                   struct fig_style style)
{
	if (p->nseries >= FIG_MAX_SERIES || n < 0 || n > FIG_MAX_POINTS)
		return -1;
	struct fig_series *s = &p->series[p->nseries++];
	memset(s, 0, sizeof *s);
	s->n = n;
	s->x = xmalloc((size_t)(n ? n : 1) * sizeof *s->x);
	s->y = xmalloc((size_t)(n ? n : 1) * sizeof *s->y);
	if (n) {
		memcpy(s->x, x, (size_t)n * sizeof *x);
		memcpy(s->y, y, (size_t)n * sizeof *y);
	}
	str_copy(s->label, label ? label : "", sizeof s->label);
	s->style = style;
	return 0;
}

/* ---- ranges ---------------------------------------------------------------- */

void fig_decade_range(double *lo10, double *hi10)
{
	*lo10 = floor(*lo10);
	*hi10 = ceil(*hi10);
	if (*hi10 - *lo10 < 1)
		*hi10 = *lo10 + 1;
	if (*hi10 - *lo10 > 20)
		*lo10 = *hi10 - 20;
}

static int drawable(enum fig_scale s, double v)
{
	return isfinite(v) && (s == FIG_LIN || v > 0);
}

/* 1, 2 or 5 × 10^e, the smallest at least x (x > 0) */
static double nice_step(double x)
{
	double e = pow(10, floor(log10(x)));
	double m = x / e;
	return (m <= 1 + 1e-9 ? 1 : m <= 2 + 1e-9 ? 2 : m <= 5 + 1e-9 ? 5 : 10) * e;
}

int fig_axis_range(const struct fig_panel *p, int which, double *lo, double *hi)
{
	const struct fig_axis *ax = which ? &p->y : &p->x;
	const struct fig_axis *other = which ? &p->x : &p->y;
	if (ax->fixed) {
		*lo = ax->lo;
		*hi = ax->hi;
	}
	double a = INFINITY, b = -INFINITY;
	int n = 0;
	for (int k = 0; k < p->nseries; k++) {
		const struct fig_series *s = &p->series[k];
		for (int i = 0; i < s->n; i++) {
			double v = which ? s->y[i] : s->x[i], w = which ? s->x[i] : s->y[i];
			if (!drawable(ax->scale, v) || !drawable(other->scale, w))
				continue;
			n++;
			a = fmin(a, v);
			b = fmax(b, v);
		}
	}
	if (ax->fixed)
		return n;
	if (ax->scale == FIG_LOG) {
		if (!n) {
			*lo = 0.1;
			*hi = 1;
			return 0;
		}
		double l = log10(a), h = log10(b);
		if (ax->tight && h - l >= 1e-9 && h - l <= 20) {
			*lo = a;           /* the data's own ends, exactly */
			*hi = b;
			return n;
		}
		if (ax->tight) {
			if (h - l < 1e-9) {    /* one value: the decade around it */
				l = floor(l);
				h = l + 1;
			} else
				l = h - 20;
		} else
			fig_decade_range(&l, &h);
		*lo = pow(10, l);
		*hi = pow(10, h);
		return n;
	}
	if (!n) {
		*lo = 0;
		*hi = 1;
		return 0;
	}
	if (b - a < 1e-12 * fmax(1, fabs(b))) {   /* one value: a unit around it */
		double d = a == 0 ? 1 : fabs(a) * 0.5;
		a -= d;
		b += d;
	}
	if (!ax->tight) {
		double st = nice_step((b - a) / 5);
		a = floor(a / st + 1e-9) * st;
		b = ceil(b / st - 1e-9) * st;
	}
	*lo = a;
	*hi = b;
	return n;
}

/* ---- ticks ------------------------------------------------------------------ */

int fig_ticks(enum fig_scale s, double lo, double hi, int max, double *v, double *step)
{
	if (max > FIG_MAX_TICKS)
		max = FIG_MAX_TICKS;
	if (max < 1 || !(lo < hi) || !isfinite(lo) || !isfinite(hi) || (s == FIG_LOG && !(lo > 0)))
		return 0;
	if (s == FIG_LOG) {
		double l = log10(lo), h = log10(hi);
		int d0 = (int)ceil(l - 1e-9), d1 = (int)floor(h + 1e-9);
		if (d1 - d0 < 1 && max > 1) {   /* fewer than two decades inside: 1, 2, 5 × 10^d */
			int n = 0;
			for (int d = (int)floor(l) - 1; d <= (int)ceil(h) && n < max; d++)
				for (int m = 1; m <= 5 && n < max; m += m == 1 ? 1 : 3) {
					double t = m * pow(10, d);
					if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9))
						v[n++] = t;
				}
			if (n < 2) {            /* not even that: the two ends */
				v[0] = lo;
				v[1] = hi;
				n = 2;
			}
			if (step)
				*step = 0;
			return n;
		}
		static const int strides[] = { 1, 2, 5, 10, 20, 50, 100 };
		int m = 1;
		for (size_t i = 0; i < sizeof strides / sizeof *strides; i++) {
			m = strides[i];
			int first = (int)ceil((double)d0 / m) * m, cnt = first > d1 ? 0 : (d1 - first) / m + 1;
			if (cnt <= max)
				break;
		}
		int n = 0;
		for (int d = (int)ceil((double)d0 / m) * m; d <= d1 && n < max; d += m)
			v[n++] = pow(10, d);
		if (n == 0) {           /* no multiple of m inside: the lowest decade */
			v[n++] = pow(10, d0);
		}
		if (step)
			*step = m;
		return n;
	}
	double st = nice_step((hi - lo) / (max > 1 ? max - 1 : 1));
	for (;;) {
		double a = ceil(lo / st - 1e-9), b = floor(hi / st + 1e-9);
		if (b - a + 1 <= max)
			break;
		st = nice_step(st * 1.01);
	}
	int n = 0;
	for (double k = ceil(lo / st - 1e-9); k * st <= hi + 1e-9 * st && n < max; k++) {
		double t = k * st;
		v[n++] = fabs(t) < 1e-12 * st ? 0 : t;
	}
	if (step)
		*step = st;
	return n;
}

int fig_tick_label(enum fig_scale s, double v, double step, char *buf, size_t len)
{
	if (s == FIG_LOG) {
		double d = log10(v);
		if (fabs(d - floor(d + 0.5)) < 1e-9)
			return snprintf(buf, len, "1e%d", (int)floor(d + 0.5));
		return snprintf(buf, len, "%.2g", v);
	}
	/* enough digits for the step, no more */
	int dec = step > 0 && step < 1 ? (int)ceil(-log10(step) - 1e-9) : 0;
	if (fabs(v) >= 1e6 || (v != 0 && fabs(v) < 1e-4))
		return snprintf(buf, len, "%.3g", v);
	return snprintf(buf, len, "%.*f", dec, v);
}

double fig_axis_frac(enum fig_scale s, double lo, double hi, double v)
{
	if (!isfinite(v))
		return NAN;
	if (s == FIG_LOG) {
		if (!(v > 0) || !(lo > 0) || !(hi > lo))
			return NAN;
		return (log10(v) - log10(lo)) / (log10(hi) - log10(lo));
	}
	if (!(hi > lo))
		return NAN;
	return (v - lo) / (hi - lo);
}

int fig_format_of(const char *path, enum fig_format *fmt)
{
	static const struct { const char *ext; enum fig_format f; } map[] = {
		{ ".png", FIG_PNG }, { ".svg", FIG_SVG }, { ".pdf", FIG_PDF },
	};
	size_t n = strlen(path);
	for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
		if (n <= 4)
			break;
		const char *e = path + n - 4;
		int same = 1;
		for (int j = 0; j < 4; j++)
			same &= (e[j] | 0x20) == map[i].ext[j];   /* '.' | 0x20 == '.' */
		if (same) {
			*fmt = map[i].f;
			return 0;
		}
	}
	return -1;
}
