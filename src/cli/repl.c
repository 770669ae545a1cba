/* repl.c — a plain readline prompt over the command layer: history file,
 * completion from cmd_complete, Ctrl-C interrupts a running step/run. */
#include "repl.h"
#include "noether/util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <readline/history.h>
#include <readline/readline.h>

static struct cmd_ctx *rl_ctx;

static int mkdir_p(const char *path)
{
	char tmp[1024];
	str_copy(tmp, path, sizeof tmp);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, 0700) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

void repl_history_path(char *buf, size_t len)
{
	char dir[900];
	const char *st = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	buf[0] = 0;
	if (st && *st)
		snprintf(dir, sizeof dir, "%s/noether", st);
	else if (home && *home)
		snprintf(dir, sizeof dir, "%s/.local/state/noether", home);
	else
		return;
	if (mkdir_p(dir))
		return;
	snprintf(buf, len, "%s/history", dir);
}

static char **matches;
static int match_i;

static char *gen(const char *text, int state)
{
	(void)text;
	(void)state;
	if (!matches || !matches[match_i])
		return NULL;
	return matches[match_i++]; /* readline frees it */
}

static char **attempt(const char *text, int start, int end)
{
	(void)end;
	char prefix[4096];
	str_copy(prefix, rl_line_buffer, (size_t)start + 1 < sizeof prefix ? (size_t)start + 1 : sizeof prefix);
	free(matches);
	matches = cmd_complete(rl_ctx, prefix, text);
	match_i = 0;
	rl_attempted_completion_over = 1;
	if (!matches)
		return NULL;
	char **r = rl_completion_matches(text, gen);
	free(matches); /* strings now owned by readline */
	matches = NULL;
	return r;
}

int repl_main(struct cmd_ctx *c)
{
	char hist[1024];
	rl_ctx = c;
	rl_readline_name = "noether";
	rl_attempted_completion_function = attempt;
	rl_completer_word_break_characters = " \t;";
	repl_history_path(hist, sizeof hist);
	using_history();
	if (hist[0] && read_history(hist))
		write_history(hist); /* create it: append_history needs an existing file */
	c->interactive = 1;
	printf("noether — type help, or preset relu2; Ctrl-D quits\n");
	for (;;) {
		char *line = readline("noether> ");
		if (!line)
			break;
		if (*line) {
			add_history(line);
			if (hist[0])
				append_history(1, hist);
		}
		if (c->interrupt)
			*c->interrupt = 0;
		cmd_exec_line(c, line);
		free(line);
		if (c->requests & REQ_QUIT)
			break;
	}
	if (hist[0])
		history_truncate_file(hist, 2000);
	return 0;
}
