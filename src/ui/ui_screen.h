/* ui_screen.h — the state of the running screen, shared by the loop
 * (ui_main.c), the drawing (ui_draw.c) and the screen-only commands
 * (ui_cmd.c). One instance lives for one ui_main call.
 *
 * Invariants: `view` and `lay` are recomputed before every frame from the
 * experiment and the terminal size; the frame path allocates only the plots'
 * figures (a few arrays of about a point per pixel column, freed in the same
 * frame) and what grows with the terminal or the set of quantities; the
 * terminal is in curses mode exactly while `curses_on` is set. */
#ifndef NOETHER_UI_SCREEN_H
#define NOETHER_UI_SCREEN_H
#include <stdio.h>
#include "cmd/cmd.h"
#include "ui.h"
#include "ui_layout.h"
#include "ui_view.h"
#include "ui_canvas.h"
#include "ui_keys.h"

enum ui_theme { UI_THEME_DARK, UI_THEME_LIGHT, UI_THEME_MONO, UI_THEME_CONTRAST, UI_THEME_COUNT };

/* Colour/attribute roles; a theme maps each role to curses attributes. */
enum ui_role {
	UI_R_NORMAL, UI_R_TITLE, UI_R_LAW, UI_R_CLAIM, UI_R_CONTRAST, UI_R_BUDGET, UI_R_LOSS,
	UI_R_ERROR, UI_R_STATUS, UI_R_DIM, UI_R_KEY, UI_R_CAPTION, UI_R_BIG, UI_R_COUNT
};

enum ui_overlay { UI_O_NONE, UI_O_HELP, UI_O_OUTPUT, UI_O_WAIT };

/* Long work in progress: none, a typed `step N` in the loop's slices, or a
 * command on the worker thread (ui_job.c). */
enum ui_busy { UI_BUSY_NONE, UI_BUSY_STEP, UI_BUSY_JOB };

/* A clickable word of the hints or status line and the command it runs
 * ("cancel": cancel the long work). Filled by the drawing, read by the mouse. */
struct ui_button { int y, x0, x1; char cmd[24]; };
enum { UI_BUTTONS = 32 };

struct ui_job;

enum { UI_SERIES_MAX = 512, UI_SPARK_MAX = 32 };

struct ui {
	struct cmd_ctx *ctx;
	struct ui_options opt;

	/* display settings */
	int ascii;              /* 7-bit only: --no-unicode or a non-UTF-8 locale */
	int glyphs;             /* enum ui_glyphs for plots */
	int can_color;          /* terminal has colours and NO_COLOR/--no-color not set */
	int theme;
	int present;
	unsigned visible;       /* bit per enum ui_panel */
	char caption[256];
	unsigned long attr[UI_R_COUNT];

	/* interaction */
	int focus;              /* the command line has the keys */
	int overlay;            /* enum ui_overlay */
	int overlay_scroll;
	char wait_text[256];    /* `pause "text"`: shown until a key */
	int running;
	long spf;               /* steps per frame; 0 = as many as fit a slice */
	int quit;
	int full_redraw;
	char msg[512];
	int msg_error;
	char last_cmd[1024];
	char *out;              /* output of the last command that printed, for the overlay */
	int out_fresh;          /* the command running now has printed into out */
	size_t out_len, out_cap;
	int out_lines;

	/* frame state */
	struct ui_layout lay;
	struct ui_view view;
	struct ui_canvas canvas;
	double spark[UI_SPARK_MAX];
	int logx;               /* step axis of the run plots: 1 log, 0 linear, -1 log under compare only */

	/* compare: run B's view beside run A's; the portrait's sampled trajectory */
	struct ui_view view_b;
	double px[UI_SERIES_MAX], py[UI_SERIES_MAX], pxk, pyk;
	int pn;

	/* the drift-vs-τ plot of the last sweep (ctx->sweep), in place of the panels */
	int sweep_on;
	long sweep_gen;         /* ctx->sweep_gen last seen: a new sweep shows itself */
	/* `laws checkpoints DIR follow` (ctx->follow): its view in place of the
	 * panels, read a slice at a time between keys (ui_main.c) */
	int follow_on;
	long follow_gen;        /* ctx->follow_gen last seen */
	int follow_busy;        /* a checkpoint is being read: the loop does not wait */

	/* scrolling of the quantity panels (first row shown), completion list */
	int scroll_law, scroll_con;
	char comp[2048];        /* candidates of the last Tab, shown above the command line */
	int comp_n;
	long hist_pending;      /* steps run by the loop not yet in the experiment's history */

	/* measurements */
	double t_start, t_draw, t_step, max_slice, step_cost;
	long frames, steps_run;
	double rate;            /* steps per second, smoothed */
	long rate_steps; double rate_t0;

	/* record / replay */
	FILE *rec;
	long rec_pending;       /* steps run by the loop not yet written */
	char **replay;
	int nreplay, replay_pos;
	long replay_until;      /* step the current replayed `step N` ends at, or -1 */
	int curses_on;

	/* loop bookkeeping */
	int dirty;              /* something changed: compose a frame soon */
	int need_q;             /* recompute quantity values before the next frame */
	long frame_steps;       /* steps run since the last frame */
	long last_chunk;        /* steps in the previous slice */
	double next_frame;
	double last_sigint;
	double key_t;           /* when unanswered input arrived (0: none) */
	double max_latency;     /* worst input → flushed frame time seen */
	int exit_status;
	int preset_idx;
	char pending[1024];     /* line accepted by readline, not yet run */
	int have_pending;
	char deferred[1024];    /* `repeat`: the line to run once the current one is done */
	int have_deferred;

	/* long work (enum ui_busy): what runs, since when, how far (frac < 0:
	 * unknown), and the run-A steps of a typed step N */
	int busy;
	char busy_what[256];
	double busy_t0, busy_frac;
	char busy_stage[96];
	int busy_full;          /* the next busy frame redraws everything it can */
	int cancel;             /* cancel asked (the worker sees the interrupt flag) */
	int quit_when_idle;     /* q while busy: quit once the work has stopped */
	long goal_from, goal_to;
	struct ui_job *job;
	char job_key[32];       /* key that started the job, for the recording */

	/* mouse: on unless --no-mouse; the focused quantity panel (0 both,
	 * 1 conserved, 2 contrast or B) takes PgUp/PgDn; buttons of the last frame */
	int mouse;
	int mouse_sgr;          /* curses' kmous prefix is the SGR one (ESC [ <) */
	struct ui_mouse mev;    /* the last mouse report */
	int panel_focus;
	struct ui_button btn[UI_BUTTONS];
	int nbtn;
};

/* ui_main.c: composes and flushes one frame (update, layout, draw). */
void ui_frame(struct ui *u);
/* Shows the wait overlay (`pause "text"`) until a key; returns the key or -1. */
int ui_wait_key(struct ui *u);

/* ui_draw.c */
void ui_theme_apply(struct ui *u);
void ui_draw_frame(struct ui *u);
/* The frame while a worker job owns the experiment: status, message and
 * input lines over the last frame; full: also the summary line and a note
 * where the panels were (after a resize). Reads no experiment state. */
void ui_draw_busy(struct ui *u, int full);

/* ui_job.c: a long command on a worker thread. ui_job_start runs line on it
 * (0, or -1 when no thread could start: run it in the loop instead); the
 * context's sinks, progress and screen_op are the job's until ui_job_finish,
 * which waits for the thread (call it once ui_job_fd is readable), restores
 * the context, replays the job's output and messages into the screen's
 * sinks and returns cmd_exec_line's status. ui_job_progress reads the last
 * progress report (frac -1 when none yet). */
int ui_job_start(struct ui *u, const char *line);
int ui_job_fd(const struct ui *u);
void ui_job_progress(struct ui *u, double *frac, char *stage, size_t len);
int ui_job_finish(struct ui *u);

/* ui_cmd.c: performs a screen operation (ctx->screen_op); the command layer
 * has checked the arguments. */
int ui_screen_op(struct cmd_ctx *c, enum cmd_screen_op op, int argc, char **argv);

/* ui_main.c: runs one command line as if typed (records it); key_label names
 * the key that produced it, or NULL. Returns cmd_exec_line's status. */
int ui_exec(struct ui *u, const char *line, const char *key_label);
void ui_message(struct ui *u, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif
