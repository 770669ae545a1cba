/* cmd.h — the command language (the command library, above the core). One
 * table of commands {name, usage, help, complete, exec, flags}; typed lines,
 * script files, key bindings (each key is a command string) and presets all
 * go through cmd_exec_line. help, tab completion and the man page's command
 * list come from the table.
 *
 * Output goes through the context's sink (never straight to a terminal), so the
 * REPL prints it, the screen shows it in its message area and tests capture it.
 * The command layer owns no run state: `run`, `pause` and `toggle` leave a
 * request for the front end, which alone knows whether it is running. */
#ifndef NOETHER_CMD_H
#define NOETHER_CMD_H
#include <stddef.h>
#include <signal.h>
#include "noether/experiment.h"
#include "noether/run.h"
#include "noether/util.h"

struct cmd_ctx;
struct sweep_spec;
struct sweep_result;
struct ck_follow;
typedef void (*cmd_sink)(void *user, const char *text);

/* Requests a command leaves for the front end. */
enum cmd_request { REQ_NONE = 0, REQ_QUIT = 1, REQ_RUN = 2, REQ_PAUSE = 4, REQ_REDRAW = 8,
	REQ_END_FILE = 16,  /* stop reading the current script (set by `checks` in a preset) */
	REQ_TOGGLE = 32 };

/* Operations of the screen-only commands: the table entry's exec checks the
 * arguments (so a bad one is an error headless too), then hands the operation
 * to the front end through ctx->screen_op, or does its headless equivalent. */
enum cmd_screen_op { SCR_NONE = 0, SCR_CAPTION, SCR_PAUSE_TEXT, SCR_SPEED, SCR_PANEL, SCR_CYCLE, SCR_FOCUS,
	SCR_OVERLAY, SCR_REDRAW, SCR_REPEAT, SCR_THEME, SCR_PLOT, SCR_PRESENT, SCR_STATS, SCR_SCROLL, SCR_COUNT };

struct cmd_ctx {
	struct experiment *x;
	cmd_sink out;            /* normal output (tables, help) */
	cmd_sink msg;            /* short status/error messages */
	void *user;
	int interactive;         /* 1: screen or REPL; 0: batch script */
	int screen;              /* 1: the ncurses screen is up */
	int requests;            /* bits of cmd_request */
	int expect_failed;       /* count of failed expect lines */
	int depth;               /* nested preset/source depth */
	int preset_depth;        /* depth of the file `preset` is loading (0: none) */
	const char *file; int line;   /* current script position, for messages */
	volatile sig_atomic_t *interrupt;
	/* progress of a long command (step N, sweep, laws count/find); NULL: none.
	 * The screen draws it in the status line, headless front ends on stderr
	 * when it is a terminal. */
	const struct nt_progress *progress;
	char last_error[1024];
	/* model building (cmd_model.c): the history length right after the last
	 * layer command; a `layer` when the history has moved on starts a new model */
	int layer_mark;
	/* result of the last `laws count` (metrics count.lower/upper/complete); count_step < 0: none */
	int count_lower, count_upper, count_status; /* status: 1 complete, 0 open, -1 uncertain */
	long count_step;
	/* the last `sweep tau` (the screen's drift-vs-τ plot, `export plot
	 * sweep`); owned here, replaced by the next sweep, freed by `sweep off` or
	 * cmd_sweep_clear (the front ends call it when they end). NULL: none.
	 * sweep_gen counts sweeps shown (also `sweep show`). */
	struct sweep_spec *sweep_spec;
	struct sweep_result *sweep;
	long sweep_gen;
	/* `laws checkpoints DIR follow` on the screen (cmd_follow.h): owned here,
	 * ticked by the screen's loop, replaced by the next follow, freed by
	 * cmd_follow_clear (Esc twice, or the front end's end). NULL: none.
	 * follow_gen counts follows started and closed. */
	struct ck_follow *follow;
	long follow_gen;
	/* The screen: performs a screen operation whose arguments the command
	 * layer checked (argv as typed, argv[0] the command). NULL headless. */
	int (*screen_op)(struct cmd_ctx *c, enum cmd_screen_op op, int argc, char **argv);
	void *ui;                /* the screen's state, for screen_op */
};

enum cmd_flags {
	CMD_PROVENANCE = 1,      /* changes the configuration: logged in the history */
	CMD_SCREEN = 2           /* a screen operation (headless: checked, then ignored) */
};

struct cmd {
	const char *name;
	const char *usage;
	const char *help;
	/* Completion candidates for argument position argi (0 = first argument)
	 * given the previous words argv[0..argc) (argv[0] is the command); returns a
	 * NULL-terminated list valid until the next call, or NULL. */
	const char *const *(*complete)(struct cmd_ctx *c, int argi, int argc, char **argv);
	/* Returns 0 ok, NT_* error (message already sent through ctx->msg with
	 * cmd_error), or 1 when an `expect` failed. */
	int (*exec)(struct cmd_ctx *c, int argc, char **argv);
	int flags;               /* enum cmd_flags */
	enum cmd_screen_op op;   /* CMD_SCREEN entries */
};

extern const struct cmd cmd_table[];   /* terminated by {NULL} */
const struct cmd *cmd_find(const char *name);

/* Executes one line (may hold any number of commands separated by ';' or
 * newlines, and '#' comments, each to the end of its line; a control
 * character other than tab is refused). In a script (!interactive) an
 * interrupt raised in *interrupt stops it before the next command. Returns
 * 0, a negative NT_* code for an error, or 1 for a failed expect. Errors are
 * reported through ctx->msg as "file:line: message" when ctx->file is set.
 * Notices of the experiment (a comparison that ended) are sent through
 * ctx->msg. */
int cmd_exec_line(struct cmd_ctx *c, const char *line);
/* Runs a script file line by line (lines end at \n, \r\n or \r; a
 * leading UTF-8 byte-order mark is skipped); stops at the first error
 * (returns it): a control or NUL character, a line over the limit, a
 * directory. A failed expect is counted and the script continues; returns 1
 * at the end if any failed. */
int cmd_exec_file(struct cmd_ctx *c, const char *path);
/* Reads FILE as cmd_exec_file would, without running it: text (no control
 * characters), lines within the limit, quotes closed, every command's name in
 * the table, at least one command. Returns 0, or an NT_* code with
 * "FILE:LINE: message" in err (`--replay` checks its file with it). */
int cmd_check_file(const char *path, char *err, size_t errlen);

/* Reports an error through the sink with file:line prefix; returns code. */
int cmd_error(struct cmd_ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Frees the kept sweep result (see sweep in struct cmd_ctx); safe when none. */
void cmd_sweep_clear(struct cmd_ctx *c);
/* Sends formatted output through ctx->out. */
void cmd_printf(struct cmd_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Evaluates a metric of the `expect`/`print` grammar (loss, laws, laws.max-rel,
 * NAME.rel, ...; A.METRIC and B.METRIC for the runs of a comparison). Returns
 * 0 and *v, or NT_ENOENT with a message in err. */
int cmd_metric(struct cmd_ctx *c, const char *name, double *v, char *err, size_t len);

/* Splits a command into words (quotes "..." group, # starts a comment). Returns
 * argc, fills argv pointing into buf (modified). -1 on an unterminated quote. */
int cmd_split(char *buf, char **argv, int max);

/* Tab-completion: candidates starting with `word`, the word being typed after
 * line_prefix (the text before it). Returns a NULL-terminated malloc'd array of
 * malloc'd strings (caller frees both), or NULL when there is none. */
char **cmd_complete(struct cmd_ctx *c, const char *line_prefix, const char *word);

/* Directory searched for presets: $NOETHER_PRESETS, then ./presets, then the
 * installed share directory. Writes the path of preset NAME into buf. */
int cmd_preset_path(const char *name, char *buf, size_t len);
/* NULL-terminated list of preset names found (static storage, refreshed). */
const char *const *cmd_preset_names(void);

/* Shared names the screen and the command layer both check against. */
extern const char *const cmd_theme_names[];     /* dark light mono contrast */
extern const char *const cmd_panel_names[];     /* summary laws contrast ... (panel N = index+1) */
/* Panel index 0..8 for "N" (1-9) or a name; -1 if neither. */
int cmd_panel_find(const char *s);
#endif
