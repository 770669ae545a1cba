/* fig_cairo.c — the drawing half of figures (see fig.h): one geometry pass
 * (fig_layout and fig_render share it, so a test can ask where a plot area
 * lands) and the drawing through cairo onto an image (PNG), SVG or PDF
 * surface. Everything is drawn in device units with an identity matrix, so
 * an SVG's path coordinates are the picture's coordinates. Text sizes scale
 * with the picture: 16 px text at 960 × 640. */
#include "fig.h"
#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "noether/afile.h"
#include "noether/util.h"

#define FONT "DejaVu Sans"

struct geom {
	double fs;                         /* text size */
	double title_h;                    /* figure title band */
	struct fig_rect plot[FIG_MAX_PANELS];
	double legend_x;                   /* left edge of the legends */
	struct { double lo, hi; } xr[FIG_MAX_PANELS], yr[FIG_MAX_PANELS];
	int npts[FIG_MAX_PANELS];
};

/* ---- text ------------------------------------------------------------------- */

static void set_font(cairo_t *cr, double size, int bold)
{
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
}

static double text_w(cairo_t *cr, const char *s)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	return e.x_advance;
}

/* A tick label: log decades typeset as 10 with a raised exponent, others as
 * plain text. Measures when draw is 0; draws with its left end at x and its
 * baseline at y otherwise. Returns the width. */
static double tick_text(cairo_t *cr, enum fig_scale s, double v, double step, double fs, double x, double y, int draw)
{
	char buf[32];
	fig_tick_label(s, v, step, buf, sizeof buf);
	if (s == FIG_LOG && buf[0] == '1' && buf[1] == 'e') {
		int d = atoi(buf + 2);
		char ex[16];
		if (d < 0)
			snprintf(ex, sizeof ex, "\xe2\x88\x92%d", -d);   /* U+2212 minus */
		else
			snprintf(ex, sizeof ex, "%d", d);
		set_font(cr, fs, 0);
		double w1 = text_w(cr, "10");
		if (draw) {
			cairo_move_to(cr, x, y);
			cairo_show_text(cr, "10");
		}
		set_font(cr, 0.7 * fs, 0);
		double w2 = text_w(cr, ex);
		if (draw) {
			cairo_move_to(cr, x + w1 + 0.05 * fs, y - 0.45 * fs);
			cairo_show_text(cr, ex);
		}
		set_font(cr, fs, 0);
		return w1 + 0.05 * fs + w2;
	}
	set_font(cr, fs, 0);
	if (draw) {
		cairo_move_to(cr, x, y);
		cairo_show_text(cr, buf);
	}
	return text_w(cr, buf);
}

static int axis_ticks(const struct fig_axis *ax, double lo, double hi, double len, double fs, double *v, double *step)
{
	/* room: one label every 5 text sizes along x, every 2.2 along y (the
	 * caller passes the axis length already divided accordingly) */
	int max = (int)(len / fs);
	if (max < 2)
		max = 2;
	return fig_ticks(ax->scale, lo, hi, max, v, step);
}

/* ---- geometry ------------------------------------------------------------- */

static void geometry(cairo_t *cr, const struct fig *f, double W, double H, struct geom *g)
{
	memset(g, 0, sizeof *g);
	double fs = fmin(W, 1.5 * H) / 60;
	fs = fs < 8 ? 8 : fs > 28 ? 28 : fs;
	g->fs = fs;
	double pad = 0.8 * fs;
	g->title_h = f->title[0] ? 1.9 * fs : 0;
	int np = f->npanels;
	double ph = (H - g->title_h - pad) / (np ? np : 1);
	/* rows first: each panel's title band, plot, tick labels and x title */
	for (int i = 0; i < np; i++) {
		const struct fig_panel *p = &f->panel[i];
		double top = g->title_h + pad + i * ph;
		double t = top + (p->title[0] ? 1.7 * fs : 0.5 * fs);
		double b = top + ph - 1.6 * fs - (p->x.title[0] ? 1.6 * fs : 0) - (i + 1 < np ? 0.6 * fs : 0);
		/* whole pixels, so the frame is crisp and a test can find it */
		g->plot[i].y = floor(t) + 0.5;
		g->plot[i].h = fmax(10, floor(b - t));
	}
	/* then columns: the widest y tick label of any panel and the y title on
	 * the left, the widest legend entry on the right */
	double left = 0, legend = 0;
	for (int i = 0; i < np; i++) {
		const struct fig_panel *p = &f->panel[i];
		g->npts[i] = fig_axis_range(p, 1, &g->yr[i].lo, &g->yr[i].hi);
		fig_axis_range(p, 0, &g->xr[i].lo, &g->xr[i].hi);
		double v[FIG_MAX_TICKS], st;
		int n = axis_ticks(&p->y, g->yr[i].lo, g->yr[i].hi, g->plot[i].h / 2.2, fs, v, &st);
		double w = 0;
		for (int k = 0; k < n; k++)
			w = fmax(w, tick_text(cr, p->y.scale, v[k], st, fs, 0, 0, 0));
		w += 0.7 * fs + (p->y.title[0] ? 1.8 * fs : 0);
		left = fmax(left, w);
		set_font(cr, 0.9 * fs, 0);
		for (int k = 0; k < p->nseries; k++)
			if (p->series[k].label[0])
				legend = fmax(legend, 3.2 * fs + text_w(cr, p->series[k].label));
	}
	if (legend > 0.4 * W)
		legend = 0.4 * W;
	left += pad;
	double right = legend > 0 ? legend + pad : pad + 0.5 * fs;
	g->legend_x = W - right + 0.6 * fs;
	for (int i = 0; i < np; i++) {
		g->plot[i].x = floor(left) + 0.5;
		g->plot[i].w = fmax(10, floor(W - right - left));
	}
}

static cairo_t *scratch(cairo_surface_t **sf)
{
	*sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
	cairo_t *cr = cairo_create(*sf);
	cairo_font_options_t *o = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(o, CAIRO_HINT_METRICS_OFF);
	cairo_set_font_options(cr, o);
	cairo_font_options_destroy(o);
	return cr;
}

int fig_layout(const struct fig *f, double W, double H, struct fig_rect *plot)
{
	if (!(W >= FIG_MIN_SIZE && W <= FIG_MAX_SIZE && H >= FIG_MIN_SIZE && H <= FIG_MAX_SIZE))
		return -1;
	cairo_surface_t *sf;
	cairo_t *cr = scratch(&sf);
	struct geom g;
	geometry(cr, f, W, H, &g);
	cairo_destroy(cr);
	cairo_surface_destroy(sf);
	for (int i = 0; i < f->npanels; i++)
		plot[i] = g.plot[i];
	return f->npanels;
}

/* ---- drawing ----------------------------------------------------------------- */

static void rgb(cairo_t *cr, unsigned c)
{
	cairo_set_source_rgb(cr, ((c >> 16) & 255) / 255.0, ((c >> 8) & 255) / 255.0, (c & 255) / 255.0);
}

static void set_dash(cairo_t *cr, enum fig_dash d, double fs)
{
	double u = fs / 16;
	double dashed[] = { 7 * u, 4 * u }, dotted[] = { 1.5 * u, 3 * u }, dashdot[] = { 7 * u, 3 * u, 1.5 * u, 3 * u };
	switch (d) {
	case FIG_DASHED: cairo_set_dash(cr, dashed, 2, 0); break;
	case FIG_DOTTED: cairo_set_dash(cr, dotted, 2, 0); break;
	case FIG_DASHDOT: cairo_set_dash(cr, dashdot, 4, 0); break;
	default: cairo_set_dash(cr, NULL, 0, 0); break;
	}
	cairo_set_line_cap(cr, d == FIG_DOTTED ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT);
}

static void marker(cairo_t *cr, char m, double x, double y, double r)
{
	cairo_new_path(cr);
	switch (m) {
	case 'o': cairo_arc(cr, x, y, r, 0, 2 * M_PI); cairo_stroke(cr); break;
	case '*': cairo_arc(cr, x, y, r, 0, 2 * M_PI); cairo_fill(cr); break;
	case 's': cairo_rectangle(cr, x - r, y - r, 2 * r, 2 * r); cairo_stroke(cr); break;
	case 'x':
		cairo_move_to(cr, x - r, y - r); cairo_line_to(cr, x + r, y + r);
		cairo_move_to(cr, x - r, y + r); cairo_line_to(cr, x + r, y - r);
		cairo_stroke(cr);
		break;
	default:
		cairo_move_to(cr, x - r, y); cairo_line_to(cr, x + r, y);
		cairo_move_to(cr, x, y - r); cairo_line_to(cr, x, y + r);
		cairo_stroke(cr);
		break;
	}
}

static void draw_series(cairo_t *cr, const struct fig_panel *p, const struct fig_series *s, const struct fig_rect *r,
                        double xlo, double xhi, double ylo, double yhi, double fs)
{
	double u = fs / 16;
	rgb(cr, s->style.rgb);
	if (s->style.width > 0) {
		cairo_set_line_width(cr, s->style.width * u);
		cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
		set_dash(cr, s->style.dash, fs);
		cairo_new_path(cr);
		int pen = 0;
		for (int i = 0; i < s->n; i++) {
			double fx = fig_axis_frac(p->x.scale, xlo, xhi, s->x[i]);
			double fy = fig_axis_frac(p->y.scale, ylo, yhi, s->y[i]);
			if (isnan(fx) || isnan(fy)) {
				pen = 0;
				continue;
			}
			double X = r->x + fx * r->w, Y = r->y + (1 - fy) * r->h;
			if (pen)
				cairo_line_to(cr, X, Y);
			else
				cairo_move_to(cr, X, Y);
			pen = 1;
		}
		cairo_stroke(cr);
	}
	if (s->style.marker) {
		cairo_set_line_width(cr, 1.5 * u);
		set_dash(cr, FIG_SOLID, fs);
		for (int i = 0; i < s->n; i++) {
			double fx = fig_axis_frac(p->x.scale, xlo, xhi, s->x[i]);
			double fy = fig_axis_frac(p->y.scale, ylo, yhi, s->y[i]);
			if (!isnan(fx) && !isnan(fy))
				marker(cr, s->style.marker, r->x + fx * r->w, r->y + (1 - fy) * r->h, 0.3 * fs);
		}
	}
}

static void draw_panel(cairo_t *cr, const struct fig_panel *p, const struct geom *g, int i)
{
	const struct fig_rect *r = &g->plot[i];
	double fs = g->fs, u = fs / 16;
	double xlo = g->xr[i].lo, xhi = g->xr[i].hi, ylo = g->yr[i].lo, yhi = g->yr[i].hi;
	double xv[FIG_MAX_TICKS], yv[FIG_MAX_TICKS], xst, yst;
	int nx = axis_ticks(&p->x, xlo, xhi, r->w / 5, fs, xv, &xst);
	int ny = axis_ticks(&p->y, ylo, yhi, r->h / 2.2, fs, yv, &yst);

	/* grid at the ticks */
	cairo_set_line_width(cr, 1);
	set_dash(cr, FIG_SOLID, fs);
	rgb(cr, 0xdddddd);
	for (int k = 0; k < nx; k++) {
		double X = floor(r->x + fig_axis_frac(p->x.scale, xlo, xhi, xv[k]) * r->w) + 0.5;
		cairo_move_to(cr, X, r->y);
		cairo_line_to(cr, X, r->y + r->h);
	}
	for (int k = 0; k < ny; k++) {
		double Y = floor(r->y + (1 - fig_axis_frac(p->y.scale, ylo, yhi, yv[k])) * r->h) + 0.5;
		cairo_move_to(cr, r->x, Y);
		cairo_line_to(cr, r->x + r->w, Y);
	}
	cairo_stroke(cr);

	/* series, clipped to the plot area */
	cairo_save(cr);
	cairo_rectangle(cr, r->x, r->y, r->w, r->h);
	cairo_clip(cr);
	for (int k = 0; k < p->nseries; k++)
		draw_series(cr, p, &p->series[k], r, xlo, xhi, ylo, yhi, fs);
	cairo_restore(cr);
	if (g->npts[i] == 0) {
		const char *note = p->note[0] ? p->note : "nothing to plot";
		set_font(cr, fs, 0);
		rgb(cr, 0x555555);
		cairo_move_to(cr, r->x + (r->w - text_w(cr, note)) / 2, r->y + r->h / 2);
		cairo_show_text(cr, note);
	}

	/* frame, tick marks and labels */
	rgb(cr, 0x000000);
	cairo_set_line_width(cr, 1);
	set_dash(cr, FIG_SOLID, fs);
	cairo_rectangle(cr, r->x, r->y, r->w, r->h);
	cairo_stroke(cr);
	double tl = 0.4 * fs;
	cairo_set_line_width(cr, 1);
	for (int k = 0; k < nx; k++) {
		double X = floor(r->x + fig_axis_frac(p->x.scale, xlo, xhi, xv[k]) * r->w) + 0.5;
		cairo_move_to(cr, X, r->y + r->h);
		cairo_line_to(cr, X, r->y + r->h + tl);
		cairo_stroke(cr);
		double w = tick_text(cr, p->x.scale, xv[k], xst, fs, 0, 0, 0);
		tick_text(cr, p->x.scale, xv[k], xst, fs, X - w / 2, r->y + r->h + tl + 1.05 * fs, 1);
	}
	for (int k = 0; k < ny; k++) {
		double Y = floor(r->y + (1 - fig_axis_frac(p->y.scale, ylo, yhi, yv[k])) * r->h) + 0.5;
		cairo_move_to(cr, r->x - tl, Y);
		cairo_line_to(cr, r->x, Y);
		cairo_stroke(cr);
		double w = tick_text(cr, p->y.scale, yv[k], yst, fs, 0, 0, 0);
		tick_text(cr, p->y.scale, yv[k], yst, fs, r->x - tl - 0.3 * fs - w, Y + 0.35 * fs, 1);
	}
	/* minor ticks at 2..9 × 10^d when every decade is labelled */
	if (p->y.scale == FIG_LOG && yst == 1 && r->h / (log10(yhi) - log10(ylo)) > 3 * fs) {
		for (double d = floor(log10(ylo)); d < log10(yhi); d++)
			for (int m = 2; m <= 9; m++) {
				double fy = fig_axis_frac(FIG_LOG, ylo, yhi, m * pow(10, d));
				if (fy > 0 && fy < 1) {
					double Y = r->y + (1 - fy) * r->h;
					cairo_move_to(cr, r->x - tl / 2, Y);
					cairo_line_to(cr, r->x, Y);
				}
			}
		cairo_stroke(cr);
	}
	if (p->x.scale == FIG_LOG && xst == 1 && r->w / (log10(xhi) - log10(xlo)) > 3 * fs) {
		for (double d = floor(log10(xlo)); d < log10(xhi); d++)
			for (int m = 2; m <= 9; m++) {
				double fx = fig_axis_frac(FIG_LOG, xlo, xhi, m * pow(10, d));
				if (fx > 0 && fx < 1) {
					double X = r->x + fx * r->w;
					cairo_move_to(cr, X, r->y + r->h);
					cairo_line_to(cr, X, r->y + r->h + tl / 2);
				}
			}
		cairo_stroke(cr);
	}

	/* titles */
	if (p->title[0]) {
		set_font(cr, 1.05 * fs, 1);
		cairo_move_to(cr, r->x, r->y - 0.55 * fs);
		cairo_show_text(cr, p->title);
	}
	set_font(cr, fs, 0);
	if (p->x.title[0]) {
		double w = text_w(cr, p->x.title);
		cairo_move_to(cr, r->x + (r->w - w) / 2, r->y + r->h + tl + 2.5 * fs);
		cairo_show_text(cr, p->x.title);
	}
	if (p->y.title[0]) {
		double w = text_w(cr, p->y.title);
		cairo_save(cr);
		cairo_move_to(cr, 0.8 * fs + 1.0 * fs, r->y + (r->h + w) / 2);   /* pad + ascent */
		cairo_rotate(cr, -M_PI / 2);
		cairo_show_text(cr, p->y.title);
		cairo_restore(cr);
	}

	/* legend, right of the plot: a sample of each style, then the label */
	double lx = g->legend_x, ly = r->y + 0.9 * fs;
	for (int k = 0; k < p->nseries; k++) {
		const struct fig_series *s = &p->series[k];
		if (!s->label[0])
			continue;
		if (ly > r->y + r->h)
			break;                     /* no room: the rest would fall off the panel */
		rgb(cr, s->style.rgb);
		if (s->style.width > 0) {
			cairo_set_line_width(cr, s->style.width * u);
			set_dash(cr, s->style.dash, fs);
			cairo_move_to(cr, lx, ly - 0.3 * fs);
			cairo_line_to(cr, lx + 2.2 * fs, ly - 0.3 * fs);
			cairo_stroke(cr);
		}
		if (s->style.marker) {
			cairo_set_line_width(cr, 1.5 * u);
			set_dash(cr, FIG_SOLID, fs);
			marker(cr, s->style.marker, lx + 1.1 * fs, ly - 0.3 * fs, 0.3 * fs);
		}
		rgb(cr, 0x000000);
		set_font(cr, 0.9 * fs, 0);
		cairo_move_to(cr, lx + 2.6 * fs, ly);
		cairo_show_text(cr, s->label);
		ly += 1.45 * fs;
	}
}

static cairo_status_t write_fn(void *closure, const unsigned char *data, unsigned int n)
{
	FILE *f = closure;
	return fwrite(data, 1, n, f) == n ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static void draw(cairo_t *cr, const struct fig *f, double W, double H)
{
	cairo_font_options_t *o = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(o, CAIRO_HINT_METRICS_OFF);
	cairo_set_font_options(cr, o);
	cairo_font_options_destroy(o);
	struct geom g;
	geometry(cr, f, W, H, &g);
	rgb(cr, 0xffffff);
	cairo_paint(cr);
	if (f->title[0]) {
		set_font(cr, 1.2 * g.fs, 1);
		rgb(cr, 0x000000);
		cairo_move_to(cr, (W - text_w(cr, f->title)) / 2, 1.45 * g.fs);
		cairo_show_text(cr, f->title);
	}
	for (int i = 0; i < f->npanels; i++)
		draw_panel(cr, &f->panel[i], &g, i);
}

int fig_render(const struct fig *f, const char *path, enum fig_format fmt, int W, int H, char *err, size_t len)
{
	if (W < FIG_MIN_SIZE || W > FIG_MAX_SIZE || H < FIG_MIN_SIZE || H > FIG_MAX_SIZE)
		return nt_err(err, len, NT_ERANGE, "figure size %d×%d out of range %d..%d", W, H, FIG_MIN_SIZE, FIG_MAX_SIZE);
	if (f->npanels == 0)
		return nt_err(err, len, NT_EINVAL, "figure: nothing to draw");
	struct afile a;
	int rc = afile_open(&a, path, "wb", "export plot", err, len);
	if (rc)
		return rc;
	cairo_surface_t *sf;
	if (fmt == FIG_PNG)
		sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
	else if (fmt == FIG_SVG)
		sf = cairo_svg_surface_create_for_stream(write_fn, a.f, W, H);
	else
		sf = cairo_pdf_surface_create_for_stream(write_fn, a.f, W, H);
	cairo_t *cr = cairo_create(sf);
	draw(cr, f, W, H);
	cairo_status_t st = cairo_status(cr);
	cairo_destroy(cr);
	if (st == CAIRO_STATUS_SUCCESS && fmt == FIG_PNG)
		st = cairo_surface_write_to_png_stream(sf, write_fn, a.f);
	cairo_surface_finish(sf);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(sf);
	cairo_surface_destroy(sf);
	if (st != CAIRO_STATUS_SUCCESS) {
		afile_abort(&a);
		return nt_err(err, len, NT_EIO, "export plot: drawing '%s' failed: %s", path, cairo_status_to_string(st));
	}
	return afile_commit(&a, "export plot", err, len);
}

void fig_release(void)
{
	cairo_debug_reset_static_data();
	FcFini();
}
