/* ui_portrait.c — phase portrait data (see ui_portrait.h): coordinate
 * expressions, the rate check of x² − y², and the decimated trajectory. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "noether/expr.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include "ui_portrait.h"

enum { CHECK_POINTS = 3 };
static const double LEVEL_TOL = 1e-9;   /* the session's law tolerance */

int ui_portrait_expand(const char *in, char *out, size_t len)
{
	size_t o = 0;
	int inbar = 0;
	for (const char *p = in; *p; p++) {
		const char *rep = NULL;
		char one[2] = { *p, '\0' };
		if (*p == '|') {
			rep = inbar ? "))" : "sqrt(norm2(";
			inbar = !inbar;
		} else if (*p == ',' && inbar) {
			/* a comma at bar level (not inside [..] or (..)) joins two parts */
			int depth = 0;
			for (const char *q = p - 1; q >= in && *q != '|'; q--) {
				if (*q == ']' || *q == ')') depth++;
				if (*q == '[' || *q == '(') depth--;
			}
			rep = depth == 0 ? ")+norm2(" : ",";
		} else {
			rep = one;
		}
		size_t n = strlen(rep);
		if (o + n + 1 > len)
			return -1;
		memcpy(out + o, rep, n);
		o += n;
	}
	out[o] = '\0';
	return inbar ? -1 : 0;
}

int ui_portrait_split(int argc, char **argv, char *x, char *y, size_t len)
{
	char all[1024];
	size_t o = 0;
	all[0] = '\0';
	for (int i = 1; i < argc; i++) {
		int n = snprintf(all + o, sizeof all - o, "%s%s", i > 1 ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof all - o)
			return -1;
		o += (size_t)n;
	}
	int depth = 0, inbar = 0, part = 0;
	size_t k[2] = { 0, 0 };
	char *dst[2] = { x, y };
	for (const char *p = all; *p; p++) {
		if (*p == '[' || *p == '(') depth++;
		if (*p == ']' || *p == ')') depth--;
		if (*p == '|') inbar = !inbar;
		int space = *p == ' ' || *p == '\t';
		if (space && (depth || inbar))
			continue;
		if (space) {
			if (k[part] > 0 && p[1] != ' ' && p[1] != '\t' && p[1] != '\0') {
				/* a space outside everything: next coordinate, unless the word
				 * continues an operator ("a + b") */
				char prev = dst[part][k[part] - 1];
				int op = strchr("+-*/^,", prev) != NULL || strchr("+-*/^,", p[1]) != NULL;
				if (!op) {
					if (part == 1)
						return -1;
					part = 1;
				}
			}
			continue;
		}
		if (k[part] + 2 > len)
			return -1;
		dst[part][k[part]++] = *p;
	}
	x[k[0]] = '\0';
	y[k[1]] = '\0';
	return (part == 1 && k[0] && k[1]) ? 0 : -1;
}

void ui_portrait_stop(struct ui_portrait *p)
{
	expr_free(p->ex);
	expr_free(p->ey);
	free(p->px);
	free(p->py);
	free(p->pstep);
	memset(p, 0, sizeof *p);
}

/* Appends a point; a point closer than `stride` steps to the last kept one
 * replaces the moving head instead. A full buffer drops every other point and
 * doubles the stride. */
static void add_point(struct ui_portrait *p, long step, double x, double y)
{
	if (p->n >= 2 && step - p->pstep[p->n - 2] < p->stride)
		p->n--;                       /* the head moves on */
	if (p->n == UI_PORTRAIT_POINTS) {
		int k = 0;
		for (int i = 0; i < p->n; i += 2, k++) {
			p->px[k] = p->px[i];
			p->py[k] = p->py[i];
			p->pstep[k] = p->pstep[i];
		}
		p->n = k;
		p->stride *= 2;
	}
	p->px[p->n] = x;
	p->py[p->n] = y;
	p->pstep[p->n] = step;
	p->n++;
	p->xk = x;
	p->yk = y;
	p->last_step = step;
}

/* Rate check of h = x² − y² at random points, as the session checks laws. */
static double level_rate(struct ui_portrait *p, struct session *s)
{
	size_t D = s->D;
	double *th = s->scratch, *gh = s->scratch + D, *g = s->grad, worst = 0;
	for (int k = 0; k < CHECK_POINTS; k++) {
		struct init_spec sp = s->init;
		sp.kind = INIT_NORMAL;
		sp.seed = s->check_seed + 101u + (unsigned long)k;
		model_init(s->model, th, &sp);
		session_loss_grad(s, th, g);
		memset(gh, 0, D * sizeof *gh);
		double x = expr_eval(p->ex, th, NULL, 0), y = expr_eval(p->ey, th, NULL, 0);
		expr_eval(p->ex, th, gh, 2 * x);
		expr_eval(p->ey, th, gh, -2 * y);
		double gn = sqrt(dot((int)D, g, g)), hn = sqrt(dot((int)D, gh, gh));
		double r = gn > 0 && hn > 0 ? fabs(dot((int)D, gh, g)) / (gn * hn) : 0;
		if (!(r <= worst))
			worst = r;
	}
	return worst;
}

static unsigned long portrait_hash(const struct session *s, int n);

int ui_portrait_start(struct ui_portrait *p, struct session *s, const char *tx, const char *ty,
                      char *err, size_t errlen)
{
	char ax[512], ay[512], e[256];
	ui_portrait_stop(p);
	int rc = session_prepare(s);
	if (rc)
		return nt_err(err, errlen, rc, "%s", s->err);
	if (ui_portrait_expand(tx, ax, sizeof ax) || ui_portrait_expand(ty, ay, sizeof ay))
		return nt_err(err, errlen, NT_EINVAL, "portrait: unbalanced |...| in '%s'", ui_portrait_expand(tx, ax, sizeof ax) ? tx : ty);
	p->ex = expr_compile(ax, s->model, e, sizeof e);
	if (!p->ex) {
		nt_err(err, errlen, NT_EINVAL, "portrait: x = %s: %s", tx, e);
		ui_portrait_stop(p);
		return NT_EINVAL;
	}
	p->ey = expr_compile(ay, s->model, e, sizeof e);
	if (!p->ey) {
		nt_err(err, errlen, NT_EINVAL, "portrait: y = %s: %s", ty, e);
		ui_portrait_stop(p);
		return NT_EINVAL;
	}
	str_copy(p->tx, tx, sizeof p->tx);
	str_copy(p->ty, ty, sizeof p->ty);
	p->D = s->D;
	p->rate = level_rate(p, s);
	p->level_law = p->rate <= LEVEL_TOL;
	p->px = xcalloc(UI_PORTRAIT_POINTS, sizeof *p->px);
	p->py = xcalloc(UI_PORTRAIT_POINTS, sizeof *p->py);
	p->pstep = xcalloc(UI_PORTRAIT_POINTS, sizeof *p->pstep);
	p->x0 = expr_eval(p->ex, s->theta0, NULL, 0);
	p->y0 = expr_eval(p->ey, s->theta0, NULL, 0);
	p->c0 = p->x0 * p->x0 - p->y0 * p->y0;
	p->stride = 1;
	p->on = 1;
	p->n = 0;
	p->hist_n = s->nhistory;
	p->hist_hash = portrait_hash(s, s->nhistory);
	add_point(p, 0, p->x0, p->y0);
	if (s->step > 0)
		add_point(p, s->step, expr_eval(p->ex, s->theta, NULL, 0), expr_eval(p->ey, s->theta, NULL, 0));
	return 0;
}

static unsigned long portrait_hash(const struct session *s, int n)
{
	unsigned long h = 1469598103UL;
	for (int i = 0; i < n && i < s->nhistory; i++)
		for (const unsigned char *c = (const unsigned char *)s->history[i]; ; c++) {
			h = (h ^ *c) * 16777619UL;
			if (!*c)
				break;
		}
	return h;
}

int ui_portrait_sample(struct ui_portrait *p, const struct session *s)
{
	if (!p->on)
		return 0;
	if (s->dirty || s->D != p->D || !s->theta || s->nhistory < p->hist_n ||
	    portrait_hash(s, p->hist_n) != p->hist_hash) {
		ui_portrait_stop(p);   /* the model changed: the coordinates may not exist */
		return 1;
	}
	p->hist_n = s->nhistory;
	p->hist_hash = portrait_hash(s, s->nhistory);
	if (s->step < p->last_step || (s->step == 0 && p->n > 1)) {
		p->n = 0;
		p->stride = 1;
		p->x0 = expr_eval(p->ex, s->theta0, NULL, 0);
		p->y0 = expr_eval(p->ey, s->theta0, NULL, 0);
		p->c0 = p->x0 * p->x0 - p->y0 * p->y0;
		add_point(p, 0, p->x0, p->y0);
	}
	if (s->step > p->last_step)
		add_point(p, s->step, expr_eval(p->ex, s->theta, NULL, 0), expr_eval(p->ey, s->theta, NULL, 0));
	return 0;
}
