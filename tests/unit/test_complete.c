/* test_complete.c — tab completion comes from the command table and the block
 * registry: commands, layer kinds and their options (also inside residual
 * { ... }), data kinds, presets, and quantity names of the built experiment. */
#include "test.h"
#include "cmd/cmd.h"
#include <stdlib.h>
#include <string.h>

static void sink(void *u, const char *t) { (void)u; (void)t; }

/* 1 if `want` is among the candidates for (prefix, word), and every candidate starts with word */
static int offers(struct cmd_ctx *c, const char *prefix, const char *word, const char *want)
{
	char **m = cmd_complete(c, prefix, word);
	int found = 0, prefixed = 1;
	for (int k = 0; m && m[k]; k++) {
		found |= !strcmp(m[k], want);
		prefixed &= !strncmp(m[k], word, strlen(word));
		free(m[k]);
	}
	free(m);
	return found && prefixed;
}

int main(void)
{
	struct cmd_ctx c = { 0 };
	c.x = experiment_new();
	c.out = c.msg = sink;
	CHECK(offers(&c, "", "pre", "preset"), "command names: pre -> preset");
	CHECK(offers(&c, "", "pre", "present"), "command names: pre -> present too");
	CHECK(!offers(&c, "", "pre", "print"), "only candidates with the typed prefix");
	CHECK(offers(&c, "layer ", "sw", "swiglu"), "layer kinds from the registry");
	CHECK(offers(&c, "layer attn ", "p", "pe="), "options of a kind");
	CHECK(offers(&c, "layer residual ", "", "{"), "residual: opening brace");
	CHECK(offers(&c, "layer residual { ", "de", "dense"), "residual: inner kinds");
	CHECK(!offers(&c, "layer residual { ", "res", "residual"), "residual: no nesting offered");
	CHECK(offers(&c, "layer residual { dense 16 ", "", "}"), "residual: closing brace after an inner block");
	CHECK(offers(&c, "layer residual { dense 16 ", "b", "bias="), "residual: inner block options");
	CHECK(offers(&c, "data ", "spi", "spirals"), "data kinds");
	CHECK(offers(&c, "preset ", "relu", "relu2"), "preset names from presets/");
	CHECK(offers(&c, "schedule ", "de", "decay"), "schedule kinds");
	CHECK(offers(&c, "step 3; loss ", "cross", "cross-entropy"), "completion after ';' looks at the last command");
	cmd_exec_line(&c, "preset relu2");
	CHECK(offers(&c, "watch ", "layer2.relu.n3", "layer2.relu.n31"), "quantity names of the built experiment");
	CHECK(offers(&c, "expect ", "laws.m", "laws.max-rel"), "expect metrics");
	CHECK(offers(&c, "help ", "sw", "sweep"), "help knows the commands");
	experiment_free(c.x);
	return test_summary("test_complete");
}
