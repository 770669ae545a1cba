/* fig.h — figures as data, and their pictures.
 *
 * A figure is a stack of panels (top to bottom); a panel has an x and a y
 * axis (linear or log10), titles, and series: n points (x, y) with a label
 * and a style. The figure owns copies of the series' points.
 *
 * Two halves. The pure half (no drawing library, no session, no curses) is
 * shared by every client: axis ranges (log axes rounded out to whole
 * decades), ticks (decades on log axes, evenly spaced: every m-th decade when
 * there is no room for all), tick labels and the value → position map. The
 * screen's character plots and the file renderer use the same functions, so
 * their axes agree. The drawing half, fig_render, draws a figure through cairo
 * into a PNG, SVG or PDF file (written whole or not at all).
 *
 * Invariants: a point whose x or y is not finite, or not positive on a log
 * axis, is not drawn and breaks its line; series keep their order (later ones
 * drawn on top); every series with a label is in the panel's legend. */
#ifndef NOETHER_FIG_H
#define NOETHER_FIG_H
#include <stddef.h>

#define FIG_MAX_PANELS 4
#define FIG_MAX_SERIES 16
#define FIG_MAX_TICKS 32
#define FIG_MAX_POINTS 1000000     /* per series */
#define FIG_MIN_SIZE 100           /* width and height, px (PNG) or pt (SVG, PDF) */
#define FIG_MAX_SIZE 10000

enum fig_scale { FIG_LIN, FIG_LOG };
enum fig_dash { FIG_SOLID, FIG_DASHED, FIG_DOTTED, FIG_DASHDOT };
enum fig_format { FIG_PNG, FIG_SVG, FIG_PDF };

struct fig_style {
	unsigned rgb;            /* 0xRRGGBB */
	double width;            /* line width at the reference size (16 px text); 0: no line */
	enum fig_dash dash;
	char marker;             /* 0 none; 'o' circle, 'x', '+', 's' square, '*' filled dot */
};

struct fig_series {
	double *x, *y;           /* n points, owned */
	int n;
	char label[96];          /* "" keeps the series out of the legend */
	struct fig_style style;
	/* For character-cell plots (the screen), which cannot draw every detail:
	 * a one-letter tag marking the series (its end tag, its ASCII marker, its
	 * legend key). An upper-case tag is a main curve (drawn on top), a
	 * lower-case one a reference curve (drawn below); "" leaves the series to
	 * the picture files. Set by whoever builds the figure; "" by default. */
	char tag[4];
};

struct fig_axis {
	enum fig_scale scale;
	char title[96];
	int fixed;               /* 1: [lo, hi] as set; 0: from the data */
	int tight;               /* from the data: 1 the data's own range; 0 rounded out (log: whole decades) */
	double lo, hi;           /* data units (also for log axes) */
};

struct fig_panel {
	char title[160];
	struct fig_axis x, y;
	int nseries;
	struct fig_series series[FIG_MAX_SERIES];
	char note[160];          /* written in the plot area when no point can be drawn */
};

struct fig {
	char title[160];
	int npanels;
	struct fig_panel panel[FIG_MAX_PANELS];
};

/* An empty figure; fig_free releases the series' points (the struct itself is
 * the caller's) and leaves an empty figure. */
void fig_init(struct fig *f);
void fig_free(struct fig *f);

/* Appends a panel with its title and axes (titles may be NULL). Returns it,
 * or NULL when the figure already has FIG_MAX_PANELS. */
struct fig_panel *fig_add_panel(struct fig *f, const char *title, enum fig_scale xs, const char *xtitle,
                                enum fig_scale ys, const char *ytitle);

/* Appends a series (copies n points; y may hold NaN for gaps). Returns 0, or
 * -1 when the panel is full or n is outside 0..FIG_MAX_POINTS. */
int fig_add_series(struct fig_panel *p, const double *x, const double *y, int n, const char *label,
                   struct fig_style style);

/* A style in one call: colour, width, dash, marker. */
struct fig_style fig_style(unsigned rgb, double width, enum fig_dash dash, char marker);

/* ---- the pure half: ranges, ticks, positions ----------------------------- */

/* Rounds a log10 range out to whole decades: at least one decade, at most 20
 * (the top 20 kept, so tiny values never squash the curves into a sliver). */
void fig_decade_range(double *lo10, double *hi10);

/* The axis range of a panel (which: 0 x, 1 y) in data units: the fixed range,
 * or the range of the drawable points rounded as the axis says. A log axis
 * with no drawable point gets [0.1, 1], a linear one [0, 1]. Returns the
 * number of drawable points the range was taken from. */
int fig_axis_range(const struct fig_panel *p, int which, double *lo, double *hi);

/* Ticks of an axis over [lo, hi] (data units), at most max (<= FIG_MAX_TICKS)
 * of them, ascending, into v. Log: the decades 10^d inside the range, every
 * m-th one (m = 1, 2, 5, 10, 20, ... the smallest that fits, d a multiple of
 * m) so the ticks are evenly spaced; a range holding fewer than two decades
 * gets 1, 2 and 5 × 10^d (or its two ends) and *step 0. Linear: multiples of
 * 1, 2 or 5 × 10^e. Returns the count (>= 1 for a valid range, 0 when
 * lo >= hi or a log range is not positive). *step gets the spacing (decades
 * for log), may be NULL. */
int fig_ticks(enum fig_scale s, double lo, double hi, int max, double *v, double *step);

/* Label of tick v: log "1e-3" (exponent form; the renderer typesets 10^-3),
 * linear "%g" rounded to the step. Returns the length. */
int fig_tick_label(enum fig_scale s, double v, double step, char *buf, size_t len);

/* Position of v along [lo, hi] as a fraction 0..1 (may lie outside for
 * values out of range); NaN when v cannot be drawn on this axis. */
double fig_axis_frac(enum fig_scale s, double lo, double hi, double v);

/* ---- the drawing half ------------------------------------------------------ */

struct fig_rect { double x, y, w, h; };  /* device units, y down */

/* Where each panel's plot area lands in a W × H picture (device units: px
 * for PNG, pt for SVG and PDF), the same geometry fig_render draws: plot[i]
 * for panel i. Returns the number of panels, or -1 when the size is outside
 * FIG_MIN_SIZE..FIG_MAX_SIZE. */
int fig_layout(const struct fig *f, double W, double H, struct fig_rect *plot);

/* The format named by a file's extension (.png, .svg, .pdf; any case).
 * Returns 0, or -1 for anything else. */
int fig_format_of(const char *path, enum fig_format *fmt);

/* Draws the figure into path: PNG (W × H pixels, white background), SVG or
 * PDF (W × H points). Written to path.tmp and renamed, so a failure leaves no
 * partial file. Returns 0, or NT_EINVAL (size out of range, empty figure) /
 * NT_EIO (cannot write, drawing failed) with a message in err. */
int fig_render(const struct fig *f, const char *path, enum fig_format fmt, int W, int H, char *err, size_t len);

/* Releases the drawing libraries' static caches (cairo's, fontconfig's), so a
 * leak checker sees a clean exit. Call once at exit, after the last
 * fig_render; safe when nothing was drawn. */
void fig_release(void);
#endif
