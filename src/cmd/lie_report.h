/* lie_report.h — `laws count` and `laws find` as text lines, for any front end.
 * The REPL/batch commands print these lines; the screen can show them in an
 * overlay without going through the output sink. */
#ifndef NOETHER_LIE_REPORT_H
#define NOETHER_LIE_REPORT_H
#include "cmd.h"
#include "noether/lie.h"

/* Runs `laws count ...` (argv[0] = "count") or `laws find ...` (argv[0] =
 * "find") on c's experiment (run A's θ) and returns the report as *nlines malloc'd lines
 * (no trailing newline) in *lines; free with lie_report_free. The last line of
 * a count is `laws: lower=L upper=U status=complete|open|uncertain`. Returns 0,
 * or a negative NT_* code (NT_EINTR when *c->interrupt was raised) with the
 * message in the last line. Nothing is sent through c->out or c->msg. */
int lie_report_lines(struct cmd_ctx *c, int argc, char **argv, char ***lines, int *nlines);
/* The same, reporting progress while it computes: fn(pctx, fraction done of
 * the whole command in [0, 1], stage) is called from this thread between
 * candidates (a count's stages "census", "count: fields", "count: brackets
 * level d", "find: equations", "find: null space", "find: verify", "find:
 * check", then "done" at 1). It must return quickly; raising *c->interrupt
 * from it cancels the command (NT_EINTR). fn may be NULL. */
int lie_report_lines_progress(struct cmd_ctx *c, int argc, char **argv, char ***lines, int *nlines,
                              lie_progress_fn fn, void *pctx);
void lie_report_free(char **lines, int nlines);
#endif
