/* cmd.c — the command interpreter: word splitting (quotes, # comments, ';'),
 * dispatch through cmd_table, script files with file:line error messages,
 * preset lookup and tab completion. Every front end (REPL, batch, screen keys)
 * goes through cmd_exec_line. */
#include "cmd.h"
#include "noether/util.h"
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_WORDS 128
#define MAX_LINE 4096

#ifndef NT_PRESET_DIR
#define NT_PRESET_DIR "/usr/local/share/noether/presets"
#endif

const struct cmd *cmd_find(const char *name)
{
	for (int i = 0; cmd_table[i].name; i++)
		if (!strcmp(cmd_table[i].name, name))
			return &cmd_table[i];
	return NULL;
}

int cmd_error(struct cmd_ctx *c, int code, const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->file)
		snprintf(c->last_error, sizeof c->last_error, "%s:%d: %s", c->file, c->line, msg);
	else
		snprintf(c->last_error, sizeof c->last_error, "%s", msg);
	if (c->msg)
		c->msg(c->user, c->last_error);
	return code;
}

void cmd_printf(struct cmd_ctx *c, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (c->out)
		c->out(c->user, buf);
}

int cmd_split(char *buf, char **argv, int max)
{
	int argc = 0;
	char *p = buf, *w;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			break;
		if (argc >= max)
			return -2;
		w = p;
		char *o = p;
		int inq = 0;
		while (*p && (inq || (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n'))) {
			if (*p == '"') {
				inq = !inq;
				p++;
				continue;
			}
			if (inq && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			*o++ = *p++;
		}
		if (inq)
			return -1;
		int end = *p != 0;
		*o = 0;
		if (end)
			p++;
		argv[argc++] = w;
		if (!end)
			break;
	}
	return argc;
}

/* Splits a line at ';' outside quotes (and stops at a '#' comment). */
static int split_commands(char *line, char **parts, int max)
{
	int n = 0, inq = 0;
	char *start = line;
	for (char *p = line;; p++) {
		if (*p == '"')
			inq = !inq;
		if (!inq && *p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ';'))
			*p = 0;
		if (!*p || (!inq && *p == ';')) {
			int last = !*p;
			*p = 0;
			if (n < max)
				parts[n++] = start;
			if (last)
				break;
			start = p + 1;
		}
	}
	return n;
}

static int exec_words(struct cmd_ctx *c, int argc, char **argv, const char *text)
{
	const struct cmd *k = cmd_find(argv[0]);
	if (!k)
		return cmd_error(c, NT_ENOENT, "unknown command '%s' (try: help)", argv[0]);
	int rc = k->exec(c, argc, argv);
	if (rc == 0 && (k->flags & CMD_PROVENANCE))
		experiment_log(c->x, text);
	const char *note = experiment_take_notice(c->x);
	if (note && c->msg)
		c->msg(c->user, note);
	return rc;
}

int cmd_exec_line(struct cmd_ctx *c, const char *line)
{
	if (strlen(line) >= MAX_LINE)
		return cmd_error(c, NT_EINVAL, "line too long (limit %d characters)", MAX_LINE - 1);
	char buf[MAX_LINE];
	str_copy(buf, line, sizeof buf);
	char *parts[64];
	int np = split_commands(buf, parts, 64), result = 0;
	for (int i = 0; i < np; i++) {
		char text[MAX_LINE], words[MAX_LINE];
		/* trimmed copy of the command text for provenance */
		const char *a = parts[i];
		while (*a == ' ' || *a == '\t')
			a++;
		str_copy(text, a, sizeof text);
		size_t L = strlen(text);
		while (L && (text[L - 1] == ' ' || text[L - 1] == '\t' || text[L - 1] == '\r' || text[L - 1] == '\n'))
			text[--L] = 0;
		str_copy(words, parts[i], sizeof words);
		char *argv[MAX_WORDS];
		int argc = cmd_split(words, argv, MAX_WORDS);
		if (argc == -1)
			return cmd_error(c, NT_EINVAL, "unterminated quote");
		if (argc == -2)
			return cmd_error(c, NT_EINVAL, "too many words (limit %d)", MAX_WORDS);
		if (argc == 0)
			continue;
		int rc = exec_words(c, argc, argv, text);
		if (rc < 0)
			return rc;
		if (rc > 0)
			result = rc;
		if (c->requests & (REQ_QUIT | REQ_END_FILE))
			break;
	}
	return result;
}

int cmd_exec_file(struct cmd_ctx *c, const char *path)
{
	if (c->depth >= 8)
		return cmd_error(c, NT_ERANGE, "scripts nested too deeply (limit 8): %s", path);
	FILE *f = fopen(path, "r");
	if (!f)
		return cmd_error(c, NT_ENOENT, "cannot open '%s': %s", path, strerror(errno));
	const char *ofile = c->file;
	int oline = c->line, rc = 0, failed = 0;
	c->file = path;
	c->line = 0;
	c->depth++;
	char line[MAX_LINE + 2];
	while (fgets(line, sizeof line, f)) {
		c->line++;
		size_t L = strlen(line);
		if (L == sizeof line - 1 && line[L - 1] != '\n') {
			rc = cmd_error(c, NT_EINVAL, "line too long (limit %d characters)", MAX_LINE - 1);
			break;
		}
		for (size_t i = 0; i < L; i++)
			if (line[i] == 0 || ((unsigned char)line[i] < 32 && line[i] != '\t' && line[i] != '\n' && line[i] != '\r')) {
				rc = cmd_error(c, NT_EINVAL, "control character in script (not a text file?)");
				break;
			}
		if (rc)
			break;
		int r = cmd_exec_line(c, line);
		if (r < 0) {
			rc = r;
			break;
		}
		if (r > 0)
			failed = 1;
		if (c->requests & REQ_END_FILE) {
			c->requests &= ~REQ_END_FILE;
			break;
		}
		if (c->requests & REQ_QUIT)
			break;
	}
	fclose(f);
	c->depth--;
	c->file = ofile;
	c->line = oline;
	return rc ? rc : failed;
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *preset_dirs[5];
static char exe_presets[1024];

/* Search order: $NOETHER_PRESETS, ./presets, presets/ beside the executable
 * (a build tree run from elsewhere), the installed share directory. */
static void preset_dir_list(void)
{
	int k = 0;
	const char *env = getenv("NOETHER_PRESETS");
	if (env && *env)
		preset_dirs[k++] = env;
	preset_dirs[k++] = "presets";
	if (!exe_presets[0]) {
		char exe[900];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (n > 0) {
			exe[n] = 0;
			char *slash = strrchr(exe, '/');
			if (slash) {
				*slash = 0;
				snprintf(exe_presets, sizeof exe_presets, "%s/presets", exe);
			}
		}
	}
	if (exe_presets[0])
		preset_dirs[k++] = exe_presets;
	preset_dirs[k++] = NT_PRESET_DIR;
	preset_dirs[k] = NULL;
}

int cmd_preset_path(const char *name, char *buf, size_t len)
{
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return NT_EINVAL;
	preset_dir_list();
	for (int i = 0; preset_dirs[i]; i++) {
		snprintf(buf, len, "%s/%s.nt", preset_dirs[i], name);
		if (is_file(buf))
			return 0;
	}
	return NT_ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *const *cmd_preset_names(void)
{
	static char *names[256];
	static int n;
	for (int i = 0; i < n; i++)
		free(names[i]);
	n = 0;
	preset_dir_list();
	for (int d = 0; preset_dirs[d]; d++) {
		DIR *dir = opendir(preset_dirs[d]);
		if (!dir)
			continue;
		struct dirent *e;
		while ((e = readdir(dir)) && n < 255) {
			size_t L = strlen(e->d_name);
			if (L < 4 || strcmp(e->d_name + L - 3, ".nt"))
				continue;
			char nm[256];
			str_copy(nm, e->d_name, L - 2 < sizeof nm ? L - 2 : sizeof nm);
			int dup = 0;
			for (int i = 0; i < n; i++)
				if (!strcmp(names[i], nm))
					dup = 1;
			if (!dup)
				names[n++] = xstrdup(nm);
		}
		closedir(dir);
	}
	qsort(names, (size_t)n, sizeof *names, cmp_str);
	names[n] = NULL;
	return (const char *const *)names;
}

static void add_cand(char ***out, int *n, int *cap, const char *s, const char *word)
{
	if (strncmp(s, word, strlen(word)))
		return;
	for (int i = 0; i < *n; i++)
		if (!strcmp((*out)[i], s))
			return;
	if (*n + 2 > *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*out = xrealloc(*out, (size_t)*cap * sizeof **out);
	}
	(*out)[(*n)++] = xstrdup(s);
	(*out)[*n] = NULL;
}

char **cmd_complete(struct cmd_ctx *c, const char *line_prefix, const char *word)
{
	char buf[MAX_LINE];
	/* only the last ';'-separated command matters */
	const char *semi = strrchr(line_prefix, ';');
	str_copy(buf, semi ? semi + 1 : line_prefix, sizeof buf);
	char *argv[MAX_WORDS];
	int argc = cmd_split(buf, argv, MAX_WORDS);
	if (argc < 0)
		return NULL;
	char **out = NULL;
	int n = 0, cap = 0;
	if (argc == 0) {
		for (int i = 0; cmd_table[i].name; i++)
			add_cand(&out, &n, &cap, cmd_table[i].name, word);
		return out;
	}
	const struct cmd *k = cmd_find(argv[0]);
	if (!k || !k->complete)
		return NULL;
	const char *const *list = k->complete(c, argc - 1, argc, argv);
	for (int i = 0; list && list[i]; i++)
		add_cand(&out, &n, &cap, list[i], word);
	return out;
}
