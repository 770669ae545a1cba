/* fuzz_recording.c — recordings and script files: the input is written to a
 * file, checked by cmd_check_file as --replay checks a recording, and when it
 * passes, run by cmd_exec_file as -b runs it (bounded line reader, NUL and
 * control characters, CR/CRLF, BOM, nesting), on a fresh experiment under a CPU
 * budget. The policy of common.h applies, without laws count/find. */
#include "common.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return -1;
	char *text = fuzz_text(data, size);
	int refused = fuzz_text_ok(text, 64, 1);
	free(text);
	if (refused)
		return -1;
	const char *path = fuzz_write_file(data, size, ".rec");
	if (!path)
		return 0;
	char err[600];
	if (cmd_check_file(path, err, sizeof err) == 0) {
		struct cmd_ctx c = fuzz_ctx_new();
		fuzz_budget_start(0.02);
		cmd_exec_file(&c, path);
		fuzz_budget_end();
		fuzz_ctx_free(&c);
	}
	return 0;
}
