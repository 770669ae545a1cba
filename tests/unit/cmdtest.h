/* cmdtest.h — what the unit tests that drive the command layer share: a
 * context on a fresh experiment whose output goes nowhere, and a command
 * runner that prints the error of a command that failed. */
#ifndef NOETHER_TEST_CMDTEST_H
#define NOETHER_TEST_CMDTEST_H
#include "cmd/cmd.h"
#include "noether/experiment.h"
#include <stdio.h>

static inline void sink(void *u, const char *t) { (void)u; (void)t; }

static inline struct cmd_ctx new_ctx(void)
{
	struct cmd_ctx c = { 0 };
	c.x = experiment_new();
	c.out = c.msg = sink;
	return c;
}

static inline int run(struct cmd_ctx *c, const char *line)
{
	int rc = cmd_exec_line(c, line);
	if (rc)
		printf("  command '%s' -> %d: %s\n", line, rc, c->last_error);
	return rc;
}
#endif
