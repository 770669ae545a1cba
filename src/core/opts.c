/* opts.c — the option parser of opts.h: a declarative table per kind turns
 * `key=value` words into a typed struct and back into re-parsable text.
 * Invariant: every message names WHO and the option (its key, or a positional's
 * name), and a range error also names the limit. */
#include "noether/opts.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const bool_names[] = { "on", "off", NULL };

static void *field(void *cfg, const struct opt_spec *o) { return (char *)cfg + o->off; }
static const void *cfield(const void *cfg, const struct opt_spec *o) { return (const char *)cfg + o->off; }

static int is_int_type(enum opt_type t) { return t == OPT_LONG || t == OPT_INT || t == OPT_ULONG; }
static int has_range(const struct opt_spec *o) { return o->lo != 0 || o->hi != 0; }

void opts_defaults(const struct opt_spec *spec, void *cfg)
{
	for (const struct opt_spec *o = spec; o && o->key; o++) {
		void *f = field(cfg, o);
		switch (o->type) {
		case OPT_LONG: *(long *)f = (long)o->def; break;
		case OPT_INT: *(int *)f = (int)o->def; break;
		case OPT_ULONG: *(unsigned long *)f = (unsigned long)o->def; break;
		case OPT_DOUBLE: *(double *)f = o->def; break;
		case OPT_BOOL: case OPT_ENUM: case OPT_FLAG: *(int *)f = (int)o->def; break;
		case OPT_STRING: str_copy(f, o->sdef ? o->sdef : "", o->size); break;
		case OPT_CUSTOM:
			if (o->sdef && o->parse) {
				char e[8];
				o->parse(o->sdef, cfg, e, sizeof e);
			}
			break;
		}
	}
}

/* "key=" or "WIDTH " before a value in messages. */
static void label(const struct opt_spec *o, char *buf, size_t len)
{
	snprintf(buf, len, o->flags & OPTF_POSITIONAL ? "%s " : "%s=", o->key);
}

static void range_text(const struct opt_spec *o, char *buf, size_t len)
{
	if (is_int_type(o->type))
		snprintf(buf, len, "%.0f..%.0f", o->lo, o->hi);
	else if (o->flags & (OPTF_OPEN_LO | OPTF_OPEN_HI))
		snprintf(buf, len, "%c%g, %g%c", o->flags & OPTF_OPEN_LO ? '(' : '[', o->lo, o->hi,
		         o->flags & OPTF_OPEN_HI ? ')' : ']');
	else
		snprintf(buf, len, "%g..%g", o->lo, o->hi);
}

/* "a, b or c" */
static void names_text(const char *const *names, char *buf, size_t len)
{
	size_t p = 0;
	buf[0] = 0;
	for (int i = 0; names[i] && p < len; i++) {
		const char *sep = i == 0 ? "" : names[i + 1] ? ", " : " or ";
		p += (size_t)snprintf(buf + p, len - p, "%s%s", sep, names[i]);
	}
}

static int set_value(const struct opt_spec *o, const char *who, const char *v, void *cfg, char *err, size_t len)
{
	char lb[48], rg[64];
	label(o, lb, sizeof lb);
	void *f = field(cfg, o);
	if (!*v && o->type != OPT_STRING)
		return nt_err(err, len, NT_EINVAL, "%s: %sneeds a value", who, lb);
	if (is_int_type(o->type)) {
		long l;
		if (parse_long(v, &l))
			return nt_err(err, len, NT_EINVAL, "%s: %s'%s' is not an integer", who, lb, v);
		if (has_range(o) && (l < o->lo || l > o->hi)) {
			range_text(o, rg, sizeof rg);
			return nt_err(err, len, NT_ERANGE, "%s: %s%s out of range %s", who, lb, v, rg);
		}
		if (o->type == OPT_LONG)
			*(long *)f = l;
		else if (o->type == OPT_INT)
			*(int *)f = (int)l;
		else
			*(unsigned long *)f = (unsigned long)l;
		return 0;
	}
	switch (o->type) {
	case OPT_DOUBLE: {
		double d;
		if (parse_double(v, &d))
			return nt_err(err, len, NT_EINVAL, "%s: %s'%s' is not a number", who, lb, v);
		int below = o->flags & OPTF_OPEN_LO ? d <= o->lo : d < o->lo;
		int above = o->flags & OPTF_OPEN_HI ? d >= o->hi : d > o->hi;
		if (has_range(o) && (below || above)) {
			range_text(o, rg, sizeof rg);
			return nt_err(err, len, NT_ERANGE, "%s: %s%s out of range %s", who, lb, v, rg);
		}
		*(double *)f = d;
		return 0;
	}
	case OPT_BOOL:
		if (!strcmp(v, "on") || !strcmp(v, "1") || !strcmp(v, "true"))
			*(int *)f = 1;
		else if (!strcmp(v, "off") || !strcmp(v, "0") || !strcmp(v, "false"))
			*(int *)f = 0;
		else
			return nt_err(err, len, NT_EINVAL, "%s: %s must be on or off, not '%s'", who, o->key, v);
		return 0;
	case OPT_ENUM:
		for (int i = 0; o->names[i]; i++)
			if (!strcmp(v, o->names[i])) {
				*(int *)f = i;
				return 0;
			}
		names_text(o->names, rg, sizeof rg);
		return nt_err(err, len, NT_EINVAL, "%s: %s must be %s, not '%s'", who, o->key, rg, v);
	case OPT_STRING:
		if (strlen(v) >= o->size)
			return nt_err(err, len, NT_ERANGE, "%s: %svalue too long (limit %zu characters)", who, lb, o->size - 1);
		str_copy(f, v, o->size);
		return 0;
	case OPT_CUSTOM: {
		char e[256] = "";
		int rc = o->parse(v, cfg, e, sizeof e);
		return rc ? nt_err(err, len, rc, "%s: %s", who, e) : 0;
	}
	default:
		return nt_err(err, len, NT_EINVAL, "%s: %s takes no value", who, o->key);
	}
}

/* "a, b=, c" — the named options and flags, for an unknown-option message. */
static void keys_text(const struct opt_spec *spec, char *buf, size_t len)
{
	size_t p = 0;
	buf[0] = 0;
	for (const struct opt_spec *o = spec; o && o->key && p < len; o++)
		if (!(o->flags & OPTF_POSITIONAL))
			p += (size_t)snprintf(buf + p, len - p, "%s%s", p ? ", " : "", o->key);
	if (!buf[0])
		snprintf(buf, len, "none");
}

static int usage_err(char *err, size_t len, int code, const char *usage, const char *fmt, const char *who,
                     const char *what)
{
	char m[512];
	snprintf(m, sizeof m, fmt, who, what);
	if (usage)
		return nt_err(err, len, code, "%s (usage: %s)", m, usage);
	return nt_err(err, len, code, "%s", m);
}

int opts_parse(const struct opt_spec *spec, const char *who, const char *usage,
               int argc, char *const *argv, void *cfg, char *err, size_t errlen)
{
	int n = 0;
	while (spec && spec[n].key)
		n++;
	if (n > OPTS_MAX)
		return nt_err(err, errlen, NT_EINVAL, "%s: option table too long (limit %d)", who, OPTS_MAX);
	opts_defaults(spec, cfg);
	char seen[OPTS_MAX] = { 0 };
	int next_pos = 0;
	for (int a = 0; a < argc; a++) {
		const char *arg = argv[a], *eq = strchr(arg, '=');
		int k = -1;
		if (eq) {
			size_t kl = (size_t)(eq - arg);
			for (int i = 0; i < n && k < 0; i++)
				if (!(spec[i].flags & OPTF_POSITIONAL) && strlen(spec[i].key) == kl && !strncmp(spec[i].key, arg, kl))
					k = i;
			if (k < 0) {
				char keys[512], key[64];
				keys_text(spec, keys, sizeof keys);
				snprintf(key, sizeof key, "%.*s", (int)(kl < 60 ? kl : 60), arg);
				return nt_err(err, errlen, NT_EINVAL, "%s: unknown option '%s' (options: %s)", who, key, keys);
			}
			if (spec[k].type == OPT_FLAG)
				return nt_err(err, errlen, NT_EINVAL, "%s: %s takes no value (write just '%s')", who, spec[k].key,
				              spec[k].key);
		} else {
			for (int i = 0; i < n && k < 0; i++)
				if (spec[i].type == OPT_FLAG && !strcmp(spec[i].key, arg))
					k = i;
			while (k < 0 && next_pos < n) {
				if (spec[next_pos].flags & OPTF_POSITIONAL)
					k = next_pos;
				next_pos++;
			}
			if (k < 0)
				return usage_err(err, errlen, NT_EINVAL, usage, "%s: unexpected argument '%s'", who, arg);
		}
		if (seen[k])
			return nt_err(err, errlen, NT_EINVAL, "%s: %s given twice", who, spec[k].key);
		seen[k] = 1;
		int rc = spec[k].type == OPT_FLAG ? (*(int *)field(cfg, &spec[k]) = 1, 0)
		                                  : set_value(&spec[k], who, eq ? eq + 1 : arg, cfg, err, errlen);
		if (rc)
			return rc;
	}
	for (int i = 0; i < n; i++)
		if ((spec[i].flags & OPTF_REQUIRED) && !seen[i]) {
			char what[96];
			if (spec[i].flags & OPTF_POSITIONAL)
				snprintf(what, sizeof what, "%s", spec[i].key);
			else
				snprintf(what, sizeof what, "%s=%s", spec[i].key, spec[i].meta ? spec[i].meta : "VALUE");
			return usage_err(err, errlen, NT_EINVAL, usage, "%s: missing %s", who, what);
		}
	return 0;
}

const struct opt_spec *opts_find(const struct opt_spec *spec, const char *key)
{
	for (const struct opt_spec *o = spec; o && o->key; o++)
		if (!strcmp(o->key, key))
			return o;
	return NULL;
}

int opts_set(const struct opt_spec *spec, const char *who, const char *key, const char *value,
             void *cfg, char *err, size_t errlen)
{
	const struct opt_spec *o = opts_find(spec, key);
	if (!o) {
		char keys[512];
		keys_text(spec, keys, sizeof keys);
		return nt_err(err, errlen, NT_ENOENT, "%s: unknown option '%s' (options: %s)", who, key, keys);
	}
	if (o->type == OPT_FLAG) {
		int on;
		if (!strcmp(value, "on") || !strcmp(value, "1"))
			on = 1;
		else if (!strcmp(value, "off") || !strcmp(value, "0"))
			on = 0;
		else
			return nt_err(err, errlen, NT_EINVAL, "%s: %s must be on or off, not '%s'", who, key, value);
		*(int *)field(cfg, o) = on;
		return 0;
	}
	return set_value(o, who, value, cfg, err, errlen);
}

/* Shortest %g form that parses back to d. */
static void double_text(double d, char *buf, size_t len)
{
	for (int prec = 6; prec <= 17; prec++) {
		double back;
		snprintf(buf, len, "%.*g", prec, d);
		if (!parse_double(buf, &back) && back == d)
			return;
	}
}

void opts_value_text(const struct opt_spec *o, const void *cfg, char *buf, size_t len)
{
	const void *f = cfield(cfg, o);
	switch (o->type) {
	case OPT_LONG: snprintf(buf, len, "%ld", *(const long *)f); break;
	case OPT_INT: snprintf(buf, len, "%d", *(const int *)f); break;
	case OPT_ULONG: snprintf(buf, len, "%lu", *(const unsigned long *)f); break;
	case OPT_DOUBLE: double_text(*(const double *)f, buf, len); break;
	case OPT_BOOL: snprintf(buf, len, "%s", *(const int *)f ? "on" : "off"); break;
	case OPT_ENUM: {
		int i = *(const int *)f, n = 0;
		while (o->names[n])
			n++;
		snprintf(buf, len, "%s", i >= 0 && i < n ? o->names[i] : "?");
		break;
	}
	case OPT_STRING: snprintf(buf, len, "%s", (const char *)f); break;
	case OPT_FLAG: snprintf(buf, len, "%s", *(const int *)f ? "on" : "off"); break;
	case OPT_CUSTOM:
		if (o->print)
			o->print(cfg, buf, len);
		else if (len)
			buf[0] = 0;
		break;
	}
}

static int is_default(const struct opt_spec *o, const void *cfg)
{
	const void *f = cfield(cfg, o);
	switch (o->type) {
	case OPT_LONG: return *(const long *)f == (long)o->def;
	case OPT_INT: return *(const int *)f == (int)o->def;
	case OPT_ULONG: return *(const unsigned long *)f == (unsigned long)o->def;
	case OPT_DOUBLE: return *(const double *)f == o->def;
	case OPT_BOOL: case OPT_ENUM: case OPT_FLAG: return *(const int *)f == (int)o->def;
	case OPT_STRING: return !strcmp((const char *)f, o->sdef ? o->sdef : "");
	case OPT_CUSTOM: {
		char v[128];
		opts_value_text(o, cfg, v, sizeof v);
		return o->sdef && !strcmp(v, o->sdef);
	}
	}
	return 0;
}

int opts_describe(const struct opt_spec *spec, const void *cfg, char *buf, size_t len)
{
	size_t p = 0;
	if (len)
		buf[0] = 0;
	for (const struct opt_spec *o = spec; o && o->key; o++) {
		char v[256], item[300];
		int pos = o->flags & OPTF_POSITIONAL;
		if (o->type == OPT_FLAG) {
			if (!*(const int *)cfield(cfg, o))
				continue;
			snprintf(item, sizeof item, "%s", o->key);
		} else {
			if (!pos && !(o->flags & (OPTF_SHOW | OPTF_REQUIRED)) && is_default(o, cfg))
				continue;
			opts_value_text(o, cfg, v, sizeof v);
			snprintf(item, sizeof item, pos ? "%s" : "%s=%s", pos ? v : o->key, v);
		}
		int w = snprintf(p < len ? buf + p : NULL, p < len ? len - p : 0, "%s%s", p ? " " : "", item);
		p += (size_t)w;
	}
	return (int)p;
}

int opts_complete_keys(const struct opt_spec *spec, char (*words)[32], const char **list, int max)
{
	int n = 0;
	for (const struct opt_spec *o = spec; o && o->key && n < max; o++) {
		if (o->flags & OPTF_POSITIONAL)
			continue;
		snprintf(words[n], sizeof words[n], o->type == OPT_FLAG ? "%s" : "%s=", o->key);
		list[n] = words[n];
		n++;
	}
	list[n] = NULL;
	return n;
}

const char *const *opts_value_names(const struct opt_spec *o)
{
	if (o->type == OPT_ENUM)
		return o->names;
	if (o->type == OPT_BOOL)
		return bool_names;
	return NULL;
}

int opts_help(const struct opt_spec *spec, char *buf, size_t len)
{
	size_t p = 0;
	if (len)
		buf[0] = 0;
	for (const struct opt_spec *o = spec; o && o->key; o++) {
		char form[64], what[192], rg[64], def[96] = "";
		const char *meta = o->meta;
		if (!meta)
			meta = is_int_type(o->type) ? "N" : o->type == OPT_DOUBLE ? "X" : o->type == OPT_BOOL ? "on|off" : "VALUE";
		if (o->type == OPT_FLAG)
			snprintf(form, sizeof form, "%s", o->key);
		else if (o->flags & OPTF_POSITIONAL)
			snprintf(form, sizeof form, "%s", o->key);
		else if (o->type == OPT_ENUM) {
			char nm[128];
			size_t q = 0;
			for (int i = 0; o->names[i]; i++)
				q += (size_t)snprintf(nm + q, q < sizeof nm ? sizeof nm - q : 0, "%s%s", i ? "|" : "", o->names[i]);
			snprintf(form, sizeof form, "%s=%s", o->key, nm);
		} else
			snprintf(form, sizeof form, "%s=%s", o->key, meta);
		range_text(o, rg, sizeof rg);
		switch (o->type) {
		case OPT_LONG: case OPT_INT: case OPT_ULONG:
			snprintf(what, sizeof what, has_range(o) ? "integer in %s" : "integer", rg); break;
		case OPT_DOUBLE:
			snprintf(what, sizeof what, has_range(o) ? "number in %s" : "number", rg); break;
		case OPT_BOOL: snprintf(what, sizeof what, "on or off"); break;
		case OPT_ENUM: snprintf(what, sizeof what, "one of the names"); break;
		case OPT_STRING: snprintf(what, sizeof what, "text"); break;
		case OPT_FLAG: snprintf(what, sizeof what, "flag"); break;
		case OPT_CUSTOM: snprintf(what, sizeof what, "%s", meta); break;
		}
		if (o->flags & OPTF_REQUIRED)
			snprintf(def, sizeof def, ", required");
		else if (o->type != OPT_FLAG && !(o->flags & OPTF_POSITIONAL)) {
			char v[64];
			if (o->type == OPT_CUSTOM || o->type == OPT_STRING || o->sdef)
				snprintf(v, sizeof v, "%s", o->sdef ? o->sdef : "");
			else {
				/* the default as a value: print it from a scratch field */
				union { long l; int i; unsigned long u; double d; } tmp;
				struct opt_spec t = *o;
				t.off = 0;
				if (o->type == OPT_LONG) tmp.l = (long)o->def;
				else if (o->type == OPT_ULONG) tmp.u = (unsigned long)o->def;
				else if (o->type == OPT_DOUBLE) tmp.d = o->def;
				else tmp.i = (int)o->def;
				opts_value_text(&t, &tmp, v, sizeof v);
			}
			if (v[0])
				snprintf(def, sizeof def, ", default %s", v);
		}
		int w = snprintf(p < len ? buf + p : NULL, p < len ? len - p : 0, "  %-20s %s%s%s%s\n", form, what, def,
		                 o->help ? ": " : "", o->help ? o->help : "");
		p += (size_t)w;
	}
	return (int)p;
}
