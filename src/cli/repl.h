/* repl.h — the readline prompt used when the screen is not wanted (--repl, or a
 * terminal too dumb for curses): history in $XDG_STATE_HOME/noether/history,
 * tab completion from the command table. */
#ifndef NOETHER_REPL_H
#define NOETHER_REPL_H
#include "cmd/cmd.h"

/* Runs the prompt until quit or EOF; returns the exit status. */
int repl_main(struct cmd_ctx *c);
/* Path of the history file (directories created); buf empty if unavailable. */
void repl_history_path(char *buf, size_t len);
#endif
