/* ui_view.h — what the screen shows, computed from the experiment and one of
 * its runs (the "update" half of update/draw).
 *
 * Pure: reads a run, writes plain data (rows of numbers, short strings,
 * sampled series); never touches curses, never changes the run. Buffers
 * grow only when the set of quantities grows, so a frame does not allocate.
 * Rows point at the run's quantities and are valid until the next
 * configuration change; the view is refreshed before every draw. */
#ifndef NOETHER_UI_VIEW_H
#define NOETHER_UI_VIEW_H
#include <stddef.h>
#include "noether/experiment.h"
#include "noether/run.h"

struct ui_qrow {
	const struct quantity *q;
	double h0, hk;          /* scalar value, or the norm for vector laws */
	double rel;             /* relative drift */
	int vector;             /* 1: h0/hk are norms */
};

struct ui_view {
	int nlaw, nclaim, ncontrast, cap;
	struct ui_qrow *law, *claim, *contrast;
	double max_law_rel;     /* worst relative drift over conserved laws (-1: none) */
	double eps_laws;        /* mean relative drift over conserved laws (-1: none) */
	double max_contrast_rel;
	long step;              /* optimizer steps (accepted steps under opt flow) */
	double tau, loss, budget, t;
	int flow;               /* opt flow / flow+momentum: time t is the clock, not k */
	double flow_h;          /* the integrator's next trial step (flow only) */
	char model[256];        /* "teacher n=64 in=10 → dense 32 → relu → dense 1" */
	char loss_name[24];
	char sched[96];         /* "const τ=0.05" */
	char opt[128];          /* the dynamics the labels are for: "gd", "momentum beta=0.9 (32 ... broken)" */
	char seeds[64];         /* "seeds data 1 init 2" */
	size_t params;
	int built;              /* 0: the configuration changed and does not build (yet) */
	char why[256];          /* then: why not (the experiment's error), or "" */
};

void ui_view_init(struct ui_view *v);
void ui_view_free(struct ui_view *v);
/* Refreshes v from run r of experiment x. ascii != 0 writes only 7-bit
 * characters into strings. */
void ui_view_update(struct ui_view *v, const struct experiment *x, const struct run *r, int ascii);

/* Relative drift history of one quantity at n points spread over the trace
 * (NaN when unknown), measured as `laws` and `export plot` measure it: to the
 * law's magnitude, against the weight-decayed h(θ0). Returns the count (0
 * when the trace is empty). */
int ui_quantity_history(const struct run *r, const struct quantity *q, int n, double *out);

/* The portrait's trajectory from run r's trace: (x0, y0) first, then up to
 * n-1 recorded points spread over the trace (rows from before the portrait
 * started read NaN and are skipped by the drawing); *xk, *yk the values at θ
 * now. Returns the number of points written (0 when p is off). */
int ui_portrait_points(const struct run *r, const struct portrait_info *p, int n, double *x, double *y,
                       double *xk, double *yk);

/* Number formats that fit a fixed width (always NUL-terminated):
 * sci "1.23e-05" (9 chars max), value "3.1416" or sci, count "12,345". */
void ui_fmt_sci(char *buf, size_t len, double x);
void ui_fmt_value(char *buf, size_t len, double x);
void ui_fmt_count(char *buf, size_t len, long n);
/* Human descriptions of the schedule and optimizer. */
void ui_fmt_schedule(char *buf, size_t len, const struct schedule *sc, int ascii);
void ui_fmt_opt(char *buf, size_t len, const struct train_settings *st, int ascii);

/* 7-bit transliteration of UTF-8 text (θ→theta, τ→tau, ²→^2, ‖→||, →→->,
 * others '?') for --no-unicode and non-UTF-8 locales. Always NUL-terminated. */
void ui_to_ascii(const char *in, char *out, size_t len);
#endif
