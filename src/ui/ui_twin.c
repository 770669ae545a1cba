/* ui_twin.c — twin runs for `compare` (see ui_twin.h). B is rebuilt from A's
 * provenance rather than copied field by field, so it owns every buffer and
 * stays valid whatever A does next; θ0 is then copied from A so both runs
 * start from the very same point even when A's θ0 came from a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "noether/util.h"
#include "ui_twin.h"
#include "ui_view.h"

static void twin_sink_msg(void *user, const char *text)
{
	struct ui_twin *t = user;
	str_copy(t->err, text, sizeof t->err);
	size_t n = strlen(t->err);
	while (n && t->err[n - 1] == '\n')
		t->err[--n] = '\0';
}

static void twin_sink_out(void *user, const char *text)
{
	(void)user; (void)text;     /* replayed commands print nothing worth showing */
}

static int in_list(const char *w, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(w, list[i]) == 0)
			return 1;
	return 0;
}

/* Joins "cmd" and argv[from..to) into buf. */
static void join_words(char *buf, size_t len, const char *cmd, int from, int to, char **argv)
{
	size_t o = (size_t)snprintf(buf, len, "%s", cmd);
	for (int i = from; i < to && o + 1 < len; i++) {
		int n = snprintf(buf + o, len - o, " %s", argv[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

int ui_twin_parse(int argc, char **argv, int *what, char *a, char *b, size_t len, char *err, size_t errlen)
{
	const char *usage = "usage: compare schedule KIND TAU KIND TAU | compare opt KIND KIND | compare wd L1 L2 | "
	                    "compare momentum BETA1 BETA2 | compare off";
	if (argc < 4)
		return nt_err(err, errlen, NT_EINVAL, "%s", usage);
	const char *w = argv[1];
	if (strcmp(w, "schedule") == 0 || strcmp(w, "opt") == 0) {
		const char *const *names = w[0] == 's' ? sched_names : opt_names;
		int j = -1;
		if (!in_list(argv[2], names))
			return nt_err(err, errlen, NT_EINVAL, "compare %s: '%s' is not a %s kind", w, argv[2],
			              w[0] == 's' ? "schedule" : "optimizer");
		for (int i = 3; i < argc && j < 0; i++)
			if (in_list(argv[i], names))
				j = i;
		if (j < 0)
			return nt_err(err, errlen, NT_EINVAL, "compare %s: give two settings, e.g. compare %s", w,
			              w[0] == 's' ? "schedule const 0.05 decay 0.05" : "opt gd momentum");
		*what = w[0] == 's' ? UI_TW_SCHEDULE : UI_TW_OPT;
		join_words(a, len, w, 2, j, argv);
		join_words(b, len, w, j, argc, argv);
		return 0;
	}
	if (strcmp(w, "wd") == 0 || strcmp(w, "momentum") == 0) {
		double x, y;
		if (argc != 4 || parse_double(argv[2], &x) || parse_double(argv[3], &y))
			return nt_err(err, errlen, NT_EINVAL, "compare %s: give two numbers (e.g. compare %s)", w,
			              w[0] == 'w' ? "wd 0 0.01" : "momentum 0 0.9");
		if (w[0] == 'w') {
			*what = UI_TW_WD;
			snprintf(a, len, "wd %s", argv[2]);
			snprintf(b, len, "wd %s", argv[3]);
		} else {
			*what = UI_TW_MOMENTUM;
			/* β = 0 is plain gradient descent, the natural partner */
			if (x == 0)
				snprintf(a, len, "opt gd");
			else
				snprintf(a, len, "opt momentum beta=%s", argv[2]);
			if (y == 0)
				snprintf(b, len, "opt gd");
			else
				snprintf(b, len, "opt momentum beta=%s", argv[3]);
		}
		return 0;
	}
	return nt_err(err, errlen, NT_EINVAL, "compare: unknown setting '%s' (%s)", w, usage);
}

static int first_word_is(const char *line, const char *w)
{
	while (*line == ' ' || *line == '\t')
		line++;
	size_t n = strlen(w);
	return strncmp(line, w, n) == 0 && (line[n] == '\0' || line[n] == ' ' || line[n] == '\t');
}

static unsigned long history_hash(const struct session *s, int n)
{
	unsigned long h = 1469598103UL;
	for (int i = 0; i < n && i < s->nhistory; i++) {
		for (const unsigned char *p = (const unsigned char *)s->history[i]; *p; p++)
			h = (h ^ *p) * 16777619UL;
		h = (h ^ '\n') * 16777619UL;
	}
	return h;
}

void ui_twin_stop(struct ui_twin *t)
{
	session_free(t->b);
	t->b = NULL;
	t->on = 0;
}

static int fail(struct ui_twin *t, struct session *b, int rc, const char *what)
{
	char msg[512];
	snprintf(msg, sizeof msg, "compare: %s: %s", what, t->err[0] ? t->err : "failed");
	str_copy(t->err, msg, sizeof t->err);
	session_free(b);
	return rc ? rc : NT_EINVAL;
}

int ui_twin_start(struct ui_twin *t, struct cmd_ctx *ca, int what, const char *line_a, const char *line_b)
{
	struct session *a = ca->s;
	ui_twin_stop(t);
	t->err[0] = '\0';
	int rc = session_prepare(a);
	if (rc) {
		str_copy(t->err, a->err, sizeof t->err);
		return rc;
	}
	struct session *b = session_new();
	b->threads = a->threads;
	memset(&t->ctx, 0, sizeof t->ctx);
	t->ctx.s = b;
	t->ctx.out = twin_sink_out;
	t->ctx.msg = twin_sink_msg;
	t->ctx.user = t;
	t->ctx.interrupt = ca->interrupt;
	/* A's configuration, without its steps and resets */
	for (int i = 0; i < a->nhistory; i++) {
		const char *h = a->history[i];
		if (first_word_is(h, "step") || first_word_is(h, "reset"))
			continue;
		rc = cmd_exec_line(&t->ctx, h);
		if (rc < 0) {
			char what_b[400];
			snprintf(what_b, sizeof what_b, "replaying '%s'", h);
			return fail(t, b, rc, what_b);
		}
	}
	if ((rc = cmd_exec_line(&t->ctx, line_b)) < 0)
		return fail(t, b, rc, "B");
	if ((rc = session_prepare(b))) {
		str_copy(t->err, b->err, sizeof t->err);
		return fail(t, b, rc, "B");
	}
	rc = cmd_exec_line(ca, line_a);
	if (rc >= 0)
		rc = cmd_exec_line(ca, "reset");
	if (rc < 0) {
		str_copy(t->err, ca->last_error, sizeof t->err);
		return fail(t, b, rc, "A");
	}
	if (session_prepare(a) || b->D != a->D) {
		snprintf(t->err, sizeof t->err, "the two runs have different parameter counts (%zu, %zu)", a->D, b->D);
		return fail(t, b, NT_ESTATE, "B");
	}
	if ((rc = session_reset_at(b, a->theta0))) {
		str_copy(t->err, b->err, sizeof t->err);
		return fail(t, b, rc, "B");
	}
	t->b = b;
	t->on = 1;
	t->what = what;
	str_copy(t->set_a, line_a, sizeof t->set_a);
	str_copy(t->set_b, line_b, sizeof t->set_b);
	t->hist_n = a->nhistory;
	t->hist_hash = history_hash(a, a->nhistory);
	t->err[0] = '\0';
	return 0;
}

int ui_twin_sync(struct ui_twin *t, struct session *a, volatile sig_atomic_t *interrupt)
{
	if (!t->on)
		return 0;
	struct session *b = t->b;
	int resync = 0, changed = 0;
	if (a->nhistory < t->hist_n || history_hash(a, t->hist_n) != t->hist_hash) {
		changed = 1;                 /* history rewritten: another preset */
	} else {
		static const char *const ends[] = { "data", "layer", "loss", "augment", NULL };
		static const char *const again[] = { "reset", "reseed", "init", "load", NULL };
		for (int i = t->hist_n; i < a->nhistory; i++) {
			for (int k = 0; ends[k]; k++)
				changed |= first_word_is(a->history[i], ends[k]);
			for (int k = 0; again[k]; k++)
				resync |= first_word_is(a->history[i], again[k]);
		}
		t->hist_hash = history_hash(a, a->nhistory);
		t->hist_n = a->nhistory;
	}
	if (!changed && !a->dirty && a->D != b->D)
		changed = 1;
	if (changed) {
		ui_twin_stop(t);
		snprintf(t->err, sizeof t->err, "compare ended: the experiment changed (type compare ... to start again)");
		return 1;
	}
	if (a->dirty || !a->theta0)
		return 0;                    /* A rebuilds at its next step; B follows then */
	if (resync || a->step < b->step) {
		int rc = session_reset_at(b, a->theta0);
		if (rc) {
			str_copy(t->err, b->err, sizeof t->err);
			return rc;
		}
	}
	if (a->step > b->step && !b->diverged) {
		int rc = session_step(b, a->step - b->step, interrupt);
		if (rc == NT_EINTR)
			return 0;
		if (rc) {
			snprintf(t->err, sizeof t->err, "B: %s", b->err);
			return rc;
		}
	}
	return 0;
}

void ui_twin_label(const struct ui_twin *t, const struct session *s, int ascii, char *buf, size_t len)
{
	if (t->what == UI_TW_SCHEDULE)      /* compact: it goes in a panel title */
		snprintf(buf, len, "%s %s%s=%g", sched_names[s->sched.kind], ascii ? "tau" : "τ",
		         s->sched.kind == SCHED_CONST ? "" : "0", s->sched.tau0);
	else
		ui_fmt_opt(buf, len, s, ascii);
}
