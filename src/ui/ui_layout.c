/* ui_layout.c — screen geometry (see ui_layout.h). Pure arithmetic, no curses.
 * Rows are handed out top to bottom: summary, caption, big digits; then the
 * fixed bottom lines (status, hints, message, input); the middle is shared by
 * the quantity panels (side by side) and the plots (side by side). */
#include <string.h>
#include "ui_layout.h"

static struct ui_rect rect(int y, int x, int h, int w)
{
	struct ui_rect r = { y, x, h > 0 ? h : 0, w > 0 ? w : 0 };
	if (r.h == 0 || r.w == 0)
		r.h = r.w = 0;
	return r;
}

static int shown(const struct ui_layout_in *in, enum ui_panel p)
{
	return (in->visible >> p) & 1u;
}

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

enum { BIG_H = 5, PANEL_MIN_H = 5, PLOT_MIN_H = 6 };

void ui_layout_compute(const struct ui_layout_in *in, struct ui_layout *out)
{
	memset(out, 0, sizeof *out);
	out->need_w = UI_MIN_W;
	out->need_h = UI_MIN_H;
	int W = in->cols, H = in->rows;
	out->cols = W;
	out->rows = H;
	if (W < UI_MIN_W || H < UI_MIN_H) {
		out->too_small = 1;
		return;
	}
	int top = 0;
	if (shown(in, UI_P_SUMMARY))
		out->summary = rect(top++, 0, 1, W);
	if (in->caption)
		out->caption = rect(top++, 0, 1, W);

	int bottom = 3 + (shown(in, UI_P_HINTS) && H >= 22);
	int y = H - 1;
	out->input = rect(y--, 0, 1, W);
	out->msg = rect(y--, 0, 1, W);
	if (bottom == 4)
		out->hints = rect(y--, 0, 1, W);
	out->status = rect(y--, 0, 1, W);

	if (shown(in, UI_P_BIG) && H - top - bottom >= BIG_H + 1 + PANEL_MIN_H + PLOT_MIN_H) {
		out->big = rect(top, 0, BIG_H, W);
		top += BIG_H + 1;
	}

	int middle = H - top - bottom;
	if (in->sweep) {
		out->sweep = rect(top, 0, middle, W);
		middle = 0;
	}
	int panels = shown(in, UI_P_LAWS) || shown(in, UI_P_CONTRAST);
	int plots = shown(in, UI_P_DRIFT) || shown(in, UI_P_LOSS);
	int ph = 0, gh = 0;
	if (middle <= 0) {
		/* the sweep plot has it */
	} else if (panels && plots) {
		/* border (2) + header (1) + footer (1) around the content rows */
		int want = imax(in->law_rows, in->contrast_rows) + 4;
		ph = imax(PANEL_MIN_H, imin(want, middle * 3 / 5));
		if (middle - ph < PLOT_MIN_H)
			ph = middle - PLOT_MIN_H;
		if (in->present && middle - PANEL_MIN_H < UI_PRESENT_PLOT_H) {
			ph = 1;             /* a projector: the plot gets the space */
			out->compact = 1;
		}
		gh = middle - ph;
	} else if (panels) {
		ph = middle;
	} else if (plots) {
		gh = middle;
	}

	if (ph > 0) {
		int lw = shown(in, UI_P_CONTRAST) ? W / 2 : W;
		if (shown(in, UI_P_LAWS))
			out->laws = rect(top, 0, ph, lw);
		else
			lw = 0;
		if (shown(in, UI_P_CONTRAST))
			out->contrast = rect(top, lw, ph, W - lw);
	}
	if (gh > 0) {
		int gy = top + ph;
		int loss = shown(in, UI_P_LOSS) && !(out->compact && shown(in, UI_P_DRIFT) && W < UI_PRESENT_SPLIT_W);
		int dw = loss ? W * 3 / 5 : W;
		if (shown(in, UI_P_DRIFT))
			out->drift = rect(gy, 0, gh, dw);
		else
			dw = 0;
		if (loss)
			out->loss = rect(gy, dw, gh, W - dw);
	}

	int ow = imin(W - 4, 100), oh = H - 4;
	out->overlay = rect(2, (W - ow) / 2, oh, ow);
}

void ui_layout_columns(int w, int want_values, int want_spark, struct ui_columns *c)
{
	/* name | h0 (1+9) | hk (1+9) | rel drift (1+9) | spark (1+n); the
	 * relative drift is always shown, then h(θk), h(θ0), the sparkline, each
	 * only while the name keeps a readable width. */
	int left = w - 10;
	memset(c, 0, sizeof *c);
	if (want_values && left - 10 >= 14) {
		c->show_hk = 1;
		left -= 10;
	}
	if (want_values && c->show_hk && left - 10 >= 16) {
		c->show_h0 = 1;
		left -= 10;
	}
	if (want_spark && left - 9 >= 12) {
		int sw = imin(24, left - 1 - 12);
		if (sw >= 8) {
			c->spark_w = sw;
			left -= sw + 1;
		}
	}
	c->name_w = imax(left, 1);
}
