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

/* The next command of buf starting at *pos: it ends at ';' outside quotes,
 * at a newline or carriage return (always: quotes never span lines, so a
 * quote left open there is reported by cmd_split), or at the end; a '#' at
 * the start of a word outside quotes comments out the rest of that line.
 * Terminates the command in place and returns it; *pos moves past it (NULL
 * after the last). Inside quotes \" and \\ are escapes, as in cmd_split. */
static char *next_command(char **pos)
{
	char *start = *pos, *p = start;
	int inq = 0;
	for (;; p++) {
		if (inq && *p == '\\' && (p[1] == '"' || p[1] == '\\')) {
			p++;
			continue;
		}
		if (*p == '"')
			inq = !inq;
		if (!inq && *p == '#' && (p == start || p[-1] == ' ' || p[-1] == '\t')) {
			*p = 0;
			p += 1 + strcspn(p + 1, "\n\r");
			*pos = *p ? p + 1 : NULL;
			return start;
		}
		if (!*p || *p == '\n' || *p == '\r' || (!inq && *p == ';')) {
			*pos = *p ? p + 1 : NULL;
			*p = 0;
			return start;
		}
	}
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

/* The first control character of s other than tab, newline and carriage
 * return, or 0. */
static int control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 && *s != '\t' && *s != '\n' && *s != '\r')
			return (unsigned char)*s;
	return 0;
}

int cmd_exec_line(struct cmd_ctx *c, const char *line)
{
	if (strlen(line) >= MAX_LINE)
		return cmd_error(c, NT_EINVAL, "line too long (limit %d characters)", MAX_LINE - 1);
	int cc = control_char(line);
	if (cc)
		return cmd_error(c, NT_EINVAL, "control character 0x%02x in a command (not text?)", (unsigned)cc);
	char buf[MAX_LINE];
	str_copy(buf, line, sizeof buf);
	int result = 0;
	for (char *pos = buf; pos;) {
		char *part = next_command(&pos);
		char text[MAX_LINE], words[MAX_LINE];
		/* trimmed copy of the command text for provenance */
		const char *a = part;
		while (*a == ' ' || *a == '\t')
			a++;
		str_copy(text, a, sizeof text);
		size_t L = strlen(text);
		while (L && (text[L - 1] == ' ' || text[L - 1] == '\t'))
			text[--L] = 0;
		str_copy(words, part, sizeof words);
		char *argv[MAX_WORDS];
		int argc = cmd_split(words, argv, MAX_WORDS);
		if (argc == -1)
			return cmd_error(c, NT_EINVAL, "unterminated quote");
		if (argc == -2)
			return cmd_error(c, NT_EINVAL, "too many words (limit %d)", MAX_WORDS);
		if (argc == 0)
			continue;
		/* a script interrupted (Ctrl-C) stops: what follows assumed what
		 * came before had finished */
		if (!c->interactive && c->interrupt && *c->interrupt)
			return cmd_error(c, NT_EINTR, "interrupted: the script stops before '%s'", argv[0]);
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

/* Reads one line of a script into buf (cap bytes): it ends at "\n", "\r\n"
 * or "\r" (not kept); a UTF-8 byte-order mark opening the file is dropped.
 * Returns 1 (a line), 0 (end of file) or an NT_* code with the reason in err:
 * a NUL or other control character (not a text file), a line of cap - 1
 * characters or more (an endless line fails after cap bytes), a read error. */
static int read_line(FILE *f, char *buf, size_t cap, int first, char *err, size_t errlen)
{
	size_t n = 0;
	int ch;
	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (ch == '\r') {
			int next = getc(f);
			if (next != '\n' && next != EOF)
				ungetc(next, f);
			break;
		}
		if (ch < 32 && ch != '\t')
			return nt_err(err, errlen, NT_EINVAL, "control character 0x%02x in script (not a text file?)", (unsigned)ch);
		if (n + 1 >= cap)
			return nt_err(err, errlen, NT_EINVAL, "line too long (limit %zu characters)", cap - 1);
		buf[n++] = (char)ch;
	}
	if (ch == EOF && ferror(f))
		return nt_err(err, errlen, NT_EIO, "read error: %s", strerror(errno));
	if (ch == EOF && n == 0)
		return 0;
	buf[n] = 0;
	if (first && n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
		memmove(buf, buf + 3, n - 2);
	return 1;
}

/* Opens a script for reading into *out; a directory is refused by name
 * (fopen accepts one and the first read fails). 0, or an NT_* code with a
 * message in err. */
static int open_script(const char *path, FILE **out, char *err, size_t errlen)
{
	FILE *f = *out = fopen(path, "r");
	if (!f)
		return nt_err(err, errlen, NT_ENOENT, "cannot open '%s': %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		*out = NULL;
		return nt_err(err, errlen, NT_EINVAL, "cannot read '%s': it is a directory", path);
	}
	return 0;
}

int cmd_exec_file(struct cmd_ctx *c, const char *path)
{
	if (c->depth >= 8)
		return cmd_error(c, NT_ERANGE, "scripts nested too deeply (limit 8): %s", path);
	char err[512];
	FILE *f;
	int rc = open_script(path, &f, err, sizeof err);
	if (rc)
		return cmd_error(c, rc, "%s", err);
	const char *ofile = c->file;
	int oline = c->line, failed = 0;
	c->file = path;
	c->line = 0;
	c->depth++;
	char line[MAX_LINE];
	for (;;) {
		int got = read_line(f, line, sizeof line, c->line == 0, err, sizeof err);
		c->line++;
		if (got < 0)
			rc = cmd_error(c, got, "%s", err);
		if (got <= 0)
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

int cmd_check_file(const char *path, char *err, size_t errlen)
{
	char msg[512];
	FILE *f;
	int rc = open_script(path, &f, msg, sizeof msg);
	if (rc)
		return nt_err(err, errlen, rc, "%s", msg);
	char line[MAX_LINE];
	int lineno = 0, commands = 0;
	for (;;) {
		int got = read_line(f, line, sizeof line, lineno == 0, msg, sizeof msg);
		lineno++;
		if (got < 0)
			rc = nt_err(err, errlen, got, "%s:%d: %s", path, lineno, msg);
		if (got <= 0)
			break;
		for (char *pos = line; pos && !rc;) {
			char *argv[MAX_WORDS];
			int argc = cmd_split(next_command(&pos), argv, MAX_WORDS);
			if (argc < 0)
				rc = nt_err(err, errlen, NT_EINVAL, "%s:%d: %s", path, lineno,
				            argc == -1 ? "unterminated quote" : "too many words");
			else if (argc > 0 && !cmd_find(argv[0]))
				rc = nt_err(err, errlen, NT_ENOENT, "%s:%d: unknown command '%.60s'", path, lineno, argv[0]);
			commands += argc > 0;
		}
		if (rc)
			break;
	}
	fclose(f);
	if (!rc && !commands)
		rc = nt_err(err, errlen, NT_EINVAL, "%s: no commands in it", path);
	return rc;
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
