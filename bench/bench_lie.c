/* bench_lie.c — wall and CPU time of `laws count` and `laws find` (the full
 * commands: census, Lie count, laws find for the lower bound, report).
 *  1. small models (D ≈ 50-300): median of 5, count+find and count only;
 *  2. research scale: ReLU nets with D ≈ 2500 and D ≈ 5000, runs interleaved
 *     (A B A B ...), medians of 5; targets 3 s and 30 s (SPEC); working memory
 *     of the count and the process's peak resident size;
 *  3. laws find: relu2 with points=1 (a single random point: the fresh-point
 *     refinement has to cut 1671 candidates down to the 32 laws; target 30 s)
 *     and a net with ~9600 unknowns (the limit is 10000).
 * Wall time on a shared machine counts other processes' load; the CPU time
 * beside it is this process's own (a target met in CPU time only is shown
 * PASS(CPU)). BLAS runs on one thread, the program's default (noether
 * --threads 1), so CPU time is the work done. The load average is printed
 * before and after. Prints one line per case. */
#include "cmd/cmd.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static char last[256], memline[512], unkline[256];

static void sink(void *user, const char *text)
{
	(void)user;
	if (!strncmp(text, "laws: ", 6) || !strncmp(text, "find: ", 6))
		str_copy(last, text, sizeof last);
	if (strstr(text, "upper bound: D"))
		str_copy(memline, text, sizeof memline);
	if (strstr(text, " unknowns (linear forms"))
		str_copy(unkline, text, sizeof unkline);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One run of cmd after setup in a fresh experiment; wall and CPU seconds. */
static void run_once(const char *setup, const char *cmd, size_t *D, double *wall, double *cpu)
{
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
	double t0 = now_seconds(), c0 = cpu_seconds();
	if (cmd_exec_line(&c, cmd)) {
		fprintf(stderr, "failed: %s; %s\n", setup, cmd);
		exit(1);
	}
	*wall = now_seconds() - t0;
	*cpu = cpu_seconds() - c0;
	experiment_free(s);
}

static double median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof *t, cmp);
	return t[n / 2];
}

static void trim(char *s)
{
	s[strcspn(s, "\n")] = 0;
}

/* The count's own working memory, from its report line "..., N MB)". */
static double count_mb(void)
{
	const char *p = strrchr(memline, ',');
	double mb = -1;
	if (p)
		sscanf(p, ", %lf MB", &mb);
	return mb;
}

static void small_models(void)
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
	printf("laws count, small models (median of 5 wall-clock runs)\n");
	printf("%-20s %5s %12s %12s  %s\n", "model", "D", "count+find", "count only", "result");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t D;
		double t1[5], t2[5], cpu;
		for (int r = 0; r < 5; r++)
			run_once(cases[i].setup, "laws count", &D, &t1[r], &cpu);
		char res[256];
		str_copy(res, last, sizeof res);
		trim(res);
		for (int r = 0; r < 5; r++)
			run_once(cases[i].setup, "laws count find=off", &D, &t2[r], &cpu);
		printf("%-20s %5zu %10.3f s %10.3f s  %s\n", cases[i].name, D, median(t1, 5), median(t2, 5), res);
	}
}

static void research_scale(void)
{
	static const struct { const char *name, *setup; double target; } cases[] = {
		{ "relu 10-200-2", "data teacher n=64 in=10 out=2; layer dense 200; layer relu; layer dense 2", 3.0 },
		{ "relu 10-384-2", "data teacher n=64 in=10 out=2; layer dense 384; layer relu; layer dense 2", 30.0 },
	};
	enum { N = sizeof cases / sizeof cases[0], R = 5 };
	double wall[N][R], cpu[N][R], mb[N];
	size_t D[N];
	char res[N][256];
	for (int r = 0; r < R; r++)
		for (int i = 0; i < N; i++) {
			run_once(cases[i].setup, "laws count", &D[i], &wall[i][r], &cpu[i][r]);
			str_copy(res[i], last, sizeof res[i]);
			trim(res[i]);
			mb[i] = count_mb();
		}
	printf("\nlaws count at research scale (runs interleaved, median of %d)\n", R);
	printf("%-16s %5s %10s %10s %8s %9s  %-10s %s\n", "model", "D", "wall", "CPU", "target", "count MB", "target", "result");
	for (int i = 0; i < N; i++) {
		double w = median(wall[i], R), c = median(cpu[i], R);
		printf("%-16s %5zu %8.2f s %8.2f s %6.0f s %9.0f  %-10s %s\n", cases[i].name, D[i], w, c, cases[i].target, mb[i],
		       w <= cases[i].target ? "PASS" : c <= cases[i].target ? "PASS(CPU)" : "MISS", res[i]);
	}
}

static void find_scale(void)
{
	static const struct { const char *name, *setup, *cmd; double target; } cases[] = {
		{ "relu2 points=1", "preset relu2", "laws find points=1", 30.0 },
		{ "relu 24-70-1", "data teacher n=64 in=24 out=1; layer dense 70; layer relu; layer dense 1", "laws find", 0 },
	};
	printf("\nlaws find (one run each)\n");
	printf("%-16s %5s %8s %10s %10s %8s  %s\n", "model", "D", "unknowns", "wall", "CPU", "target", "result");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t D;
		double w, c;
		unkline[0] = 0;
		run_once(cases[i].setup, cases[i].cmd, &D, &w, &c);
		long unk = -1;
		sscanf(unkline, " %ld unknowns", &unk);
		char res[256];
		str_copy(res, last, sizeof res);
		trim(res);
		char tg[16] = "-";
		if (cases[i].target > 0)
			snprintf(tg, sizeof tg, "%.0f s", cases[i].target);
		printf("%-16s %5zu %8ld %8.2f s %8.2f s %8s  %s%s\n", cases[i].name, D, unk, w, c, tg, res,
		       cases[i].target > 0 ? (w <= cases[i].target ? "  PASS" : "  MISS") : "");
	}
}

static void load(const char *when)
{
	double la[3];
	if (getloadavg(la, 3) == 3)
		printf("%sload average %.2f %.2f %.2f (1, 5, 15 min)\n", when, la[0], la[1], la[2]);
}

int main(void)
{
	linalg_set_threads(1);
	load("");
	small_models();
	research_scale();
	find_scale();
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("\npeak resident size of the benchmark process: %.0f MB\n", ru.ru_maxrss / 1024.0);
	load("at the end: ");
	return 0;
}
