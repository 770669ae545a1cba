/* opts.h — one option parser for every `NAME [POSITIONAL...] [key=value...] [flag...]`
 * argument list of the program: block kinds (`layer ffn hidden=8 act=relu`), data
 * kinds (`data teacher n=64`), session setters. After tmux's args_parse /
 * args_strtonum: a kind declares a table of options (key, type, range, default,
 * help) over its own typed configuration struct, and this module
 *   - parses argv into that struct (defaults first, then every argument),
 *     checking types and ranges with messages that name the option and the limit;
 *   - describes a struct back as re-parsable text (for `show` and `save session`);
 *   - lists the keys and the values an option takes (completion) and one help
 *     line per option.
 *
 * Arguments are of three forms:
 *   key=value   a named option (OPT_LONG ... OPT_CUSTOM without OPTF_POSITIONAL);
 *   word        the bare word of an OPT_FLAG option (`causal`) sets it to 1;
 *               otherwise the value of the next positional option, in table order;
 * anything else is refused naming the argument. An option given twice is refused.
 *
 * A table is an array of struct opt_spec ended by an entry with key == NULL, at
 * most OPTS_MAX entries. Each entry names a field of the caller's struct by its
 * offset; the field's C type is fixed by the option type (see enum opt_type).
 * Messages are "WHO: ..." where WHO is the caller's name for the list ("dense",
 * "data teacher"). Nothing here allocates or prints. */
#ifndef NOETHER_OPTS_H
#define NOETHER_OPTS_H
#include <stddef.h>

#define OPTS_MAX 32

enum opt_type {
	OPT_LONG,     /* long: an integer in [lo, hi] (1e3 accepted as 1000) */
	OPT_INT,      /* int: an integer in [lo, hi] */
	OPT_ULONG,    /* unsigned long: an integer in [lo, hi], lo >= 0 (seeds) */
	OPT_DOUBLE,   /* double: a finite number in [lo, hi] (OPTF_OPEN_LO/HI exclude an end) */
	OPT_BOOL,     /* int 0/1: on|off (also 1|0, true|false) */
	OPT_ENUM,     /* int: index of the value in names[] */
	OPT_STRING,   /* char[size]: the value, at most size-1 bytes */
	OPT_FLAG,     /* int: 1 when the bare word KEY is given, else 0 */
	OPT_CUSTOM    /* parse/print callbacks own the field(s) */
};

enum opt_flags {
	OPTF_POSITIONAL = 1 << 0,  /* given without key=, in table order; key is its name in messages (WIDTH) */
	OPTF_REQUIRED   = 1 << 1,  /* an error when absent */
	OPTF_SHOW       = 1 << 2,  /* described even when equal to its default */
	OPTF_OPEN_LO    = 1 << 3,  /* OPT_DOUBLE: lo itself is out of range */
	OPTF_OPEN_HI    = 1 << 4   /* OPT_DOUBLE: hi itself is out of range */
};

struct opt_spec {
	const char *key;           /* "hidden"; for a positional the name shown ("WIDTH") */
	enum opt_type type;
	size_t off;                /* offsetof(struct CFG, field) */
	size_t size;               /* OPT_STRING: sizeof the char array */
	double lo, hi;             /* range of numbers (ignored when lo == hi == 0) */
	double def;                /* default of numbers, bool, enum index (flags: 0) */
	const char *sdef;          /* default of OPT_STRING / OPT_CUSTOM (NULL: "" / none); for a
	                            * number whose def stands for "derived" (dk=0), the default
	                            * help shows ("d/heads") */
	const char *const *names;  /* OPT_ENUM: the values, NULL-terminated */
	unsigned flags;            /* enum opt_flags */
	const char *meta;          /* value placeholder in messages and help ("H"); NULL: by type */
	const char *help;          /* one line */
	/* OPT_CUSTOM: parse the value text into cfg (0, or an error code with a
	 * message that does not repeat WHO), and print the current value. */
	int (*parse)(const char *value, void *cfg, char *err, size_t errlen);
	void (*print)(const void *cfg, char *buf, size_t len);
};

/* Sets every option of spec to its default in cfg (OPT_CUSTOM: parses sdef when
 * set). Fields not in the table are left alone. */
void opts_defaults(const struct opt_spec *spec, void *cfg);

/* Parses argv (argc words, none of them the kind name) into cfg: defaults first,
 * then each argument as described at the top. Returns 0, or NT_EINVAL (unknown
 * option, bad value, missing required option, option twice) / NT_ERANGE (number
 * out of range) with "WHO: ..." in err, followed by " (usage: USAGE)" for
 * missing or unexpected arguments when usage != NULL. On error cfg holds a
 * partial parse: callers keep their previous configuration until success. */
int opts_parse(const struct opt_spec *spec, const char *who, const char *usage,
               int argc, char *const *argv, void *cfg, char *err, size_t errlen);

/* Sets one option, by key (a positional's name also works), from value text,
 * with the same checks and messages as opts_parse. Returns 0, NT_ENOENT for an
 * unknown key, or NT_EINVAL/NT_ERANGE. */
int opts_set(const struct opt_spec *spec, const char *who, const char *key, const char *value,
             void *cfg, char *err, size_t errlen);

/* Re-parsable description of cfg into buf: positionals (their values), then, in
 * table order, key=value for each named option that differs from its default,
 * is required or has OPTF_SHOW, and the word of each set flag; one space between items, "" when
 * nothing is shown. Numbers print in the shortest form that parses back to the
 * same value. Returns the length the full text needs (as snprintf). */
int opts_describe(const struct opt_spec *spec, const void *cfg, char *buf, size_t len);

/* The current value of option o as text (what opts_describe writes after "key="). */
void opts_value_text(const struct opt_spec *o, const void *cfg, char *buf, size_t len);

/* The entry of key (named, flag or positional name), or NULL. */
const struct opt_spec *opts_find(const struct opt_spec *spec, const char *key);

/* Completion: the words a user types for the named options and flags of spec —
 * "key=" for valued options, "key" for flags — written into words[i] and
 * pointed to by list[i], at most max; list is NULL-terminated (it has room for
 * max + 1 pointers). Returns the number written. */
int opts_complete_keys(const struct opt_spec *spec, char (*words)[32], const char **list, int max);

/* Completion of a value: the names an OPT_ENUM takes, or on/off for OPT_BOOL;
 * NULL for other types. Static, NULL-terminated. */
const char *const *opts_value_names(const struct opt_spec *o);

/* One line per option ("  key=N   integer in 1..4096, default 3: help") into buf.
 * Returns the length the full text needs. */
int opts_help(const struct opt_spec *spec, char *buf, size_t len);
#endif
