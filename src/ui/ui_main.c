/* ui_main.c — the screen's event loop: input, training slices, frames,
 * readline in callback mode, signals, long work, record and replay.
 *
 * Each turn: act on signal flags, wait for input (not at all while training
 * runs), feed keys to the key table or to readline, run a slice of training
 * (at most ~15 ms, so a key answers fast), and compose a frame at most 30
 * times a second (one wnoutrefresh + doupdate). Long work never blocks the
 * loop: a typed `step N` runs in the same slices, and laws count/find, laws
 * checkpoints, sweeps and load params run on a worker thread (ui_job.c)
 * while the loop draws their progress and takes Esc/Ctrl-C to cancel.
 *
 * Signal handlers only set volatile sig_atomic_t flags — except the crash
 * handlers (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS), which
 * write the terminal's saved reset string and settings with async-signal-safe
 * calls and re-raise; every other default-fatal signal (TERM, HUP, QUIT,
 * USR1/2, PIPE, ALRM, ...) quits through the loop. SIGWINCH belongs to curses (it turns into KEY_RESIZE).
 * Invariants: curses is active exactly while u->curses_on; ctx fields
 * replaced at entry are put back before ui_main returns; while a worker job
 * runs (u->busy == UI_BUSY_JOB) the loop touches neither ctx nor the
 * experiment. */
#include <curses.h>
#include <term.h>
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <math.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <readline/readline.h>
#include <readline/history.h>
#include "cmd/cmd_follow.h"
#include "noether/bridge.h"
#include "noether/sweep.h"
#include "noether/util.h"
#include "ui_keys.h"
#include "ui_screen.h"

static volatile sig_atomic_t sig_int, sig_quit, sig_tstp, sig_cont;
static volatile sig_atomic_t ui_interrupt;
static struct ui *g_ui;                /* for readline callbacks and atexit */
static struct termios saved_tty;
static int have_saved_tty;
static char reset_seq[256];
static size_t reset_len;
static int atexit_done;

enum { SLICE_US = 15000, FRAME_US = 33333 };

/* ---- terminal restoration ------------------------------------------------- */

static void on_crash(int sig)
{
	if (have_saved_tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	if (reset_len) {
		ssize_t w = write(STDOUT_FILENO, reset_seq, reset_len);
		(void)w;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_int(int sig) { (void)sig; sig_int = 1; ui_interrupt = 1; }
static void on_quit(int sig) { sig_quit = sig; ui_interrupt = 1; }
static void on_tstp(int sig) { (void)sig; sig_tstp = 1; }
static void on_cont(int sig) { (void)sig; sig_cont = 1; }

/* Mouse reports on or off: xterm's press/release reports (1000) in the
 * SGR encoding (1006), which tmux, xterm, VTE and kitty all speak; a
 * terminal without a mouse ignores both. Off before the terminal goes back
 * to the shell (quit, Ctrl-Z, exit, crash: the reset string has it too). */
#define MOUSE_ON "\033[?1000h\033[?1006h"
#define MOUSE_OFF "\033[?1006l\033[?1000l"
static void mouse_report(struct ui *u, int on)
{
	if (!u->mouse)
		return;
	fputs(on ? MOUSE_ON : MOUSE_OFF, stdout);
	fflush(stdout);
}

static void ui_atexit(void)
{
	if (g_ui && g_ui->curses_on) {
		mouse_report(g_ui, 0);
		endwin();
		g_ui->curses_on = 0;
	}
}

struct saved_sig { int sig; struct sigaction old; };
static struct saved_sig saved_sigs[] = {
	{ .sig = SIGINT }, { .sig = SIGTERM }, { .sig = SIGHUP }, { .sig = SIGTSTP },
	{ .sig = SIGCONT }, { .sig = SIGSEGV }, { .sig = SIGBUS }, { .sig = SIGFPE },
	{ .sig = SIGILL }, { .sig = SIGABRT }, { .sig = SIGTRAP }, { .sig = SIGSYS },
	/* the other default-fatal signals quit cleanly, like TERM */
	{ .sig = SIGQUIT }, { .sig = SIGUSR1 }, { .sig = SIGUSR2 }, { .sig = SIGPIPE },
	{ .sig = SIGALRM }, { .sig = SIGVTALRM }, { .sig = SIGPROF }, { .sig = SIGXCPU },
	{ .sig = SIGXFSZ },
};

static void handler_for(int sig, void (*fn)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void signals_install(void)
{
	for (size_t i = 0; i < sizeof saved_sigs / sizeof saved_sigs[0]; i++) {
		int sig = saved_sigs[i].sig;
		void (*fn)(int) = sig == SIGINT ? on_int
		                : sig == SIGTSTP ? on_tstp
		                : sig == SIGCONT ? on_cont
		                : (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
		                   sig == SIGABRT || sig == SIGTRAP || sig == SIGSYS) ? on_crash : on_quit;
		sigaction(sig, NULL, &saved_sigs[i].old);
		handler_for(sig, fn);
	}
}

static void signals_restore(void)
{
	for (size_t i = 0; i < sizeof saved_sigs / sizeof saved_sigs[0]; i++)
		sigaction(saved_sigs[i].sig, &saved_sigs[i].old, NULL);
}

static void add_cap(const char *name)
{
	char *s = tigetstr(name);
	if (!s || s == (char *)-1)
		return;
	size_t n = strlen(s);
	if (reset_len + n < sizeof reset_seq) {
		memcpy(reset_seq + reset_len, s, n);
		reset_len += n;
	}
}

/* ---- messages and sinks --------------------------------------------------- */

void ui_message(struct ui *u, int error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof u->msg, fmt, ap);
	va_end(ap);
	u->msg_error = error;
	u->dirty = 1;
}

static void out_append(struct ui *u, const char *text)
{
	size_t n = strlen(text);
	if (!u->out_fresh) {            /* first output of this command */
		u->out_len = 0;
		u->out_fresh = 1;
	}
	if (u->out_len + n + 1 > u->out_cap) {
		size_t cap = u->out_cap ? u->out_cap : 4096;
		while (cap < u->out_len + n + 1)
			cap *= 2;
		if (cap > (1u << 22))
			return;                 /* 4 MiB of output is enough to read */
		u->out = xrealloc(u->out, cap);
		u->out_cap = cap;
	}
	memcpy(u->out + u->out_len, text, n + 1);
	u->out_len += n;
}

static void sink_out(void *user, const char *text)
{
	out_append(user, text);
}

static void sink_msg(void *user, const char *text)
{
	struct ui *u = user;
	const char *nl = strchr(text, '\n');
	size_t n = nl ? (size_t)(nl - text) : strlen(text);
	if (n >= sizeof u->msg)
		n = sizeof u->msg - 1;
	memcpy(u->msg, text, n);
	u->msg[n] = '\0';
	if (nl && nl[1])                /* more than one line: keep all for the overlay */
		out_append(u, text);
	u->dirty = 1;
}

/* ---- record and replay ---------------------------------------------------- */

static int word_is(const char *line, const char *w)
{
	while (*line == ' ' || *line == '\t')
		line++;
	size_t n = strlen(w);
	return strncmp(line, w, n) == 0 && (line[n] == '\0' || line[n] == ' ' || line[n] == '\t');
}

static void record_flush(struct ui *u)
{
	if (u->rec && u->rec_pending > 0) {
		fprintf(u->rec, "step %ld\n", u->rec_pending);
		u->rec_pending = 0;
	}
}

/* Writes one command of a recorded line. `source FILE` is written inline
 * (its lines, nested sources too), so the recording needs no other file. */
static void record_command(struct ui *u, const char *cmd, int depth)
{
	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	if (word_is(cmd, "toggle") || word_is(cmd, "run") || word_is(cmd, "quit") ||
	    (word_is(cmd, "pause") && !strchr(cmd, '"'))) {
		fprintf(u->rec, "# %s\n", cmd);
		return;
	}
	char path[1024];
	FILE *f = NULL;
	if (word_is(cmd, "source") && depth < 8 && sscanf(cmd + 6, " %1023s", path) == 1 &&
	    cmd[strspn(cmd + 6, " \t") + 6 + strlen(path)] == '\0')
		f = fopen(path, "r");
	if (!f) {
		fprintf(u->rec, "%s\n", cmd);
		return;
	}
	fprintf(u->rec, "# source %s (inlined)\n", path);
	char line[4096];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		const char *p = line + strspn(line, " \t");
		if (word_is(p, "source"))
			record_command(u, p, depth + 1);
		else
			fprintf(u->rec, "%s\n", line);
	}
	fclose(f);
	fprintf(u->rec, "# end of %s\n", path);
}

/* Writes one event: the commands of the line, one per line. Run/pause
 * toggles become comments: the steps the loop ran are written as `step N`
 * before the next event, so the file replays the same steps and also runs
 * headless. line == NULL writes only the key comment (a `step N` the loop
 * runs in slices is written as the steps it ran). */
static void record_event(struct ui *u, const char *line, const char *key)
{
	if (!u->rec || (line && (word_is(line, "repeat") || word_is(line, "focus") || word_is(line, "redraw"))))
		return;
	record_flush(u);
	if (key)
		fprintf(u->rec, "# key %s\n", key);
	if (line) {
		/* one command per line: split at ';' outside quotes, before a comment */
		char buf[4096];
		str_copy(buf, line, sizeof buf);
		int inq = 0;
		char *start = buf;
		for (char *p = buf;; p++) {
			if (*p == '"')
				inq = !inq;
			int end = !*p || (!inq && *p == '#' && (p == buf || p[-1] == ' ' || p[-1] == ';'));
			if (end || (!inq && *p == ';')) {
				char c = *p;
				*p = '\0';
				if (start[strspn(start, " \t")])
					record_command(u, start, 0);
				if (end) {
					if (c == '#')
						fprintf(u->rec, "#%s\n", p + 1);
					break;
				}
				start = p + 1;
			}
		}
	}
	fflush(u->rec);
}

static int replay_load(struct ui *u, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[4096];
	int cap = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		if (u->nreplay == cap) {
			cap = cap ? cap * 2 : 64;
			u->replay = xrealloc(u->replay, (size_t)cap * sizeof *u->replay);
		}
		u->replay[u->nreplay++] = xstrdup(p);
	}
	fclose(f);
	return 0;
}

static void replay_free(struct ui *u)
{
	for (int i = 0; i < u->nreplay; i++)
		free(u->replay[i]);
	free(u->replay);
	u->replay = NULL;
	u->nreplay = u->replay_pos = 0;
	u->replay_until = -1;
}

/* Advances the replay by at most one command per call, so each is seen. A
 * `step N` line is animated: the loop's slices run it up to replay_until. */
static void replay_tick(struct ui *u)
{
	if (!u->nreplay || u->overlay == UI_O_WAIT || u->busy)
		return;
	long step = run_steps(experiment_run(u->ctx->x, 0));
	if (u->replay_until >= 0) {
		if (step < u->replay_until)
			return;
		u->replay_until = -1;
	}
	if (u->replay_pos >= u->nreplay) {
		replay_free(u);
		ui_message(u, 0, "replay finished at step %ld", step);
		return;
	}
	const char *line = u->replay[u->replay_pos++];
	long n;
	char num[64];
	if (sscanf(line, "step %63s", num) == 1 && parse_long(num, &n) == 0 && n > 0 &&
	    strspn(line + 4, " 0123456789") == strlen(line + 4)) {
		u->replay_until = step + n;
		return;
	}
	ui_exec(u, line, NULL);
}

/* ---- command execution ---------------------------------------------------- */

/* The loop's own steps become a `step N` line of the experiment's provenance, so
 * `save session` and the CSV header replay what really happened, in order. */
static void log_pending(struct ui *u)
{
	if (u->hist_pending > 0) {
		char b[48];
		snprintf(b, sizeof b, "step %ld", u->hist_pending);
		experiment_log(u->ctx->x, b);
		u->hist_pending = 0;
	}
}

/* After a sweep: its fitted slopes in the message line (the table stays in
 * the output overlay). */
static void sweep_message(struct ui *u)
{
	const struct sweep_result *r = u->ctx->sweep;
	const struct sweep_spec *sp = u->ctx->sweep_spec;
	char b[256] = "sweep: ε slope";
	size_t o = strlen(b);
	for (int a = 0; a < r->nat && o < sizeof b; a++) {
		int n = isnan(r->slope_eps[a]) ? snprintf(b + o, sizeof b - o, "%s k=%ld n/a", a ? "," : "", sp->at[a])
		      : snprintf(b + o, sizeof b - o, "%s %.2f at k=%ld", a ? "," : "", r->slope_eps[a], sp->at[a]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	ui_message(u, 0, "%s · Esc hides the plot · overlay output: the table", b);
}

/* How a line runs: in the loop (almost every command), in the loop's
 * training slices (a lone `step N`, N >= 2), or on the worker thread (the
 * long computations, each as the line's only command). */
enum { RUN_HERE, RUN_SLICES, RUN_WORKER };

static int how_to_run(const char *line, long *n)
{
	if (strchr(line, ';'))
		return RUN_HERE;
	char buf[1024], *argv[8];
	str_copy(buf, line, sizeof buf);
	int argc = cmd_split(buf, argv, 8);
	if (argc < 1)
		return RUN_HERE;
	if (!strcmp(argv[0], "step") && argc == 2 && parse_long(argv[1], n) == 0 && *n >= 2 && *n <= 1000000000L)
		return RUN_SLICES;
	if (argc >= 2 && !strcmp(argv[0], "laws") &&
	    (!strcmp(argv[1], "count") || !strcmp(argv[1], "find") || !strcmp(argv[1], "checkpoints")))
		return RUN_WORKER;
	if (argc >= 2 && ((!strcmp(argv[0], "sweep") && !strcmp(argv[1], "tau")) || !strcmp(argv[0], "load")))
		return RUN_WORKER;
	return RUN_HERE;
}

/* What the screen does after a command ran (in the loop or on the worker):
 * run-state requests, the error in the message line and in full in the
 * output overlay, a new sweep plot, output into the message line or the
 * overlay. */
static void after_command(struct ui *u, int rc)
{
	struct cmd_ctx *c = u->ctx;
	/* the screen alone owns the run state; commands only ask */
	if (c->requests & REQ_QUIT)
		u->quit = 1;
	if (c->requests & REQ_RUN)
		u->running = 1;
	else if (c->requests & REQ_PAUSE)
		u->running = 0;
	else if (c->requests & REQ_TOGGLE)
		u->running = !u->running;
	if (c->requests & REQ_TOGGLE)
		ui_message(u, 0, "%s", u->running ? "running (space pauses)" : "paused");
	if (c->requests & REQ_REDRAW)
		u->full_redraw = 1;
	c->requests = 0;
	if (rc < 0 || rc == 1) {
		u->msg_error = 1;
		if (!u->msg[0])
			ui_message(u, 1, "%s", c->last_error[0] ? c->last_error : "command failed");
		/* the last error in full stays readable in the output overlay */
		if (c->last_error[0]) {
			if (u->out_fresh && u->out_len && u->out[u->out_len - 1] != '\n')
				out_append(u, "\n");
			out_append(u, "error: ");
			out_append(u, c->last_error);
			out_append(u, "\n");
		}
	}
	int sweep_new = 0;
	if (c->sweep_gen != u->sweep_gen) {   /* a sweep (or `sweep show`): plot it */
		u->sweep_gen = c->sweep_gen;
		sweep_new = u->sweep_on = c->sweep != NULL;
		if (sweep_new && !u->msg_error)
			sweep_message(u);
	}
	if (!c->sweep)
		u->sweep_on = 0;
	if (c->follow_gen != u->follow_gen) {   /* a follow started (or was closed) */
		u->follow_gen = c->follow_gen;
		u->follow_on = c->follow != NULL;
		u->follow_busy = u->follow_on;
	}
	if (u->out_fresh && u->out_len > 0 && !u->quit && !sweep_new) {
		/* one short line fits the message line; more opens the overlay */
		const char *nl = strchr(u->out, '\n');
		if (u->msg_error) {
			/* stays in the output for `o` (the message line says so when cut) */
		} else if ((!nl || !nl[1]) && !u->msg[0]) {
			sink_msg(u, u->out);
		} else {
			u->overlay = UI_O_OUTPUT;
			u->overlay_scroll = 0;
		}
	}
	/* the panels follow a finished configuration at once (a model still being
	 * built stays unbuilt: the title says so) */
	if (!u->quit && experiment_dirty(c->x))
		experiment_prepare(c->x);
	u->need_q = 1;
	u->dirty = 1;
	u->next_frame = 0;
}

/* Starts a typed `step N` in the loop's slices; 0, or -1 when it cannot
 * (the command then runs as usual and reports why). */
static int start_steps(struct ui *u, long n, const char *line)
{
	struct experiment *x = u->ctx->x;
	if (experiment_prepare(x))
		return -1;
	u->running = 0;
	u->busy = UI_BUSY_STEP;
	u->cancel = 0;
	u->goal_from = run_steps(experiment_run(x, 0));
	u->goal_to = u->goal_from + n;
	u->busy_t0 = now_seconds();
	u->last_chunk = 0;
	str_copy(u->busy_what, line + strspn(line, " \t"), sizeof u->busy_what);
	return 0;
}

/* The end of a typed `step N`: reached, cancelled, or stopped by an error
 * (run_slice has said which). */
static void end_steps(struct ui *u, int cancelled)
{
	long at = run_steps(experiment_run(u->ctx->x, 0));
	u->busy = UI_BUSY_NONE;
	char a[32], b[32];
	ui_fmt_count(a, sizeof a, at - u->goal_from);
	ui_fmt_count(b, sizeof b, u->goal_to - u->goal_from);
	if (cancelled)
		ui_message(u, 0, "%s cancelled at step %ld (%s of %s steps done)", u->busy_what, at, a, b);
	else if (!u->msg_error && now_seconds() - u->busy_t0 > 1)
		ui_message(u, 0, "%s: done in %.1f s (step %ld)", u->busy_what, now_seconds() - u->busy_t0, at);
	u->need_q = u->dirty = 1;
}

/* A worker job ended: its output into the screen, then as any command. */
static void end_job(struct ui *u)
{
	double frac;
	char stage[96];
	ui_job_progress(u, &frac, stage, sizeof stage);
	u->msg[0] = '\0';
	u->msg_error = 0;
	int rc = ui_job_finish(u);
	u->busy = UI_BUSY_NONE;
	ui_interrupt = 0;
	int cancelled = u->cancel && (rc == NT_EINTR || rc < 0);
	if (cancelled)
		record_event(u, NULL, NULL);
	else
		record_event(u, u->busy_what, u->job_key[0] ? u->job_key : NULL);
	if (u->rec && cancelled)
		fprintf(u->rec, "# cancelled: %s\n", u->busy_what);
	after_command(u, cancelled ? 0 : rc);
	if (cancelled) {
		if (u->overlay == UI_O_OUTPUT)
			u->overlay = UI_O_NONE;     /* what it printed before stopping is in `overlay output` */
		char where[160] = "", name[64];
		if (frac >= 0)
			snprintf(where, sizeof where, " %.0f%%%s%s%s", 100 * frac, stage[0] ? " (" : "", stage, stage[0] ? ")" : "");
		str_copy(name, u->busy_what, sizeof name);
		char *sp = strchr(name, ' ');
		if (sp && (sp = strchr(sp + 1, ' ')) != NULL)
			*sp = '\0';
		if (where[0])
			ui_message(u, 0, "%s cancelled at%s after %.1f s", name, where, now_seconds() - u->busy_t0);
		else
			ui_message(u, 0, "%s cancelled after %.1f s", name, now_seconds() - u->busy_t0);
	}
	u->cancel = 0;
}

/* Esc, Ctrl-C or a click on "Esc cancels" while busy. */
static void cancel_busy(struct ui *u)
{
	if (u->busy == UI_BUSY_STEP) {
		end_steps(u, 1);
	} else if (u->busy == UI_BUSY_JOB) {
		u->cancel = 1;
		ui_interrupt = 1;
		ui_message(u, 0, "cancelling %s ...", u->busy_what);
	}
	u->dirty = 1;
}

int ui_exec(struct ui *u, const char *line, const char *key_label)
{
	struct cmd_ctx *c = u->ctx;
	if (u->busy) {
		ui_message(u, 0, "busy with %s: Esc cancels it", u->busy_what);
		return NT_ESTATE;
	}
	long n = 0;
	int how = how_to_run(line, &n);
	log_pending(u);
	u->comp_n = 0;
	/* the output of a command that prints replaces the last one (out_append);
	 * commands without output (keys, `overlay output`) leave it to be read */
	u->out_fresh = 0;
	u->msg[0] = '\0';
	u->msg_error = 0;
	c->requests = 0;
	if (how == RUN_SLICES && start_steps(u, n, line) == 0) {
		record_event(u, NULL, key_label);     /* the steps it runs are recorded */
		u->dirty = 1;
		u->next_frame = 0;
		return 0;
	}
	if (how == RUN_WORKER) {
		ui_interrupt = 0;
		u->cancel = 0;
		if (ui_job_start(u, line) == 0) {
			u->busy = UI_BUSY_JOB;
			u->busy_t0 = now_seconds();
			u->busy_full = 0;           /* the last frame stays */
			str_copy(u->busy_what, line + strspn(line, " \t"), sizeof u->busy_what);
			str_copy(u->job_key, key_label ? key_label : "", sizeof u->job_key);
			u->dirty = 1;
			u->next_frame = 0;
			return 0;
		}
	}
	record_event(u, line, key_label);
	int rc = cmd_exec_line(c, line);
	after_command(u, rc);
	return rc;
}

/* ---- readline in callback mode -------------------------------------------- */

static unsigned char rlq[256];
static int rlq_head, rlq_tail;
static char **comp_list;
static int comp_idx;
static char comp_prefix[1024];

static int rl_getc_cb(FILE *f)
{
	(void)f;
	if (rlq_head == rlq_tail)
		return EOF;
	int ch = rlq[rlq_head];
	rlq_head = (rlq_head + 1) % (int)sizeof rlq;
	return ch;
}

static int rl_avail_cb(void) { return rlq_head != rlq_tail; }
static void rl_redisplay_cb(void) { if (g_ui) g_ui->dirty = 1; }
static void rl_prep_cb(int meta) { (void)meta; }
static void rl_deprep_cb(void) { }

static void rlq_push(const char *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int next = (rlq_tail + 1) % (int)sizeof rlq;
		if (next == rlq_head)
			return;
		rlq[rlq_tail] = (unsigned char)bytes[i];
		rlq_tail = next;
	}
}

static void on_line(char *line)
{
	struct ui *u = g_ui;
	u->focus = 0;
	if (line) {
		str_copy(u->pending, line, sizeof u->pending);
		u->have_pending = 1;
		free(line);
	}
}

static void comp_free(void)
{
	for (int i = 0; comp_list && comp_list[i]; i++)
		free(comp_list[i]);
	free(comp_list);
	comp_list = NULL;
}

static char *comp_gen(const char *text, int state)
{
	if (state == 0) {
		comp_free();
		comp_list = cmd_complete(g_ui->ctx, comp_prefix, text);
		comp_idx = 0;
	}
	if (!comp_list || !comp_list[comp_idx])
		return NULL;
	return xstrdup(comp_list[comp_idx++]);
}

static char **complete_cb(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1;
	size_t n = (size_t)start < sizeof comp_prefix ? (size_t)start : sizeof comp_prefix - 1;
	memcpy(comp_prefix, rl_line_buffer, n);
	comp_prefix[n] = '\0';
	char **m = rl_completion_matches(text, comp_gen);
	comp_free();
	return m;
}

/* Candidates go into a list drawn above the command line (ui_draw.c),
 * NUL-separated in u->comp; the message line says how many. */
static void show_matches(char **matches, int num, int max)
{
	(void)max;
	struct ui *u = g_ui;
	size_t o = 0;
	u->comp_n = 0;
	for (int i = 1; i <= num; i++) {
		size_t n = strlen(matches[i]) + 1;
		if (o + n > sizeof u->comp)
			break;
		memcpy(u->comp + o, matches[i], n);
		o += n;
		u->comp_n++;
	}
	if (u->comp_n < num)
		snprintf(u->msg, sizeof u->msg, "%d candidates, %d shown: type more letters", num, u->comp_n);
	else
		snprintf(u->msg, sizeof u->msg, "%d candidates: type more letters, Tab completes", num);
	u->msg_error = 0;
	u->dirty = 1;
}

static FILE *rl_null;

static void readline_setup(void)
{
	rl_readline_name = "noether";
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_null = fopen("/dev/null", "w");
	rl_outstream = rl_null ? rl_null : stderr;
	rl_instream = stdin;
	rl_getc_function = rl_getc_cb;
	rl_input_available_hook = rl_avail_cb;
	rl_redisplay_function = rl_redisplay_cb;
	rl_prep_term_function = rl_prep_cb;
	rl_deprep_term_function = rl_deprep_cb;
	rl_attempted_completion_function = complete_cb;
	rl_completion_display_matches_hook = show_matches;
	rl_variable_bind("show-all-if-ambiguous", "on");   /* one Tab shows the list */
	rl_callback_handler_install("", on_line);
}

static void readline_teardown(void)
{
	rl_callback_handler_remove();
	if (rl_null) {
		fclose(rl_null);
		rl_null = NULL;
	}
	rl_outstream = stdout;
	comp_free();
}

static void readline_clear(void)
{
	rl_callback_sigcleanup();
	rl_replace_line("", 0);
	rl_point = rl_end = 0;
	rlq_head = rlq_tail = 0;
}

/* Keys while the command line has focus go to readline as the byte
 * sequences a VT100 sends, so its keymaps (history, editing) apply. */
static void feed_readline(struct ui *u, int ch)
{
	static const struct { int key; const char *seq; } map[] = {
		{ KEY_UP, "\033[A" }, { KEY_DOWN, "\033[B" }, { KEY_RIGHT, "\033[C" },
		{ KEY_LEFT, "\033[D" }, { KEY_HOME, "\033[H" }, { KEY_END, "\033[F" },
		{ KEY_DC, "\033[3~" }, { KEY_BACKSPACE, "\177" }, { KEY_ENTER, "\n" },
	};
	if (ch == 12) {
		u->full_redraw = 1;
		return;
	}
	if (ch != '\t')
		u->comp_n = 0;          /* the list belongs to the last Tab */
	if (ch == 27) {                         /* a lone Esc leaves the command line */
		readline_clear();
		u->focus = 0;
		u->comp_n = 0;
		u->msg[0] = '\0';
		return;
	} else if (ch >= UI_KEY_ALT && ch < UI_KEY_ALT + 256) {   /* Alt-key: readline's Meta */
		char b[2] = { 27, (char)(ch - UI_KEY_ALT) };
		rlq_push(b, 2);
	} else if (ch >= 0 && ch < 256) {
		char b = (char)ch;
		rlq_push(&b, 1);
	} else {
		for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
			if (map[i].key == ch)
				rlq_push(map[i].seq, strlen(map[i].seq));
	}
	while (rlq_head != rlq_tail && u->focus)
		rl_callback_read_char();
	rlq_head = rlq_tail = 0;
	u->dirty = 1;
	if (u->have_pending) {
		u->have_pending = 0;
		char line[1024];
		str_copy(line, u->pending, sizeof line);
		size_t k = strspn(line, " \t");
		if (line[k] == '\0') {
			if (u->last_cmd[0])
				ui_exec(u, u->last_cmd, NULL);
		} else {
			add_history(line);
			str_copy(u->last_cmd, line, sizeof u->last_cmd);
			ui_exec(u, line, NULL);
		}
	}
}

/* ---- keys and the mouse ------------------------------------------------- */

static void key_overlay(struct ui *u, int ch)
{
	int page = u->lay.overlay.h > 4 ? u->lay.overlay.h - 4 : 1;
	switch (ch) {
	case KEY_UP: case 'k': u->overlay_scroll--; break;
	case KEY_DOWN: case 'j': u->overlay_scroll++; break;
	case KEY_PPAGE: case 'b': u->overlay_scroll -= page; break;
	case KEY_NPAGE: case ' ': u->overlay_scroll += page; break;
	case KEY_HOME: case 'g': u->overlay_scroll = 0; break;
	case KEY_END: case 'G': u->overlay_scroll = INT_MAX / 2; break;
	case 27: case 'q': case '?': case KEY_F(1): case '\n': case KEY_ENTER:
		ui_exec(u, "overlay close", ch == 27 ? "Esc" : NULL);
		break;
	default:
		break;
	}
	u->dirty = 1;
}

/* Keys while long work runs: Esc and Ctrl-C cancel it, q quits once it has
 * stopped, everything else is answered with what is going on. */
static void busy_key(struct ui *u, int ch)
{
	if (ch == 27 || ch == 3) {
		cancel_busy(u);
	} else if (ch == 'q' || ch == KEY_F(10)) {
		u->quit_when_idle = 1;
		cancel_busy(u);
	} else if (ch == 12) {
		u->full_redraw = 1;
		u->busy_full = 1;
	} else if (ch != UI_KEY_MOUSE) {
		ui_message(u, 0, "busy with %s: Esc cancels it, q quits", u->busy_what);
	}
	u->dirty = 1;
}

static int in_rect(const struct ui_rect *r, int y, int x)
{
	return r->h > 0 && y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w;
}

/* Mouse: a click on a panel focuses it (PgUp/PgDn and the wheel scroll it), a
 * click on a button of the hints or status line runs its command, the wheel
 * scrolls what is under it; a click outside an overlay closes it. */
static void handle_mouse(struct ui *u)
{
	const struct ui_mouse *ev = &u->mev;
	if (!u->mouse || !ev->press)
		return;
	int y = ev->y, x = ev->x;
	int wheel = ev->button == 64 ? -3 : ev->button == 65 ? 3 : 0;
	int click = ev->button == 0;
	if (u->busy) {
		for (int i = 0; click && i < u->nbtn; i++)
			if (y == u->btn[i].y && x >= u->btn[i].x0 && x < u->btn[i].x1 && !strcmp(u->btn[i].cmd, "cancel"))
				cancel_busy(u);
		return;
	}
	u->dirty = 1;
	if (u->overlay == UI_O_HELP || u->overlay == UI_O_OUTPUT) {
		if (wheel)
			u->overlay_scroll += wheel;
		else if (click && !in_rect(&u->lay.overlay, y, x))
			ui_exec(u, "overlay close", "click");
		return;
	}
	if (u->focus || u->lay.too_small)
		return;
	if (wheel) {
		int *sc = in_rect(&u->lay.laws, y, x) ? &u->scroll_law
		        : in_rect(&u->lay.contrast, y, x) ? (experiment_nruns(u->ctx->x) > 1 ? &u->scroll_law : &u->scroll_con)
		        : NULL;
		if (sc) {
			*sc += wheel;
			if (*sc < 0)
				*sc = 0;         /* the drawing clamps the other end */
		}
		return;
	}
	if (!click)
		return;
	for (int i = 0; i < u->nbtn; i++)
		if (y == u->btn[i].y && x >= u->btn[i].x0 && x < u->btn[i].x1) {
			char cmd[32];
			str_copy(cmd, u->btn[i].cmd, sizeof cmd);
			ui_exec(u, cmd, "click");
			return;
		}
	int f = in_rect(&u->lay.laws, y, x) ? 1 : in_rect(&u->lay.contrast, y, x) ? 2 : 0;
	if (f && f != u->panel_focus) {
		u->panel_focus = f;
		ui_message(u, 0, "%s panel focused: PgUp/PgDn and the wheel scroll it",
		           f == 1 ? "conserved" : experiment_nruns(u->ctx->x) > 1 ? "B's conserved" : "contrast");
	} else if (!f && u->panel_focus) {
		u->panel_focus = 0;
		ui_message(u, 0, "PgUp/PgDn scroll both panels");
	}
}

static void handle_key(struct ui *u, int ch)
{
	if (ch >= UI_KEY_ESC_THEN) {             /* Esc, then a key typed right after it */
		handle_key(u, 27);
		ch -= UI_KEY_ESC_THEN;
	}
	if (ch == KEY_RESIZE) {
		u->full_redraw = 1;
		u->busy_full = 1;
		u->dirty = 1;
		return;
	}
	if (ch == UI_KEY_MOUSE) {
		handle_mouse(u);
		return;
	}
	if (ch == UI_KEY_NONE)
		return;                          /* an escape sequence no key is bound to: consumed */
	if (u->busy) {
		busy_key(u, ch);
		return;
	}
	if (u->nreplay) {                        /* replaying: only quitting */
		if (ch == 'q' || ch == KEY_F(10))
			ui_exec(u, "quit", "q");
		return;
	}
	if (u->focus) {
		feed_readline(u, ch);
		return;
	}
	if (ch >= UI_KEY_ALT)
		return;                          /* Alt-key: not bound */
	if (u->overlay == UI_O_HELP || u->overlay == UI_O_OUTPUT) {
		key_overlay(u, ch);
		return;
	}
	if (u->lay.too_small && ch != 'q' && ch != KEY_F(10))
		return;
	const struct ui_key *k = ui_key_find(ch);
	if (k) {
		ui_exec(u, k->command, k->label);
		return;
	}
	if (ch > ' ' && ch < 127)
		ui_message(u, 0, "key '%c' is not bound: ? lists the keys, : types a command", ch);
}

static int next_byte(void *ctx)
{
	(void)ctx;
	int c = getch();
	return c == ERR ? -1 : c;
}

/* One key: curses' code, what an escape sequence it did not know means, or
 * a mouse report (UI_KEY_MOUSE, in u->mev). curses only matches the report's
 * prefix (its terminfo kmous; the mouse is not curses' to decode: its own
 * decoder reads the report's bytes past its input buffer and can block). */
static int read_key(struct ui *u)
{
	int ch = getch();
	if (ch == 27)
		ch = ui_key_escape(next_byte, NULL, &u->mev);
	else if (ch == KEY_MOUSE)
		ch = ui_key_mouse(next_byte, NULL, u->mouse_sgr, &u->mev);
	return ch;
}

static void read_keys(struct ui *u)
{
	int ch, any = 0;
	while (!u->quit && (ch = read_key(u)) != ERR) {
		if (!any && u->key_t == 0)
			u->key_t = now_seconds();
		any = 1;
		handle_key(u, ch);
	}
	if (any) {                      /* a key is answered by the next frame, now */
		u->dirty = 1;
		u->next_frame = 0;
	}
}

/* ---- signals in the loop -------------------------------------------------- */

static void handle_signals(struct ui *u)
{
	if (sig_quit) {
		u->quit = 1;
		u->exit_status = 128 + sig_quit;
		return;
	}
	if (sig_int && u->busy) {               /* Ctrl-C cancels long work */
		sig_int = 0;
		ui_interrupt = 0;
		cancel_busy(u);
		u->last_sigint = now_seconds();
	}
	if (sig_int) {
		double t = now_seconds();
		sig_int = 0;
		ui_interrupt = 0;
		if (u->focus) {
			readline_clear();
			u->focus = 0;
		}
		if (u->running || u->replay_until >= 0 || u->nreplay) {
			u->running = 0;
			if (u->nreplay) {
				replay_free(u);
				ui_message(u, 0, "replay stopped at step %ld (Ctrl-C again quits)", run_steps(experiment_run(u->ctx->x, 0)));
			} else {
				ui_message(u, 0, "paused (Ctrl-C again quits)");
			}
			u->last_sigint = t;
		} else if (u->last_sigint > 0 && t - u->last_sigint < 2.0) {
			u->quit = 1;
		} else {
			ui_message(u, 0, "press Ctrl-C again to quit (or q)");
			u->last_sigint = t;
		}
		u->dirty = 1;
	}
	if (sig_tstp) {
		sig_tstp = 0;
		mouse_report(u, 0);
		endwin();
		handler_for(SIGTSTP, SIG_DFL);
		raise(SIGTSTP);                 /* stops here until SIGCONT */
		handler_for(SIGTSTP, on_tstp);
		sig_cont = 1;
	}
	if (sig_cont) {
		sig_cont = 0;
		refresh();                      /* back to program mode */
		mouse_report(u, 1);
		u->full_redraw = 1;
		u->dirty = 1;
		u->next_frame = 0;
	}
}

/* ---- training slices and frames ------------------------------------------ */

static int stepping(const struct ui *u)
{
	return u->running || u->replay_until >= 0 || u->busy == UI_BUSY_STEP;
}

static void run_slice(struct ui *u)
{
	struct experiment *x = u->ctx->x;
	const struct run *a = experiment_run(x, 0);
	long room = u->spf > 0 ? u->spf - u->frame_steps : LONG_MAX;
	if (u->busy == UI_BUSY_STEP)             /* a typed step N: as fast as slices allow */
		room = u->goal_to - run_steps(a);
	if (u->replay_until >= 0 && u->replay_until - run_steps(a) < room)
		room = u->replay_until - run_steps(a);
	if (room <= 0)
		return;
	long chunk = u->step_cost > 0 ? (long)(SLICE_US * 1e-6 / u->step_cost) : 1;
	if (chunk < 1)
		chunk = 1;
	if (chunk > 2 * u->last_chunk + 1)     /* grow gently: a bad estimate costs one slice */
		chunk = 2 * u->last_chunk + 1;
	u->last_chunk = chunk;
	if (chunk > room)
		chunk = room;
	long before = run_steps(a);
	double t0 = now_seconds();
	/* every run steps in the slice (B's steps count in its cost, so it stays short) */
	int rc = experiment_step(x, chunk, &ui_interrupt);
	long done = run_steps(a) - before;
	if (done > 0)
		u->hist_pending += done;
	double dt = now_seconds() - t0;
	u->t_step += dt;
	if (dt > u->max_slice)
		u->max_slice = dt;
	if (done > 0) {
		double c = dt / (double)done;
		u->step_cost = u->step_cost > 0 ? 0.7 * u->step_cost + 0.3 * c : c;
		u->frame_steps += done;
		u->steps_run += done;
		u->rate_steps += done;
		if (u->rec && u->replay_until < 0)
			u->rec_pending += done;
	}
	u->need_q = 1;
	u->dirty = 1;
	if (rc == NT_EINTR)
		return;
	if (rc < 0) {
		u->running = 0;
		if (u->replay_until >= 0)
			replay_free(u);
		ui_message(u, 1, "%s", experiment_error(x)[0] ? experiment_error(x) : "training stopped");
		if (u->busy == UI_BUSY_STEP)
			end_steps(u, 0);
		return;
	}
	if (u->busy == UI_BUSY_STEP && run_steps(a) >= u->goal_to)
		end_steps(u, 0);
}

void ui_frame(struct ui *u)
{
	struct experiment *x = u->ctx->x;
	double t0 = now_seconds();
	if (u->busy == UI_BUSY_JOB) {
		/* the worker owns the experiment: the last frame stays, the status,
		 * message and input lines show the progress (all of it after a resize) */
		if (u->lay.cols != COLS || u->lay.rows != LINES) {
			struct ui_layout_in in = {
				.cols = COLS, .rows = LINES, .visible = u->visible, .caption = u->caption[0] != '\0',
				.law_rows = u->view.nlaw + u->view.nclaim + (u->view.nlaw == 0),
				.contrast_rows = u->view.ncontrast, .present = u->present,
			};
			ui_layout_compute(&in, &u->lay);
			u->busy_full = 1;
		}
		ui_job_progress(u, &u->busy_frac, u->busy_stage, sizeof u->busy_stage);
		ui_draw_busy(u, u->busy_full);
		u->busy_full = 0;
		goto done;
	}
	if (u->need_q && !experiment_dirty(x)) {
		experiment_update(x);
		u->need_q = 0;
	}
	ui_view_update(&u->view, x, experiment_run(x, 0), u->ascii);
	u->pn = ui_portrait_points(experiment_run(x, 0), experiment_portrait_info(x), UI_SERIES_MAX, u->px, u->py,
	                           &u->pxk, &u->pyk);
	struct ui_layout_in in = {
		.cols = COLS, .rows = LINES, .visible = u->visible, .caption = u->caption[0] != '\0',
		.law_rows = u->view.nlaw + u->view.nclaim + (u->view.nlaw == 0),
		.contrast_rows = u->view.ncontrast,
		.sweep = (u->sweep_on && u->ctx->sweep) || u->follow_on, .present = u->present,
	};
	if (experiment_nruns(x) > 1) {
		/* A's and B's conserved panels side by side, where the two panels go */
		ui_view_update(&u->view_b, x, experiment_run(x, 1), u->ascii);
		if ((u->visible >> UI_P_LAWS) & 1)
			in.visible |= 1u << UI_P_CONTRAST;
		in.contrast_rows = u->view_b.nlaw + u->view_b.nclaim + (u->view_b.nlaw == 0);
	}
	ui_layout_compute(&in, &u->lay);
	if (u->busy == UI_BUSY_STEP) {
		u->busy_frac = (double)(u->view.step - u->goal_from) / (double)(u->goal_to - u->goal_from);
		u->busy_stage[0] = '\0';
	}
	ui_draw_frame(u);
done:;
	double t1 = now_seconds();
	u->t_draw += t1 - t0;
	u->frames++;
	if (u->key_t > 0) {
		if (t1 - u->key_t > u->max_latency)
			u->max_latency = t1 - u->key_t;
		u->key_t = 0;
	}
	if (t1 - u->rate_t0 >= 0.5) {
		u->rate = u->rate_steps / (t1 - u->rate_t0);
		u->rate_steps = 0;
		u->rate_t0 = t1;
	}
	u->frame_steps = 0;
	u->dirty = 0;
	u->next_frame = t1 + FRAME_US * 1e-6;
}

int ui_wait_key(struct ui *u)
{
	int ch = -1;
	u->overlay = UI_O_WAIT;
	while (!u->quit) {
		ui_frame(u);
		struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
		poll(&pfd, 1, 200);
		int was_int = sig_int;
		handle_signals(u);
		if (was_int)
			break;
		ch = read_key(u);
		if (ch == ERR || ch == KEY_RESIZE || ch == UI_KEY_MOUSE || ch == UI_KEY_NONE)
			continue;
		if (ch >= UI_KEY_ESC_THEN)
			ch = 27;
		break;
	}
	u->overlay = UI_O_NONE;
	u->dirty = 1;
	return ch;
}

/* Following checkpoints: reads for at most ~20 ms (a few MB at a time), so
 * keys are answered while a large checkpoint comes in; says what came in,
 * what was refused, and when the follow stopped by itself. */
static void follow_tick(struct ui *u)
{
	struct ck_follow *f = u->ctx->follow;
	if (!u->follow_on || !f || u->busy || cmd_follow_stopped(f)) {
		u->follow_busy = 0;
		return;
	}
	double t0 = now_seconds();
	int w;
	do {
		w = cmd_follow_tick(f, (size_t)4 << 20);
		if (w == FOLLOW_ADDED) {
			const struct bridge *b = cmd_follow_bridge(f);
			const struct bridge_ck *k = bridge_ck(b, bridge_nck(b) - 1);
			char m[32];
			ui_fmt_sci(m, sizeof m, k->law_max);
			ui_message(u, 0, "checkpoint step %ld read (%d so far): largest law drift %s", k->step,
			           bridge_nck(b), m);
			u->dirty = 1;
		} else if (w < 0) {
			ui_message(u, 1, "laws checkpoints: %s", cmd_follow_error(f));
			u->dirty = 1;
		}
	} while (w == FOLLOW_BUSY && now_seconds() - t0 < 0.02);
	if (cmd_follow_stopped(f)) {
		ui_message(u, 0, "stopped following: %s (Esc closes the view)", cmd_follow_stopped(f));
		u->dirty = 1;
	}
	u->follow_busy = w == FOLLOW_BUSY || w == FOLLOW_ADDED;
	if (u->follow_busy)
		u->dirty = 1;            /* the progress moves */
}

static void loop(struct ui *u)
{
	while (!u->quit) {
		handle_signals(u);
		if (u->quit)
			break;
		double now = now_seconds();
		int timeout;
		int quota_left = u->spf <= 0 || u->frame_steps < u->spf || u->busy == UI_BUSY_STEP;
		if ((stepping(u) && quota_left) || (u->nreplay && u->replay_until < 0 && !u->busy) ||
		    (u->have_deferred && !u->busy))
			timeout = 0;
		else if (stepping(u) || u->dirty)
			timeout = u->next_frame > now ? (int)((u->next_frame - now) * 1000) + 1 : 0;
		else if (u->busy == UI_BUSY_JOB)
			timeout = 100;               /* the progress bar moves */
		else
			timeout = -1;
		if (u->follow_on && u->ctx->follow && !u->busy && !cmd_follow_stopped(u->ctx->follow)) {
			/* following checkpoints: read on at once, else look again in time */
			int ft = u->follow_busy ? 0 : (int)(cmd_follow_next_look(u->ctx->follow) * 1000) + 1;
			if (ft > 250)
				ft = 250;                /* idle= is checked between looks too */
			if (timeout < 0 || ft < timeout)
				timeout = ft;
		}
		struct pollfd pfd[2] = { { STDIN_FILENO, POLLIN, 0 }, { ui_job_fd(u), POLLIN, 0 } };
		int pr = poll(pfd, u->busy == UI_BUSY_JOB ? 2 : 1, timeout);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr < 0) {
			/* a signal: flags first, then read (SIGWINCH is KEY_RESIZE) */
			handle_signals(u);
			pfd[0].revents = pfd[1].revents = 0;
		}
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			u->quit = 1;
			u->exit_status = 128 + SIGHUP;
			break;
		}
		if (u->busy == UI_BUSY_JOB && (pfd[1].revents & POLLIN)) {
			end_job(u);
			if (u->quit_when_idle)
				u->quit = 1;
		}
		if (u->busy == UI_BUSY_JOB && now_seconds() >= u->next_frame)
			u->dirty = 1;
		read_keys(u);
		if (u->quit)
			break;
		if (!u->busy && u->quit_when_idle)
			break;
		if (u->have_deferred && !u->busy) {   /* `repeat`: the last typed line, as typed */
			u->have_deferred = 0;
			ui_exec(u, u->deferred, NULL);
		}
		replay_tick(u);
		follow_tick(u);
		if (stepping(u) && quota_left)
			run_slice(u);
		if (now_seconds() >= u->next_frame && (u->dirty || stepping(u)))
			ui_frame(u);
	}
	if (u->busy == UI_BUSY_JOB) {
		/* quitting (q, SIGTERM, hang-up) while the worker computes: ask it to
		 * stop, wait a little, and if it does not, leave without it */
		ui_interrupt = 1;
		struct pollfd pf = { ui_job_fd(u), POLLIN, 0 };
		if (poll(&pf, 1, 3000) > 0) {
			end_job(u);
		} else {
			record_flush(u);
			if (u->rec)
				fflush(u->rec);
			mouse_report(u, 0);
			endwin();
			fprintf(stderr, "noether: %s did not stop within 3 s; left without it\n", u->busy_what);
			_exit(u->exit_status ? u->exit_status : 130);
		}
	}
}

/* ---- entry ---------------------------------------------------------------- */

int ui_main(struct cmd_ctx *ctx, const struct ui_options *opt)
{
	struct ui *u = xcalloc(1, sizeof *u);
	struct cmd_ctx saved = *ctx;
	u->ctx = ctx;
	u->opt = *opt;
	u->replay_until = -1;
	u->preset_idx = -1;
	u->spf = 10;            /* slow enough to watch; + and - change it */
	u->logx = -1;           /* log steps under compare */
	u->visible = (1u << UI_P_COUNT) - 1;
	u->visible &= ~(1u << UI_P_BIG);
	ui_view_init(&u->view);
	ui_view_init(&u->view_b);

	setlocale(LC_CTYPE, "");
	int utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	u->ascii = opt->no_unicode || !utf8;
	u->glyphs = u->ascii ? UI_G_ASCII : UI_G_BRAILLE;
	const char *nc = getenv("NO_COLOR");
	int no_color = opt->no_color || (nc && nc[0]);

	if (opt->record) {
		u->rec = fopen(opt->record, "w");
		if (!u->rec) {
			fprintf(stderr, "noether: %s: cannot write the recording\n", opt->record);
			free(u);
			return 2;
		}
		/* a complete script: the preset the screen opened on, then every
		 * command and key as a command, the loop's steps as `step N` */
		fprintf(u->rec, "# noether recording: replay with  noether --replay FILE  or run it headless with  noether -b FILE\n");
		fprintf(u->rec, "# keys are comments above the command they ran; steps the screen ran are `step N` lines\n");
		if (opt->preset)
			fprintf(u->rec, "preset %s\n", opt->preset);
		else
			fprintf(u->rec, "# starts from the experiment the screen opened on, at step %ld\n", run_steps(experiment_run(ctx->x, 0)));
		fflush(u->rec);
	}
	if (opt->replay && replay_load(u, opt->replay) < 0) {
		fprintf(stderr, "noether: %s: cannot read the recording\n", opt->replay);
		if (u->rec)
			fclose(u->rec);
		free(u);
		return 2;
	}

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tty) == 0)
		have_saved_tty = 1;
	g_ui = u;
	if (!atexit_done) {
		atexit(ui_atexit);
		atexit_done = 1;
	}
	signals_install();
	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		signals_restore();
		fprintf(stderr, "noether: cannot start the screen (TERM=%s)\n",
		        getenv("TERM") ? getenv("TERM") : "unset");
		g_ui = NULL;
		if (u->rec)
			fclose(u->rec);
		replay_free(u);
		free(u);
		return 1;
	}
	set_term(scr);
	u->curses_on = 1;
	add_cap("sgr0");
	add_cap("cnorm");
	add_cap("rmcup");
	if (!opt->no_mouse && reset_len + strlen(MOUSE_OFF) < sizeof reset_seq) {
		memcpy(reset_seq + reset_len, MOUSE_OFF, strlen(MOUSE_OFF));
		reset_len += strlen(MOUSE_OFF);
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (!opt->no_mouse) {
		char *km = tigetstr("kmous");
		u->mouse_sgr = km && km != (char *)-1 && strchr(km, '<') != NULL;
		u->mouse = 1;
		mouse_report(u, 1);
	}
	if (has_colors() && !no_color) {
		start_color();
		use_default_colors();
		u->can_color = 1;
	}
	u->present = opt->present;
	u->theme = opt->present ? UI_THEME_CONTRAST : u->can_color ? UI_THEME_DARK : UI_THEME_MONO;
	if (opt->present)
		u->visible |= 1u << UI_P_BIG;
	ui_theme_apply(u);

	ctx->out = sink_out;
	ctx->msg = sink_msg;
	ctx->user = u;
	ctx->interrupt = &ui_interrupt;
	ctx->ui = u;
	ctx->screen_op = ui_screen_op;
	ctx->progress = NULL;            /* long work reports through the worker (ui_job.c) */
	ctx->screen = 1;
	ctx->interactive = 1;
	ctx->file = NULL;

	readline_setup();
	u->t_start = u->rate_t0 = now_seconds();
	u->need_q = 1;
	if (u->nreplay)
		ui_message(u, 0, "replaying %s (%d commands)", opt->replay, u->nreplay);
	else if (experiment_error(ctx->x)[0] && experiment_dirty(ctx->x))
		ui_message(u, 1, "%s", experiment_error(ctx->x));
	else if (opt->startup && opt->startup[0])
		ui_message(u, 0, "%s", opt->startup);
	ui_frame(u);
	loop(u);

	record_flush(u);
	log_pending(u);
	cmd_sweep_clear(ctx);
	cmd_follow_clear(ctx);
	if (u->rec) {
		fprintf(u->rec, "# end at step %ld\n", run_steps(experiment_run(ctx->x, 0)));
		fclose(u->rec);
		u->rec = NULL;
	}
	readline_teardown();
	mouse_report(u, 0);
	endwin();
	u->curses_on = 0;
	delscreen(scr);
	signals_restore();
	g_ui = NULL;

	int status = u->exit_status;
	if (getenv("NOETHER_UI_STATS")) {
		double wall = now_seconds() - u->t_start;
		fprintf(stderr, "noether screen: %ld frames, %.2f ms/frame, draw %.1f%% of wall, "
		        "step %.1f%% of wall, %ld steps, worst slice %.1f ms, worst key-to-frame %.1f ms\n",
		        u->frames, u->frames ? 1e3 * u->t_draw / u->frames : 0, 100 * u->t_draw / wall,
		        100 * u->t_step / wall, u->steps_run, 1e3 * u->max_slice, 1e3 * u->max_latency);
	}
	ctx->out = saved.out;
	ctx->msg = saved.msg;
	ctx->user = saved.user;
	ctx->interrupt = saved.interrupt;
	ctx->ui = saved.ui;
	ctx->screen_op = saved.screen_op;
	ctx->progress = saved.progress;
	ctx->screen = saved.screen;
	ctx->interactive = saved.interactive;
	ctx->file = saved.file;
	ui_view_free(&u->view);
	ui_view_free(&u->view_b);
	ui_canvas_free(&u->canvas);
	replay_free(u);
	free(u->out);
	free(u);
	return status;
}
