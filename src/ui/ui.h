/* ui.h — the live ncurses screen, entry point for the command-line front end.
 *
 * The screen is one more client of the command layer: every key is a command
 * string run through cmd_exec_line, typed lines go through readline in
 * callback mode, and screen-only commands (theme, caption, panel, ...) come
 * back through ctx->screen_op. Invariant: whatever path leaves ui_main (quit,
 * signal, crash handler, exit()), the terminal is restored. */
#ifndef NOETHER_UI_H
#define NOETHER_UI_H
#include "cmd/cmd.h"

struct ui_options {
	int no_color;          /* monochrome even when the terminal has colours */
	int no_unicode;        /* ASCII plots, sparklines and frames */
	int present;           /* presentation mode: big digits, captions, high contrast */
	const char *record;    /* write keys and commands with step counts here, or NULL */
	const char *replay;    /* replay a recording made with record, or NULL */
	const char *startup;   /* message to show in the message line at start, or NULL */
	const char *preset;    /* the preset the screen opened on (a recording starts with it) */
	int no_mouse;          /* leave the mouse to the terminal */
};

/* Runs the screen until quit; returns the process exit status (0, or 128+N
 * when signal N ended it). ctx is set up by the caller (experiment prepared with
 * a preset already executed); its sinks, interrupt flag and ui fields are
 * replaced while the screen runs and restored before returning. Restores the
 * terminal on every exit path. */
int ui_main(struct cmd_ctx *ctx, const struct ui_options *opt);
#endif
