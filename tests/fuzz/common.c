/* common.c — see common.h. */
#include "common.h"
#include "noether/experiment.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

volatile sig_atomic_t fuzz_stop;

static void on_budget(int sig)
{
	(void)sig;
	fuzz_stop = 1;
}

void fuzz_budget_start(double seconds)
{
	static int installed;
	if (!installed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_budget;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGVTALRM, &sa, NULL);
		installed = 1;
	}
	fuzz_stop = 0;
	/* then every 5 ms: a command that clears the flag (sweep does) is
	 * stopped again at its next check */
	struct itimerval it = { { 0, 5000 }, { (time_t)seconds, (suseconds_t)((seconds - (time_t)seconds) * 1e6) } };
	setitimer(ITIMER_VIRTUAL, &it, NULL);
}

void fuzz_budget_end(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_VIRTUAL, &it, NULL);
	fuzz_stop = 0;
}

static void discard(void *u, const char *t)
{
	(void)u;
	(void)t;
}

struct cmd_ctx fuzz_ctx_new(void)
{
	struct cmd_ctx c;
	memset(&c, 0, sizeof c);
	c.x = experiment_new();
	c.out = discard;
	c.msg = discard;
	c.interrupt = &fuzz_stop;
	c.count_step = -1;
	c.file = "fuzz";
	return c;
}

void fuzz_ctx_free(struct cmd_ctx *c)
{
	cmd_sweep_clear(c);
	experiment_free(c->x);
	c->x = NULL;
}

static char scratch[512];

static void remove_scratch(void)
{
	if (scratch[0])
		remove(scratch);
}

const char *fuzz_write_file(const uint8_t *data, size_t size, const char *suffix)
{
	char *path = scratch;
	const char *dir = getenv("TMPDIR");
	if (!scratch[0])
		atexit(remove_scratch);
	snprintf(scratch, sizeof scratch, "%s/noether-fuzz-%ld%s", dir && *dir ? dir : P_tmpdir, (long)getpid(), suffix);
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	size_t w = fwrite(data, 1, size, f);
	if (fclose(f) != 0 || w != size)
		return NULL;
	return path;
}

char *fuzz_text(const uint8_t *data, size_t size)
{
	char *t = malloc(size + 1);
	if (!t)
		abort();
	memcpy(t, data, size);
	t[size] = 0;
	return t;
}

static const char *const file_words[] = { "source", "export", "save", "load", "csv", "checkpoints", "record", NULL };
static const char *const lie_words[] = { "count", "find", NULL };
static const char *const model_words[] = { "data", "layer", "preset", "augment", NULL };

static int in_list(const char *w, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(w, list[i]))
			return 1;
	return 0;
}

static int word_in(const char *w, void *u)
{
	return in_list(w, u);
}

/* Calls fn on every word of text (quotes removed; words split at blanks and
 * punctuation); stops at the first non-zero return. */
static int each_word(const char *text, int (*fn)(const char *w, void *u), void *u)
{
	size_t n = strlen(text);
	char *t = malloc(n + 1), *o = t;
	if (!t)
		abort();
	for (const char *p = text; *p; p++)
		if (*p != '"')
			*o++ = *p;
	*o = 0;
	int rc = 0;
	for (char *w = strtok(t, " \t\r\n;,{}=:()[]|<>!+*/^#'`"); w && !rc; w = strtok(NULL, " \t\r\n;,{}=:()[]|<>!+*/^#'`"))
		rc = fn(w, u);
	free(t);
	return rc;
}

/* Keys whose value is a count of steps, a seed or a batch: bounded by the
 * CPU budget, not by memory. Everything else numeric is a size. */
static const char *const free_keys[] = { "steps", "at", "seed", "seeds", "every", "batch", NULL };

/* 1 when a number in piece (a word, or a key's value) is a size above cap. */
static int piece_too_big(char *piece, double cap)
{
	char *save = NULL;
	for (char *q = strtok_r(piece, ",{}()[]:|+*/^<>!#'`", &save); q; q = strtok_r(NULL, ",{}()[]:|+*/^<>!#'`", &save)) {
		char *end;
		double v = strtod(q, &end);   /* inf and nan pass: no size can be one */
		if (end != q && *end == 0 && isfinite(v) && fabs(v) > cap)
			return 1;
	}
	return 0;
}

int fuzz_text_ok(const char *text, double cap, int no_lie)
{
	if (each_word(text, word_in, (void *)file_words) || (no_lie && each_word(text, word_in, (void *)lie_words)))
		return 1;
	size_t n = strlen(text);
	char *t = malloc(n + 1), *o = t, prev[32] = "";
	if (!t)
		abort();
	for (const char *p = text; *p; p++)
		if (*p != '"')
			*o++ = *p;
	*o = 0;
	int bad = 0;
	char *save = NULL;
	for (char *w = strtok_r(t, " \t\r\n;", &save); w && !bad; w = strtok_r(NULL, " \t\r\n;", &save)) {
		char *eq = strchr(w, '=');
		if (!strcmp(prev, "step") || strchr("<>=!", w[0])) {
			/* a step count, or an expect/watch operand: not a size */
		} else if (eq && eq != w) {
			*eq = 0;
			if (!in_list(w, free_keys))
				bad = piece_too_big(eq + 1, !strcmp(w, "n") ? 4 * cap : cap);
		} else {
			bad = piece_too_big(w, cap);
		}
		str_copy(prev, w, sizeof prev);
	}
	free(t);
	return bad;
}

int fuzz_has_lie(const char *text)
{
	return each_word(text, word_in, (void *)lie_words);
}

int fuzz_changes_model(const char *text)
{
	return each_word(text, word_in, (void *)model_words);
}
