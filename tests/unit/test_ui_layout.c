/* test_ui_layout.c — the pure half of the screen: layout geometry at every
 * size from the minimum to very large (inside the terminal, no overlaps,
 * panels side by side, "too small" below the minimum), panel columns, the
 * dot canvas and its glyphs, sparkline levels, big digits, number formats,
 * ASCII transliteration and trace sampling. Links the UI library; the pure
 * parts tested here need no terminal. A hand-made run (the core's private
 * layout) feeds the sampling with a trace of known values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "cmd/cmd_plot.h"
#include "ui/ui_layout.h"
#include "ui/ui_canvas.h"
#include "ui/ui_view.h"
#include "../../src/core/exp_impl.h"

static int passed, failed;

static void check(int ok, const char *what, int line)
{
	if (ok) {
		passed++;
	} else {
		failed++;
		printf("not ok - %s (line %d)\n", what, line);
	}
}

static int inside(const struct ui_rect *r, int W, int H)
{
	return r->h == 0 || (r->y >= 0 && r->x >= 0 && r->y + r->h <= H && r->x + r->w <= W);
}

static int overlap(const struct ui_rect *a, const struct ui_rect *b)
{
	if (a->h == 0 || b->h == 0)
		return 0;
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

static void test_layout(void)
{
	int bad_inside = 0, bad_overlap = 0, bad_side = 0, bad_missing = 0;
	unsigned all = (1u << UI_P_COUNT) - 1;
	for (int W = UI_MIN_W; W <= 220; W += 7)
		for (int H = UI_MIN_H; H <= 70; H += 3)
			for (int cap = 0; cap < 2; cap++)
				for (int rows = 0; rows <= 40; rows += 20) {
					struct ui_layout_in in = { W, H, all, cap, rows, 6, 0, 0 };
					struct ui_layout L;
					ui_layout_compute(&in, &L);
					const struct ui_rect *r[] = { &L.summary, &L.caption, &L.big, &L.laws,
						&L.contrast, &L.drift, &L.loss, &L.status, &L.hints, &L.msg, &L.input };
					int n = (int)(sizeof r / sizeof r[0]);
					for (int i = 0; i < n; i++) {
						bad_inside += !inside(r[i], W, H);
						for (int j = i + 1; j < n; j++)
							bad_overlap += overlap(r[i], r[j]);
					}
					bad_side += !(L.laws.y == L.contrast.y && L.laws.x + L.laws.w == L.contrast.x &&
					              L.contrast.x + L.contrast.w == W);
					bad_missing += L.too_small || L.laws.h < 5 || L.drift.h < 6 || L.status.h != 1 ||
					               L.input.h != 1 || L.input.y != H - 1;
				}
	check(bad_inside == 0, "every rectangle inside the terminal", __LINE__);
	check(bad_overlap == 0, "no two rectangles overlap", __LINE__);
	check(bad_side == 0, "conserved and contrast panels side by side, full width", __LINE__);
	check(bad_missing == 0, "panels, plots, status and input present at every size", __LINE__);

	struct ui_layout L;
	struct ui_layout_in small = { 59, 30, all, 0, 10, 6, 0, 0 };
	ui_layout_compute(&small, &L);
	check(L.too_small && L.need_w == 60 && L.need_h == 20, "59 columns is too small, need 60x20", __LINE__);
	struct ui_layout_in low = { 100, 19, all, 0, 10, 6, 0, 0 };
	ui_layout_compute(&low, &L);
	check(L.too_small, "19 rows is too small", __LINE__);

	struct ui_layout_in one = { 80, 24, all & ~(1u << UI_P_CONTRAST), 0, 10, 6, 0, 0 };
	ui_layout_compute(&one, &L);
	check(L.contrast.h == 0 && L.laws.w == 80, "hidden contrast panel gives the laws full width", __LINE__);
	struct ui_layout_in noplots = { 80, 24, all & ~((1u << UI_P_DRIFT) | (1u << UI_P_LOSS)), 0, 10, 6, 0, 0 };
	ui_layout_compute(&noplots, &L);
	check(L.drift.h == 0 && L.loss.h == 0 && L.laws.h > 12, "without plots the panels take the middle", __LINE__);
	struct ui_layout_in big = { 120, 50, all, 1, 32, 6, 0, 0 };
	ui_layout_compute(&big, &L);
	check(L.big.h == UI_BIG_H && L.caption.h == 1, "big digits and caption at 120x50", __LINE__);
	struct ui_layout_in fits = { 200, 60, all & ~(1u << UI_P_BIG), 0, 32, 6, 0, 0 };
	ui_layout_compute(&fits, &L);
	check(L.laws.h >= 30 && L.drift.h >= 20, "200x60: tall panels and tall plots", __LINE__);

	/* a projector (--present at 80x24, big digits and caption on): the quantity
	 * panels collapse to headline rows and the drift plot takes the rest */
	struct ui_layout_in proj = { 80, 24, all, 1, 10, 6, 0, 1 };
	ui_layout_compute(&proj, &L);
	check(L.big.h == UI_BIG_H && L.compact && L.laws.h == 1 && L.contrast.h == 1 && L.drift.w == 80 &&
	      L.loss.h == 0 && L.drift.h >= 10 && L.drift.y + L.drift.h <= L.status.y, "80x24 --present: the plot gets the space",
	      __LINE__);
	proj.present = 0;
	ui_layout_compute(&proj, &L);
	check(!L.compact && L.laws.h >= 5 && L.loss.h > 0, "80x24 without --present keeps the panels", __LINE__);
	struct ui_layout_in wide = { 200, 60, all, 1, 10, 6, 0, 1 };
	ui_layout_compute(&wide, &L);
	check(!L.compact && L.laws.h >= 5 && L.loss.h > 0, "200x60 --present: room for everything", __LINE__);

	struct ui_layout_in sw = { 80, 24, all & ~(1u << UI_P_BIG), 0, 32, 6, 1, 0 };
	ui_layout_compute(&sw, &L);
	check(L.sweep.h >= 15 && L.sweep.w == 80 && L.laws.h == 0 && L.contrast.h == 0 && L.drift.h == 0 &&
	      L.loss.h == 0 && L.sweep.y + L.sweep.h <= L.status.y, "sweep plot takes the whole middle at 80x24", __LINE__);

	check(cmd_panel_find("3") == UI_P_CONTRAST && cmd_panel_find("loss") == UI_P_LOSS &&
	      cmd_panel_find("0") == -1 && cmd_panel_find("x") == -1, "panel names and digits", __LINE__);

	struct ui_columns c;
	ui_layout_columns(28, 1, 1, &c);
	check(c.name_w >= 8 && c.spark_w == 0, "narrow panel: name and drift only", __LINE__);
	ui_layout_columns(98, 1, 1, &c);
	check(c.show_h0 && c.show_hk && c.spark_w >= 8 && c.name_w >= 12, "wide panel: all columns", __LINE__);
	check(c.name_w + 10 + 10 * c.show_h0 + 10 * c.show_hk + (c.spark_w ? c.spark_w + 1 : 0) == 98,
	      "columns add up to the width", __LINE__);
}

static void test_canvas(void)
{
	struct ui_canvas cv = { 0 };
	char g[8];
	ui_canvas_resize(&cv, 10, 4, UI_G_BRAILLE);
	check(ui_canvas_width(&cv) == 20 && ui_canvas_height(&cv) == 16, "braille canvas is 2x4 dots per cell", __LINE__);
	ui_canvas_dot(&cv, 0, 0, 0);
	ui_canvas_glyph(&cv, 0, 0, "*", g);
	check(strcmp(g, "\xe2\xa0\x81") == 0, "top-left dot is U+2801", __LINE__);
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 2; x++)
			ui_canvas_dot(&cv, 2 + x, y, 1);
	int own = ui_canvas_glyph(&cv, 1, 0, "*o", g);
	check(strcmp(g, "\xe2\xa3\xbf") == 0 && own == 2, "full cell is U+28FF, owned by series 1", __LINE__);
	ui_canvas_dot(&cv, -1, 0, 0);
	ui_canvas_dot(&cv, 20, 0, 0);
	ui_canvas_dot(&cv, 0, 16, 0);
	check(1, "out-of-range dots are ignored", __LINE__);
	ui_canvas_clear(&cv);
	ui_canvas_line(&cv, 0, 15, 19, 0, 0, 0);
	int set = 0;
	for (int i = 0; i < cv.cw * cv.ch; i++)
		set += cv.bits[i] != 0;
	check(set >= 10, "a diagonal line touches a cell in every column", __LINE__);

	ui_canvas_resize(&cv, 5, 3, UI_G_ASCII);
	ui_canvas_dot(&cv, 2, 1, 2);
	ui_canvas_glyph(&cv, 2, 1, "LCB", g);
	check(strcmp(g, "B") == 0, "ASCII cell shows its series' marker", __LINE__);
	ui_canvas_glyph(&cv, 0, 0, "LCB", g);
	check(strcmp(g, " ") == 0, "empty cell is a space", __LINE__);
	ui_canvas_resize(&cv, 5, 3, UI_G_BLOCK);
	ui_canvas_dot(&cv, 1, 1, 0);
	ui_canvas_glyph(&cv, 1, 0, "*", g);
	check(strcmp(g, "▄") == 0, "block mode: lower half", __LINE__);
	ui_canvas_free(&cv);

	check(ui_spark_level(NAN, -16, 0) == 0, "NaN sparkline is blank", __LINE__);
	check(ui_spark_level(0, -16, 0) == 1 && ui_spark_level(1e-20, -16, 0) == 1, "zero drift is the floor", __LINE__);
	check(ui_spark_level(1, -16, 0) == 8 && ui_spark_level(10, -16, 0) == 8, "drift 1 is the top", __LINE__);
	check(ui_spark_level(1e-8, -16, 0) == 5, "1e-8 is mid-scale", __LINE__);
	check(strcmp(ui_spark_glyph(8, 1), "@") == 0 && strcmp(ui_spark_glyph(1, 0), "▁") == 0, "spark glyphs", __LINE__);

	char line[256];
	int w = ui_big_row("12.5e-3", 0, 1, line, sizeof line);
	check(w == 7 * UI_BIG_W && strlen(line) == (size_t)w, "big digits: 4 cells per character", __LINE__);
	ui_big_row("8", 2, 1, line, sizeof line);
	check(strcmp(line, "### ") == 0, "big 8, middle row", __LINE__);
	ui_big_row("1", 4, 0, line, sizeof line);
	check(strcmp(line, "███ ") == 0, "big 1, bottom row, unicode", __LINE__);
	ui_big_row("123", 0, 0, line, 8);
	check(strlen(line) < 8, "big digits respect the buffer", __LINE__);
}

static void test_formats(void)
{
	char b[64];
	ui_fmt_count(b, sizeof b, 1234567);
	check(strcmp(b, "1,234,567") == 0, "count with thousands separators", __LINE__);
	ui_fmt_count(b, sizeof b, -999);
	check(strcmp(b, "-999") == 0, "negative count", __LINE__);
	ui_fmt_sci(b, sizeof b, 3.14159e-9);
	check(strcmp(b, "3.14e-09") == 0, "sci format", __LINE__);
	ui_fmt_sci(b, sizeof b, NAN);
	check(strcmp(b, "nan") == 0, "nan", __LINE__);
	ui_fmt_value(b, sizeof b, 0.5);
	check(strcmp(b, "0.5") == 0, "plain value", __LINE__);
	ui_fmt_value(b, sizeof b, -1.5e-7);
	check(strlen(b) <= 9, "values fit 9 columns", __LINE__);
	ui_to_ascii("θ τ₀ ‖W‖² → ε ✓", b, sizeof b);
	check(strcmp(b, "theta tau0 ||W||^2 -> eps ok") == 0, "ASCII transliteration", __LINE__);
	ui_to_ascii("a\xe4\xb8\x80z", b, sizeof b);
	check(strcmp(b, "a?z") == 0, "unknown characters become ?", __LINE__);
	ui_to_ascii("θθθθ", b, 6);
	check(strlen(b) == 5, "transliteration is bounded", __LINE__);
	struct schedule sc = { .kind = SCHED_CONST, .tau0 = 0.05 };
	ui_fmt_schedule(b, sizeof b, &sc, 1);
	check(strcmp(b, "const tau=0.05") == 0, "schedule text (ASCII)", __LINE__);
}

static void test_sampling(void)
{
	struct run s;
	struct experiment x;
	memset(&s, 0, sizeof s);
	memset(&x, 0, sizeof x);
	s.x = &x;
	struct quantity *law = quantity_new("n0", QK_QUADRATIC, 1);
	law->role = QR_LAW;
	law->slot = 0;
	law->first_value = 2.0;
	law->mag0 = 4.0;
	struct quantity *con = quantity_new("|W|^2", QK_QUADRATIC, 1);
	con->role = QR_CONTRAST;
	con->slot = 1;
	con->first_value = 1.0;
	con->mag0 = 1.0;
	qset_add(&s.q, law);
	qset_add(&s.q, con);
	s.trace.width = TRACE_FIXED + 2;
	s.trace.nrows = 101;
	s.trace.rows = calloc((size_t)s.trace.nrows * s.trace.width, sizeof(double));
	for (long r = 0; r < s.trace.nrows; r++) {
		double *row = s.trace.rows + r * s.trace.width;
		row[0] = (double)r;                 /* step */
		row[2] = 1.0 / (1 + r);             /* loss */
		row[5] = 1e-4 * r;                  /* budget */
		row[TRACE_FIXED + 0] = 2.0 + 2e-6 * r;
		row[TRACE_FIXED + 1] = 1.0 + 0.01 * r;
	}
	law->h0[0] = 2.0;
	con->h0[0] = 1.0;
	/* drift as the core's laws.max-rel measures it: to the law's magnitude
	 * (4), not to h(θ0) (2); a contrast to its own magnitude (1) */
	double h[11];
	check(ui_quantity_history(&s, law, 11, h) == 11, "history spread over the trace", __LINE__);
	check(h[0] == 0 && fabs(h[10] - 2e-4 / 4.0) < 1e-15, "law drift relative to its magnitude", __LINE__);
	check(fabs(h[5] - 1e-4 / 4.0) < 1e-15, "sample 5 of 11 is row 50", __LINE__);
	check(ui_quantity_history(&s, con, 11, h) == 11 && fabs(h[10] - 1.0) < 1e-12, "contrast change", __LINE__);
	law->first_value = 0;
	law->h0[0] = 0;
	double v1 = 1e-3;
	check(fabs(cmd_plot_rel_drift(law, &v1, 0) - 1e-3 / 4.0) < 1e-15, "h0 = 0: drift relative to the magnitude", __LINE__);
	/* under weight decay (Λ in column 4) a quadratic law is measured against
	 * e^{-2Λ} h(θ0) and e^{-2Λ} times its magnitude */
	law->h0[0] = 2.0;
	double vd = 2.0 * exp(-0.2) + 4.0 * exp(-0.2) * 1e-3;
	check(fabs(cmd_plot_rel_drift(law, &vd, 0.1) - 1e-3) < 1e-12, "weight-decayed law and magnitude", __LINE__);
	s.trace.nrows = 3;
	check(ui_quantity_history(&s, law, 11, h) == 3, "short trace: one sample per row", __LINE__);
	s.trace.nrows = 0;
	check(ui_quantity_history(&s, law, 11, h) == 0, "empty trace: no samples", __LINE__);

	struct ui_view v;
	ui_view_init(&v);
	free(s.trace.rows);
	s.trace.rows = NULL;
	law->drift_rel = 1e-9;
	con->drift_rel = 0.3;
	con->watched = 1;
	ui_view_update(&v, &x, &s, 1);
	check(v.nlaw == 1 && v.ncontrast == 1 && v.nclaim == 0, "view sorts laws and contrasts", __LINE__);
	check(v.max_law_rel == 1e-9 && v.max_contrast_rel == 0.3, "view maxima", __LINE__);
	check(strstr(v.model, "no data") != NULL, "view model line without data", __LINE__);
	ui_view_free(&v);
	qset_clear(&s.q);
	free(s.q.q);
}

int main(void)
{
	test_layout();
	test_canvas();
	test_formats();
	test_sampling();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
