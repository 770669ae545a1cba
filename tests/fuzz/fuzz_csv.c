/* fuzz_csv.c — `data csv`: the input is a CSV file (its last byte, when odd,
 * adds len=2 to the command; a file ending in a newline does not). data_csv_read must accept it whole or
 * refuse it with a message; an accepted set then feeds a small model (dense
 * layers, a pool for one target per sequence, the head and loss its targets
 * call for) for two steps, so sizes and labels read from the file reach what
 * uses them. */
#include "common.h"
#include "noether/data.h"
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 16384)
		return -1;
	int with_len = data[size - 1] & 1;
	const char *path = fuzz_write_file(data, size, ".csv");
	if (!path)
		return 0;
	char *argv[2] = { (char *)path, "len=2" }, err[512];
	struct dataset *d = data_csv_read(1 + with_len, argv, err, sizeof err);
	if (!d)
		return 0;
	int cls = d->label != NULL, width = cls ? d->n_classes : d->d_out, pool = d->len > 1 && d->out_len == 1;
	data_free(d);
	struct cmd_ctx c = fuzz_ctx_new();
	char line[700];
	snprintf(line, sizeof line, "data csv %s%s; layer dense 3; layer relu; %slayer %s %s%d; loss %s; step 2",
	         path, with_len ? " len=2" : "", pool ? "layer pool; " : "", cls ? "head softmax" : "dense",
	         cls ? "classes=" : "", width, cls ? "cross-entropy" : "mse");
	fuzz_budget_start(0.02);
	cmd_exec_line(&c, line);
	fuzz_budget_end();
	fuzz_ctx_free(&c);
	return 0;
}
