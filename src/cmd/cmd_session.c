/* cmd_session.c — `save session FILE`: the current state as a runnable
 * command script.
 *
 * The script starts with `new`, so it rebuilds the same state whatever the
 * session it is sourced into holds; then comes the experiment's provenance
 * (its history: every configuration
 * command, `reset`, and every `step N`, including the steps the screen's
 * run loop took, which the screen logs as `step N` lines) in order, with
 * consecutive steps merged. Replaying it from a fresh session reproduces θ
 * bit for bit (single-threaded BLAS), because `reset` returns to the same θ0
 * and every step is a deterministic function of the configuration at that
 * moment. Steps the history does not know about (an interrupted `step N` at
 * a prompt) are added at the end so the step count matches, and a closing
 * `expect step == K` makes the script check itself. Written to FILE.tmp and
 * renamed, so a failure leaves no partial file. */
#include "cmd_impl.h"
#include "noether/afile.h"
#include "noether/util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int word_is(const char *line, const char *w)
{
	size_t n = strlen(w);
	return strncmp(line, w, n) == 0 && (line[n] == '\0' || line[n] == ' ' || line[n] == '\t');
}

/* Steps of a `step [N]` line, or -1 if the line is not one. */
static long step_count(const char *line)
{
	long n = 1;
	if (!word_is(line, "step"))
		return -1;
	const char *a = line + 4;
	while (*a == ' ' || *a == '\t')
		a++;
	if (*a && parse_long(a, &n))
		return -1;
	return n;
}

int cmd_save_session(struct cmd_ctx *c, const char *path)
{
	struct experiment *x = c->x;
	const struct run *ra = cmd_run_a(c);
	int rc = cmd_need_experiment(c);
	if (rc)
		return rc;
	struct afile a;
	char err[512];
	if ((rc = afile_open(&a, path, "w", "save session", err, sizeof err)))
		return cmd_error(c, rc, "%s", err);
	FILE *f = a.f;
	fprintf(f, "# noether session saved at step %ld: run it with  noether -b FILE  (or: source FILE)\n", run_steps(ra));
	fprintf(f, "# The commands that built this state, in order; `reset` goes back to the same θ0,\n");
	fprintf(f, "# so the steps after the last reset are the ones that count. Files named by\n");
	fprintf(f, "# `load` or `data csv` must still be there.\n");
	fprintf(f, "# at save: loss = %.17g\n", run_loss(ra));
	fprintf(f, "new\n");
	long pending = 0, since = 0;   /* merged steps not yet written; steps since the last reset */
	int nh = experiment_history_len(x);
	for (int i = 0; i < nh; i++) {
		const char *h = experiment_history(x, i);
		long n = step_count(h);
		if (n >= 0) {
			pending += n;
			continue;
		}
		if (pending) {
			fprintf(f, "step %ld\n", pending);
			since += pending;
			pending = 0;
		}
		static const char *const resets[] = { "reset", "reseed", "init", "load", "data", "layer", "loss", "augment", "compare", NULL };
		for (int k = 0; resets[k]; k++)
			if (word_is(h, resets[k]))
				since = 0;
		fprintf(f, "%s\n", h);
	}
	since += pending;
	if (since < run_steps(ra))
		pending += run_steps(ra) - since;   /* steps the history did not record */
	if (pending)
		fprintf(f, "step %ld\n", pending);
	fprintf(f, "expect step == %ld\n", run_steps(ra));
	if ((rc = afile_commit(&a, "save session", err, sizeof err)))
		return cmd_error(c, rc, "%s", err);
	if (c->interactive)
		cmd_printf(c, "wrote %s (%d commands, step %ld): noether -b %s replays it\n", path, nh, run_steps(ra), path);
	return 0;
}
