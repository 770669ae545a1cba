/* ui_layout.h — screen geometry, computed apart from drawing.
 *
 * Pure: a terminal size, the set of visible panels and how many rows the
 * quantity panels would like go in; rectangles come out. Invariants: every
 * rectangle lies inside the terminal, no two visible rectangles overlap, a
 * hidden or squeezed-out panel has h == 0, and below UI_MIN_W x UI_MIN_H only
 * too_small is set (the screen then says "terminal too small: need WxH"). */
#ifndef NOETHER_UI_LAYOUT_H
#define NOETHER_UI_LAYOUT_H

enum { UI_MIN_W = 60, UI_MIN_H = 20 };

/* Panels the user toggles with the digit keys 1..9 (bit i-1 of the mask);
 * their names are the command layer's cmd_panel_names, in this order. */
enum ui_panel {
	UI_P_SUMMARY = 0,   /* 1: model, data, loss and schedule line */
	UI_P_LAWS,          /* 2: conserved panel */
	UI_P_CONTRAST,      /* 3: contrast panel */
	UI_P_DRIFT,         /* 4: drift plot (log scale, budget overlaid) */
	UI_P_LOSS,          /* 5: loss plot */
	UI_P_SPARK,         /* 6: sparklines in the quantity panels */
	UI_P_HINTS,         /* 7: key hints line */
	UI_P_BIG,           /* 8: big digits (step, key drift) */
	UI_P_VALUES,        /* 9: h(θ0), h(θk) columns in the quantity panels */
	UI_P_COUNT
};

struct ui_rect { int y, x, h, w; };

struct ui_layout_in {
	int cols, rows;
	unsigned visible;      /* bit p set: panel p shown */
	int caption;           /* a caption line is set */
	int law_rows;          /* rows the conserved panel would like (content only) */
	int contrast_rows;     /* rows the contrast panel would like */
	int sweep;             /* a sweep plot takes the whole middle (panels and plots) */
	int present;           /* presentation mode: where the plots would get fewer than
	                        * UI_PRESENT_PLOT_H rows, the quantity panels collapse to one
	                        * headline row and, below UI_PRESENT_SPLIT_W columns, the drift
	                        * plot takes the loss plot's width too */
};

enum { UI_PRESENT_PLOT_H = 12, UI_PRESENT_SPLIT_W = 120 };

struct ui_layout {
	int cols, rows;            /* the terminal size it was computed for */
	int too_small, need_w, need_h;
	int compact;               /* the quantity panels are headline rows (h == 1) */
	struct ui_rect summary, caption, big, laws, contrast, drift, loss, sweep;
	struct ui_rect status, hints, msg, input, overlay;
};

void ui_layout_compute(const struct ui_layout_in *in, struct ui_layout *out);

/* Columns of a quantity panel of interior width w: which optional columns
 * fit. The name column takes what is left (at least 8). */
struct ui_columns { int name_w, show_h0, show_hk, spark_w; };
void ui_layout_columns(int w, int want_values, int want_spark, struct ui_columns *c);
#endif
