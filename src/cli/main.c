/* main.c — the noether program: option parsing and the choice of front end.
 *   -b FILE / -e 'cmds' / stdin not a terminal  → headless batch (no curses)
 *   --repl                                     → readline prompt
 *   otherwise                                  → the ncurses screen on a preset
 * Exit status: 0 ok, 1 a failed expect or a run error, 2 usage. */
#include "cmd/cmd.h"
#include "fig/fig.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include "repl.h"
#include "ui/ui.h"
#include <locale.h>
#include <readline/history.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef NT_VERSION
#define NT_VERSION "0.0"
#endif

static volatile sig_atomic_t interrupted, sigint_seen;

/* Ctrl-C: the running command stops at its next check (a step boundary) and
 * a script stops after it. A second Ctrl-C before the first was acted on
 * ends the program the default way. */
static void on_sigint(int sig)
{
	if (interrupted) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	interrupted = 1;
	sigint_seen = 1;
}

/* The exit status, made 1 when what went to standard output was not all
 * written (a full disk, a closed pipe): output lost is a failure too. */
static int finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "noether: error writing standard output\n");
		return status ? status : 1;
	}
	return status;
}

/* Progress of long commands on stderr, only when it is a terminal: one line
 * "[#####-----]  45% τ=0.01 seed 0  3.2 s, ~4 s left", redrawn at most ten
 * times a second, shown once a job has run for half a second, erased before
 * any other output and when the job ends. */
static struct {
	double t0, last, frac;
	int shown;
} tty_prog;

static void progress_clear(void)
{
	if (tty_prog.shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		tty_prog.shown = 0;
	}
}

static void progress_tty(void *user, double frac, const char *stage)
{
	(void)user;
	double t = now_seconds();
	if (frac <= 0 || frac < tty_prog.frac) {      /* a new job */
		progress_clear();
		tty_prog.t0 = t;
		tty_prog.last = 0;
	}
	tty_prog.frac = frac;
	if (frac >= 1) {
		progress_clear();
		return;
	}
	if (t - tty_prog.t0 < 0.5 || t - tty_prog.last < 0.1)
		return;
	tty_prog.last = t;
	char bar[21], eta[48] = "";
	int full = (int)(frac * 20);
	for (int i = 0; i < 20; i++)
		bar[i] = i < full ? '#' : '-';
	bar[20] = '\0';
	double el = t - tty_prog.t0;
	if (frac > 0.01)
		snprintf(eta, sizeof eta, ", ~%.0f s left", el * (1 - frac) / frac);
	fprintf(stderr, "\r[%s] %3.0f%% %s  %.1f s%s (Ctrl-C cancels)\033[K", bar, 100 * frac, stage, el, eta);
	fflush(stderr);
	tty_prog.shown = 1;
}

static const struct nt_progress tty_progress = { progress_tty, NULL };

static void out_stdout(void *u, const char *t)
{
	(void)u;
	progress_clear();
	fputs(t, stdout);
	fflush(stdout);
}

static void msg_stderr(void *u, const char *t)
{
	(void)u;
	progress_clear();
	fflush(stdout);
	fprintf(stderr, "%s\n", t);
}

/* Writes the command table as man-page entries (used by scripts/gen_man.sh and
 * checked by tests/cli/test_docs.sh so the man page never drifts). */
static void roff_text(const char *t)
{
	if (*t == '.' || *t == '\'')
		fputs("\\&", stdout);
	for (; *t; t++) {
		if (*t == '\\')
			fputs("\\e", stdout);
		else if (*t == '-')
			fputs("\\-", stdout);
		else
			putchar(*t);
	}
}

static void list_commands_roff(void)
{
	for (int i = 0; cmd_table[i].name; i++) {
		fputs(".TP\n.B ", stdout);
		roff_text(cmd_table[i].usage);
		putchar('\n');
		roff_text(cmd_table[i].help);
		putchar('\n');
	}
}

/* Collects what a command prints before the screen is up (one line kept). */
static char startup_msg[512];

static void sink_startup(void *u, const char *t)
{
	(void)u;
	str_copy(startup_msg, t, sizeof startup_msg);
	char *nl = strchr(startup_msg, '\n');
	if (nl)
		*nl = 0;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: noether [options] [PRESET]\n"
	        "  (no option)        open the explorer screen on PRESET (default relu2)\n"
	        "  -b, --batch FILE   run a command script headless ('-' reads stdin)\n"
	        "  -e, --exec 'CMDS'  run commands headless ('cmd; cmd; ...'); may repeat\n"
	        "      --repl         a readline prompt instead of the screen\n"
	        "      --threads N    BLAS threads (default 1: reproducible to the bit)\n"
	        "      --no-color     monochrome screen (also NO_COLOR=1)\n"
	        "      --no-unicode   ASCII plots and frames\n"
	        "      --present      presentation mode (big digits, captions, high contrast)\n"
	        "      --no-mouse     no mouse (clicks and the wheel reach the terminal)\n"
	        "      --record FILE  record keys and commands with step counts\n"
	        "      --replay FILE  replay a recording\n"
	        "  -h, --help         this help;  -V, --version  the version\n"
	        "exit status: 0 ok, 1 failed expect or run error, 2 usage\n");
}

int main(int argc, char **argv)
{
	const char *batch = NULL, *preset = NULL;
	const char *execs[64];
	int nexec = 0, repl = 0, threads = 1;
	struct ui_options uo = { 0 };
	setlocale(LC_CTYPE, ""); /* never LC_NUMERIC: CSV and scripts use '.' */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return finish(0); }
		else if (!strcmp(a, "-V") || !strcmp(a, "--version")) { printf("noether %s\n", NT_VERSION); return finish(0); }
		else if ((!strcmp(a, "-b") || !strcmp(a, "--batch")) && more) batch = argv[++i];
		else if ((!strcmp(a, "-e") || !strcmp(a, "--exec")) && more) {
			if (nexec == 64) { fprintf(stderr, "noether: too many -e options (limit 64)\n"); return 2; }
			execs[nexec++] = argv[++i];
		}
		else if (!strcmp(a, "--repl")) repl = 1;
		else if (!strcmp(a, "--commands-roff")) { list_commands_roff(); return finish(0); }
		else if (!strcmp(a, "--threads") && more) {
			long t;
			if (parse_long(argv[++i], &t) || t < 1 || t > 256) {
				fprintf(stderr, "noether: --threads needs an integer in 1..256\n");
				return 2;
			}
			threads = (int)t;
		}
		else if (!strcmp(a, "--no-color")) uo.no_color = 1;
		else if (!strcmp(a, "--no-unicode")) uo.no_unicode = 1;
		else if (!strcmp(a, "--present")) uo.present = 1;
		else if (!strcmp(a, "--no-mouse")) uo.no_mouse = 1;
		else if (!strcmp(a, "--record") && more) uo.record = argv[++i];
		else if (!strcmp(a, "--replay") && more) uo.replay = argv[++i];
		else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "noether: unknown or incomplete option '%s'\n", a);
			usage(stderr);
			return 2;
		}
		else if (!preset) preset = a;
		else { fprintf(stderr, "noether: unexpected argument '%s'\n", a); usage(stderr); return 2; }
	}
	if (preset) {
		/* a usage error: name the presets there are */
		char path[1024];
		if (cmd_preset_path(preset, path, sizeof path)) {
			fprintf(stderr, "noether: unknown preset '%s'; presets:", preset);
			const char *const *names = cmd_preset_names();
			for (int i = 0; names && names[i]; i++)
				fprintf(stderr, " %s", names[i]);
			fprintf(stderr, "%s\n", names && names[0] ? "" : " none found (set NOETHER_PRESETS)");
			return 2;
		}
	}
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		uo.no_color = 1;
	char rerr[600];
	if (uo.replay && cmd_check_file(uo.replay, rerr, sizeof rerr)) {
		fprintf(stderr, "noether: --replay: %s\n", rerr);
		return 2;
	}
	linalg_set_threads(threads);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);

	struct experiment *x = experiment_new();
	experiment_set_threads(x, threads);
	struct cmd_ctx c = { 0 };
	c.x = x;
	c.out = out_stdout;
	c.msg = msg_stderr;
	c.interrupt = &interrupted;
	if (isatty(STDERR_FILENO))
		c.progress = &tty_progress;
	int status = 0;

	int headless = batch || nexec || !isatty(STDIN_FILENO);
	if (headless) {
		int rc = 0;
		if (preset && !rc) {
			char line[300];
			snprintf(line, sizeof line, "preset %s", preset);
			rc = cmd_exec_line(&c, line);
		}
		for (int i = 0; i < nexec && rc >= 0 && !(c.requests & REQ_QUIT); i++) {
			c.file = "-e";
			c.line = i + 1;
			int r = cmd_exec_line(&c, execs[i]);
			if (r < 0)
				rc = r;
			else if (r > 0)
				rc = 1;
		}
		c.file = NULL;
		if (rc >= 0 && !(c.requests & REQ_QUIT)) {
			int r = 0;
			if (batch && strcmp(batch, "-"))
				r = cmd_exec_file(&c, batch);
			else if (batch || !nexec)
				r = cmd_exec_file(&c, "/dev/stdin");
			if (r < 0)
				rc = r;
			else if (r > 0)
				rc = 1;
		}
		status = rc == 0 && c.expect_failed == 0 ? 0 : 1;
		if (c.expect_failed)
			fprintf(stderr, "noether: %d expect line%s failed\n", c.expect_failed, c.expect_failed == 1 ? "" : "s");
		if (rc == NT_EINTR && sigint_seen)
			status = 130;   /* stopped by Ctrl-C: 128 + SIGINT, as a shell reports it */
	} else if (repl || !isatty(STDOUT_FILENO)) {
		if (preset) {
			char line[300];
			snprintf(line, sizeof line, "preset %s", preset);
			cmd_exec_line(&c, line);
		}
		status = repl_main(&c);
	} else {
		char line[300], hist[1024];
		c.interactive = 1;
		snprintf(line, sizeof line, "preset %s", preset ? preset : "relu2");
		c.out = c.msg = sink_startup;
		if (cmd_exec_line(&c, line) < 0 && preset) {
			fprintf(stderr, "noether: %s\n", c.last_error);
			experiment_free(x);
			return 2;
		}
		c.out = out_stdout;
		c.msg = msg_stderr;
		uo.startup = startup_msg;
		uo.preset = preset ? preset : "relu2";
		repl_history_path(hist, sizeof hist);
		using_history();
		if (hist[0])
			read_history(hist);
		status = ui_main(&c, &uo);
		if (hist[0] && !write_history(hist))
			history_truncate_file(hist, 2000);
	}
	progress_clear();
	cmd_sweep_clear(&c);
	experiment_free(x);
	fig_release();
	return finish(status);
}
