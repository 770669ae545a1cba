/* test_opts.c — the option parser (opts.h): every option type parses into its
 * field with its default, range and type errors name the option and the limit,
 * describe writes text that parses back to the same struct, and completion and
 * help list what the table declares. */
#include "test.h"
#include "noether/opts.h"
#include "noether/util.h"
#include <stddef.h>
#include <string.h>

struct tcfg {
	long width;
	int bias, act, count, causal, gate;
	double slope;
	unsigned long seed;
	char name[8];
	long k;
};

static const char *const acts[] = { "gelu", "silu", "relu", NULL };

/* gate=softmax | topk:K (K >= 2) */
static int gate_parse(const char *v, void *cfg, char *err, size_t len)
{
	struct tcfg *c = cfg;
	if (!strcmp(v, "softmax")) {
		c->gate = 0;
		c->k = 0;
		return 0;
	}
	long k;
	if (!strncmp(v, "topk:", 5) && !parse_long(v + 5, &k) && k >= 2) {
		c->gate = 1;
		c->k = k;
		return 0;
	}
	return nt_err(err, len, NT_EINVAL, "gate must be softmax or topk:K with K >= 2, not '%s'", v);
}

static void gate_print(const void *cfg, char *buf, size_t len)
{
	const struct tcfg *c = cfg;
	if (c->gate)
		snprintf(buf, len, "topk:%ld", c->k);
	else
		snprintf(buf, len, "softmax");
}

#define F(x) offsetof(struct tcfg, x)
static const struct opt_spec spec[] = {
	{ .key = "WIDTH", .type = OPT_LONG, .off = F(width), .lo = 1, .hi = 4096,
	  .flags = OPTF_POSITIONAL | OPTF_REQUIRED, .help = "output width" },
	{ .key = "bias", .type = OPT_BOOL, .off = F(bias), .def = 1, .help = "add a bias" },
	{ .key = "slope", .type = OPT_DOUBLE, .off = F(slope), .lo = 0, .hi = 1, .def = 0.01,
	  .flags = OPTF_OPEN_HI, .help = "negative slope" },
	{ .key = "act", .type = OPT_ENUM, .off = F(act), .names = acts, .flags = OPTF_SHOW },
	{ .key = "seed", .type = OPT_ULONG, .off = F(seed), .lo = 0, .hi = 0x7fffffff, .def = 1 },
	{ .key = "count", .type = OPT_INT, .off = F(count), .lo = 1, .hi = 10, .def = 3,
	  .flags = OPTF_REQUIRED, .meta = "C" },
	{ .key = "name", .type = OPT_STRING, .off = F(name), .size = 8, .sdef = "x" },
	{ .key = "causal", .type = OPT_FLAG, .off = F(causal) },
	{ .key = "gate", .type = OPT_CUSTOM, .off = F(gate), .sdef = "softmax", .meta = "softmax|topk:K",
	  .parse = gate_parse, .print = gate_print },
	{ 0 }
};

static char err[512];

/* Parses a space-separated line into c; returns the status. */
static int parse(const char *line, struct tcfg *c)
{
	char buf[512], *w[32];
	int n = 0;
	snprintf(buf, sizeof buf, "%s", line);
	for (char *p = strtok(buf, " "); p && n < 32; p = strtok(NULL, " "))
		w[n++] = p;
	err[0] = 0;
	memset(c, 0x5a, sizeof *c);   /* no field may keep garbage */
	return opts_parse(spec, "t", "t WIDTH count=C [...]", n, w, c, err, sizeof err);
}

static int fails_with(const char *line, int code, const char *msg)
{
	struct tcfg c;
	int rc = parse(line, &c);
	int ok = rc == code && strstr(err, msg) != NULL;
	if (!ok)
		printf("# '%s': rc %d, err '%s' (wanted %d, '%s')\n", line, rc, err, code, msg);
	return ok;
}

static void test_parse(void)
{
	struct tcfg c;
	CHECK(parse("8 count=2", &c) == 0, "minimal line parses");
	CHECK(c.width == 8 && c.count == 2, "positional and required named option set");
	CHECK(c.bias == 1 && c.slope == 0.01 && c.act == 0 && c.seed == 1 && !strcmp(c.name, "x") && c.causal == 0
	      && c.gate == 0 && c.k == 0, "every other field has its default");
	CHECK(parse("causal count=10 16 bias=off slope=0.25 act=relu seed=2147483647 name=abcdefg gate=topk:3", &c) == 0,
	      "full line in any order parses");
	CHECK(c.width == 16 && c.count == 10 && c.bias == 0 && c.slope == 0.25 && c.act == 2 && c.seed == 2147483647UL
	      && !strcmp(c.name, "abcdefg") && c.causal == 1 && c.gate == 1 && c.k == 3, "every type stored in its field");
	CHECK(parse("1e3 count=1 bias=1", &c) == 0 && c.width == 1000 && c.bias == 1, "1e3 is an integer, 1 is on");
	CHECK(parse("4 count=1 bias=false", &c) == 0 && c.bias == 0, "false is off");
}

static void test_errors(void)
{
	CHECK(fails_with("-3 count=1", NT_ERANGE, "t: WIDTH -3 out of range 1..4096"), "positional range names the limit");
	CHECK(fails_with("count=1", NT_EINVAL, "t: missing WIDTH (usage: t WIDTH count=C [...])"), "missing positional, usage");
	CHECK(fails_with("4", NT_EINVAL, "t: missing count=C"), "missing required option with its placeholder");
	CHECK(fails_with("4 count=11", NT_ERANGE, "t: count=11 out of range 1..10"), "named range names the limit");
	CHECK(fails_with("4 count=2.5", NT_EINVAL, "count='2.5' is not an integer"), "non-integer refused");
	CHECK(fails_with("4 count=1 slope=1", NT_ERANGE, "slope=1 out of range [0, 1)"), "open upper end excluded");
	CHECK(fails_with("4 count=1 slope=-0.1", NT_ERANGE, "[0, 1)"), "below the lower end");
	CHECK(fails_with("4 count=1 slope=abc", NT_EINVAL, "slope='abc' is not a number"), "non-number refused");
	CHECK(fails_with("4 count=1 slope=nan", NT_EINVAL, "not a number"), "NaN refused");
	CHECK(fails_with("4 count=1 seed=-1", NT_ERANGE, "seed=-1 out of range 0..2147483647"), "seed range");
	CHECK(fails_with("4 count=1 bias=maybe", NT_EINVAL, "bias must be on or off, not 'maybe'"), "bad bool");
	CHECK(fails_with("4 count=1 act=tanh", NT_EINVAL, "act must be gelu, silu or relu, not 'tanh'"), "bad enum lists names");
	CHECK(fails_with("4 count=1 temp=2", NT_EINVAL, "unknown option 'temp' (options: bias, slope, act, seed, count, name, causal, gate)"),
	      "unknown option lists the options");
	CHECK(fails_with("4 count=1 count=2", NT_EINVAL, "count given twice"), "option twice refused");
	CHECK(fails_with("4 count=1 causal causal", NT_EINVAL, "causal given twice"), "flag twice refused");
	CHECK(fails_with("4 5 count=1", NT_EINVAL, "unexpected argument '5' (usage:"), "extra positional refused");
	CHECK(fails_with("4 count=1 causal=1", NT_EINVAL, "causal takes no value"), "flag with a value refused");
	CHECK(fails_with("4 count=1 bias=", NT_EINVAL, "bias=needs a value"), "empty value refused");
	CHECK(fails_with("4 count=1 name=abcdefgh", NT_ERANGE, "name=value too long (limit 7 characters)"), "long string");
	CHECK(fails_with("4 count=1 gate=topk:1", NT_EINVAL, "t: gate must be softmax or topk:K"), "custom parser's message");
	CHECK(fails_with("4 count=1 =3", NT_EINVAL, "unknown option ''"), "empty key refused");
}

static void test_describe(void)
{
	struct tcfg c, d;
	char buf[256], again[256];
	parse("8 count=3", &c);
	opts_describe(spec, &c, buf, sizeof buf);
	CHECK(!strcmp(buf, "8 act=gelu count=3"), "defaults omitted, SHOW and required kept");
	parse("16 count=10 bias=off slope=0.1 act=relu seed=7 name=ab causal gate=topk:3", &c);
	opts_describe(spec, &c, buf, sizeof buf);
	CHECK(!strcmp(buf, "16 bias=off slope=0.1 act=relu seed=7 count=10 name=ab causal gate=topk:3"),
	      "every changed option described in table order");
	CHECK(parse(buf, &d) == 0 && !memcmp(&c, &d, offsetof(struct tcfg, name)) && !strcmp(c.name, d.name)
	      && c.k == d.k, "the description parses back to the same struct");
	struct tcfg e = c;
	e.slope = 1.0 / 3.0;
	opts_describe(spec, &e, buf, sizeof buf);
	CHECK(parse(buf, &d) == 0 && d.slope == e.slope, "a double with 16 digits survives the round trip");
	int need = opts_describe(spec, &c, again, 5);
	CHECK(need == (int)strlen("16 bias=off slope=0.1 act=relu seed=7 count=10 name=ab causal gate=topk:3")
	      && strlen(again) == 4, "describe truncates safely and returns the full length");
}

static void test_set_complete_help(void)
{
	struct tcfg c;
	parse("8 count=3", &c);
	CHECK(opts_set(spec, "t", "act", "relu", &c, err, sizeof err) == 0 && c.act == 2, "opts_set by key");
	CHECK(opts_set(spec, "t", "WIDTH", "9", &c, err, sizeof err) == 0 && c.width == 9, "opts_set of a positional");
	CHECK(opts_set(spec, "t", "count", "0", &c, err, sizeof err) == NT_ERANGE && c.count == 3, "opts_set range, field kept");
	CHECK(opts_set(spec, "t", "causal", "on", &c, err, sizeof err) == 0 && c.causal == 1, "opts_set of a flag");
	CHECK(opts_set(spec, "t", "nope", "1", &c, err, sizeof err) == NT_ENOENT && strstr(err, "'nope'"), "unknown key");
	char words[16][32];
	const char *list[17];
	int n = opts_complete_keys(spec, words, list, 16);
	CHECK(n == 8 && !strcmp(list[0], "bias=") && !strcmp(list[6], "causal") && !strcmp(list[7], "gate=") && !list[8],
	      "completion: named options with '=', flags bare, no positional");
	CHECK(opts_complete_keys(spec, words, list, 2) == 2 && list[2] == NULL, "completion respects max");
	const char *const *v = opts_value_names(opts_find(spec, "act"));
	CHECK(v && !strcmp(v[2], "relu") && !v[3], "enum values for completion");
	v = opts_value_names(opts_find(spec, "bias"));
	CHECK(v && !strcmp(v[0], "on") && !strcmp(v[1], "off"), "bool values for completion");
	CHECK(opts_value_names(opts_find(spec, "seed")) == NULL, "no value list for numbers");
	char help[2048];
	opts_help(spec, help, sizeof help);
	CHECK(strstr(help, "slope=X") && strstr(help, "number in [0, 1), default 0.01: negative slope"), "help: double line");
	CHECK(strstr(help, "act=gelu|silu|relu") && strstr(help, "default gelu"), "help: enum line");
	CHECK(strstr(help, "count=C") && strstr(help, "integer in 1..10, required"), "help: required option");
	CHECK(strstr(help, "WIDTH") && strstr(help, "bias=on|off") && strstr(help, "default on"), "help: positional, bool");
}

int main(void)
{
	test_parse();
	test_errors();
	test_describe();
	test_set_complete_help();
	return test_summary("opts");
}
