/* ui_draw.c — composes one frame of the screen from the view and the layout
 * (the "draw" half of update/draw).
 *
 * Everything is drawn into stdscr after one erase and flushed once by the
 * caller's wnoutrefresh + doupdate, so curses sends only the changed cells.
 * Text is clipped to its rectangle by display columns (UTF-8 aware); in ASCII
 * mode it is transliterated first. Meaning is never carried by colour alone:
 * panels have titles, plot series have legend marks and end tags, the run
 * state and errors are spelled out. */
#include <curses.h>
#include <math.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <readline/readline.h>
#include "noether/util.h"
#include "ui_keys.h"
#include "ui_screen.h"

const char *const ui_theme_names[UI_THEME_COUNT] = { "dark", "light", "mono", "contrast" };

/* ---- theme ---------------------------------------------------------------- */

static void pair(short n, short fg, short bg) { init_pair(n, fg, bg); }

void ui_theme_apply(struct ui *u)
{
	unsigned long *a = u->attr;
	int t = u->theme;
	if (!u->can_color && t != UI_THEME_MONO)
		t = UI_THEME_MONO;
	for (int i = 0; i < UI_R_COUNT; i++)
		a[i] = A_NORMAL;
	bkgdset(' ' | A_NORMAL);
	if (t == UI_THEME_MONO) {
		a[UI_R_TITLE] = A_BOLD;
		a[UI_R_LAW] = A_BOLD;
		a[UI_R_CLAIM] = A_UNDERLINE;
		a[UI_R_ERROR] = A_BOLD | A_REVERSE;
		a[UI_R_STATUS] = A_REVERSE;
		a[UI_R_DIM] = A_DIM;
		a[UI_R_KEY] = A_BOLD;
		a[UI_R_CAPTION] = A_BOLD;
		a[UI_R_BIG] = A_BOLD;
		if (u->theme == UI_THEME_CONTRAST)
			a[UI_R_NORMAL] = A_BOLD;
		u->full_redraw = 1;
		return;
	}
	short bg = -1, fg = -1;
	if (t == UI_THEME_LIGHT) {
		bg = COLOR_WHITE;
		fg = COLOR_BLACK;
	} else if (t == UI_THEME_CONTRAST) {
		bg = COLOR_BLACK;
		fg = COLOR_WHITE;
	}
	int light = t == UI_THEME_LIGHT, hc = t == UI_THEME_CONTRAST;
	pair(1, fg, bg);
	pair(2, light ? COLOR_BLUE : hc ? COLOR_WHITE : COLOR_CYAN, bg);
	pair(3, COLOR_GREEN, bg);
	pair(4, COLOR_RED, bg);
	pair(5, light ? COLOR_MAGENTA : COLOR_YELLOW, bg);
	pair(6, light ? COLOR_BLUE : COLOR_CYAN, bg);
	pair(7, COLOR_MAGENTA, bg);
	pair(8, COLOR_WHITE, COLOR_RED);
	pair(9, light ? COLOR_WHITE : COLOR_BLACK, light ? COLOR_BLUE : hc ? COLOR_YELLOW : COLOR_CYAN);
	pair(10, light ? COLOR_BLUE : hc ? COLOR_YELLOW : COLOR_YELLOW, bg);
	unsigned long bold = hc ? A_BOLD : 0;
	a[UI_R_NORMAL] = COLOR_PAIR(1) | bold;
	a[UI_R_TITLE] = COLOR_PAIR(2) | A_BOLD;
	a[UI_R_LAW] = COLOR_PAIR(3) | bold;
	a[UI_R_CLAIM] = COLOR_PAIR(4) | bold;
	a[UI_R_CONTRAST] = COLOR_PAIR(5) | bold;
	a[UI_R_BUDGET] = COLOR_PAIR(6) | bold;
	a[UI_R_LOSS] = COLOR_PAIR(7) | bold;
	a[UI_R_ERROR] = COLOR_PAIR(8) | A_BOLD;
	a[UI_R_STATUS] = COLOR_PAIR(9);
	a[UI_R_DIM] = hc ? COLOR_PAIR(1) : (COLOR_PAIR(1) | A_DIM);
	a[UI_R_KEY] = COLOR_PAIR(10) | A_BOLD;
	a[UI_R_CAPTION] = COLOR_PAIR(10) | A_BOLD;
	a[UI_R_BIG] = COLOR_PAIR(3) | A_BOLD;
	if (bg != -1)
		bkgdset(' ' | COLOR_PAIR(1));
	u->full_redraw = 1;
}

/* ---- text ----------------------------------------------------------------- */

static char tbuf[2048];

/* Writes s at (y,x) clipped to w columns; returns the columns used. */
static int put(struct ui *u, int y, int x, int w, unsigned long attr, const char *s)
{
	if (w <= 0)
		return 0;
	if (u->ascii) {
		ui_to_ascii(s, tbuf, sizeof tbuf);
		s = tbuf;
	}
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t bytes = 0;
	int cols = 0;
	while (s[bytes]) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + bytes, MB_CUR_MAX, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			n = 1;
			wc = '?';
			memset(&st, 0, sizeof st);
		}
		int cw = wcwidth(wc);
		if (cw < 0)
			cw = 1;
		if (cols + cw > w)
			break;
		cols += cw;
		bytes += n;
	}
	attrset(attr);
	mvaddnstr(y, x, s, (int)bytes);
	return cols;
}

static int putf(struct ui *u, int y, int x, int w, unsigned long attr, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static int putf(struct ui *u, int y, int x, int w, unsigned long attr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return put(u, y, x, w, attr, buf);
}

/* Display columns of a UTF-8 string (after transliteration in ASCII mode). */
static int text_width(struct ui *u, const char *s)
{
	char tmp[1024];
	if (u->ascii) {
		ui_to_ascii(s, tmp, sizeof tmp);
		return (int)strlen(tmp);
	}
	mbstate_t st;
	memset(&st, 0, sizeof st);
	int cols = 0;
	for (size_t i = 0; s[i];) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + i, MB_CUR_MAX, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			n = 1;
			wc = '?';
			memset(&st, 0, sizeof st);
		}
		int cw = wcwidth(wc);
		cols += cw < 0 ? 1 : cw;
		i += n;
	}
	return cols;
}

static void fill(int y, int x, int w, unsigned long attr)
{
	attrset(attr);
	mvhline(y, x, ' ', w);
}

static void frame_box(struct ui *u, const struct ui_rect *r, unsigned long attr)
{
	attrset(attr);
	if (u->ascii) {
		mvhline(r->y, r->x + 1, '-', r->w - 2);
		mvhline(r->y + r->h - 1, r->x + 1, '-', r->w - 2);
		mvvline(r->y + 1, r->x, '|', r->h - 2);
		mvvline(r->y + 1, r->x + r->w - 1, '|', r->h - 2);
		mvaddch(r->y, r->x, '+');
		mvaddch(r->y, r->x + r->w - 1, '+');
		mvaddch(r->y + r->h - 1, r->x, '+');
		mvaddch(r->y + r->h - 1, r->x + r->w - 1, '+');
	} else {
		mvhline(r->y, r->x + 1, ACS_HLINE, r->w - 2);
		mvhline(r->y + r->h - 1, r->x + 1, ACS_HLINE, r->w - 2);
		mvvline(r->y + 1, r->x, ACS_VLINE, r->h - 2);
		mvvline(r->y + 1, r->x + r->w - 1, ACS_VLINE, r->h - 2);
		mvaddch(r->y, r->x, ACS_ULCORNER);
		mvaddch(r->y, r->x + r->w - 1, ACS_URCORNER);
		mvaddch(r->y + r->h - 1, r->x, ACS_LLCORNER);
		mvaddch(r->y + r->h - 1, r->x + r->w - 1, ACS_LRCORNER);
	}
}

/* Box with a title in the top border. */
static void panel_box(struct ui *u, const struct ui_rect *r, const char *title, unsigned long tattr)
{
	frame_box(u, r, u->attr[UI_R_DIM]);
	int x = r->x + 2;
	x += put(u, r->y, x, r->w - 4, u->attr[UI_R_NORMAL], " ");
	x += put(u, r->y, x, r->x + r->w - 3 - x, tattr, title);
	put(u, r->y, x, r->x + r->w - 2 - x, u->attr[UI_R_NORMAL], " ");
}

/* ---- quantity panels ------------------------------------------------------ */

/* Writes s in w columns; when too long keeps its end (the distinctive part of
 * "layer2.relu.n17") after an ellipsis. */
static void put_tail(struct ui *u, int y, int x, int w, unsigned long attr, const char *s)
{
	if (w <= 0)
		return;
	if (text_width(u, s) <= w) {
		put(u, y, x, w, attr, s);
		return;
	}
	const char *ell = u->ascii ? "~" : "…";
	const char *p = s;
	while (*p && text_width(u, p) > w - 1) {
		p++;
		while ((*p & 0xc0) == 0x80)
			p++;
	}
	int used = put(u, y, x, 1, attr, ell);
	put(u, y, x + used, w - used, attr, p);
}

static void right(struct ui *u, int y, int x, int w, unsigned long attr, const char *s)
{
	int tw = text_width(u, s);
	if (tw > w)
		tw = w;
	put(u, y, x + w - tw, tw, attr, s);
}

static void spark_cells(struct ui *u, const struct quantity *q, int y, int x, int w, unsigned long attr)
{
	int n = w < UI_SPARK_MAX ? w : UI_SPARK_MAX;
	int m = ui_quantity_history(u->ctx->s, q, n, u->spark);
	attrset(attr);
	move(y, x);
	for (int i = 0; i < m; i++)
		addstr(u->ascii ? ui_spark_glyph(ui_spark_level(u->spark[i], -16, 0), 1)
		                : ui_spark_glyph(ui_spark_level(u->spark[i], -16, 0), 0));
}

static void qrow(struct ui *u, const struct ui_rect *r, int y, const struct ui_columns *c,
                 const struct ui_qrow *row, unsigned long attr, const char *prefix)
{
	char nb[160], b[32];
	int x = r->x + 1;
	snprintf(nb, sizeof nb, "%s%s", prefix, row->q->name);
	put_tail(u, y, x, c->name_w - 1, attr, nb);
	x += c->name_w;
	if (c->show_h0) {
		ui_fmt_value(b, sizeof b, row->h0);
		right(u, y, x, 10, u->attr[UI_R_NORMAL], b);
		x += 10;
	}
	if (c->show_hk) {
		ui_fmt_value(b, sizeof b, row->hk);
		right(u, y, x, 10, u->attr[UI_R_NORMAL], b);
		x += 10;
	}
	ui_fmt_sci(b, sizeof b, row->rel);
	right(u, y, x, 10, attr, b);
	x += 10;
	if (c->spark_w > 0)
		spark_cells(u, row->q, y, x + 1, c->spark_w, attr);
}

static void col_header(struct ui *u, const struct ui_rect *r, const struct ui_columns *c, const char *name)
{
	int y = r->y + 1, x = r->x + 1;
	unsigned long a = u->attr[UI_R_DIM];
	put(u, y, x, c->name_w, a, name);
	x += c->name_w;
	if (c->show_h0) {
		right(u, y, x, 10, a, "h(θ0)");
		x += 10;
	}
	if (c->show_hk) {
		right(u, y, x, 10, a, "h(θk)");
		x += 10;
	}
	right(u, y, x, 10, a, "rel drift");
	x += 10;
	if (c->spark_w > 0)
		put(u, y, x + 1, c->spark_w, a, "log10 drift");
}

static void draw_laws(struct ui *u)
{
	const struct ui_rect *r = &u->lay.laws;
	const struct ui_view *v = &u->view;
	char title[128], b[32], b2[32];
	if (r->h == 0)
		return;
	if (v->nlaw)
		snprintf(title, sizeof title, "CONSERVED · %d law%s, checked", v->nlaw, v->nlaw == 1 ? "" : "s");
	else
		snprintf(title, sizeof title, "CONSERVED · none");
	panel_box(u, r, title, u->attr[UI_R_TITLE]);
	struct ui_columns c;
	ui_layout_columns(r->w - 2, (u->visible >> UI_P_VALUES) & 1, (u->visible >> UI_P_SPARK) & 1, &c);
	col_header(u, r, &c, "law");
	int y = r->y + 2, last = r->y + r->h - 2;   /* last content row is the footer */
	int total = v->nlaw + v->nclaim + (v->nlaw == 0);
	int room = last - y;
	int shown = 0;
	if (v->nlaw == 0) {
		put(u, y++, r->x + 1, r->w - 2, u->attr[UI_R_TITLE], "no conservation laws");
		shown++;
	}
	for (int i = 0; i < v->nlaw && y < last; i++, shown++) {
		if (shown == room - 1 && total > room)
			break;
		qrow(u, r, y++, &c, &v->law[i], u->attr[UI_R_LAW], "");
	}
	for (int i = 0; i < v->nclaim && y < last; i++, shown++) {
		if (shown == room - 1 && total > room)
			break;
		char nb[200];
		ui_fmt_sci(b, sizeof b, v->claim[i].q->rate);
		snprintf(nb, sizeof nb, "claimed — fails (rate %s): %s", b, v->claim[i].q->name);
		put(u, y++, r->x + 1, r->w - 2, u->attr[UI_R_CLAIM], nb);
	}
	if (shown < total)
		putf(u, y, r->x + 1, r->w - 2, u->attr[UI_R_DIM], "… %d more (command: laws)", total - shown);
	if (v->nlaw) {
		ui_fmt_sci(b, sizeof b, v->max_law_rel);
		ui_fmt_sci(b2, sizeof b2, v->eps_laws);
		putf(u, last, r->x + 1, r->w - 2, u->attr[UI_R_NORMAL], "max %s  ε %s", b, b2);
	}
}

static void draw_contrast(struct ui *u)
{
	const struct ui_rect *r = &u->lay.contrast;
	const struct ui_view *v = &u->view;
	char title[128], b[32];
	if (r->h == 0)
		return;
	snprintf(title, sizeof title, "CONTRAST · not conserved (%d)", v->ncontrast);
	panel_box(u, r, title, u->attr[UI_R_TITLE]);
	struct ui_columns c;
	ui_layout_columns(r->w - 2, (u->visible >> UI_P_VALUES) & 1, (u->visible >> UI_P_SPARK) & 1, &c);
	col_header(u, r, &c, "quantity");
	int y = r->y + 2, last = r->y + r->h - 2;
	int room = last - y;
	int i;
	for (i = 0; i < v->ncontrast && y < last; i++) {
		if (i == room - 1 && v->ncontrast > room)
			break;
		qrow(u, r, y++, &c, &v->contrast[i], u->attr[UI_R_CONTRAST], "");
	}
	if (i < v->ncontrast)
		putf(u, y, r->x + 1, r->w - 2, u->attr[UI_R_DIM], "… %d more (command: laws)", v->ncontrast - i);
	if (v->max_contrast_rel >= 0) {
		ui_fmt_sci(b, sizeof b, v->max_contrast_rel);
		putf(u, last, r->x + 1, r->w - 2, u->attr[UI_R_NORMAL], "max change %s", b);
	}
}

/* ---- plots ---------------------------------------------------------------- */

static void range_of(const double *v, int n, double *lo, double *hi)
{
	for (int i = 0; i < n; i++)
		if (v[i] > 0 && isfinite(v[i])) {
			double l = log10(v[i]);
			if (l < *lo)
				*lo = l;
			if (l > *hi)
				*hi = l;
		}
}

/* Plots series (n points at steps sx) as lines on the canvas; returns the
 * canvas row of the last point, or -1. */
static int plot_series(struct ui_canvas *cv, const double *sx, const double *v, int n,
                       double lo, double hi, int series, int dotted)
{
	int W = ui_canvas_width(cv), H = ui_canvas_height(cv);
	double x0 = sx[0], x1 = sx[n - 1];
	int px = -1, py = -1, lasty = -1;
	for (int i = 0; i < n; i++) {
		if (!(v[i] > 0) || !isfinite(v[i])) {
			px = -1;
			continue;
		}
		int x = x1 > x0 ? (int)((sx[i] - x0) / (x1 - x0) * (W - 1) + 0.5) : 0;
		double f = (log10(v[i]) - lo) / (hi - lo);
		int y = (int)((1 - f) * (H - 1) + 0.5);
		if (px >= 0)
			ui_canvas_line(cv, px, py, x, y, series, dotted);
		else
			ui_canvas_dot(cv, x, y, series);
		px = x;
		py = y;
		lasty = y / cv->py;
	}
	return lasty;
}

struct plot_spec {
	const char *title;
	int nseries;
	const double *v[3];
	unsigned long attr[3];
	const char *legend[3];
	const char *tag[3];
	int dotted[3];
};

static void draw_plot(struct ui *u, const struct ui_rect *r, const struct plot_spec *ps, int n)
{
	panel_box(u, r, ps->title, u->attr[UI_R_TITLE]);
	/* legend after the title */
	int x = r->x + 4 + text_width(u, ps->title);
	for (int k = 0; k < ps->nseries; k++) {
		char lg[64];
		snprintf(lg, sizeof lg, " %s %s ", ps->tag[k], ps->legend[k]);
		x += put(u, r->y, x, r->x + r->w - 2 - x, ps->attr[k], lg);
	}
	const int lab = 6, tagw = 2;
	int cw = r->w - 2 - lab - tagw, ch = r->h - 3;
	if (cw < 4 || ch < 2)
		return;
	struct ui_canvas *cv = &u->canvas;
	ui_canvas_resize(cv, cw, ch, u->glyphs);
	if (n <= 0) {
		put(u, r->y + 1 + ch / 2, r->x + 1 + lab, cw, u->attr[UI_R_DIM], "no steps yet: press space or n");
		return;
	}
	double lo = INFINITY, hi = -INFINITY;
	for (int k = 0; k < ps->nseries; k++)
		range_of(ps->v[k], n, &lo, &hi);
	if (!(lo <= hi)) {
		lo = -1;
		hi = 0;
	}
	lo = floor(lo);
	hi = ceil(hi);
	if (hi - lo < 1)
		hi = lo + 1;
	if (hi - lo > 20)
		lo = hi - 20;
	int lasty[3];
	for (int k = 0; k < ps->nseries; k++)
		lasty[k] = plot_series(cv, u->sx, ps->v[k], n, lo, hi, k, ps->dotted[k]);
	char marks[4] = { 0 };
	for (int k = 0; k < ps->nseries; k++)
		marks[k] = ps->tag[k][0];
	char g[8];
	for (int cy = 0; cy < ch; cy++)
		for (int cx = 0; cx < cw; cx++) {
			int own = ui_canvas_glyph(cv, cx, cy, marks, g);
			if (!own)
				continue;
			attrset(own <= ps->nseries ? ps->attr[own - 1] : u->attr[UI_R_NORMAL]);
			mvaddstr(r->y + 1 + cy, r->x + 1 + lab + cx, g);
		}
	/* y labels at decades, at most one every other row */
	int lastrow = -2;
	for (int d = (int)hi; d >= (int)lo; d--) {
		int row = (int)((1 - (d - lo) / (hi - lo)) * (ch - 1) + 0.5);
		if (row - lastrow < 2)
			continue;
		char lb[16];
		snprintf(lb, sizeof lb, "1e%d", d);
		right(u, r->y + 1 + row, r->x + 1, lab - 1, u->attr[UI_R_DIM], lb);
		lastrow = row;
	}
	/* x labels: first and last step */
	char a[32], b[32];
	ui_fmt_count(a, sizeof a, (long)u->sx[0]);
	ui_fmt_count(b, sizeof b, (long)u->sx[n - 1]);
	int yb = r->y + r->h - 2;
	put(u, yb, r->x + 1 + lab, cw, u->attr[UI_R_DIM], a);
	right(u, yb, r->x + 1 + lab, cw, u->attr[UI_R_DIM], b);
	/* end tags, so series are told apart without colour */
	for (int k = 0; k < ps->nseries; k++)
		if (lasty[k] >= 0)
			put(u, r->y + 1 + lasty[k], r->x + 1 + lab + cw, tagw, ps->attr[k], ps->tag[k]);
}

static void draw_plots(struct ui *u)
{
	const struct session *s = u->ctx->s;
	const struct ui_rect *dr = &u->lay.drift, *lr = &u->lay.loss;
	if (dr->h > 0) {
		int pw = (dr->w - 10) * (u->glyphs == UI_G_BRAILLE ? 2 : 1);
		if (pw > UI_SERIES_MAX)
			pw = UI_SERIES_MAX;
		int n = pw >= 2 ? ui_series_sample(s, pw, u->sx, u->s1, u->s2, u->s3, NULL) : 0;
		struct plot_spec ps = {
			.title = "DRIFT (log)", .nseries = 3,
			.v = { u->s1, u->s2, u->s3 },
			.attr = { u->attr[UI_R_LAW], u->attr[UI_R_CONTRAST], u->attr[UI_R_BUDGET] },
			.legend = { "laws ε", "contrasts", "budget Σ τ²" },
			.tag = { "L", "C", "B" },
			.dotted = { 0, 0, 1 },
		};
		if (u->view.nlaw == 0)
			ps.legend[0] = "laws (none)";
		draw_plot(u, dr, &ps, n);
	}
	if (lr->h > 0) {
		int pw = (lr->w - 10) * (u->glyphs == UI_G_BRAILLE ? 2 : 1);
		if (pw > UI_SERIES_MAX)
			pw = UI_SERIES_MAX;
		int n = pw >= 2 ? ui_series_sample(s, pw, u->sx, NULL, NULL, NULL, u->s1) : 0;
		struct plot_spec ps = {
			.title = "LOSS (log)", .nseries = 1,
			.v = { u->s1 }, .attr = { u->attr[UI_R_LOSS] },
			.legend = { u->view.loss_name }, .tag = { "+" }, .dotted = { 0 },
		};
		draw_plot(u, lr, &ps, n);
	}
}

/* ---- lines ---------------------------------------------------------------- */

static void draw_summary(struct ui *u)
{
	const struct ui_rect *r = &u->lay.summary;
	if (r->h == 0)
		return;
	char b[512];
	snprintf(b, sizeof b, " %s │ loss %s │ D=%zu ", u->view.model, u->view.loss_name, u->view.params);
	int x = put(u, r->y, r->x, r->w, u->attr[UI_R_TITLE], "noether");
	put(u, r->y, r->x + x, r->w - x, u->attr[UI_R_NORMAL], b);
}

static void draw_caption(struct ui *u)
{
	const struct ui_rect *r = &u->lay.caption;
	if (r->h == 0)
		return;
	int tw = text_width(u, u->caption);
	int x = tw < r->w ? (r->w - tw) / 2 : 0;
	put(u, r->y, r->x + x, r->w - x, u->attr[UI_R_CAPTION], u->caption);
}

static void draw_big(struct ui *u)
{
	const struct ui_rect *r = &u->lay.big;
	if (r->h == 0)
		return;
	char step[32], drift[32], line[512];
	snprintf(step, sizeof step, "%ld", u->view.step);
	if (u->view.max_law_rel >= 0)
		snprintf(drift, sizeof drift, "%.1e", u->view.max_law_rel);
	else
		snprintf(drift, sizeof drift, "-");
	int half = r->w / 2;
	put(u, r->y, r->x + 1, 6, u->attr[UI_R_DIM], "step");
	put(u, r->y, r->x + half + 1, half - 2, u->attr[UI_R_DIM],
	    u->view.nlaw ? "worst law drift" : "no laws");
	for (int row = 0; row < UI_BIG_H; row++) {
		if (ui_big_row(step, row, u->ascii, line, sizeof line) <= half - 8)
			put(u, r->y + row, r->x + 7, half - 8, u->attr[UI_R_BIG], line);
		if (ui_big_row(drift, row, u->ascii, line, sizeof line) <= half - 18)
			put(u, r->y + row, r->x + half + 17, half - 18, u->attr[UI_R_LAW] | A_BOLD, line);
	}
}

static void draw_status(struct ui *u)
{
	const struct ui_rect *r = &u->lay.status;
	const struct ui_view *v = &u->view;
	char st[32], tau[32], rate[48], spf[32], b[768];
	fill(r->y, r->x, r->w, u->attr[UI_R_STATUS]);
	ui_fmt_count(st, sizeof st, v->step);
	ui_fmt_sci(tau, sizeof tau, v->tau);
	if (u->running && u->rate > 0)
		snprintf(rate, sizeof rate, " │ %.3g steps/s", u->rate);
	else
		rate[0] = '\0';
	if (u->spf > 0)
		snprintf(spf, sizeof spf, "%ld/frame", u->spf);
	else
		snprintf(spf, sizeof spf, "max speed");
	snprintf(b, sizeof b, " %s │ step %s │ τ %s%s │ %s │ %s │ %s │ %s%s",
	         u->running ? "RUNNING" : "PAUSED ", st, tau, rate, v->sched, v->opt, spf, v->seeds,
	         u->nreplay ? " │ replaying" : "");
	put(u, r->y, r->x, r->w, u->attr[UI_R_STATUS] | A_BOLD, b);
}

static void draw_hints(struct ui *u)
{
	const struct ui_rect *r = &u->lay.hints;
	static const char *const hint[][2] = {
		{ "space", "run/pause" }, { "n", "step" }, { "?", "help" }, { "q", "quit" },
		{ ":", "command" }, { "r", "reset" }, { "+-", "speed" }, { "[]", "τ" },
		{ "R", "reseed" }, { "1-9", "panels" }, { "p", "preset" },
	};
	if (r->h == 0)
		return;
	int x = r->x + 1;
	for (size_t i = 0; i < sizeof hint / sizeof hint[0]; i++) {
		int need = text_width(u, hint[i][0]) + text_width(u, hint[i][1]) + 3;
		if (x + need > r->x + r->w)
			break;
		x += put(u, r->y, x, r->w - x, u->attr[UI_R_KEY], hint[i][0]);
		x += put(u, r->y, x, r->w - x, u->attr[UI_R_DIM], " ");
		x += put(u, r->y, x, r->w - x, u->attr[UI_R_DIM], hint[i][1]);
		x += 2;
	}
}

static void draw_msg(struct ui *u)
{
	const struct ui_rect *r = &u->lay.msg;
	if (!u->msg[0])
		return;
	if (u->msg_error) {
		int x = put(u, r->y, r->x, r->w, u->attr[UI_R_ERROR], " error ");
		put(u, r->y, r->x + x + 1, r->w - x - 1, u->attr[UI_R_NORMAL], u->msg);
	} else {
		put(u, r->y, r->x, r->w, u->attr[UI_R_NORMAL], u->msg);
	}
}

/* The readline line: prompt, then the buffer scrolled so the point shows. */
static void draw_input(struct ui *u, int *cy, int *cx)
{
	const struct ui_rect *r = &u->lay.input;
	*cy = *cx = -1;
	if (!u->focus) {
		const char *h = u->nreplay ? "replaying: q quits" : ": command   ? help   q quit";
		put(u, r->y, r->x, r->w, u->attr[UI_R_DIM], h);
		return;
	}
	const char *prompt = (rl_display_prompt && rl_display_prompt[0]) ? rl_display_prompt : ": ";
	int px = put(u, r->y, r->x, r->w, u->attr[UI_R_KEY], prompt);
	const char *line = rl_line_buffer ? rl_line_buffer : "";
	int avail = r->w - px - 1;
	/* columns up to the point */
	char head[1024];
	size_t pt = (size_t)(rl_point < 0 ? 0 : rl_point);
	if (pt >= sizeof head)
		pt = sizeof head - 1;
	memcpy(head, line, pt);
	head[pt] = '\0';
	int pcol = text_width(u, head);
	/* skip whole characters from the left until the point fits */
	size_t off = 0;
	while (pcol > avail - 1 && line[off]) {
		size_t n = 1;
		while ((line[off + n] & 0xc0) == 0x80)
			n++;
		char one[8];
		memcpy(one, line + off, n < 7 ? n : 7);
		one[n < 7 ? n : 7] = '\0';
		pcol -= text_width(u, one);
		off += n;
	}
	put(u, r->y, r->x + px, avail, u->attr[UI_R_NORMAL], line + off);
	*cy = r->y;
	*cx = r->x + px + pcol;
}

/* ---- overlays ------------------------------------------------------------- */

static void overlay_lines(struct ui *u, const char *title, const char *text)
{
	const struct ui_rect *r = &u->lay.overlay;
	for (int y = r->y; y < r->y + r->h; y++)
		fill(y, r->x, r->w, u->attr[UI_R_NORMAL]);
	panel_box(u, r, title, u->attr[UI_R_TITLE]);
	int inner = r->h - 3;
	int nlines = 0;
	for (const char *p = text; *p; p++)
		nlines += *p == '\n';
	if (text[0] && text[strlen(text) - 1] != '\n')
		nlines++;
	if (u->overlay_scroll > nlines - inner)
		u->overlay_scroll = nlines - inner;
	if (u->overlay_scroll < 0)
		u->overlay_scroll = 0;
	const char *p = text;
	for (int skip = 0; skip < u->overlay_scroll && *p; p++)
		if (*p == '\n')
			skip++;
	char line[1024];
	for (int y = 0; y < inner && *p; y++) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n >= sizeof line)
			n = sizeof line - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		for (char *t = line; *t; t++)
			if (*t == '\t')
				*t = ' ';
		put(u, r->y + 1 + y, r->x + 2, r->w - 4, u->attr[UI_R_NORMAL], line);
		p = e ? e + 1 : p + n;
	}
	char foot[96];
	snprintf(foot, sizeof foot, " Esc close · ↑↓ PgUp PgDn scroll · %d-%d of %d ",
	         nlines ? u->overlay_scroll + 1 : 0,
	         u->overlay_scroll + inner < nlines ? u->overlay_scroll + inner : nlines, nlines);
	put(u, r->y + r->h - 1, r->x + 2, r->w - 4, u->attr[UI_R_DIM], foot);
}

static char help_text[32768];
static size_t help_len;

static void help_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void help_add(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(help_text + help_len, sizeof help_text - help_len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof help_text - help_len)
		help_len += (size_t)n;
}

static void build_help(void)
{
	help_len = 0;
	help_add("KEYS (each runs the command shown)\n");
	for (const struct ui_key *k = ui_keys; k->label; k++)
		if (k->help)
			help_add("  %-7s %-15s %s\n", k->label,
			         strcmp(k->label, "1-9") == 0 ? "panel N" : k->command, k->help);
	help_add("  Ctrl-C  (signal)        pauses a run; twice quits\n");
	help_add("\nCOMMANDS (type after : ; Tab completes; Enter on an empty line repeats)\n");
	for (const struct cmd *c = cmd_table; c->name; c++) {
		const char *h = c->help ? c->help : "";
		const char *e = strchr(h, '\n');
		int hl = e ? (int)(e - h) : (int)strlen(h);
		help_add("  %-34s %.*s\n", c->usage ? c->usage : c->name, hl, h);
	}
	const char *name, *usage, *h;
	int first = 1;
	for (int i = 0; ui_cmd_info(i, &name, &usage, &h); i++)
		if (!cmd_find(name)) {
			if (first)
				help_add("\nSCREEN COMMANDS\n");
			first = 0;
			help_add("  %-34s %s\n", usage, h);
		}
}

static void draw_overlay(struct ui *u)
{
	if (u->overlay == UI_O_HELP) {
		if (!help_text[0])
			build_help();
		overlay_lines(u, "HELP", help_text);
	} else if (u->overlay == UI_O_OUTPUT) {
		overlay_lines(u, "OUTPUT", u->out ? u->out : "");
	} else if (u->overlay == UI_O_WAIT) {
		const struct ui_rect *o = &u->lay.overlay;
		struct ui_rect r = { o->y + o->h / 2 - 2, o->x, 5, o->w };
		for (int y = r.y; y < r.y + r.h; y++)
			fill(y, r.x, r.w, u->attr[UI_R_NORMAL]);
		panel_box(u, &r, "PAUSE", u->attr[UI_R_TITLE]);
		put(u, r.y + 2, r.x + 2, r.w - 4, u->attr[UI_R_CAPTION], u->wait_text);
		put(u, r.y + 4, r.x + 2, r.w - 4, u->attr[UI_R_DIM], " press any key to continue ");
	}
}

/* ---- frame ---------------------------------------------------------------- */

static void draw_too_small(struct ui *u)
{
	int H = LINES, W = COLS;
	char a[96], b[64];
	snprintf(a, sizeof a, "terminal too small: need %d×%d", u->lay.need_w, u->lay.need_h);
	snprintf(b, sizeof b, "(now %d×%d; q quits)", W, H);
	int y = H / 2 - 1 < 0 ? 0 : H / 2 - 1;
	int wa = text_width(u, a), wb = text_width(u, b);
	put(u, y, wa < W ? (W - wa) / 2 : 0, W, u->attr[UI_R_ERROR], a);
	if (y + 1 < H)
		put(u, y + 1, wb < W ? (W - wb) / 2 : 0, W, u->attr[UI_R_NORMAL], b);
}

void ui_draw_frame(struct ui *u)
{
	int cy = -1, cx = -1;
	if (u->full_redraw) {
		clearok(curscr, TRUE);
		u->full_redraw = 0;
	}
	attrset(u->attr[UI_R_NORMAL]);
	erase();
	if (u->lay.too_small) {
		draw_too_small(u);
	} else {
		draw_summary(u);
		draw_caption(u);
		draw_big(u);
		draw_laws(u);
		draw_contrast(u);
		draw_plots(u);
		draw_status(u);
		draw_hints(u);
		draw_msg(u);
		draw_input(u, &cy, &cx);
		draw_overlay(u);
	}
	attrset(A_NORMAL);
	if (cy >= 0 && u->overlay == UI_O_NONE) {
		move(cy, cx);
		curs_set(1);
	} else {
		curs_set(0);
	}
	wnoutrefresh(stdscr);
	doupdate();
}
