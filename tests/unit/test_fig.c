/* test_fig.c — figures (src/fig) and `export plot` (src/cmd/cmd_plot.c).
 *
 * The pure half: decade ranges, ticks (always evenly spaced: the screen's old
 * 1e0, 1e-2, 1e-3, 1e-5 cannot happen), labels, positions. The drawing half,
 * checked from the files alone: a PNG is read back with cairo (size, the
 * frame found from its pixels, a known curve's pixels where the frame and the
 * axis ranges say they must be — the test maps values to pixels itself); an
 * SVG is parsed (size, the frame's path, every point of a known curve's path
 * against the value it stands for); a PDF has its header and page size. The
 * command: PNG/SVG/PDF of the drift plot of relu2-gd, whose budget Σ τ² =
 * 0.0025 k is known exactly; a sweep's τ² line; A and B runs; a portrait on
 * its hyperbola; and the errors (format, size, argument, nothing to draw). */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "cmdtest.h"
#include "cmd/cmd.h"
#include "noether/util.h"
#include "fig/fig.h"
#include "cmd/cmd_impl.h"

static const char *find_bytes(const char *h, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(h + i, needle, m))
			return h + i;
	return NULL;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)len + 1);
	size_t got = fread(b, 1, (size_t)len, f);
	fclose(f);
	b[got] = 0;
	if (n)
		*n = got;
	return b;
}

/* ---- the pure half ---------------------------------------------------------- */

static void test_ticks(void)
{
	double v[FIG_MAX_TICKS], st;
	int n = fig_ticks(FIG_LOG, 1e-6, 1e2, 10, v, &st);
	CHECK(n == 9 && st == 1 && fabs(v[0] - 1e-6) < 1e-20 && fabs(v[8] - 100) < 1e-12, "log: every decade 1e-6..1e2");
	n = fig_ticks(FIG_LOG, 1e-6, 1e2, 4, v, &st);
	CHECK(n == 2 && st == 5 && fabs(log10(v[0]) + 5) < 1e-12 && fabs(log10(v[1])) < 1e-12,
	      "log, room for 4: every 5th decade (1e-5, 1e0)");
	/* every range and room: ticks are decades, at most max, evenly spaced */
	int bad = 0, cases = 0;
	for (int lo = -14; lo <= 2; lo++)
		for (int span = 1; span <= 20; span++)
			for (int max = 2; max <= 12; max++) {
				cases++;
				n = fig_ticks(FIG_LOG, pow(10, lo), pow(10, lo + span), max, v, &st);
				int ok = n >= 1 && n <= max;
				for (int i = 0; ok && i < n; i++) {
					double d = log10(v[i]);
					ok = fabs(d - floor(d + 0.5)) < 1e-9 && d >= lo - 1e-9 && d <= lo + span + 1e-9 &&
					     fmod(fabs(floor(d + 0.5)), st) == 0;
					if (ok && i > 1)
						ok = fabs((log10(v[i]) - log10(v[i - 1])) - (log10(v[1]) - log10(v[0]))) < 1e-9;
				}
				bad += !ok;
			}
	printf("  log ticks: %d ranges × rooms, %d bad\n", cases, bad);
	CHECK(bad == 0, "log ticks: whole decades, within range, at most max, evenly spaced, multiples of the stride");
	n = fig_ticks(FIG_LOG, 2, 5, 5, v, &st);
	CHECK(n == 2 && v[0] == 2 && v[1] == 5 && st == 0, "log range inside one decade: 2 and 5");
	n = fig_ticks(FIG_LOG, 0.05, 0.7, 8, v, &st);
	CHECK(n == 4 && fabs(v[0] - 0.05) < 1e-15 && fabs(v[1] - 0.1) < 1e-15 && fabs(v[2] - 0.2) < 1e-15 &&
	      fabs(v[3] - 0.5) < 1e-15, "log 0.05..0.7 (one decade tick): 0.05 0.1 0.2 0.5");
	n = fig_ticks(FIG_LOG, 2.5, 4, 5, v, &st);
	CHECK(n == 2 && v[0] == 2.5 && v[1] == 4, "no 1-2-5 value inside: the two ends");
	n = fig_ticks(FIG_LIN, 0, 1, 6, v, &st);
	CHECK(n == 6 && fabs(st - 0.2) < 1e-12 && v[0] == 0 && fabs(v[5] - 1) < 1e-12, "linear 0..1: steps of 0.2");
	n = fig_ticks(FIG_LIN, -3, 7, 5, v, &st);
	int lin_ok = n >= 2 && n <= 5;
	for (int i = 0; i < n; i++)
		lin_ok &= v[i] >= -3 && v[i] <= 7 && fabs(v[i] / st - floor(v[i] / st + 0.5)) < 1e-9;
	CHECK(lin_ok && (st == 2 || st == 5), "linear -3..7: multiples of 2 or 5, at most 5");
	CHECK(fig_ticks(FIG_LOG, 0, 10, 5, v, &st) == 0 && fig_ticks(FIG_LIN, 3, 3, 5, v, &st) == 0,
	      "no ticks for an empty or non-positive log range");
	char b[32];
	fig_tick_label(FIG_LOG, 1e-3, 1, b, sizeof b);
	CHECK(!strcmp(b, "1e-3"), "log label 1e-3");
	fig_tick_label(FIG_LOG, 1, 1, b, sizeof b);
	CHECK(!strcmp(b, "1e0"), "log label 1e0");
	fig_tick_label(FIG_LIN, 0.6000000001, 0.2, b, sizeof b);
	CHECK(!strcmp(b, "0.6"), "linear label rounded to the step");
	fig_tick_label(FIG_LIN, 3, 1, b, sizeof b);
	CHECK(!strcmp(b, "3"), "linear label 3");
}

static void test_ranges(void)
{
	double lo = 0.3, hi = 2.7;
	fig_decade_range(&lo, &hi);
	CHECK(lo == 0 && hi == 3, "decade range rounds out");
	lo = -5.5; hi = -5.2;
	fig_decade_range(&lo, &hi);
	CHECK(lo == -6 && hi == -5, "at least one decade");
	lo = -40; hi = 0.5;
	fig_decade_range(&lo, &hi);
	CHECK(lo == -19 && hi == 1, "at most 20 decades, the top kept");

	struct fig f;
	fig_init(&f);
	struct fig_panel *p = fig_add_panel(&f, "t", FIG_LOG, "x", FIG_LOG, "y");
	double x[6] = { 0, 1, 10, 100, 2000, NAN }, y[6] = { 5, 3e-4, 1e-3, -1, 0.02, 1 };
	CHECK(fig_add_series(p, x, y, 6, "s", fig_style(0, 1, FIG_SOLID, 0)) == 0, "series added");
	p->x.tight = 1;
	double a, c;
	int n = fig_axis_range(p, 0, &a, &c);
	CHECK(n == 3 && a == 1 && c == 2000, "tight log x: the drawable points' own range (x=0, y<0, NaN skipped)");
	n = fig_axis_range(p, 1, &a, &c);
	CHECK(n == 3 && fabs(a - 1e-4) < 1e-18 && fabs(c - 0.1) < 1e-15, "log y rounded out to decades 1e-4..1e-1");
	p->y.fixed = 1; p->y.lo = 1e-6; p->y.hi = 1;
	fig_axis_range(p, 1, &a, &c);
	CHECK(a == 1e-6 && c == 1, "a fixed range is kept");
	struct fig_panel *q = fig_add_panel(&f, NULL, FIG_LIN, NULL, FIG_LIN, NULL);
	double lx[2] = { 0.13, 0.87 };
	fig_add_series(q, lx, lx, 2, "", fig_style(0, 1, FIG_SOLID, 0));
	fig_axis_range(q, 0, &a, &c);
	CHECK(a == 0 && fabs(c - 1) < 1e-12, "linear range rounded to the tick step (0..1)");
	struct fig_panel *e = fig_add_panel(&f, NULL, FIG_LOG, NULL, FIG_LOG, NULL);
	CHECK(fig_axis_range(e, 1, &a, &c) == 0 && a == 0.1 && c == 1, "an empty log axis: [0.1, 1]");
	CHECK(fabs(fig_axis_frac(FIG_LOG, 1e-4, 1e-1, 1e-3) - 1.0 / 3) < 1e-12, "log position of 1e-3 in 1e-4..1e-1: 1/3");
	CHECK(isnan(fig_axis_frac(FIG_LOG, 1e-4, 1e-1, 0)) && isnan(fig_axis_frac(FIG_LIN, 0, 1, NAN)),
	      "undrawable values have no position");
	CHECK(fig_add_panel(&f, NULL, FIG_LIN, NULL, FIG_LIN, NULL) != NULL && fig_add_panel(&f, NULL, FIG_LIN, NULL, FIG_LIN, NULL) == NULL,
	      "at most FIG_MAX_PANELS panels");
	fig_free(&f);
	CHECK(f.npanels == 0, "fig_free leaves an empty figure");
	enum fig_format fm;
	CHECK(fig_format_of("a.PNG", &fm) == 0 && fm == FIG_PNG && fig_format_of("x/y.svg", &fm) == 0 && fm == FIG_SVG &&
	      fig_format_of("b.Pdf", &fm) == 0 && fm == FIG_PDF, "formats from the extension, any case");
	CHECK(fig_format_of("a.jpg", &fm) != 0 && fig_format_of("png", &fm) != 0 && fig_format_of(".png", &fm) != 0,
	      "other names refused");
}

/* ---- reading the pictures back -------------------------------------------------- */

struct img { int w, h, stride; unsigned char *d; cairo_surface_t *sf; };

static int img_load(struct img *im, const char *path)
{
	im->sf = cairo_image_surface_create_from_png(path);
	if (cairo_surface_status(im->sf) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(im->sf);
		return -1;
	}
	cairo_surface_flush(im->sf);
	im->w = cairo_image_surface_get_width(im->sf);
	im->h = cairo_image_surface_get_height(im->sf);
	im->stride = cairo_image_surface_get_stride(im->sf);
	im->d = cairo_image_surface_get_data(im->sf);
	return 0;
}

static void px(const struct img *im, int x, int y, int *r, int *g, int *b)
{
	unsigned v = *(const unsigned *)(im->d + (size_t)y * im->stride + 4 * (size_t)x);   /* native-endian ARGB */
	*r = (v >> 16) & 255; *g = (v >> 8) & 255; *b = v & 255;
}

static int dark(const struct img *im, int x, int y)
{
	int r, g, b;
	px(im, x, y, &r, &g, &b);
	return r < 60 && g < 60 && b < 60;
}

/* The plot frame from the pixels: the columns (rows) that are dark over most
 * of the middle third of the picture's rows (columns). */
static int find_frame(const struct img *im, int *left, int *right, int *top, int *bottom)
{
	*left = *right = *top = *bottom = -1;
	for (int x = 0; x < im->w; x++) {
		int n = 0, m = 0;
		for (int y = im->h / 3; y < 2 * im->h / 3; y++, m++)
			n += dark(im, x, y);
		if (n > 0.8 * m) {
			if (*left < 0)
				*left = x;
			*right = x;
		}
	}
	for (int y = 0; y < im->h; y++) {
		int n = 0, m = 0;
		for (int x = im->w / 3; x < 2 * im->w / 3; x++, m++)
			n += dark(im, x, y);
		if (n > 0.8 * m) {
			if (*top < 0)
				*top = y;
			*bottom = y;
		}
	}
	return *left >= 0 && *right > *left + 10 && *top >= 0 && *bottom > *top + 10 ? 0 : -1;
}

/* Is there a pixel of colour rgb (within tol per channel) within ±d rows of
 * (x, y)? Returns the row distance of the nearest one, or -1. */
static int near_colour(const struct img *im, int x, int y, int d, unsigned rgb, int tol)
{
	int best = -1;
	for (int dy = -d; dy <= d; dy++) {
		int yy = y + dy, r, g, b;
		if (yy < 0 || yy >= im->h || x < 0 || x >= im->w)
			continue;
		px(im, x, yy, &r, &g, &b);
		if (abs(r - (int)(rgb >> 16 & 255)) <= tol && abs(g - (int)(rgb >> 8 & 255)) <= tol && abs(b - (int)(rgb & 255)) <= tol)
			if (best < 0 || abs(dy) < best)
				best = abs(dy);
	}
	return best;
}

/* SVG: each <path> element's style and its M/L points (curves and closes
 * ignored), handed to fn. Returns the number of paths. */
struct svg_path { char style[512]; int n; double x[20000], y[20000]; int closed; };

static int svg_paths(const char *svg, int (*fn)(const struct svg_path *, void *), void *user)
{
	static struct svg_path p;
	int count = 0;
	for (const char *s = strstr(svg, "<path "); s; s = strstr(s + 1, "<path ")) {
		const char *end = strchr(s, '>');
		const char *st = strstr(s, "style=\""), *d = strstr(s, " d=\"");
		if (!end || !st || !d || st > end || d > end)
			continue;
		st += 7;
		size_t sl = (size_t)(strchr(st, '"') - st);
		if (sl >= sizeof p.style)
			sl = sizeof p.style - 1;
		memcpy(p.style, st, sl);
		p.style[sl] = 0;
		p.n = 0;
		p.closed = 0;
		const char *q = d + 4;
		while (*q && *q != '"') {
			while (*q == ' ')
				q++;
			char cmd = *q;
			if (cmd == 'M' || cmd == 'L') {
				char *e;
				double x = strtod(q + 1, &e), y = strtod(e, &e);
				if (p.n < 20000) {
					p.x[p.n] = x;
					p.y[p.n++] = y;
				}
				q = e;
			} else if (cmd == 'Z') {
				p.closed = 1;
				q++;
			} else
				q++;
		}
		count++;
		if (fn && fn(&p, user))
			break;
	}
	return count;
}

static int style_rgb(const char *style, unsigned rgb)
{
	const char *s = strstr(style, "stroke:rgb(");
	if (!s)
		return 0;
	double c[3];
	char *e;
	c[0] = strtod(s + 11, &e);
	c[1] = strtod(e + 2, &e);
	c[2] = strtod(e + 2, &e);
	for (int i = 0; i < 3; i++)
		if (fabs(c[i] - ((rgb >> (16 - 8 * i)) & 255) / 2.55) > 0.01)
			return 0;
	return 1;
}

struct frame { double l, t, r, b; int found; };

static int find_svg_frame(const struct svg_path *p, void *user)
{
	struct frame *f = user;
	if (p->closed && p->n >= 4 && style_rgb(p->style, 0x000000) && !f->found) {
		f->l = fmin(p->x[0], p->x[2]);
		f->r = fmax(p->x[0], p->x[2]);
		f->t = fmin(p->y[0], p->y[2]);
		f->b = fmax(p->y[0], p->y[2]);
		f->found = 1;
	}
	return 0;
}

/* ---- a figure with fixed axes and two known curves ----------------------------- */

static void known_figure(struct fig *f)
{
	fig_init(f);
	struct fig_panel *p = fig_add_panel(f, "known curves", FIG_LOG, "k", FIG_LOG, "y");
	p->x.fixed = p->y.fixed = 1;
	p->x.lo = 1; p->x.hi = 1e4; p->y.lo = 1e-4; p->y.hi = 1;
	double x[200], y[200], h[2] = { 1, 1e4 }, hy[2] = { 1e-2, 1e-2 };
	for (int i = 0; i < 200; i++) {
		x[i] = pow(10, 4.0 * i / 199);
		y[i] = 1e-4 * x[i];                         /* y = 1e-4 k: the diagonal */
	}
	fig_add_series(p, x, y, 200, "1e-4 k", fig_style(0xFF0000, 4, FIG_SOLID, 0));
	fig_add_series(p, h, hy, 2, "1e-2", fig_style(0x00AA00, 4, FIG_SOLID, 0));
}

/* (cairo drops collinear points from an SVG path: what is left are points
 * of the series; it keeps coordinates in 24.8 fixed point, so they are good
 * to 1/256 px; the legend's sample lines lie outside the frame) */
struct curve { unsigned rgb; double l, t, r, b; double worst; int n, ends; };

static int check_diag(const struct svg_path *p, void *user)
{
	struct curve *c = user;
	if (!style_rgb(p->style, c->rgb))
		return 0;
	for (int i = 0; i < p->n; i++) {
		if (p->x[i] < c->l - 1e-6 || p->x[i] > c->r + 1e-6)
			continue;
		c->ends += (fabs(p->x[i] - c->l) < 1e-6 && fabs(p->y[i] - c->b) < 1e-6) ||
		           (fabs(p->x[i] - c->r) < 1e-6 && fabs(p->y[i] - c->t) < 1e-6);
		double k = pow(10, 4 * (p->x[i] - c->l) / (c->r - c->l));
		double want = c->b - (log10(1e-4 * k) + 4) / 4 * (c->b - c->t);
		c->worst = fmax(c->worst, fabs(p->y[i] - want));
		c->n++;
	}
	return 0;
}

static void test_render_known(void)
{
	struct fig f;
	known_figure(&f);
	char err[256];
	struct fig_rect lay[FIG_MAX_PANELS];
	CHECK(fig_layout(&f, 640, 480, lay) == 1, "layout of one panel");
	CHECK(fig_render(&f, "test_fig_known.png", FIG_PNG, 640, 480, err, sizeof err) == 0, "PNG rendered");
	struct img im;
	if (CHECK(img_load(&im, "test_fig_known.png") == 0, "PNG reads back with cairo")) {
		CHECK(im.w == 640 && im.h == 480, "PNG is 640×480");
		int l, r, t, b;
		if (CHECK(find_frame(&im, &l, &r, &t, &b) == 0, "frame found from the pixels")) {
			printf("  PNG frame: x %d..%d, y %d..%d (layout %.1f %.1f %.1f %.1f)\n", l, r, t, b, lay[0].x, lay[0].y,
			       lay[0].w, lay[0].h);
			CHECK(abs(l - (int)floor(lay[0].x)) <= 1 && abs(r - (int)floor(lay[0].x + lay[0].w)) <= 1 &&
			      abs(t - (int)floor(lay[0].y)) <= 1 && abs(b - (int)floor(lay[0].y + lay[0].h)) <= 1,
			      "the frame is where fig_layout says");
			/* the test's own map: k → column, y → row, from the frame's pixels */
			int hits = 0, far = 0, tries = 0;
			for (double lk = 0.15; lk < 3.9; lk += 0.25) {
				int x = (int)floor(l + 0.5 + lk / 4 * (r - l) + 0.5);
				double row = b + 0.5 - (log10(1e-4 * pow(10, lk)) + 4) / 4 * (b - t);
				int d = near_colour(&im, x, (int)floor(row), 3, 0xFF0000, 70);
				tries++;
				hits += d >= 0;
				far += d > 2;
			}
			printf("  diagonal: %d of %d columns hit within 2 px\n", hits - far, tries);
			CHECK(hits == tries && far == 0, "the diagonal y = 1e-4 k lands on its computed pixels (±2 px)");
			int gh = 0, gt = 0;
			for (int x = l + 20; x < r - 20; x += 37, gt++)
				gh += near_colour(&im, x, (int)floor(b + 0.5 - 0.5 * (b - t)), 2, 0x00AA00, 70) >= 0;
			CHECK(gh == gt, "the line y = 1e-2 lies half way up the 1e-4..1 frame");
			int x1 = (int)floor(l + 0.5 + 0.5 * (r - l)), y1 = (int)floor(b + 0.5 - 0.25 * (b - t));
			CHECK(near_colour(&im, x1, y1, 2, 0xFF0000, 70) < 0, "and nothing red where no curve runs");
		}
		cairo_surface_destroy(im.sf);
	}
	CHECK(fig_render(&f, "test_fig_known.svg", FIG_SVG, 640, 480, err, sizeof err) == 0, "SVG rendered");
	size_t n;
	char *svg = slurp("test_fig_known.svg", &n);
	if (CHECK(svg != NULL, "SVG written")) {
		CHECK(!strncmp(svg, "<?xml", 5) && strstr(svg, "<svg") && strstr(svg, "</svg>"), "SVG: an XML document with an svg root");
		CHECK(strstr(svg, "width=\"640pt\" height=\"480pt\"") && strstr(svg, "viewBox=\"0 0 640 480\""), "SVG is 640×480 pt");
		struct frame fr = { 0 };
		svg_paths(svg, find_svg_frame, &fr);
		CHECK(fr.found && fabs(fr.l - lay[0].x) < 1e-6 && fabs(fr.t - lay[0].y) < 1e-6 &&
		      fabs(fr.r - fr.l - lay[0].w) < 1e-6 && fabs(fr.b - fr.t - lay[0].h) < 1e-6, "SVG frame path = the layout's plot area");
		struct curve c = { 0xFF0000, fr.l, fr.t, fr.r, fr.b, 0, 0, 0 };
		svg_paths(svg, check_diag, &c);
		printf("  SVG diagonal: %d points, worst offset %.2e px\n", c.n, c.worst);
		CHECK(c.n >= 10 && c.ends == 2 && c.worst < 0.01,
		      "SVG: every point of y = 1e-4 k where the axes put it, from corner (1, 1e-4) to corner (1e4, 1)");
		free(svg);
	}
	CHECK(fig_render(&f, "test_fig_known.pdf", FIG_PDF, 640, 480, err, sizeof err) == 0, "PDF rendered");
	char *pdf = slurp("test_fig_known.pdf", &n);
	if (CHECK(pdf != NULL, "PDF written")) {
		CHECK(!strncmp(pdf, "%PDF-1.", 7) && find_bytes(pdf, n, "%%EOF"), "PDF header and end");
		CHECK(find_bytes(pdf, n, "/MediaBox [ 0 0 640 480 ]") != NULL, "PDF page is 640×480 pt");
		free(pdf);
	}
	/* errors */
	CHECK(fig_render(&f, "test_fig_small.png", FIG_PNG, 50, 480, err, sizeof err) == NT_ERANGE && strstr(err, "100..10000"),
	      "a size out of range is refused, naming the limits");
	CHECK(fig_render(&f, "no-such-dir/x.png", FIG_PNG, 640, 480, err, sizeof err) == NT_EIO && strstr(err, "no-such-dir/x.png"),
	      "an unwritable path is an I/O error naming it");
	FILE *tmp = fopen("no-such-dir/x.png.tmp", "r");
	CHECK(tmp == NULL, "no temporary file left");
	if (tmp)
		fclose(tmp);
	struct fig empty;
	fig_init(&empty);
	CHECK(fig_render(&empty, "test_fig_empty.png", FIG_PNG, 640, 480, err, sizeof err) == NT_EINVAL, "an empty figure is refused");
	fig_free(&f);
	remove("test_fig_known.png");
	remove("test_fig_known.svg");
	remove("test_fig_known.pdf");
}

/* ---- the command --------------------------------------------------------------- */

struct budget { double l, t, r, b, xlo, xhi, ylo, yhi; double worst, kerr; int n; };

static int check_budget(const struct svg_path *p, void *user)
{
	struct budget *c = user;
	if (!style_rgb(p->style, 0x666666))
		return 0;
	for (int i = 0; i < p->n; i++) {
		if (p->x[i] < c->l - 1e-6 || p->x[i] > c->r + 1e-6)
			continue;                  /* the legend's sample */
		double lk = log10(c->xlo) + (p->x[i] - c->l) / (c->r - c->l) * (log10(c->xhi) - log10(c->xlo));
		double k = pow(10, lk);
		double bud = 0.05 * 0.05 * k;          /* Σ τ² under const 0.05, exactly */
		double want = c->b - (log10(bud) - log10(c->ylo)) / (log10(c->yhi) - log10(c->ylo)) * (c->b - c->t);
		c->worst = fmax(c->worst, fabs(p->y[i] - want));
		c->kerr = fmax(c->kerr, fabs(k - floor(k + 0.5)) / k);   /* points sit at whole steps */
		c->n++;
	}
	return 0;
}

struct ticks { double b, l; double x[64]; int nx; };

static int collect_xticks(const struct svg_path *p, void *user)
{
	struct ticks *t = user;
	/* an x tick mark: a short black vertical segment hanging below the frame */
	if (p->n == 2 && !p->closed && style_rgb(p->style, 0x000000) && p->x[0] == p->x[1] && fabs(p->y[0] - t->b) < 1e-6 &&
	    p->y[1] > p->y[0] && t->nx < 64)
		t->x[t->nx++] = p->x[0];
	return 0;
}

static void test_export_command(void)
{
	struct cmd_ctx c = new_ctx();
	CHECK(run(&c, "preset relu2-gd; step 1000") == 0, "relu2-gd, 1000 constant steps");
	CHECK(run(&c, "export plot test_fig_cmd.png drift") == 0, "export plot FILE.png drift");
	CHECK(run(&c, "export plot test_fig_cmd.svg drift") == 0, "export plot FILE.svg drift");
	CHECK(run(&c, "export plot test_fig_cmd.pdf width=800 height=500") == 0, "export plot FILE.pdf width= height=");
	/* PNG: IHDR by hand (signature, chunk name, big-endian size) */
	size_t n;
	unsigned char *png = (unsigned char *)slurp("test_fig_cmd.png", &n);
	if (CHECK(png && n > 24, "PNG written")) {
		static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
		unsigned w = (unsigned)png[16] << 24 | png[17] << 16 | png[18] << 8 | png[19];
		unsigned h = (unsigned)png[20] << 24 | png[21] << 16 | png[22] << 8 | png[23];
		CHECK(!memcmp(png, sig, 8) && !memcmp(png + 12, "IHDR", 4) && w == 960 && h == 600,
		      "PNG signature, IHDR 960×600 (the one-plot default)");
	}
	free(png);
	char *pdf = slurp("test_fig_cmd.pdf", &n);
	CHECK(pdf && !strncmp(pdf, "%PDF-", 5) && find_bytes(pdf, n, "/MediaBox [ 0 0 800 500 ]"), "PDF 800×500 pt");
	free(pdf);

	/* the budget curve of the SVG, against Σ τ² = 0.0025 k */
	struct plot_source src;
	cmd_plot_source(&c, &src);
	struct fig f;
	char err[256];
	CHECK(cmd_plot_figure(&src, PLOT_DRIFT, 1, &f, err, sizeof err) == 0, "the drift figure builds");
	cmd_plot_source_free(&src);
	struct fig_rect lay[FIG_MAX_PANELS];
	fig_layout(&f, 960, 600, lay);
	struct budget bd = { 0 };
	fig_axis_range(&f.panel[0], 0, &bd.xlo, &bd.xhi);
	fig_axis_range(&f.panel[0], 1, &bd.ylo, &bd.yhi);
	int has_ref = 0, has_eps = 0;
	for (int i = 0; i < f.panel[0].nseries; i++) {
		has_ref |= strstr(f.panel[0].series[i].label, "∝ k") != NULL;
		has_eps |= !strncmp(f.panel[0].series[i].label, "ε", strlen("ε"));
	}
	CHECK(has_ref && has_eps && !strcmp(f.panel[0].y.title, "relative law drift") && strstr(f.panel[0].x.title, "step k"),
	      "drift plot: ε, a ∝ k reference, axis titles 'relative law drift' and 'step k'");
	CHECK(strstr(f.panel[0].title, "ε = mean over the 32 laws") != NULL, "the panel title defines ε");
	/* the curves end where the program's own metrics are */
	double maxrel = NAN, lastmax = NAN, lasteps = NAN, lastpred = NAN;
	cmd_metric(&c, "laws.max-rel", &maxrel, err, sizeof err);
	for (int i = 0; i < f.panel[0].nseries; i++) {
		const struct fig_series *se = &f.panel[0].series[i];
		if (!strcmp(se->label, "largest law"))
			lastmax = se->y[se->n - 1];
		else if (!strncmp(se->label, "ε,", strlen("ε,")))
			lasteps = se->y[se->n - 1];
		else if (strstr(se->label, "predicted"))
			lastpred = se->y[se->n - 1];
	}
	printf("  at k=1000: largest law %.6e (laws.max-rel %.6e), ε %.6e, predicted %.6e\n", lastmax, maxrel, lasteps, lastpred);
	CHECK(fabs(lastmax - maxrel) <= 1e-12 * maxrel, "the largest-law curve ends at laws.max-rel");
	CHECK(fabs(lastpred - lasteps) <= 1e-9 * lasteps, "under GD the predicted ε lies on the measured ε");
	fig_free(&f);
	char *svg = slurp("test_fig_cmd.svg", &n);
	if (CHECK(svg != NULL, "SVG written")) {
		struct frame fr = { 0 };
		svg_paths(svg, find_svg_frame, &fr);
		CHECK(fr.found && fabs(fr.l - lay[0].x) < 1e-6 && fabs(fr.b - fr.t - lay[0].h) < 1e-6, "SVG frame found");
		bd.l = fr.l; bd.r = fr.r; bd.t = fr.t; bd.b = fr.b;
		svg_paths(svg, check_budget, &bd);
		printf("  budget path: %d points, worst %.2e px, steps off whole by %.2e relative (axes %g..%g, %g..%g)\n", bd.n, bd.worst,
		       bd.kerr, bd.xlo, bd.xhi, bd.ylo, bd.yhi);
		CHECK(bd.n >= 2 && bd.worst < 0.01 && bd.kerr < 1e-4, "every point of Σ τ² = 0.0025 k where the axes put it");
		struct ticks tk = { .b = fr.b, .l = fr.l };
		svg_paths(svg, collect_xticks, &tk);
		int even = tk.nx >= 3;
		for (int i = 2; i < tk.nx; i++)
			even &= fabs((tk.x[i] - tk.x[i - 1]) - (tk.x[1] - tk.x[0])) < 1.01;
		printf("  x ticks: %d, first spacing %.1f px\n", tk.nx, tk.nx > 1 ? tk.x[1] - tk.x[0] : 0.0);
		CHECK(even && fabs(tk.x[0] - fr.l) < 1, "log k axis: decade ticks evenly spaced from k = 1 at the left edge");
		free(svg);
	}
	/* PNG pixels of the same budget line (dashed: most sampled columns hit) */
	struct img im;
	if (img_load(&im, "test_fig_cmd.png") == 0) {
		int l, r, t, b, hits = 0, far = 0, tries = 0;
		if (CHECK(find_frame(&im, &l, &r, &t, &b) == 0, "PNG frame found")) {
			for (double lk = 0.1; lk < log10(bd.xhi) - 0.05; lk += 0.05) {
				int x = (int)floor(l + 0.5 + lk / log10(bd.xhi) * (r - l) + 0.5);
				double lb = log10(0.0025) + lk;
				double row = b + 0.5 - (lb - log10(bd.ylo)) / (log10(bd.yhi) - log10(bd.ylo)) * (b - t);
				int d = near_colour(&im, x, (int)floor(row), 4, 0x666666, 40);
				tries++;
				hits += d >= 0 && d <= 2;
				far += d > 2;
			}
			printf("  PNG budget: %d of %d columns on the line (±2 px), %d off by 3-4 px\n", hits, tries, far);
			CHECK(hits >= tries / 2 && far <= tries / 10, "PNG: the budget's grey pixels lie on Σ τ² = 0.0025 k");
		}
		cairo_surface_destroy(im.sf);
	}

	/* errors name what was wrong; nothing written */
	CHECK(cmd_exec_line(&c, "export plot test_fig_cmd.jpg") == NT_EINVAL && strstr(c.last_error, ".png, .svg or .pdf"),
	      "a .jpg is refused, naming the formats");
	CHECK(cmd_exec_line(&c, "export plot test_fig_x.png width=50") == NT_ERANGE && strstr(c.last_error, "width"),
	      "width=50 refused, naming width and its range");
	CHECK(cmd_exec_line(&c, "export plot test_fig_x.png drift bogus=1") == NT_EINVAL && strstr(c.last_error, "bogus=1"),
	      "an unknown argument is named");
	CHECK(cmd_exec_line(&c, "export plot test_fig_x.png portrait") == NT_ESTATE && strstr(c.last_error, "portrait"),
	      "no portrait to draw: said so");
	FILE *x = fopen("test_fig_x.png", "rb");
	CHECK(x == NULL, "nothing written by a refused export");
	if (x)
		fclose(x);
	CHECK(run(&c, "export plot test_fig_lin.png loss logx=off") == 0, "loss plot with a linear step axis");

	/* the sweep: drift against τ, and its τ² line has slope 2 in decades */
	CHECK(run(&c, "sweep tau 1e-3 1e-2 steps=50 seeds=2") == 0, "a sweep, headless");
	CHECK(run(&c, "export plot test_fig_sweep.svg sweep") == 0, "export plot FILE.svg sweep");
	cmd_plot_source(&c, &src);
	if (CHECK(cmd_plot_figure(&src, PLOT_SWEEP, 1, &f, err, sizeof err) == 0, "the sweep figure builds")) {
		const struct fig_panel *p = &f.panel[0];
		const struct fig_series *ref = NULL;
		for (int i = 0; i < p->nseries; i++)
			if (strstr(p->series[i].label, "τ²"))
				ref = &p->series[i];
		CHECK(ref && ref->n == 2 && fabs((log10(ref->y[1]) - log10(ref->y[0])) / (log10(ref->x[1]) - log10(ref->x[0])) - 2) < 1e-12,
		      "sweep: a τ² reference of slope 2");
		CHECK(p->x.scale == FIG_LOG && p->y.scale == FIG_LOG && strstr(p->series[0].label, "slope"),
		      "sweep: log-log, legend with the fitted slope");
		fig_free(&f);
	}
	cmd_plot_source_free(&src);
	experiment_free(c.x);
	cmd_sweep_clear(&c);
	remove("test_fig_cmd.png"); remove("test_fig_cmd.svg"); remove("test_fig_cmd.pdf");
	remove("test_fig_lin.png"); remove("test_fig_sweep.svg");
}

/* A and B from `compare`: both runs' curves, two colours, named in the legend */
static int has_colour(const struct svg_path *p, void *user)
{
	unsigned *want = user;
	if (style_rgb(p->style, want[0]) && p->n > 100)
		want[1]++;
	return 0;
}

static void test_ab(void)
{
	struct cmd_ctx c = new_ctx();
	CHECK(run(&c, "preset relu2-gd; compare schedule const 0.05 decay 0.05; step 300") == 0, "compare, 300 steps");
	CHECK(run(&c, "export plot test_fig_ab.svg") == 0, "export plot under compare");
	struct plot_source src;
	cmd_plot_source(&c, &src);
	struct fig f;
	char err[256];
	CHECK(src.nruns == 2, "the source holds runs A and B");
	if (CHECK(cmd_plot_figure(&src, PLOT_DRIFT_LOSS, 1, &f, err, sizeof err) == 0, "A/B figure builds")) {
		int la = 0, lb = 0;
		double ea = NAN, eb = NAN;
		for (int i = 0; i < f.panel[0].nseries; i++) {
			const struct fig_series *se = &f.panel[0].series[i];
			if (!strncmp(se->label, "A (const", 8) && strstr(se->label, "ε")) {
				la = 1;
				ea = se->y[se->n - 1];
			}
			if (!strncmp(se->label, "B (decay", 8) && strstr(se->label, "ε")) {
				lb = 1;
				eb = se->y[se->n - 1];
			}
		}
		printf("  A ε %.3e, B ε %.3e at step 300\n", ea, eb);
		CHECK(f.npanels == 2 && la && lb, "drift and loss panels; legend names A (const ...) and B (decay ...)");
		CHECK(ea > 3 * eb, "A's drift above B's (constant vs decaying step)");
		fig_free(&f);
	}
	cmd_plot_source_free(&src);
	char *svg = slurp("test_fig_ab.svg", NULL);
	unsigned wa[2] = { 0x0072B2, 0 }, wb[2] = { 0xD55E00, 0 };
	if (svg) {
		svg_paths(svg, has_colour, wa);
		svg_paths(svg, has_colour, wb);
	}
	CHECK(wa[1] >= 2 && wb[1] >= 2, "A's and B's curves both drawn in the file (ε and loss each)");
	free(svg);
	remove("test_fig_ab.svg");
	experiment_free(c.x);
}

/* a portrait: points of a trajectory map back onto the level set */
struct hyp { double l, t, r, b, xlo, xhi, ylo, yhi, c0, worst; int n; };

static int check_hyp(const struct svg_path *p, void *user)
{
	struct hyp *h = user;
	if (!style_rgb(p->style, 0x0072B2))
		return 0;
	for (int i = 0; i < p->n; i++) {
		if (p->x[i] < h->l - 1e-6 || p->x[i] > h->r + 1e-6 || p->y[i] < h->t - 1e-6 || p->y[i] > h->b + 1e-6)
			continue;                  /* the legend's sample, another panel */
		double x = h->xlo + (p->x[i] - h->l) / (h->r - h->l) * (h->xhi - h->xlo);
		double y = h->ylo + (h->b - p->y[i]) / (h->b - h->t) * (h->yhi - h->ylo);
		h->worst = fmax(h->worst, fabs(x * x - y * y - h->c0));
		h->n++;
	}
	return 0;
}

static void portrait_svg(struct fig *f, const char *path, struct hyp *h)
{
	struct fig_rect lay[FIG_MAX_PANELS];
	int last = f->npanels - 1;
	fig_layout(f, 600, 600, lay);
	h->l = lay[last].x; h->t = lay[last].y; h->r = lay[last].x + lay[last].w; h->b = lay[last].y + lay[last].h;
	fig_axis_range(&f->panel[last], 0, &h->xlo, &h->xhi);
	fig_axis_range(&f->panel[last], 1, &h->ylo, &h->yhi);
	char *svg = slurp(path, NULL);
	if (svg)
		svg_paths(svg, check_hyp, h);
	free(svg);
}

static void test_portrait(void)
{
	double x[100], y[100];
	for (int i = 0; i < 100; i++) {
		x[i] = cosh(0.02 * i);
		y[i] = sinh(0.02 * i);
	}
	struct plot_portrait pt = { { x, NULL }, { y, NULL }, { 100, 0 }, 1, 0, 1, 1, "|a|", "|b|" };
	struct plot_source src;
	memset(&src, 0, sizeof src);
	src.nruns = 1;
	src.portrait = &pt;
	struct fig f;
	char err[256];
	if (!CHECK(cmd_plot_figure(&src, PLOT_PORTRAIT, 0, &f, err, sizeof err) == 0, "portrait figure builds"))
		return;
	CHECK(strstr(f.panel[0].title, "is a law") && !strcmp(f.panel[0].x.title, "x = |a|"), "portrait: titled, axes named");
	CHECK(fig_render(&f, "test_fig_pt.svg", FIG_SVG, 600, 600, err, sizeof err) == 0, "portrait SVG rendered");
	struct hyp h = { .c0 = 1 };
	portrait_svg(&f, "test_fig_pt.svg", &h);
	printf("  portrait: %d trajectory points, worst |x² − y² − 1| %.2e\n", h.n, h.worst);
	CHECK(h.n >= 10 && h.worst < 1e-3, "the trajectory's points map back onto x² − y² = 1 (to the SVG's 1/256 px)");
	fig_free(&f);
	remove("test_fig_pt.svg");
}

/* the portrait of a ReLU neuron's norms, headless: drift plot above it */
static void test_portrait_run(void)
{
	struct cmd_ctx c = new_ctx();
	CHECK(run(&c, "preset relu2-gd; portrait |layer1.dense.W[3,:], layer1.dense.b[3]| |layer3.dense.W[:,3]|; step 500") == 0,
	      "a portrait headless, 500 steps");
	CHECK(run(&c, "export plot test_fig_pr.svg width=600 height=600") == 0, "export plot with a portrait on");
	struct plot_source src;
	cmd_plot_source(&c, &src);
	struct fig f;
	char err[256];
	if (CHECK(src.portrait && src.portrait->n[0] == 501 && cmd_plot_figure(&src, PLOT_DRIFT_LOSS, 1, &f, err, sizeof err) == 0,
	          "the source holds the trajectory (θ0 and 500 steps)")) {
		CHECK(f.npanels == 2 && strstr(f.panel[1].title, "is a law"), "default figure: drift above the portrait (a law)");
		struct hyp h = { .c0 = src.portrait->c0 };
		portrait_svg(&f, "test_fig_pr.svg", &h);
		printf("  neuron 3: %d points, worst |x² − y² − c0| %.2e (c0 %.4f)\n", h.n, h.worst, h.c0);
		CHECK(h.n >= 2 && h.worst < 1e-3 * fabs(h.c0) + 1e-3, "its points lie on x² − y² = c0 (law drift and 1/256 px)");
		fig_free(&f);
	}
	cmd_plot_source_free(&src);
	remove("test_fig_pr.svg");
	experiment_free(c.x);
}

int main(void)
{
	test_ticks();
	test_ranges();
	test_render_known();
	test_export_command();
	test_ab();
	test_portrait();
	test_portrait_run();
	fig_release();
	return test_summary("test_fig");
}
