/* fuzz_script.c — the command layer fed a script: each line of the input runs
 * through cmd_exec_line on a fresh experiment (several commands a line, quotes,
 * comments), so parsing, model building, stepping, quantities, expect and
 * the screen-only commands' headless answers all run. Bounded work per
 * input: a CPU budget raises the interrupt flag (a step stops, the script
 * stops), numbers above 64 and file commands are refused (common.h), and a
 * line running laws count/find may not change the model and runs only on a
 * model of at most 300 parameters. */
#include "common.h"
#include "noether/experiment.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return -1;
	char *text = fuzz_text(data, size);
	if (fuzz_text_ok(text, 64, 0)) {
		free(text);
		return -1;
	}
	struct cmd_ctx c = fuzz_ctx_new();
	fuzz_budget_start(0.02);
	int lineno = 0;
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		c.line = ++lineno;
		if (fuzz_has_lie(line) &&
		    (fuzz_changes_model(line) || (experiment_prepare(c.x) == 0 && experiment_nparams(c.x) > 300)))
			continue;
		cmd_exec_line(&c, line);
		if (c.requests & REQ_QUIT)
			break;
	}
	fuzz_budget_end();
	fuzz_ctx_free(&c);
	free(text);
	return 0;
}
