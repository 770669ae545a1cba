/* ui_draw.c — composes one frame of the screen from the view and the layout
 * (the "draw" half of update/draw).
 *
 * Everything is drawn into stdscr after one erase and flushed once by the
 * caller's wnoutrefresh + doupdate, so curses sends only the changed cells.
 * Text is clipped to its rectangle by display columns (UTF-8 aware); in ASCII
 * mode it is transliterated first. Meaning is never carried by colour alone:
 * panels have titles, plot series have legend marks and end tags, the run
 * state and errors are spelled out. */
#include <ctype.h>
#include <curses.h>
#include <math.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <readline/readline.h>
#include "cmd/cmd_follow.h"
#include "cmd/cmd_plot.h"
#include "noether/bridge.h"
#include "fig/fig.h"
#include "noether/sweep.h"
#include "noether/util.h"
#include "ui_keys.h"
#include "ui_screen.h"


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
	/* On white, the 8 basic greens, yellows and cyans wash out: with 256
	 * colours the light theme uses dark shades (green 28, orange 130, blue 25,
	 * purple 90, red 124); with 8 it keeps green for laws and moves the loss
	 * off magenta (the contrasts' colour) to red. */
	int dark256 = light && COLORS >= 256;
	pair(1, fg, bg);
	pair(2, light ? COLOR_BLUE : hc ? COLOR_WHITE : COLOR_CYAN, bg);
	pair(3, dark256 ? 28 : COLOR_GREEN, bg);
	pair(4, dark256 ? 124 : COLOR_RED, bg);
	pair(5, dark256 ? 130 : light ? COLOR_MAGENTA : COLOR_YELLOW, bg);
	pair(6, dark256 ? 25 : light ? COLOR_BLUE : COLOR_CYAN, bg);
	pair(7, dark256 ? 90 : light ? COLOR_RED : COLOR_MAGENTA, bg);
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

/* Decodes the character at s (bytes consumed into *n, display columns into
 * *cw); an invalid sequence counts as one byte, one column, and resets st. */
static void next_char(const char *s, mbstate_t *st, size_t *n, int *cw)
{
	wchar_t wc;
	*n = mbrtowc(&wc, s, MB_CUR_MAX, st);
	if (*n == (size_t)-1 || *n == (size_t)-2 || *n == 0) {
		*n = 1;
		wc = '?';
		memset(st, 0, sizeof *st);
	}
	*cw = wcwidth(wc);
	if (*cw < 0)
		*cw = 1;
}

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
		size_t n;
		int cw;
		next_char(s + bytes, &st, &n, &cw);
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
		size_t n;
		int cw;
		next_char(s + i, &st, &n, &cw);
		cols += cw;
		i += n;
	}
	return cols;
}

/* Like put, but a text cut at w columns ends in an ellipsis ("~" in ASCII
 * mode), so a cut line never passes for a whole one. */
static int put_cut(struct ui *u, int y, int x, int w, unsigned long attr, const char *s)
{
	if (w <= 0)
		return 0;
	if (text_width(u, s) <= w)
		return put(u, y, x, w, attr, s);
	int n = put(u, y, x, w - 1, attr, s);
	put(u, y, x + n, 1, attr, u->ascii ? "~" : "…");
	return n + 1;
}

static void add_button(struct ui *u, int y, int x0, int x1, const char *cmd)
{
	if (u->nbtn >= UI_BUTTONS || x1 <= x0)
		return;
	struct ui_button *b = &u->btn[u->nbtn++];
	b->y = y;
	b->x0 = x0;
	b->x1 = x1;
	str_copy(b->cmd, cmd, sizeof b->cmd);
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
	/* the panel a click focused (PgUp/PgDn scroll it): bright frame, title reversed */
	int focused = (u->panel_focus == 1 && r == &u->lay.laws) || (u->panel_focus == 2 && r == &u->lay.contrast);
	frame_box(u, r, focused ? u->attr[UI_R_KEY] : u->attr[UI_R_DIM]);
	if (focused)
		tattr |= A_REVERSE;
	int x = r->x + 2;
	x += put(u, r->y, x, r->w - 4, u->attr[UI_R_NORMAL], " ");
	x += put(u, r->y, x, r->x + r->w - 3 - x, tattr, title);
	put(u, r->y, x, r->x + r->w - 2 - x, u->attr[UI_R_NORMAL], " ");
}

/* ---- quantity panels ------------------------------------------------------ */

/* Elides a quantity name to w columns, keeping whole trailing components
 * (the neuron, head, plane, term) where it can:
 *   mode 0: the head (the layer, up to the first '.') … the longest tail
 *           of whole components that fits: "layer2.relu.n31.out" → "layer2…n31.out"
 *   mode 1: … the longest such tail: "layer1.attn.head0.plane0" → "…head0.plane0"
 * A tail that is one component too long for the room is cut by characters. */
static void elide(struct ui *u, const char *name, int w, int mode, char *out, size_t len)
{
	char a[160];
	const char *s = name;
	if (u->ascii) {
		ui_to_ascii(name, a, sizeof a);
		s = a;
	}
	if (w <= 0 || text_width(u, s) <= w) {
		str_copy(out, s, len);
		return;
	}
	const char *ell = u->ascii ? "~" : "…";
	size_t hb = mode == 0 ? strcspn(s, ".") : 0;
	if (hb > 60 || text_width(u, s) - text_width(u, s + hb) > (w - 1) / 2)
		hb = 0;
	char head[64];
	memcpy(head, s, hb);
	head[hb] = '\0';
	int room = w - 1 - text_width(u, head);
	const char *tail = NULL;
	for (const char *p = s + hb; (p = strchr(p, '.')) != NULL; p++)
		if (p[1] && text_width(u, p + 1) <= room) {
			tail = p + 1;
			break;
		}
	if (!tail) {                    /* cut the last component by characters */
		tail = s + hb;
		while (*tail && text_width(u, tail) > room) {
			tail++;
			while ((*tail & 0xc0) == 0x80)
				tail++;
		}
	}
	snprintf(out, len, "%s%s%s", head, ell, tail);
}

/* The elision mode (see elide) under which the n names of a panel stay
 * distinct in w columns: the layer kept if that is enough, else dropped. */
static int elide_mode(struct ui *u, const struct ui_qrow *rows, int n, int w)
{
	static char buf[64][96];
	if (n > 64)
		return 0;
	for (int i = 0; i < n; i++) {
		elide(u, rows[i].q->name, w, 0, buf[i], sizeof buf[i]);
		for (int j = 0; j < i; j++)
			if (strcmp(buf[i], buf[j]) == 0)
				return 1;
	}
	return 0;
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
	int m = ui_quantity_history(experiment_run(u->ctx->x, 0), q, n, u->spark);
	attrset(attr);
	move(y, x);
	for (int i = 0; i < m; i++)
		addstr(u->ascii ? ui_spark_glyph(ui_spark_level(u->spark[i], -16, 0), 1)
		                : ui_spark_glyph(ui_spark_level(u->spark[i], -16, 0), 0));
}

static void qrow(struct ui *u, const struct ui_rect *r, int y, const struct ui_columns *c,
                 const struct ui_qrow *row, unsigned long attr, int mode)
{
	char nb[160], b[32];
	int x = r->x + 1;
	elide(u, row->q->name, c->name_w - 1, mode, nb, sizeof nb);
	put(u, y, x, c->name_w - 1, attr, nb);
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

/* Scroll position clamped to the rows there are; writes "a-b/N" into ind
 * when not everything fits (else ""). */
static int clamp_scroll(int *scroll, int total, int room, char *ind, size_t len)
{
	ind[0] = '\0';
	if (room < 1)
		room = 1;
	int max = total > room ? total - room : 0;
	if (*scroll > max)
		*scroll = max;
	if (*scroll < 0)
		*scroll = 0;
	if (total > room) {
		int last = *scroll + room < total ? *scroll + room : total;
		snprintf(ind, len, "%s%d-%d/%d%s", *scroll > 0 ? "↑" : "", *scroll + 1, last, total, last < total ? "↓" : "");
	}
	return *scroll;
}

/* A panel's footer row: text at the left and the scroll indicator ("9-16/32↓":
 * rows shown, arrows where more are; PgUp/PgDn scroll) at the right, never
 * over each other: the shorter text when both do not fit, then the text
 * alone (cut with an ellipsis). */
static void panel_footer(struct ui *u, const struct ui_rect *r, const char *text, const char *shorter, const char *ind)
{
	int y = r->y + r->h - 2, iw = ind[0] ? text_width(u, ind) : 0;
	int room = iw ? r->w - 4 - iw : r->w - 2;
	if (text_width(u, text) > room && shorter)
		text = shorter;
	if (iw && text_width(u, text) > room) {
		iw = 0;
		room = r->w - 2;
	}
	put_cut(u, y, r->x + 1, room, u->attr[UI_R_NORMAL], text);
	if (iw)
		put(u, y, r->x + r->w - 2 - iw, iw, u->attr[UI_R_KEY], ind);
}

/* A panel collapsed to its headline row (presentation mode on a small
 * screen): the longest of the heads that fits, then the numbers. */
static void headline(struct ui *u, const struct ui_rect *r, const char *const *heads, int nh, const char *nums,
                     unsigned long nattr)
{
	int nw = text_width(u, nums), gap = 2;
	const char *h = heads[nh - 1];
	for (int i = 0; i < 2 * nh; i++)   /* two spaces before the numbers, else one */
		if (text_width(u, heads[i / 2]) + 2 - i % 2 + nw <= r->w - (r->x + r->w < COLS)) {
			h = heads[i / 2];
			gap = 2 - i % 2;
			break;
		}
	int x = r->x + put(u, r->y, r->x, r->w, u->attr[UI_R_TITLE], h);
	x += put(u, r->y, x, r->x + r->w - x, u->attr[UI_R_NORMAL], gap == 2 ? "  " : " ");
	put_cut(u, r->y, x, r->x + r->w - x, nattr, nums);
}

/* A conserved panel: the laws of view v (rows scroll), failing claims, and a
 * footer with the worst and mean drift. side/label name the run in compare
 * mode ("A", "const τ=0.05"); NULL for the single run. */
static void draw_law_panel(struct ui *u, const struct ui_rect *r, const struct ui_view *v,
                           const char *side, const char *label, int *scroll)
{
	char title[256], b[32], b2[32], ind[48];
	if (r->h == 0)
		return;
	if (r->h == 1) {            /* collapsed: the headline numbers */
		char h[3][192], nums[96];
		if (!v->built) {
			put_cut(u, r->y, r->x, r->w, u->attr[UI_R_TITLE], "CONSERVED · not built");
			return;
		}
		ui_fmt_sci(b, sizeof b, v->max_law_rel);
		ui_fmt_sci(b2, sizeof b2, v->eps_laws);
		if (v->nlaw)
			snprintf(nums, sizeof nums, "max %s  ε %s", b, b2);
		else
			snprintf(nums, sizeof nums, "no conservation laws");
		if (side) {
			snprintf(h[0], sizeof h[0], "%s · %s · CONSERVED %d", side, label, v->nlaw);
			snprintf(h[1], sizeof h[1], "%s %s", side, label);
		} else {
			snprintf(h[0], sizeof h[0], "CONSERVED · %d law%s, checked", v->nlaw, v->nlaw == 1 ? "" : "s");
			snprintf(h[1], sizeof h[1], "CONSERVED %d", v->nlaw);
		}
		snprintf(h[2], sizeof h[2], "%s", side ? side : "laws");
		const char *hp[3] = { h[0], h[1], h[2] };
		headline(u, r, hp, 3, nums, u->attr[UI_R_LAW]);
		return;
	}
	if (!v->built) {
		/* a model still being built (or one that does not build): no stale rows */
		panel_box(u, r, "CONSERVED · not built", u->attr[UI_R_TITLE]);
		put_cut(u, r->y + 1, r->x + 1, r->w - 2, u->attr[UI_R_NORMAL], v->why[0] ? v->why : "the model is being built");
		if (r->h > 4)
			put_cut(u, r->y + 2, r->x + 1, r->w - 2, u->attr[UI_R_DIM],
			        "the panels fill in once data, layers and loss fit together");
		return;
	}
	if (side)
		snprintf(title, sizeof title, "%s · %s · CONSERVED %d", side, label, v->nlaw);
	else if (v->nlaw)
		snprintf(title, sizeof title, "CONSERVED · %d law%s, checked", v->nlaw, v->nlaw == 1 ? "" : "s");
	else
		snprintf(title, sizeof title, "CONSERVED · none");
	if (!side && v->nlaw && text_width(u, title) > r->w - 6)
		snprintf(title, sizeof title, "CONSERVED · %d law%s", v->nlaw, v->nlaw == 1 ? "" : "s");
	panel_box(u, r, title, u->attr[UI_R_TITLE]);
	struct ui_columns c;
	ui_layout_columns(r->w - 2, (u->visible >> UI_P_VALUES) & 1, (u->visible >> UI_P_SPARK) & 1, &c);
	col_header(u, r, &c, "law");
	int y = r->y + 2, last = r->y + r->h - 2;   /* last content row is the footer */
	int none = v->nlaw == 0;
	int total = v->nlaw + v->nclaim + none;
	int first = clamp_scroll(scroll, total, last - y, ind, sizeof ind);
	int mode = elide_mode(u, v->law, v->nlaw, c.name_w - 1);
	for (int i = first; i < total && y < last; i++, y++) {
		if (none && i == 0) {
			put(u, y, r->x + 1, r->w - 2, u->attr[UI_R_TITLE], "no conservation laws");
			continue;
		}
		int k = i - none;
		if (k < v->nlaw) {
			qrow(u, r, y, &c, &v->law[k], u->attr[UI_R_LAW], mode);
			continue;
		}
		k -= v->nlaw;
		char nb[200];
		ui_fmt_sci(b, sizeof b, v->claim[k].q->rate);
		snprintf(nb, sizeof nb, "claimed — fails (rate %s): %s", b, v->claim[k].q->name);
		put(u, y, r->x + 1, r->w - 2, u->attr[UI_R_CLAIM], nb);
	}
	char foot[96] = "", shortf[64] = "";
	if (v->nlaw) {
		ui_fmt_sci(b, sizeof b, v->max_law_rel);
		ui_fmt_sci(b2, sizeof b2, v->eps_laws);
		snprintf(foot, sizeof foot, "max %s  ε %s", b, b2);
		snprintf(shortf, sizeof shortf, "max %s", b);
	}
	panel_footer(u, r, foot, shortf, ind);
}

/* Label of one side's setting in a comparison: the schedule for a schedule
 * comparison (compact: it goes in a panel title), else the optimizer with its
 * weight decay. */
static void twin_label(const struct ui *u, const struct run *r, char *buf, size_t len)
{
	const struct train_settings *st = run_settings(r);
	const char *what = experiment_compare_what(u->ctx->x);
	if (what && !strcmp(what, "schedule"))
		snprintf(buf, len, "%s %s%s=%g", sched_names[st->sched.kind], u->ascii ? "tau" : "τ",
		         st->sched.kind == SCHED_CONST ? "" : "0", st->sched.tau0);
	else
		ui_fmt_opt(buf, len, st, u->ascii);
}

static void draw_laws(struct ui *u)
{
	const struct experiment *x = u->ctx->x;
	if (experiment_nruns(x) < 2) {
		draw_law_panel(u, &u->lay.laws, &u->view, NULL, NULL, &u->scroll_law);
		return;
	}
	char la[128], lb[128];
	twin_label(u, experiment_run(x, 0), la, sizeof la);
	twin_label(u, experiment_run(x, 1), lb, sizeof lb);
	draw_law_panel(u, &u->lay.laws, &u->view, "A", la, &u->scroll_law);
	draw_law_panel(u, &u->lay.contrast, &u->view_b, "B", lb, &u->scroll_law);
}

static void draw_contrast(struct ui *u)
{
	const struct ui_rect *r = &u->lay.contrast;
	const struct ui_view *v = &u->view;
	char title[128], b[32], ind[48];
	if (r->h == 0 || experiment_nruns(u->ctx->x) > 1)
		return;
	if (r->h == 1) {
		char nums[64];
		if (!v->built) {
			put(u, r->y, r->x, r->w, u->attr[UI_R_TITLE], "CONTRAST");
			return;
		}
		ui_fmt_sci(b, sizeof b, v->max_contrast_rel);
		snprintf(nums, sizeof nums, "max change %s", v->max_contrast_rel >= 0 ? b : "-");
		snprintf(title, sizeof title, "CONTRAST · %d not conserved", v->ncontrast);
		char t2[32];
		snprintf(t2, sizeof t2, "CONTRAST %d", v->ncontrast);
		const char *hp[2] = { title, t2 };
		headline(u, r, hp, 2, nums, u->attr[UI_R_CONTRAST]);
		return;
	}
	if (!v->built) {
		panel_box(u, r, "CONTRAST", u->attr[UI_R_TITLE]);
		return;
	}
	snprintf(title, sizeof title, "CONTRAST · not conserved (%d)", v->ncontrast);
	if (text_width(u, title) > r->w - 6)
		snprintf(title, sizeof title, "CONTRAST · %d", v->ncontrast);
	panel_box(u, r, title, u->attr[UI_R_TITLE]);
	struct ui_columns c;
	ui_layout_columns(r->w - 2, (u->visible >> UI_P_VALUES) & 1, (u->visible >> UI_P_SPARK) & 1, &c);
	col_header(u, r, &c, "quantity");
	int y = r->y + 2, last = r->y + r->h - 2;
	int first = clamp_scroll(&u->scroll_con, v->ncontrast, last - y, ind, sizeof ind);
	int mode = elide_mode(u, v->contrast, v->ncontrast, c.name_w - 1);
	for (int i = first; i < v->ncontrast && y < last; i++, y++)
		qrow(u, r, y, &c, &v->contrast[i], u->attr[UI_R_CONTRAST], mode);
	char foot[64] = "", shortf[48] = "";
	if (v->max_contrast_rel >= 0) {
		ui_fmt_sci(b, sizeof b, v->max_contrast_rel);
		snprintf(foot, sizeof foot, "max change %s", b);
		snprintf(shortf, sizeof shortf, "max %s", b);
	}
	panel_footer(u, r, foot, shortf, ind);
}

/* ---- plots: a figure's tagged series in character cells --------------------- */

/* The plots are figures (src/fig) built by the command layer's cmd_plot, the
 * same ones `export plot` writes to a file: the same series, ranges and
 * ticks. The screen draws the tagged series (cmd_plot.h): references (lower-
 * case tags) first, dotted, then the main curves on top. Axes: log axes carry
 * decade ticks at every m-th decade (m = 1, 2, 5, 10, 20), the y axis scaled
 * so each tick lands on a whole row, evenly spaced; the x axis labels its
 * ticks and the last step (or time). Cells that two main curves share are
 * striped column by column in their two colours (and, in ASCII, marked by
 * both letters in turn); end tags of curves that end on one row sit side by
 * side, so A and B stay apart on a small plot and without colour. */

enum { CELL_SERIES = 16, CELL_TIERS = 3 };

/* What a tag means on the screen: its colour and its legend text at three
 * levels of detail (full, short, minimal; "" leaves the tag alone). */
typedef void (*cell_key_fn)(struct ui *u, const void *ctx, char tag, unsigned long *attr,
                            char text[CELL_TIERS][96]);

struct cell_plot {
	const struct fig_panel *p;
	const char *titles[8];      /* box titles, longest first, NULL-terminated */
	int step_axis;              /* x counts steps: integer labels */
	cell_key_fn key;
	const void *ctx;
	const char *empty;          /* note when there is nothing to draw */
};

/* "1", "10", "1k", "20k", "1.5M" */
static void fmt_step_tick(char *b, size_t n, double v)
{
	if (fabs(v) >= 1e6)
		snprintf(b, n, "%gM", v / 1e6);
	else if (fabs(v) >= 1e3)
		snprintf(b, n, "%gk", v / 1e3);
	else
		snprintf(b, n, "%g", v);
}

/* Writes s at column c of a row whose cells [0, w) are marked in occ unless
 * it would touch a used cell (one cell of gap kept). Returns 1 if placed. */
static int place_label(struct ui *u, int y, int x0, char *occ, int w, int c, const char *s, unsigned long attr, int dry)
{
	int tw = text_width(u, s);
	if (c < 0)
		c = 0;
	if (c + tw > w)
		c = w - tw;
	if (c < 0)
		return 0;
	for (int i = c - 1; i <= c + tw; i++)
		if (i >= 0 && i < w && occ[i])
			return 0;
	for (int i = c; i < c + tw; i++)
		occ[i] = 1;
	if (!dry)
		put(u, y, x0 + c, tw, attr, s);
	return 1;
}

/* The vertical scale of a log y axis on ch rows: ticks every m decades, s
 * rows apart (s >= 2 when it can be), so that [lo10, hi10] fits; top10 is
 * the value at row 0 and a tick at decade d (a multiple of m) sits on row
 * (top10 - d)·s/m, a whole number. */
static void cell_yscale(double lo10, double hi10, int ch, int *m, int *s, double *top10)
{
	static const int strides[] = { 1, 2, 5, 10, 20 };
	double D = hi10 - lo10 < 1 ? 1 : hi10 - lo10;
	int rows = ch - 1 > 1 ? ch - 1 : 1;
	*m = 20;
	*s = 1;
	for (size_t i = 0; i < sizeof strides / sizeof *strides; i++) {
		int k = (int)floor(rows * strides[i] / D + 1e-9);
		if (k >= 2 || (k >= 1 && i + 1 == sizeof strides / sizeof *strides)) {
			*m = strides[i];
			*s = k;
			break;
		}
	}
	if (*s < 1)
		*s = 1;
	/* centre the data in the rows it does not fill, then move the top to the
	 * nearest value that puts the ticks on whole rows */
	double per = (double)*m / *s;                 /* decades per row */
	double slack = rows * per - (hi10 - lo10);
	double top = hi10 + (slack > 0 ? slack / 2 : 0);
	double T = ceil(top / *m) * *m;               /* a tick decade at or above the top */
	double j = floor((T - top) / per + 0.5);      /* its row, above row 0 */
	*top10 = T - j * per;
	if (hi10 > *top10 + 1e-9)                     /* rounding moved the data's top out: one row up */
		*top10 += per;
}

static void draw_cells(struct ui *u, const struct ui_rect *r, const struct cell_plot *cp)
{
	const struct fig_panel *p = cp->p;
	const char *title = cp->titles[0];
	for (int i = 0; cp->titles[i]; i++) {
		title = cp->titles[i];
		if (text_width(u, title) <= r->w - 6)
			break;
	}
	panel_box(u, r, title, u->attr[UI_R_TITLE]);
	const int lab = 6, tagw = 2;
	int cw = r->w - 2 - lab - tagw, ch = r->h - 3;
	if (cw < 4 || ch < 2)
		return;
	/* the series drawn: references first, then main curves on top */
	int idx[CELL_SERIES], ns = 0, main[CELL_SERIES];
	unsigned long at[CELL_SERIES];
	char text[CELL_SERIES][CELL_TIERS][96], marks[CELL_SERIES + 1];
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < p->nseries && ns < CELL_SERIES; k++) {
			char t = p->series[k].tag[0];
			if (!t || (islower((unsigned char)t) != 0) != (pass == 0))
				continue;
			main[ns] = pass;
			marks[ns] = t;
			cp->key(u, cp->ctx, t, &at[ns], text[ns]);
			idx[ns++] = k;
		}
	marks[ns] = '\0';
	/* ranges: x from the figure (tight to the steps taken), y over what is drawn */
	enum fig_scale xs = p->x.scale;
	double xlo = INFINITY, xhi = -INFINITY, lo10 = INFINITY, hi10 = -INFINITY;
	for (int i = 0; i < ns; i++) {          /* the steps taken (step 0 too on a linear axis) */
		const struct fig_series *s = &p->series[idx[i]];
		for (int k = 0; k < s->n; k++)
			if (isfinite(s->x[k]) && (xs == FIG_LIN || s->x[k] > 0)) {
				xlo = fmin(xlo, s->x[k]);
				xhi = fmax(xhi, s->x[k]);
			}
	}
	if (!(xlo < xhi)) {                     /* one step: a unit (a decade) around it */
		if (!isfinite(xlo))
			xlo = xhi = xs == FIG_LOG ? 1 : 0;
		xhi = xs == FIG_LOG ? xlo * 10 : xlo + 1;
	}
	int npts = 0;
	for (int i = 0; i < ns; i++) {
		const struct fig_series *s = &p->series[idx[i]];
		for (int k = 0; k < s->n; k++)
			if (s->y[k] > 0 && isfinite(s->y[k]) && !isnan(fig_axis_frac(xs, xlo, xhi, s->x[k]))) {
				double l = log10(s->y[k]);
				lo10 = fmin(lo10, l);
				hi10 = fmax(hi10, l);
				npts++;
			}
	}
	if (npts == 0) {
		put(u, r->y + 1 + ch / 2, r->x + 1 + lab, cw, u->attr[UI_R_DIM], cp->empty);
		return;
	}
	if (hi10 - lo10 > 20)
		lo10 = hi10 - 20;
	struct ui_canvas *cv = &u->canvas;
	ui_canvas_resize(cv, cw, ch, u->glyphs);
	int W = ui_canvas_width(cv), H = ui_canvas_height(cv), py = cv->py;
	int m, s;
	double top10;
	cell_yscale(lo10, hi10, ch, &m, &s, &top10);
	double ppd = (double)s * py / m;                   /* pixels per decade */
	double c0 = (py - 1) / 2.0;                        /* a row's centre pixel */
	int lastrow[CELL_SERIES];
	for (int i = 0; i < ns; i++) {
		const struct fig_series *sr = &p->series[idx[i]];
		int px = -1, pyy = -1;
		lastrow[i] = -1;
		for (int k = 0; k < sr->n; k++) {
			double fx = fig_axis_frac(xs, xlo, xhi, sr->x[k]);
			if (!(sr->y[k] > 0) || !isfinite(sr->y[k]) || isnan(fx) || log10(sr->y[k]) < lo10 - 1e-9) {
				px = -1;
				continue;
			}
			int x = (int)floor(fx * (W - 1) + 0.5);
			double yf = (top10 - log10(sr->y[k])) * ppd + c0;
			int y = (int)floor(yf + 0.5);
			if (y < 0 && y > -py)
				y = 0;
			if (y >= H && y < H + py)
				y = H - 1;
			if (px >= 0)
				ui_canvas_line(cv, px, pyy, x, y, i, !main[i]);
			else
				ui_canvas_dot(cv, x, y, i);
			px = x;
			pyy = y;
			if (y >= 0 && y < H)
				lastrow[i] = y / py;
		}
	}
	/* cells: a main curve over references; cells of two main curves striped */
	char g[8];
	for (int cy = 0; cy < ch; cy++)
		for (int cx = 0; cx < cw; cx++) {
			unsigned seen = ui_canvas_seen(cv, cx, cy);
			if (!seen)
				continue;
			int mains[CELL_SERIES], nm = 0, pick = -1;
			for (int i = 0; i < ns; i++)
				if (main[i] && ((seen >> i) & 1u))
					mains[nm++] = i;
			if (nm)
				pick = mains[cx % nm];
			else
				for (int i = ns - 1; i >= 0 && pick < 0; i--)
					if ((seen >> i) & 1u)
						pick = i;
			ui_canvas_glyph_as(cv, cx, cy, pick, marks, g);
			attrset(pick >= 0 ? at[pick] : u->attr[UI_R_NORMAL]);
			mvaddstr(r->y + 1 + cy, r->x + 1 + lab + cx, g);
		}
	/* y ticks: decades on whole rows, m apart; where fewer than two decades
	 * are in view, 2 and 5 times them too (on the nearest row) */
	int ndec = 0, d0 = (int)ceil(top10 / m - 1e-9) * m;
	for (int d = d0;; d -= m) {
		double row = (top10 - d) * s / m;
		if (row > ch - 1 + 1e-6)
			break;
		if (row < -1e-6)
			continue;
		char lb[16];
		fig_tick_label(FIG_LOG, pow(10, d), 0, lb, sizeof lb);
		right(u, r->y + 1 + (int)floor(row + 0.5), r->x + 1, lab - 1, u->attr[UI_R_DIM], lb);
		ndec++;
	}
	for (int d = d0 + 1; ndec < 2 && m == 1 && s >= 6; d--) {
		if ((top10 - d) * s > ch - 1 + 1e-6)
			break;
		for (int j = 2; j <= 5; j += 3) {
			double row = (top10 - d - log10(j)) * s;
			if (row < -1e-6 || row > ch - 1 + 1e-6)
				continue;
			char lb[16];
			snprintf(lb, sizeof lb, "%de%d", j, d);
			right(u, r->y + 1 + (int)floor(row + 0.5), r->x + 1, lab - 1, u->attr[UI_R_DIM], lb);
		}
	}
	/* end tags: main curves first; two on one row sit side by side, a third
	 * moves a row up or down */
	char used[64][2];
	memset(used, 0, sizeof used);
	for (int pass = 1; pass >= 0; pass--)
		for (int i = 0; i < ns; i++) {
			if (main[i] != pass || lastrow[i] < 0)
				continue;
			static const int tries[] = { 0, -1, 1, -2, 2 };
			for (size_t t = 0; t < sizeof tries / sizeof *tries; t++) {
				int row = lastrow[i] + tries[t], slot = -1;
				if (row < 0 || row >= ch || row >= 64)
					continue;
				for (int k = 0; k < tagw && slot < 0; k++)
					if (!used[row][k])
						slot = k;
				if (slot < 0)
					continue;
				used[row][slot] = marks[i];
				char tg[2] = { marks[i], '\0' };
				put(u, r->y + 1 + row, r->x + 1 + lab + cw + slot, 1, at[i] | A_BOLD, tg);
				break;
			}
		}
	/* x axis: "step k = 2,000" (the axis and where it ends) at the right,
	 * the first value on a linear axis, the ticks where there is room; the
	 * end label shortens to "k = 2,000" when that lets more ticks in */
	int yb = r->y + r->h - 2, xw = cw + tagw, x0 = r->x + 1 + lab;
	char occ[1024], lb[3][64], num[32], first[32], tl[FIG_MAX_TICKS][32];
	if (xw > (int)sizeof occ)
		xw = (int)sizeof occ;
	if (cp->step_axis) {
		ui_fmt_count(num, sizeof num, (long)floor(xhi + 0.5));
		ui_fmt_count(first, sizeof first, (long)floor(xlo + 0.5));
	} else {
		ui_fmt_value(num, sizeof num, xhi);
		ui_fmt_value(first, sizeof first, xlo);
	}
	snprintf(lb[0], sizeof lb[0], "%s = %s", cp->step_axis ? "step k" : "time t", num);
	snprintf(lb[1], sizeof lb[1], "%c = %s", cp->step_axis ? 'k' : 't', num);
	snprintf(lb[2], sizeof lb[2], "%s", num);
	double tv[FIG_MAX_TICKS], tstep = 0;
	int nt = fig_ticks(xs, xlo, xhi, cw / 6 > 1 ? cw / 6 : 2, tv, &tstep), tc[FIG_MAX_TICKS];
	for (int i = 0; i < nt; i++) {
		double fx = fig_axis_frac(xs, xlo, xhi, tv[i]);
		tl[i][0] = '\0';
		if (isnan(fx))
			continue;
		if (cp->step_axis && (xs == FIG_LOG || tstep >= 1))
			fmt_step_tick(tl[i], sizeof tl[i], tv[i]);
		else
			fig_tick_label(xs, tv[i], tstep, tl[i], sizeof tl[i]);
		tc[i] = (int)floor(fx * (W - 1) + 0.5) / cv->px - text_width(u, tl[i]) / 2;
	}
	int best = 2, bestn = -1;
	for (int pass = 0; pass < 4; pass++) {   /* dry runs, then the chosen one drawn */
		int v = pass < 3 ? pass : best, dry = pass < 3, n = 0;
		if (pass == 2 && bestn >= 0)
			continue;                    /* the bare number only when no named label fits */
		memset(occ, 0, sizeof occ);
		if (!place_label(u, yb, x0, occ, xw, cw - text_width(u, lb[v]), lb[v], u->attr[UI_R_DIM], dry) && dry)
			continue;
		if (xs == FIG_LIN)
			place_label(u, yb, x0, occ, xw, 0, first, u->attr[UI_R_DIM], dry);
		for (int i = 0; i < nt; i++)
			if (tl[i][0])
				n += place_label(u, yb, x0, occ, xw, tc[i], tl[i], u->attr[UI_R_DIM], dry);
		if (dry && n > bestn) {
			bestn = n;
			best = v;
		}
	}
	/* legend in the bottom border: the longest texts that fit; tags with the
	 * same text share an entry ("a b budget Σ τ²") */
	int room = r->w - 4;
	for (int tier = 0; tier < CELL_TIERS; tier++) {
		char ent[CELL_SERIES][160], etag[CELL_SERIES][CELL_SERIES + 1];
		int ne = 0, order[CELL_SERIES], no = 0;
		for (int pass = 1; pass >= 0; pass--)      /* main curves' entries first */
			for (int i = 0; i < ns; i++)
				if (main[i] == pass)
					order[no++] = i;
		int owner_of[CELL_SERIES];
		for (int o = 0; o < no; o++) {
			int i = order[o], e;
			for (e = 0; e < ne; e++)
				if (!strcmp(ent[e], text[i][tier]))
					break;
			if (e == ne) {
				str_copy(ent[ne], text[i][tier], sizeof ent[ne]);
				etag[ne][0] = '\0';
				owner_of[ne] = i;
				ne++;
			}
			size_t l = strlen(etag[e]);
			if (!strchr(etag[e], marks[i]) && l < CELL_SERIES) {
				etag[e][l] = marks[i];
				etag[e][l + 1] = '\0';
			}
		}
		int need = 0;
		for (int e = 0; e < ne; e++)
			need += (e ? 2 : 1) + 2 * (int)strlen(etag[e]) + (ent[e][0] ? text_width(u, ent[e]) : 0);
		if (need + 1 > room && tier < CELL_TIERS - 1)
			continue;
		int x = r->x + 2, end = r->x + r->w - 2;
		for (int e = 0; e < ne; e++) {
			int w = (e ? 2 : 1) + 2 * (int)strlen(etag[e]) + (ent[e][0] ? text_width(u, ent[e]) : 0);
			if (x + w > end)
				break;                 /* a whole entry or none */
			x += put(u, r->y + r->h - 1, x, 2, u->attr[UI_R_NORMAL], e ? "  " : " ");
			for (const char *t = etag[e]; *t; t++) {
				int i = 0;
				while (i < ns && marks[i] != *t)
					i++;
				char tg[2] = { *t, '\0' };
				x += put(u, r->y + r->h - 1, x, 1, (i < ns ? at[i] : at[owner_of[e]]) | A_BOLD, tg);
				x += put(u, r->y + r->h - 1, x, 1, u->attr[UI_R_NORMAL], " ");
			}
			if (ent[e][0])
				x += put(u, r->y + r->h - 1, x, end - x, u->attr[UI_R_NORMAL], ent[e]);
		}
		if (x < end)
			put(u, r->y + r->h - 1, x, 1, u->attr[UI_R_NORMAL], " ");
		break;
	}
}

/* ---- phase portrait --------------------------------------------------------- */

static int to_px(double v, double lo, double hi, int n)
{
	return (int)((v - lo) / (hi - lo) * (n - 1) + 0.5);
}

static void draw_portrait(struct ui *u, const struct ui_rect *r)
{
	const struct portrait_info *p = experiment_portrait_info(u->ctx->x);
	char title[96], b1[32], b2[32], b3[32], b4[32];
	snprintf(title, sizeof title, "PORTRAIT x²−y² %s", p->level_law ? "is a law" : "NOT a law");
	panel_box(u, r, title, u->attr[UI_R_TITLE]);
	const int lab = 9;
	int cw = r->w - 2 - lab, ch = r->h - 4;
	if (cw < 4 || ch < 2)
		return;
	/* numbers first: the law's value at θ0 and now */
	ui_fmt_value(b1, sizeof b1, p->c0);
	ui_fmt_value(b2, sizeof b2, u->pxk * u->pxk - u->pyk * u->pyk);
	putf(u, r->y + 1, r->x + 1, r->w - 2, u->attr[p->level_law ? UI_R_LAW : UI_R_CONTRAST],
	     "x²−y²: θ0 %s  now %s", b1, b2);
	double xlo = p->x0, xhi = p->x0, ylo = p->y0, yhi = p->y0;
	for (int i = 0; i < u->pn; i++) {
		if (!isfinite(u->px[i]) || !isfinite(u->py[i]))
			continue;
		xlo = fmin(xlo, u->px[i]); xhi = fmax(xhi, u->px[i]);
		ylo = fmin(ylo, u->py[i]); yhi = fmax(yhi, u->py[i]);
	}
	double sx = xhi - xlo, sy = yhi - ylo, span = fmax(fmax(sx, sy), 1e-3 * (fabs(xhi) + fabs(yhi)) + 1e-12);
	if (sx < 0.25 * span) { xlo -= 0.125 * span; xhi += 0.125 * span; }
	if (sy < 0.25 * span) { ylo -= 0.125 * span; yhi += 0.125 * span; }
	sx = xhi - xlo; sy = yhi - ylo;
	xlo -= 0.08 * sx; xhi += 0.08 * sx; ylo -= 0.08 * sy; yhi += 0.08 * sy;
	struct ui_canvas *cv = &u->canvas;
	ui_canvas_resize(cv, cw, ch, u->glyphs);
	int W = ui_canvas_width(cv), H = ui_canvas_height(cv);
	/* level set x² − y² = c0: both ways round, so steep parts are dotted too */
	for (int i = 0; i < W; i++) {
		double xv = xlo + (xhi - xlo) * i / (W - 1), t = xv * xv - p->c0;
		if (t >= 0)
			for (int sg = -1; sg <= 1; sg += 2)
				ui_canvas_dot(cv, i, H - 1 - to_px(sg * sqrt(t), ylo, yhi, H), 0);
	}
	for (int j = 0; j < H; j++) {
		double yv = ylo + (yhi - ylo) * j / (H - 1), t = yv * yv + p->c0;
		if (t >= 0)
			for (int sg = -1; sg <= 1; sg += 2)
				ui_canvas_dot(cv, to_px(sg * sqrt(t), xlo, xhi, W), H - 1 - j, 0);
	}
	int qx = -1, qy = -1;
	for (int i = 0; i < u->pn; i++) {
		if (!isfinite(u->px[i]) || !isfinite(u->py[i]))
			continue;
		int ax = to_px(u->px[i], xlo, xhi, W), ay = H - 1 - to_px(u->py[i], ylo, yhi, H);
		if (qx >= 0)
			ui_canvas_line(cv, qx, qy, ax, ay, 1, 0);
		else
			ui_canvas_dot(cv, ax, ay, 1);
		qx = ax;
		qy = ay;
	}
	static const char marks[] = ".*";
	unsigned long at[2] = { u->attr[UI_R_BUDGET], u->attr[UI_R_LAW] };
	char g[8];
	for (int cy = 0; cy < ch; cy++)
		for (int cx = 0; cx < cw; cx++) {
			int own = ui_canvas_glyph(cv, cx, cy, marks, g);
			if (!own)
				continue;
			attrset(at[own - 1 < 2 ? own - 1 : 0]);
			mvaddstr(r->y + 2 + cy, r->x + 1 + lab + cx, g);
		}
	/* θ0 and θk marked by letters, not colour */
	int c0x = to_px(p->x0, xlo, xhi, W) / cv->px, c0y = (H - 1 - to_px(p->y0, ylo, yhi, H)) / cv->py;
	int ckx = to_px(u->pxk, xlo, xhi, W) / cv->px, cky = (H - 1 - to_px(u->pyk, ylo, yhi, H)) / cv->py;
	put(u, r->y + 2 + c0y, r->x + 1 + lab + c0x, 1, u->attr[UI_R_KEY], "0");
	if (u->pn > 1)
		put(u, r->y + 2 + cky, r->x + 1 + lab + ckx, 1, u->attr[UI_R_KEY], "k");
	ui_fmt_value(b1, sizeof b1, yhi);
	ui_fmt_value(b2, sizeof b2, ylo);
	right(u, r->y + 2, r->x + 1, lab - 1, u->attr[UI_R_DIM], b1);
	right(u, r->y + 1 + ch, r->x + 1, lab - 1, u->attr[UI_R_DIM], b2);
	put(u, r->y + 2 + ch / 2, r->x + 1, lab - 1, u->attr[UI_R_DIM], "y");
	ui_fmt_value(b3, sizeof b3, xlo);
	ui_fmt_value(b4, sizeof b4, xhi);
	int yb = r->y + r->h - 2;
	put(u, yb, r->x + 1 + lab, cw, u->attr[UI_R_DIM], b3);
	right(u, yb, r->x + 1 + lab, cw, u->attr[UI_R_DIM], b4);
	char names[600];
	snprintf(names, sizeof names, " 0 θ0 k θk · x = %s  y = %s ", p->tx, p->ty);
	put(u, r->y + r->h - 1, r->x + 2, r->w - 4, u->attr[UI_R_DIM], names);
}

/* ---- drift and loss plots --------------------------------------------------- */

struct run_keys {
	int drift;
	char la[96], lb[96];        /* A's and B's settings ("const τ=0.05") */
	const char *loss;
};

/* first word of s into b ("const τ=0.05" -> "const") */
static void first_word(char *b, size_t n, const char *s)
{
	str_copy(b, s, n);
	b[strcspn(b, " ")] = '\0';
}

static void run_key(struct ui *u, const void *vctx, char t, unsigned long *attr, char text[CELL_TIERS][96])
{
	const struct run_keys *k = vctx;
	const char *full = "", *brief = "", *min = "";
	char w[96];
	*attr = u->attr[UI_R_DIM];
	switch (t) {
	case 'L': *attr = u->attr[UI_R_LAW]; full = "laws ε"; brief = min = "ε"; break;
	case 'A': case 'B':
		*attr = u->attr[t == 'A' ? UI_R_LAW : UI_R_CONTRAST];
		full = t == 'A' ? k->la : k->lb;
		first_word(w, sizeof w, full);
		brief = w;
		min = k->drift ? "ε" : k->loss;
		break;
	case '+': *attr = u->attr[UI_R_LOSS]; full = brief = min = k->loss; break;
	case 'C': *attr = u->attr[UI_R_CONTRAST]; full = "contrasts (median change)"; brief = "contrasts"; min = "contr."; break;
	case 'p': case 'q':
		*attr = u->attr[t == 'p' ? UI_R_LAW : UI_R_CONTRAST];
		full = "predicted ε"; brief = "predicted"; min = "pred.";
		break;
	case 'a': case 'b': *attr = u->attr[UI_R_BUDGET]; full = brief = "budget Σ τ²"; min = "Σ τ²"; break;
	case 'k': full = "∝ k"; brief = "∝ k"; min = "∝k"; break;
	default: break;
	}
	str_copy(text[0], full, 96);
	str_copy(text[1], brief, 96);
	str_copy(text[2], min, 96);
}

/* 1: the step axis is logarithmic (`plot logx`; by default under compare) */
static int log_steps(const struct ui *u)
{
	return u->logx >= 0 ? u->logx : experiment_nruns(u->ctx->x) > 1;
}

/* One run panel (drift or loss) of the figure cmd_plot builds for the runs. */
static void draw_run_panel(struct ui *u, const struct ui_rect *r, int drift)
{
	const struct experiment *x = u->ctx->x;
	int two = experiment_nruns(x) > 1;
	if (!u->view.built) {
		panel_box(u, r, drift ? (two ? "DRIFT A/B" : "DRIFT") : (two ? "LOSS A/B" : "LOSS"), u->attr[UI_R_TITLE]);
		if (r->h > 3)
			put_cut(u, r->y + 1 + (r->h - 3) / 2, r->x + 2, r->w - 4, u->attr[UI_R_DIM], "the model is being built");
		return;
	}
	struct plot_source src;
	memset(&src, 0, sizeof src);
	src.x = x;
	src.nruns = two ? 2 : 1;
	for (int k = 0; k < src.nruns; k++)
		src.run[k] = experiment_run(x, k);
	/* about a point per pixel column */
	src.max_points = (r->w - 10) * (u->glyphs == UI_G_BRAILLE ? 2 : 1);
	if (src.max_points < 2)
		src.max_points = 2;
	struct fig f;
	char err[256];
	if (cmd_plot_figure(&src, drift ? PLOT_DRIFT : PLOT_LOSS, log_steps(u), &f, err, sizeof err)) {
		panel_box(u, r, drift ? "DRIFT" : "LOSS", u->attr[UI_R_TITLE]);
		put_cut(u, r->y + 1, r->x + 2, r->w - 4, u->attr[UI_R_CLAIM], err);
		return;
	}
	struct run_keys keys = { .drift = drift, .loss = u->view.loss_name };
	twin_label(u, experiment_run(x, 0), keys.la, sizeof keys.la);
	if (two)
		twin_label(u, experiment_run(x, 1), keys.lb, sizeof keys.lb);
	char t[6][192];
	const char *ab = two ? "DRIFT A/B" : "DRIFT";
	int nl = u->view.nlaw, nt = 0;
	const char *lg = log_steps(u) ? ", log-log" : ", log scale";
	if (drift && nl) {
		snprintf(t[nt++], sizeof t[0], "%s · relative law drift ε = mean over %d law%s of |h(θk) − h(θ0)| / magnitude",
		         ab, nl, nl == 1 ? "" : "s");
		snprintf(t[nt++], sizeof t[0], "%s · relative law drift, ε = mean over %d laws of |Δh|/magnitude", ab, nl);
		snprintf(t[nt++], sizeof t[0], "%s · relative law drift ε = mean |Δh|/magnitude", ab);
		snprintf(t[nt++], sizeof t[0], "%s · relative law drift ε%s", ab, lg);
		snprintf(t[nt++], sizeof t[0], "%s · law drift ε", ab);
	} else if (drift) {
		snprintf(t[nt++], sizeof t[0], "%s · no conservation laws: relative change of the contrasts", ab);
		snprintf(t[nt++], sizeof t[0], "%s · no conservation laws", ab);
		snprintf(t[nt++], sizeof t[0], "%s · no laws", ab);
	} else {
		snprintf(t[nt++], sizeof t[0], "%s · %s%s", two ? "LOSS A/B" : "LOSS", u->view.loss_name, lg);
		snprintf(t[nt++], sizeof t[0], "%s · %s", two ? "LOSS A/B" : "LOSS", u->view.loss_name);
	}
	snprintf(t[nt++], sizeof t[0], "%s", drift ? ab : two ? "LOSS A/B" : "LOSS");
	struct cell_plot cp = {
		.p = &f.panel[0], .step_axis = !u->view.flow, .key = run_key, .ctx = &keys,
		.empty = "no steps yet: press space or n",
	};
	for (int i = 0; i < nt && i < 7; i++)
		cp.titles[i] = t[i];
	draw_cells(u, r, &cp);
	fig_free(&f);
}

static void draw_plots(struct ui *u)
{
	const struct experiment *x = u->ctx->x;
	const struct ui_rect *dr = &u->lay.drift, *lr = &u->lay.loss;
	const struct ui_rect *pr = NULL;
	if (experiment_portrait_info(x)->on)
		pr = lr->h > 0 ? lr : dr;
	if (dr->h > 0 && dr != pr)
		draw_run_panel(u, dr, 1);
	if (pr)
		draw_portrait(u, pr);
	else if (lr->h > 0)
		draw_run_panel(u, lr, 0);
}

/* ---- following a run's checkpoints ------------------------------------------ */

static void follow_key(struct ui *u, const void *vctx, char t, unsigned long *attr, char text[CELL_TIERS][96])
{
	(void)vctx;
	const char *full = "", *brief = "", *min = "";
	*attr = u->attr[UI_R_DIM];
	switch (t) {
	case 'M': *attr = u->attr[UI_R_LAW]; full = "largest law drift"; brief = "largest law"; min = "max"; break;
	case 'E': *attr = u->attr[UI_R_BUDGET]; full = "mean law drift ε"; brief = min = "ε"; break;
	case 'C': *attr = u->attr[UI_R_CONTRAST]; full = "contrasts (median change)"; brief = "contrasts"; min = "contr."; break;
	case 'f': full = "rounding floor of the stored precision"; brief = "rounding floor"; min = "floor"; break;
	default: break;
	}
	str_copy(text[0], full, 96);
	str_copy(text[1], brief, 96);
	str_copy(text[2], min, 96);
}

/* `laws checkpoints DIR follow` on the screen, in place of the panels: what
 * has been read and what is coming in, the latest checkpoint's largest law
 * drift per law family and ε_block per block, and the drift over the run's
 * training steps (the same numbers as the headless CSV rows). */
static void draw_follow(struct ui *u, const struct ui_rect *r)
{
	const struct ck_follow *f = u->ctx->follow;
	if (!f || r->h < 4)
		return;
	const struct bridge *b = cmd_follow_bridge(f);
	const char *stopped = cmd_follow_stopped(f);
	int n = bridge_nck(b);
	char title[512], line[1024], v1[32], v2[32], v3[32];
	if (stopped)
		snprintf(title, sizeof title, "CHECKPOINTS · %s · %s · Esc closes", cmd_follow_spec(f), stopped);
	else
		snprintf(title, sizeof title, "CHECKPOINTS · following %s every %g s · Esc stops", cmd_follow_spec(f),
		         cmd_follow_every(f));
	if (text_width(u, title) > r->w - 6) {      /* the directory is in the message line and `laws` output */
		if (stopped)
			snprintf(title, sizeof title, "CHECKPOINTS · %s · Esc closes", stopped);
		else
			snprintf(title, sizeof title, "CHECKPOINTS · following every %g s · Esc stops", cmd_follow_every(f));
	}
	/* the head: lines of text; the rest is the plot (at least 7 rows) */
	int nb = bridge_nblocks(b), hh = r->h >= 22 ? 7 : r->h - 7 >= 5 ? 5 : r->h - 7;   /* 7: three ε_block lines */
	if (hh < 3)
		hh = r->h >= 3 ? 3 : r->h;
	struct ui_rect hr = { r->y, r->x, hh, r->w };
	panel_box(u, &hr, title, u->attr[UI_R_TITLE]);
	int y = hr.y + 1, x0 = hr.x + 2, w = hr.w - 4, last = hr.y + hr.h - 2;
	int pend = bridge_pending(b);
	if (n == 0)
		snprintf(line, sizeof line, "no checkpoint read yet%s", stopped ? "" : ": waiting for the run to write one");
	else
		snprintf(line, sizeof line, "%d checkpoint%s read, steps %ld to %ld", n, n == 1 ? "" : "s", bridge_ck(b, 0)->step,
		         bridge_ck(b, n - 1)->step);
	if (pend > 0 && !stopped)
		snprintf(line + strlen(line), sizeof line - strlen(line), " · reading the next (%.0f%%), %d waiting",
		         100 * bridge_progress(b), pend - 1);
	if (y <= last)
		put_cut(u, y++, x0, w, u->attr[UI_R_NORMAL], line);
	if (n > 0 && y <= last) {
		const struct bridge_ck *k = bridge_ck(b, n - 1);
		static const char *const gname[BG_COUNT] = { "Q/K", "V/O", "MLP" };
		int o = snprintf(line, sizeof line, "step %ld · largest law drift", k->step);
		for (int g = 0; g < BG_COUNT; g++) {
			double m = bridge_group_max(b, g, -1, n - 1);
			if (isfinite(m)) {
				ui_fmt_sci(v1, sizeof v1, m);
				o += snprintf(line + o, sizeof line - (size_t)o, "  %s %s", gname[g], v1);
			}
		}
		ui_fmt_sci(v2, sizeof v2, k->contrast_median);
		ui_fmt_sci(v3, sizeof v3, k->floor_max);
		snprintf(line + o, sizeof line - (size_t)o, " · contrasts %s · floor %s", v2, v3);
		put_cut(u, y++, x0, w, u->attr[UI_R_LAW], line);
	}
	if (n > 0 && y <= last) {
		/* ε_block per block, as many as fit the lines left */
		int x = x0, row = y;
		x += put(u, row, x, w, u->attr[UI_R_DIM], w >= 90 ? "ε_block (mean law drift per block):" : "ε_block:");
		for (int i = 0; i < nb; i++) {
			double e = bridge_block_eps(b, i, n - 1);
			if (!isfinite(e))
				continue;
			ui_fmt_sci(v1, sizeof v1, e);
			char ent[160];
			snprintf(ent, sizeof ent, "  %s %s", bridge_block_name(b, i), v1);
			int ew = text_width(u, ent);
			if (x + ew > x0 + w - 8 && row < last) {   /* next line, keep room for "… N more" */
				row++;
				x = x0 + 1;
			} else if (x + ew > x0 + w - 8) {
				int more = 0;
				for (int j = i; j < nb; j++)
					more += isfinite(bridge_block_eps(b, j, n - 1));
				snprintf(ent, sizeof ent, "  … %d more", more);
				put(u, row, x, x0 + w - x, u->attr[UI_R_DIM], ent);
				break;
			}
			x += put(u, row, x, x0 + w - x, u->attr[UI_R_NORMAL], ent);
		}
	}
	/* the plot over training steps */
	struct ui_rect pr = { r->y + hh, r->x, r->h - hh, r->w };
	if (pr.h < 4)
		return;
	struct fig fg;
	fig_init(&fg);
	struct fig_panel *p = fig_add_panel(&fg, NULL, FIG_LIN, "step", FIG_LOG, "relative law drift");
	int np = n > 0 ? n : 1;
	double *xs = xmalloc((size_t)np * 5 * sizeof *xs), *ym = xs + np, *ye = xs + 2 * np, *yc = xs + 3 * np,
	       *yf = xs + 4 * np;
	for (int k = 0; k < n; k++) {
		const struct bridge_ck *c = bridge_ck(b, k);
		xs[k] = (double)c->step;
		ym[k] = c->law_max;
		ye[k] = c->law_mean;
		yc[k] = c->contrast_median;
		yf[k] = c->floor_max;
	}
	struct { const double *y; const char *tag; } ser[] = { { yf, "f" }, { yc, "C" }, { ye, "E" }, { ym, "M" } };
	for (size_t i = 0; i < sizeof ser / sizeof *ser; i++) {
		fig_add_series(p, xs, ser[i].y, n, ser[i].tag, fig_style(0, 1, FIG_SOLID, 0));
		str_copy(p->series[p->nseries - 1].tag, ser[i].tag, sizeof p->series[0].tag);
	}
	free(xs);
	struct cell_plot cp = {
		.p = p, .step_axis = 1, .key = follow_key, .ctx = NULL,
		.empty = stopped ? "no checkpoint was read" : "waiting for the first checkpoint",
		.titles = { "LAW DRIFT OVER TRAINING · relative to each law's magnitude, from the first checkpoint",
		            "LAW DRIFT OVER TRAINING", "DRIFT", NULL },
	};
	draw_cells(u, &pr, &cp);
	fig_free(&fg);
}

/* ---- sweep: drift against τ, log-log --------------------------------------- */

/* Marker of horizon a at its points (and in the legend); the τ² reference
 * line is dotted and tagged "τ²". Shapes, not colours, tell them apart. */
static const char sweep_marks[SWEEP_MAX_AT + 1] = "ox+*#@%&";

static const char *sweep_note(const struct sweep_spec *sp, double slope)
{
	if (sp->sched != SCHED_CONST || isnan(slope))
		return "";
	return slope > 1.8 && slope < 2.2 ? "≈ τ²: one-step error dominates"
	     : slope < 1.8 ? "below 2: gradients shrink later in training" : "above 2";
}

static int sweep_px(double v, double lo, double hi, int n)
{
	return (int)((v - lo) / (hi - lo) * (n - 1) + 0.5);
}

/* The plot area of the sweep: lines per horizon with ± sd bars, the dotted τ²
 * reference, then the markers over them. */
static void sweep_canvas(struct ui *u, const struct sweep_view *v, int x0, int y0, int cw, int ch, int lab, int tagw,
                         const unsigned long *at)
{
	int nat = v->nat;
	double lo = v->ylo, hi = v->yhi;
	struct ui_canvas *cv = &u->canvas;
	ui_canvas_resize(cv, cw, ch, u->glyphs);
	int W = ui_canvas_width(cv), H = ui_canvas_height(cv);
	if (v->ref)
		ui_canvas_line(cv, sweep_px(v->ref_x0, v->xlo, v->xhi, W), H - 1 - sweep_px(v->ref_y0, lo, hi, H),
		               sweep_px(v->ref_x1, v->xlo, v->xhi, W), H - 1 - sweep_px(v->ref_y1, lo, hi, H), nat, 1);
	for (int a = 0; a < nat; a++) {
		int px = -1, py = -1;
		for (int j = 0; j < v->ntau; j++) {
			double m = v->mean[a][j], sd = v->sd[a][j];
			if (isnan(m))
				continue;
			int x = sweep_px(v->logtau[j], v->xlo, v->xhi, W), y = H - 1 - sweep_px(log10(m), lo, hi, H);
			if (px >= 0)
				ui_canvas_line(cv, px, py, x, y, a, 0);
			if (sd > 0) {         /* ± sd over seeds */
				double l = m - sd > 0 ? log10(m - sd) : lo;
				ui_canvas_line(cv, x, H - 1 - sweep_px(l, lo, hi, H), x, H - 1 - sweep_px(log10(m + sd), lo, hi, H), a, 0);
			}
			px = x;
			py = y;
		}
	}
	char marks[SWEEP_MAX_AT + 2], g[8];
	for (int a = 0; a < nat; a++)
		marks[a] = '.';
	marks[nat] = '-';
	marks[nat + 1] = '\0';
	for (int yy = 0; yy < ch; yy++)
		for (int xx = 0; xx < cw; xx++) {
			int own = ui_canvas_glyph(cv, xx, yy, marks, g);
			if (!own)
				continue;
			attrset(own <= nat + 1 ? at[own - 1] : u->attr[UI_R_NORMAL]);
			mvaddstr(y0 + yy, x0 + lab + xx, g);
		}
	/* markers on the points, over the lines */
	for (int a = 0; a < nat; a++)
		for (int j = 0; j < v->ntau; j++) {
			if (isnan(v->mean[a][j]))
				continue;
			int x = sweep_px(v->logtau[j], v->xlo, v->xhi, W) / cv->px;
			int y = (H - 1 - sweep_px(log10(v->mean[a][j]), lo, hi, H)) / cv->py;
			char mk[2] = { sweep_marks[a], '\0' };
			put(u, y0 + y, x0 + lab + x, 1, at[a] | A_BOLD, mk);
		}
	if (v->ref)
		put(u, y0 + (H - 1 - sweep_px(v->ref_y1, lo, hi, H)) / cv->py, x0 + lab + cw, tagw, at[nat],
		    u->ascii ? " t^2" : " τ²");
}

/* Decade labels on the y axis and the swept τ values on the x axis. */
static void sweep_axes(struct ui *u, const struct sweep_view *v, const struct sweep_spec *sp, int x0, int y0, int cw,
                       int ch, int lab, int tagw)
{
	char lb[32];
	double lo = v->ylo, hi = v->yhi;
	int lastrow = -2;
	for (int d = (int)hi; d >= (int)lo; d--) {   /* at most one every other row */
		int row = (int)((1 - (d - lo) / (hi - lo)) * (ch - 1) + 0.5);
		if (row - lastrow < 2)
			continue;
		snprintf(lb, sizeof lb, "1e%d", d);
		right(u, y0 + row, x0, lab - 1, u->attr[UI_R_DIM], lb);
		lastrow = row;
	}
	int xrow = y0 + ch, end = -1, W = ui_canvas_width(&u->canvas), px = u->canvas.px;
	for (int j = 0; j < v->ntau; j++) {          /* skipping labels that would touch */
		snprintf(lb, sizeof lb, "%g", sp->tau[j]);
		int w = text_width(u, lb), c = sweep_px(v->logtau[j], v->xlo, v->xhi, W) / px - w / 2;
		if (c < 0)
			c = 0;
		if (c + w > cw + tagw)
			c = cw + tagw - w;
		if (c <= end)
			continue;
		put(u, xrow, x0 + lab + c, w, u->attr[UI_R_DIM], lb);
		end = c + w;
	}
	const char *xname = "τ = step size (log scale)";
	int xw = text_width(u, xname);
	put(u, xrow + 1, x0 + lab + (cw > xw ? (cw - xw) / 2 : 0), cw, u->attr[UI_R_DIM], xname);
}

/* Legend: marker, horizon, fitted slopes and what the slope means. */
static void sweep_legend(struct ui *u, const struct ui_rect *r, const struct sweep_result *sw,
                         const struct sweep_spec *sp, int ref, int x0, int ly, const unsigned long *at)
{
	char b[256];
	for (int a = 0; a < sw->nat && a < SWEEP_MAX_AT; a++, ly++) {
		char mk[2] = { sweep_marks[a], '\0' }, s1[32], s2[32];
		if (isnan(sw->slope_eps[a]))
			snprintf(b, sizeof b, " k=%-6ld slope: too few finite points to fit", sp->at[a]);
		else {
			snprintf(s1, sizeof s1, "%.2f", sw->slope_eps[a]);
			snprintf(s2, sizeof s2, "%.2f", sw->slope_max[a]);
			const char *note = sweep_note(sp, sw->slope_eps[a]);
			snprintf(b, sizeof b, " k=%-6ld slope %s (max law %s)%s%s", sp->at[a], s1, s2, note[0] ? "  " : "", note);
			if (text_width(u, b) > r->w - 4)     /* narrow: the max-law slope goes first */
				snprintf(b, sizeof b, " k=%-5ld slope %s%s%s", sp->at[a], s1, note[0] ? "  " : "", note);
		}
		int x = x0 + 1 + put(u, ly, x0 + 1, 1, at[a] | A_BOLD, mk);
		put(u, ly, x, r->x + r->w - 1 - x, at[a], b);
	}
	if (ref) {
		int x = x0 + 1 + put(u, ly, x0 + 1, 3, at[sw->nat < SWEEP_MAX_AT ? sw->nat : SWEEP_MAX_AT], u->ascii ? "- -" : "···");
		put(u, ly, x, r->x + r->w - 1 - x, u->attr[UI_R_DIM],
		    r->w >= 76 ? " τ² reference: slope 2 through the first horizon's points" : " τ² reference (slope 2)");
	}
}

static void draw_sweep(struct ui *u, const struct ui_rect *r)
{
	const struct sweep_result *sw = u->ctx->sweep;
	const struct sweep_spec *sp = u->ctx->sweep_spec;
	char title[192];
	snprintf(title, sizeof title, "DRIFT vs τ (log-log) · sweep %s, %ld steps, %d seed%s, %d law%s",
	         sched_names[sp->sched], sp->steps, sp->seeds, sp->seeds == 1 ? "" : "s", sw->nlaws,
	         sw->nlaws == 1 ? "" : "s");
	if (text_width(u, title) > r->w - 6)
		snprintf(title, sizeof title, "DRIFT vs τ (log-log) · %s, %ld steps, %d seed%s",
		         sched_names[sp->sched], sp->steps, sp->seeds, sp->seeds == 1 ? "" : "s");
	panel_box(u, r, title, u->attr[UI_R_TITLE]);
	put(u, r->y + r->h - 1, r->x + 2, r->w - 4, u->attr[UI_R_DIM],
	    r->w >= 80 ? " Esc hides · sweep show · sweep off · overlay output: the table "
	               : " Esc hides · overlay output: the table ");
	struct sweep_view v;
	int rc = sweep_view_fill(sw, sp, &v);
	const int lab = 7, tagw = u->ascii ? 4 : 3;
	int cw = r->w - 2 - lab - tagw, ch = r->h - 2 - 3 - (v.nat + 1);
	int y0 = r->y + 1, x0 = r->x + 1;
	if (sw->nlaws == 0) {
		put(u, y0 + (r->h - 2) / 2, x0 + 2, r->w - 4, u->attr[UI_R_TITLE],
		    "no conservation laws in this model: no law drift to plot");
		return;
	}
	if (cw < 8 || ch < 3) {
		put(u, y0, x0, r->w - 2, u->attr[UI_R_DIM], "too small for the sweep plot: overlay output shows the table");
		return;
	}
	if (rc) {
		put(u, y0 + (r->h - 2) / 2, x0 + 2, r->w - 4, u->attr[UI_R_CLAIM],
		    "every run diverged or no drift was measured: nothing to plot");
		return;
	}
	fig_decade_range(&v.ylo, &v.yhi);
	unsigned long at[SWEEP_MAX_AT + 1];
	static const int roles[] = { UI_R_LAW, UI_R_CONTRAST, UI_R_LOSS, UI_R_TITLE };
	for (int a = 0; a < v.nat; a++)
		at[a] = u->attr[roles[a % 4]];
	at[v.nat] = u->attr[UI_R_BUDGET];
	put(u, y0, x0, r->w - 2, u->attr[UI_R_DIM], "ε = mean relative law drift (log scale)");
	sweep_canvas(u, &v, x0, y0 + 1, cw, ch, lab, tagw, at);
	sweep_axes(u, &v, sp, x0, y0 + 1, cw, ch, lab, tagw);
	sweep_legend(u, r, sw, sp, v.ref, x0, y0 + 1 + ch + 2, at);
}

/* ---- lines ---------------------------------------------------------------- */

static void draw_summary(struct ui *u)
{
	const struct ui_rect *r = &u->lay.summary;
	if (r->h == 0)
		return;
	char b[512];
	if (u->view.built)
		snprintf(b, sizeof b, " %s │ loss %s │ D=%zu ", u->view.model, u->view.loss_name, u->view.params);
	else
		snprintf(b, sizeof b, " %s │ loss %s ", u->view.model, u->view.loss_name);
	int x = put(u, r->y, r->x, r->w, u->attr[UI_R_TITLE], "noether");
	put_cut(u, r->y, r->x + x, r->w - x, u->attr[UI_R_NORMAL], b);
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

/* "9.9e-3" (prec 1) or "1e-2" (prec 0): %e without the exponent's padding */
static void fmt_big_sci(char *b, size_t n, double v, int prec)
{
	char t[32];
	snprintf(t, sizeof t, "%.*e", prec, v);
	char *e = strchr(t, 'e');
	if (e) {
		char *d = e + 1 + (e[1] == '-' || e[1] == '+');
		size_t z = strspn(d, "0");
		if (d[z])
			memmove(d, d + z, strlen(d + z) + 1);
		if (e[1] == '+')
			memmove(e + 1, e + 2, strlen(e + 2) + 1);
	}
	str_copy(b, t, n);
}

/* Big digits: the step (or time) and the worst law drift; under compare A's
 * and B's side by side, each after its big letter in its run's colour. The
 * longest forms that fit the width; what does not fit in big digits is
 * written as text. */
static void draw_big(struct ui *u)
{
	const struct ui_rect *r = &u->lay.big;
	if (r->h == 0)
		return;
	int two = experiment_nruns(u->ctx->x) > 1;
	const struct ui_view *vs[2] = { &u->view, &u->view_b };
	char step[32], d[2][32], line[512];
	if (u->view.flow)
		snprintf(step, sizeof step, "%.4g", u->view.t);
	else
		snprintf(step, sizeof step, "%ld", u->view.step);
	int nd = two ? 2 : 1;
	/* widths: step label 6 + digits; a drift: (letter 4 + 2) + digits */
	int step_big = 1, prec = 1, fits = 0;
	for (int tryi = 0; tryi < 4 && !fits; tryi++) {
		step_big = tryi < 2;
		prec = tryi % 2 == 0 ? 1 : 0;
		int need = step_big ? 7 + ui_big_row(step, 0, u->ascii, line, sizeof line) : 14;
		for (int k = 0; k < nd; k++) {
			if (vs[k]->max_law_rel >= 0)
				fmt_big_sci(d[k], sizeof d[k], vs[k]->max_law_rel, prec);
			else
				snprintf(d[k], sizeof d[k], "-");
			need += 3 + (two ? UI_BIG_W + 2 : 0) + ui_big_row(d[k], 0, u->ascii, line, sizeof line);
		}
		fits = need + (two ? 0 : 16) <= r->w;
	}
	int x = r->x + 1;
	put(u, r->y, x, 6, u->attr[UI_R_DIM], u->view.flow ? "time t" : "step");
	if (step_big) {
		for (int row = 0; row < UI_BIG_H; row++) {
			ui_big_row(step, row, u->ascii, line, sizeof line);
			put(u, r->y + row, x + 6, r->w - 7, u->attr[UI_R_BIG], line);
		}
		x += 6 + ui_big_row(step, 0, u->ascii, line, sizeof line) + 3;
	} else {
		put(u, r->y + 2, x, 13, u->attr[UI_R_BIG], step);
		x += 14;
	}
	/* the drifts start where their total width ends at the right edge */
	int total = 0;
	for (int k = 0; k < nd; k++)
		total += (two ? UI_BIG_W + 2 : 0) + ui_big_row(d[k], 0, u->ascii, line, sizeof line) + (k ? 3 : 0);
	int dx = r->x + r->w - 1 - total;
	const char *what = u->view.nlaw ? "worst law drift" : "no laws";
	if (two) {
		if (dx - x >= 10) {
			put(u, r->y + 1, dx - 10, 9, u->attr[UI_R_DIM], "worst law");
			put(u, r->y + 2, dx - 10, 9, u->attr[UI_R_DIM], "drift");
		}
	} else {
		put(u, r->y, dx - 16 > x ? dx - 16 : x, 15, u->attr[UI_R_DIM], what);
	}
	if (!fits) {                     /* not even the short forms: as text */
		char txt[128];
		if (two)
			snprintf(txt, sizeof txt, "A %s   B %s", d[0], d[1]);
		else
			snprintf(txt, sizeof txt, "%s", d[0]);
		put_cut(u, r->y + 2, x, r->x + r->w - x, u->attr[UI_R_LAW] | A_BOLD, txt);
		return;
	}
	for (int k = 0; k < nd; k++) {
		unsigned long at = u->attr[k ? UI_R_CONTRAST : UI_R_LAW] | A_BOLD;
		for (int row = 0; row < UI_BIG_H; row++) {
			int xx = dx;
			if (two) {
				ui_big_row(k ? "B" : "A", row, u->ascii, line, sizeof line);
				put(u, r->y + row, xx, UI_BIG_W, at, line);
				xx += UI_BIG_W + 2;
			}
			ui_big_row(d[k], row, u->ascii, line, sizeof line);
			put(u, r->y + row, xx, r->x + r->w - xx, at, line);
		}
		dx += (two ? UI_BIG_W + 2 : 0) + ui_big_row(d[k], 0, u->ascii, line, sizeof line) + 3;
	}
}

/* The progress bar of long work in the status line: what, a bar, the
 * fraction and stage, elapsed time and an estimate of what is left, and a
 * clickable "Esc cancels". Reads no experiment state (a worker may own it). */
static void draw_progress(struct ui *u)
{
	const struct ui_rect *r = &u->lay.status;
	unsigned long at = u->attr[UI_R_STATUS] | A_BOLD;
	fill(r->y, r->x, r->w, u->attr[UI_R_STATUS]);
	double el = now_seconds() - u->busy_t0, f = u->busy_frac;
	char what[160], tail[128], bar[64 * 3 + 1];
	if (u->busy == UI_BUSY_STEP) {
		char a[32], b[32];
		ui_fmt_count(a, sizeof a, u->view.step - u->goal_from);
		ui_fmt_count(b, sizeof b, u->goal_to - u->goal_from);
		snprintf(what, sizeof what, " STEPPING %s/%s ", a, b);
	} else {
		/* the command's first two words: laws count, sweep tau, load params */
		char name[64];
		str_copy(name, u->busy_what, sizeof name);
		char *sp = strchr(name, ' ');
		if (sp && (sp = strchr(sp + 1, ' ')) != NULL)
			*sp = '\0';
		snprintf(what, sizeof what, " WORKING %s ", name);
	}
	/* numbers first, then the bar (8-30 cells), then the stage if it fits */
	char stage[128] = "";
	if (f >= 0 && f <= 1 && el > 0.2 && f > 0.01)
		snprintf(tail, sizeof tail, " %.0f%% %.1f s, ~%.0f s left ", 100 * f, el, el * (1 - f) / f);
	else if (f >= 0 && f <= 1)
		snprintf(tail, sizeof tail, " %.0f%% %.1f s ", 100 * f, el);
	else
		snprintf(tail, sizeof tail, " %.1f s ", el);
	if (u->busy_stage[0])
		snprintf(stage, sizeof stage, "· %s ", u->busy_stage);
	const char *cancel = " Esc cancels ";
	int cw = text_width(u, cancel);
	int x = r->x + put_cut(u, r->y, r->x, r->w - cw, at, what);
	int room = r->x + r->w - cw - x - text_width(u, tail);
	int cells = room - text_width(u, stage) - 1;
	if (cells < 8) {
		/* a long stage is cut (with an ellipsis) before the bar goes below 8
		 * cells; only when not even a few characters of it fit is it dropped */
		cells = 8;
		if (room - 1 - cells < 6) {
			stage[0] = '\0';
			cells = room - 1;
		}
	}
	if (cells > 30)
		cells = 30;
	if (cells >= 8) {
		int full = f > 0 ? (int)(f * cells + 0.5) : 0, o = 0;
		if (f < 0)               /* unknown: a block that moves */
			full = -1;
		for (int i = 0; i < cells; i++) {
			int on = full >= 0 ? i < full : i == (int)(el * 8) % cells;
			const char *g = u->ascii ? (on ? "#" : "-") : (on ? "█" : "░");
			size_t n = strlen(g);
			memcpy(bar + o, g, n);
			o += (int)n;
		}
		bar[o] = '\0';
		x += put(u, r->y, x, 1, u->attr[UI_R_STATUS], " ");
		x += put(u, r->y, x, cells, u->attr[UI_R_STATUS], bar);
	}
	x += put_cut(u, r->y, x, r->x + r->w - cw - x, at, tail);
	x += put_cut(u, r->y, x, r->x + r->w - cw - x, u->attr[UI_R_STATUS], stage);
	int cx = r->x + r->w - cw;
	put(u, r->y, cx, cw, u->attr[UI_R_KEY] | A_REVERSE, cancel);
	add_button(u, r->y, cx, cx + cw, "cancel");
}

static void draw_status(struct ui *u)
{
	const struct ui_rect *r = &u->lay.status;
	const struct ui_view *v = &u->view;
	if (u->busy) {
		draw_progress(u);
		return;
	}
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
	char bst[48] = "";
	const struct experiment *x = u->ctx->x;
	if (experiment_nruns(x) > 1) {          /* B's own counter: step-locked shows as equal */
		char t2[32];
		ui_fmt_count(t2, sizeof t2, run_steps(experiment_run(x, 1)));
		snprintf(bst, sizeof bst, " (B %s)", t2);
	}
	char clock[96];
	if (v->flow) {             /* continuous time: t is the clock, steps are the integrator's */
		char tb[32], hb[32];
		ui_fmt_value(tb, sizeof tb, v->t);
		ui_fmt_sci(hb, sizeof hb, v->flow_h > 0 && v->flow_h < v->tau ? v->flow_h : v->tau);
		snprintf(clock, sizeof clock, "t %s (%s step%s%s) │ next h %s", tb, st, v->step == 1 ? "" : "s", bst, hb);
	} else {
		snprintf(clock, sizeof clock, "step %s%s │ τ %s", st, bst, tau);
	}
	snprintf(b, sizeof b, " %s%s │ %s%s │ %s │ %s │ %s │ %s%s%s",
	         u->running ? "RUNNING" : "PAUSED ", experiment_nruns(x) > 1 ? " A/B" : "", clock, rate, v->sched, v->opt,
	         spf, v->seeds, experiment_portrait_info(x)->on ? " │ portrait" : "", u->nreplay ? " │ replaying" : "");
	put_cut(u, r->y, r->x, r->w, u->attr[UI_R_STATUS] | A_BOLD, b);
	add_button(u, r->y, r->x, r->x + 8, "toggle");     /* the run state word: run/pause */
}

static void draw_hints(struct ui *u)
{
	const struct ui_rect *r = &u->lay.hints;
	/* htop-style buttons: a click runs the command (two-key hints: each key) */
	static const struct { const char *key, *what, *cmd, *cmd2; } hint[] = {
		{ "space", "run/pause", "toggle", NULL }, { "n", "step", "step 1", NULL }, { "?", "help", "overlay help", NULL },
		{ "q", "quit", "quit", NULL }, { ":", "command", "focus", NULL }, { "r", "reset", "reset", NULL },
		{ "+-", "speed", "speed faster", "speed slower" }, { "[]", "τ", "tau down", "tau up" },
		{ "R", "reseed", "reseed", NULL }, { "1-9", "panels", "overlay help", NULL }, { "p", "preset", "cycle next", NULL },
	};
	if (r->h == 0)
		return;
	int x = r->x + 1;
	for (size_t i = 0; i < sizeof hint / sizeof hint[0]; i++) {
		int need = text_width(u, hint[i].key) + text_width(u, hint[i].what) + 3;
		if (x + need > r->x + r->w)
			break;
		int x0 = x;
		x += put(u, r->y, x, r->w - x, u->attr[UI_R_KEY], hint[i].key);
		x += put(u, r->y, x, r->w - x, u->attr[UI_R_DIM], " ");
		x += put(u, r->y, x, r->w - x, u->attr[UI_R_DIM], hint[i].what);
		if (hint[i].cmd2) {         /* "+-": + on the first key, - on the second */
			add_button(u, r->y, x0, x0 + 1, hint[i].cmd);
			add_button(u, r->y, x0 + 1, x0 + 2, hint[i].cmd2);
		} else {
			add_button(u, r->y, x0, x, hint[i].cmd);
		}
		x += 2;
	}
}

static void draw_msg(struct ui *u)
{
	const struct ui_rect *r = &u->lay.msg;
	if (!u->msg[0])
		return;
	if (u->msg_error) {
		/* a cut error points at its full text: `o` shows the output overlay */
		int x = put(u, r->y, r->x, r->w, u->attr[UI_R_ERROR], " error ");
		const char *more = " o: all";
		int room = r->w - x - 1, mw = text_width(u, more);
		if (text_width(u, u->msg) > room && room > mw + 10) {
			x += 1 + put_cut(u, r->y, r->x + x + 1, room - mw, u->attr[UI_R_NORMAL], u->msg);
			put(u, r->y, r->x + x, mw, u->attr[UI_R_KEY], more);
			add_button(u, r->y, r->x + x, r->x + x + mw, "overlay output");
		} else {
			put_cut(u, r->y, r->x + x + 1, room, u->attr[UI_R_NORMAL], u->msg);
		}
	} else {
		put_cut(u, r->y, r->x, r->w, u->attr[UI_R_NORMAL], u->msg);
	}
}

/* The readline line: prompt, then the buffer scrolled so the point shows. */
static void draw_input(struct ui *u, int *cy, int *cx)
{
	const struct ui_rect *r = &u->lay.input;
	*cy = *cx = -1;
	if (!u->focus) {
		const char *h = u->busy ? "working: Esc or Ctrl-C cancels, q quits" : u->nreplay ? "replaying: q quits"
		              : ": command   ? help   q quit";
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

/* Tab's candidates, as a block of rows just above the message line, laid out
 * in columns; drawn over the plots while the command line has the keys. */
static void draw_completions(struct ui *u)
{
	if (!u->focus || u->comp_n <= 0)
		return;
	const struct ui_rect *m = &u->lay.msg;
	int colw = 8;
	const char *p = u->comp;
	for (int i = 0; i < u->comp_n; i++, p += strlen(p) + 1)
		if (text_width(u, p) + 2 > colw)
			colw = text_width(u, p) + 2;
	if (colw > m->w - 2)
		colw = m->w - 2;
	int per = (m->w - 2) / colw;
	if (per < 1)
		per = 1;
	int rows = (u->comp_n + per - 1) / per, maxrows = 8;
	if (maxrows > m->y - 2)
		maxrows = m->y - 2;
	if (rows > maxrows)
		rows = maxrows;
	if (rows < 1)
		return;
	int top = m->y - rows - 1;
	fill(top, m->x, m->w, u->attr[UI_R_STATUS]);
	putf(u, top, m->x + 1, m->w - 2, u->attr[UI_R_STATUS] | A_BOLD, "completions (%d)%s", u->comp_n,
	     (u->comp_n > rows * per) ? " — more: type letters" : "");
	p = u->comp;
	for (int i = 0; i < u->comp_n && i < rows * per; i++, p += strlen(p) + 1) {
		int row = i / per, col = i % per;
		if (col == 0)
			fill(top + 1 + row, m->x, m->w, u->attr[UI_R_NORMAL] | A_REVERSE);
		put(u, top + 1 + row, m->x + 1 + col * colw, colw - 1, u->attr[UI_R_NORMAL] | A_REVERSE, p);
	}
}

/* ---- overlays ------------------------------------------------------------- */

/* Bytes of s (n bytes, already 7-bit in ASCII mode) that fill at most w
 * display columns; at least one character. */
static size_t wrap_row(const char *s, size_t n, int w)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t b = 0;
	int cols = 0;
	while (b < n) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s + b, n - b, &st);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			k = 1;
			wc = '?';
			memset(&st, 0, sizeof st);
		}
		int cw = wcwidth(wc);
		if (cw < 0)
			cw = 1;
		if (cols + cw > w && b > 0)
			break;
		cols += cw;
		b += k;
	}
	if (b < n) {                      /* break after a space when there is one late enough */
		for (size_t k = b; k > b / 2; k--)
			if (s[k - 1] == ' ')
				return k;
	}
	return b;
}

/* Logical line i of text (from *p) into buf: tabs as spaces, transliterated
 * in ASCII mode. Advances *p past the newline. */
static size_t overlay_line(struct ui *u, const char **p, char *buf, size_t len)
{
	char raw[1024];
	const char *e = strchr(*p, '\n');
	size_t n = e ? (size_t)(e - *p) : strlen(*p);
	size_t c = n < sizeof raw - 1 ? n : sizeof raw - 1;
	memcpy(raw, *p, c);
	raw[c] = '\0';
	for (char *t = raw; *t; t++)
		if (*t == '\t')
			*t = ' ';
	*p = e ? e + 1 : *p + n;
	if (u->ascii)
		ui_to_ascii(raw, buf, len);
	else
		str_copy(buf, raw, len);
	return strlen(buf);
}

/* A scrollable text box; long lines wrap onto the next rows so tables such
 * as `laws count` stay readable at 80 columns. The row count is cached per
 * text and width, so a frame does not re-wrap a long output. */
static void overlay_lines(struct ui *u, const char *title, const char *text, size_t tlen)
{
	static const char *c_text;
	static size_t c_len;
	static int c_w = -1, c_ascii = -1, c_rows;
	const struct ui_rect *r = &u->lay.overlay;
	for (int y = r->y; y < r->y + r->h; y++)
		fill(y, r->x, r->w, u->attr[UI_R_NORMAL]);
	panel_box(u, r, title, u->attr[UI_R_TITLE]);
	int inner = r->h - 3, w = r->w - 4;
	char line[4096];
	if (text != c_text || tlen != c_len || w != c_w || u->ascii != c_ascii) {
		c_rows = 0;
		for (const char *p = text; *p;) {
			size_t n = overlay_line(u, &p, line, sizeof line), o = 0;
			do {
				o += n ? wrap_row(line + o, n - o, w) : 0;
				c_rows++;
			} while (o < n);
		}
		c_text = text;
		c_len = tlen;
		c_w = w;
		c_ascii = u->ascii;
	}
	int nrows = c_rows;
	if (u->overlay_scroll > nrows - inner)
		u->overlay_scroll = nrows - inner;
	if (u->overlay_scroll < 0)
		u->overlay_scroll = 0;
	int row = 0, y = 0;
	for (const char *p = text; *p && y < inner;) {
		size_t n = overlay_line(u, &p, line, sizeof line), o = 0;
		do {
			size_t k = n ? wrap_row(line + o, n - o, w) : 0;
			if (row >= u->overlay_scroll && y < inner) {
				char seg[4096];
				memcpy(seg, line + o, k);
				seg[k] = '\0';
				put(u, r->y + 1 + y, r->x + 2, w, u->attr[UI_R_NORMAL], seg);
				y++;
			}
			o += k;
			row++;
		} while (o < n);
	}
	char foot[96];
	snprintf(foot, sizeof foot, " Esc close · ↑↓ PgUp PgDn scroll · %d-%d of %d ",
	         nrows ? u->overlay_scroll + 1 : 0,
	         u->overlay_scroll + inner < nrows ? u->overlay_scroll + inner : nrows, nrows);
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
}

static void draw_overlay(struct ui *u)
{
	if (u->overlay == UI_O_HELP) {
		if (!help_text[0])
			build_help();
		overlay_lines(u, "HELP", help_text, help_len);
	} else if (u->overlay == UI_O_OUTPUT) {
		overlay_lines(u, "OUTPUT", u->out ? u->out : "", u->out ? u->out_len : 0);
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

void ui_draw_busy(struct ui *u, int full)
{
	if (u->full_redraw) {
		clearok(curscr, TRUE);
		u->full_redraw = 0;
	}
	u->nbtn = 0;
	if (u->lay.too_small) {
		attrset(u->attr[UI_R_NORMAL]);
		erase();
		draw_too_small(u);
	} else {
		if (full) {
			/* after a resize the last frame is gone: the summary (its text is
			 * ours) and a note where the panels go */
			attrset(u->attr[UI_R_NORMAL]);
			erase();
			draw_summary(u);
			int y = u->lay.status.y / 2;
			char note[300];
			snprintf(note, sizeof note, "%s is running: the panels come back when it ends", u->busy_what);
			int w = text_width(u, note), x = w < COLS ? (COLS - w) / 2 : 0;
			put_cut(u, y, x, COLS - x, u->attr[UI_R_DIM], note);
		}
		draw_status(u);
		fill(u->lay.msg.y, 0, COLS, u->attr[UI_R_NORMAL]);
		draw_msg(u);
		fill(u->lay.input.y, 0, COLS, u->attr[UI_R_NORMAL]);
		draw_input(u, &(int){ 0 }, &(int){ 0 });
	}
	attrset(A_NORMAL);
	curs_set(0);
	wnoutrefresh(stdscr);
	doupdate();
}

void ui_draw_frame(struct ui *u)
{
	int cy = -1, cx = -1;
	if (u->full_redraw) {
		clearok(curscr, TRUE);
		u->full_redraw = 0;
	}
	u->nbtn = 0;
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
		if (u->lay.sweep.h > 0 && u->follow_on)
			draw_follow(u, &u->lay.sweep);
		else if (u->lay.sweep.h > 0)
			draw_sweep(u, &u->lay.sweep);
		draw_plots(u);
		draw_status(u);
		draw_hints(u);
		draw_msg(u);
		draw_input(u, &cy, &cx);
		draw_completions(u);
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
