/* bench_lie.c — wall time of `laws count` (the full command: Lie count, laws
 * find for the lower bound, report) for models of D ≈ 50, 150 and 300
 * parameters; median of 5 runs each. Target: under 2 s for D <= 300. Also the
 * count alone (find=off). Prints one line per model. */
#include "cmd/cmd.h"
#include "noether/util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char last[256];

static void sink(void *user, const char *text)
{
	(void)user;
	if (!strncmp(text, "laws: ", 6))
		str_copy(last, text, sizeof last);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median_time(const char *setup, const char *cmd, size_t *D)
{
	double t[5];
	for (int i = 0; i < 5; i++) {
		struct experiment *s = experiment_new();
		struct cmd_ctx c;
		memset(&c, 0, sizeof c);
		c.x = s;
		c.out = sink;
		c.msg = sink;
		if (cmd_exec_line(&c, setup) || experiment_prepare(s)) {
			fprintf(stderr, "setup failed: %s\n", setup);
			exit(1);
		}
		*D = experiment_nparams(s);
		double t0 = now_seconds();
		cmd_exec_line(&c, cmd);
		t[i] = now_seconds() - t0;
		experiment_free(s);
	}
	qsort(t, 5, sizeof t[0], cmp);
	return t[2];
}

int main(void)
{
	static const struct { const char *name, *setup; } cases[] = {
		{ "relu mlp 5-7-1", "data teacher n=64 in=5 out=1; layer dense 7; layer relu; layer dense 1" },
		{ "linear 4-6-4", "data teacher n=64 in=4 out=4; layer dense 6 bias=off; layer dense 4 bias=off" },
		{ "relu mlp 8-15-1", "data teacher n=64 in=8 out=1; layer dense 15; layer relu; layer dense 1" },
		{ "linear 6-12-6", "data teacher n=64 in=6 out=6; layer dense 12 bias=off; layer dense 6 bias=off" },
		{ "attn d=6 2 heads", "data seq n=16 len=4 d=6 out=6; layer attn heads=2 dk=3" },
		{ "relu mlp 10-22-2", "data teacher n=64 in=10 out=2; layer dense 22; layer relu; layer dense 2" },
		{ "linear 10-15-10", "data teacher n=64 in=10 out=10; layer dense 15 bias=off; layer dense 10 bias=off" },
		{ "relu 8-14-10-2", "data teacher n=64 in=8 out=2; layer dense 14 bias=off; layer relu; layer dense 10 bias=off; layer relu; layer dense 2" },
		{ "swiglu 8-12", "data teacher n=64 in=8 out=8; layer swiglu hidden=12 out=8" },
	};
	printf("laws count timings (median of 5)\n");
	printf("%-20s %5s %12s %12s  %s\n", "model", "D", "count+find", "count only", "result");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t D;
		double t1 = median_time(cases[i].setup, "laws count", &D);
		char res[256];
		str_copy(res, last, sizeof res);
		res[strcspn(res, "\n")] = 0;
		double t2 = median_time(cases[i].setup, "laws count find=off", &D);
		printf("%-20s %5zu %10.3f s %10.3f s  %s%s\n", cases[i].name, D, t1, t2, res,
		       D <= 300 && t1 > 2.0 ? "  OVER 2 s" : "");
	}
	return 0;
}
