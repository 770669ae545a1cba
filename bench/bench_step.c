/* bench_step.c — training throughput of presets through the core API only.
 *
 * For each preset: an experiment is set up with `preset NAME` through cmd_exec_line
 * (sinks discard output), then run_step(A, N, NULL) is timed, where one step
 * is what the explorer does while running: gradient (forward + backward), the
 * optimizer update, and the trace record (every quantity — laws, contrasts —
 * evaluated at the new θ). Each timed run starts from run_reset (θ0, empty
 * trace), so the trace records every step as in a fresh run (stride 1).
 *
 * Figures per preset: median steps/s over R runs of N steps (N chosen so a run
 * takes >= min-time), FLOPs per step, achieved GFLOP/s, fraction of the dgemm
 * peak, and the physical limit peak / FLOPs-per-step. FLOPs per step is counted
 * here block by block (see step_flops) and printed next to the core's own
 * estimate model_flops_per_sample × samples.
 *
 * "No allocation inside a step" is checked by replacing malloc/calloc/realloc/
 * free in this program (glibc supports replacing them; ours forward to the
 * __libc_ entry points) and counting calls made during timed run_step calls.
 * The count includes the end-of-call work of run_step (final loss, quantity
 * update), so allocations/step is an upper bound.
 *
 * Rates: median over the runs by wall clock, and by process CPU time
 * (cpu_steps_per_s; close to the wall rate on a quiet machine).
 *
 * Output: one `key=value` line per preset, prefixed "step", plus a "breakdown"
 * line (time per step spent in gradient and in quantity evaluation, measured
 * apart). Usage:
 *   bench_step [--peak GFLOPS] [--runs R] [--min-time S] [PRESET ...] */
#include "cmd/cmd.h"
#include "noether/linalg.h"
#include "noether/model.h"
#include "noether/quantity.h"
#include "noether/experiment.h"
#include "noether/run.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- allocation counting -------------------------------------------------- */

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static int count_on;
static unsigned long alloc_calls, free_calls;

void *malloc(size_t n)
{
	if (count_on)
		alloc_calls++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	if (count_on)
		alloc_calls++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	if (count_on)
		alloc_calls++;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	if (count_on && p)
		free_calls++;
	__libc_free(p);
}

/* ---- helpers ---------------------------------------------------------------- */

static char last_msg[1024];

static void sink_discard(void *user, const char *text)
{
	(void)user; (void)text;
}

static void sink_keep(void *user, const char *text)
{
	(void)user;
	str_copy(last_msg, text, sizeof last_msg);
}

/* CPU time of this process: on a shared machine, a rate by CPU time next to
 * the wall-clock rate shows how much other load disturbed the run. */
static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Quick single-thread dgemm peak (used only when --peak is not given). */
static double quick_peak(void)
{
	int n = 512, reps = 7;
	size_t nn = (size_t)n * n;
	double *A = xmalloc(nn * sizeof *A), *B = xmalloc(nn * sizeof *B), *C = xcalloc(nn, sizeof *C);
	for (size_t i = 0; i < nn; i++) {
		A[i] = (double)(i % 17) * 0.01 - 0.08;
		B[i] = (double)(i % 13) * 0.01 - 0.06;
	}
	double g[7];
	mm(0, 0, n, n, n, 1.0, A, B, 0.0, C);
	for (int r = 0; r < reps; r++) {
		double t0 = now_seconds();
		mm(0, 0, n, n, n, 1.0, A, B, 0.0, C);
		g[r] = 2.0 * n * (double)n * n / (now_seconds() - t0) * 1e-9;
	}
	free(A); free(B); free(C);
	return median(g, reps);
}

/* Floating-point operations of one step, counted block by block:
 *  - parameter contractions (dense, ffn, swiglu, head, conv1d, attention
 *    projections): 2 flops per parameter per input row forward, 2 for ∂θ, 2 for
 *    ∂x — the last skipped for the first block, whose input gradient is not
 *    computed. (The core's estimate counts 6 per parameter per row everywhere.)
 *  - attention (attn, lattn): per head, scores A B^T and P U cost 2 T^2 (dk+dv)
 *    per sample forward and twice that backward;
 *  - moe with top-k routing: each row runs K of the E experts (the block
 *    gathers the routed rows), so only K/E of the expert parameters count;
 *  - elementwise work (activations, loss, softmax) is not counted;
 *  - per step: the update (2D), ‖g‖² (2D) and every quantity evaluated for the
 *    trace (3 flops per quadratic term, 2 per linear term).
 * The core's estimate (model_flops_per_sample, printed as flops_model) follows
 * the same rules through the blocks' flops hooks; the two should agree.
 * Sets *note to a remark when a block kind is counted with the generic rule
 * although it is known not to fit it (none at present). */
static double step_flops(const struct experiment *x, int samples, double *law_flops, const char **note)
{
	const struct model *m = experiment_model(x);
	const struct qset *qs = experiment_quantities(x);
	double f = 0;
	*note = NULL;
	for (int i = 0; i < m->nblocks; i++) {
		const struct block *b = &m->blocks[i];
		double rows = (double)samples * b->in.len;
		f += (i ? 6.0 : 4.0) * (double)b->nparam * rows;
		const char *k = b->kind->name;
		if (!strcmp(k, "attn") || !strcmp(k, "lattn")) {
			/* heads: every tensor named "...Q" pairs with the V of the same head */
			int T = b->in.len;
			for (int t = 0; t < b->ntensors; t++) {
				const struct tensor_view *q = &b->tensors[t];
				size_t sl = strlen(q->short_name);
				if (!sl || q->short_name[sl - 1] != 'Q' || q->ndim != 2)
					continue;
				char vname[24];
				str_copy(vname, q->short_name, sizeof vname);
				vname[sl - 1] = 'V';
				const struct tensor_view *v = block_tensor(b, vname);
				double dk = q->dim[1], dv = v && v->ndim == 2 ? v->dim[1] : dk;
				f += 6.0 * samples * (double)T * T * (dk + dv);
			}
		} else if (!strcmp(k, "moe") && b->iopt[2] == 1 /* gate=topk */) {
			double E = (double)b->iopt[0], K = (double)b->iopt[3];
			double expert = (double)b->nparam - (double)b->tensors[0].size;
			f -= (i ? 6.0 : 4.0) * expert * rows * (E - K) / E;
		}
	}
	double lf = 0;
	for (int i = 0; i < qs->n; i++) {
		const struct quantity *q = qs->q[i];
		if (q->fn)
			continue;
		for (int k = 0; k < q->ncomp; k++)
			for (int t = 0; t < q->comp[k].nterms; t++)
				lf += q->comp[k].terms[t].j < 0 ? 2.0 : 3.0;
	}
	*law_flops = lf;
	return f + 4.0 * (double)experiment_nparams(x) + lf;
}

struct result {
	double sps, flops, flops_model, law_flops, allocs_per_step;
	long nsteps;
};

/* Runs one preset; returns 0, 1 on a set-up/step error (message printed). */
static int bench_preset(const char *name, double peak, int runs, double min_time)
{
	struct experiment *x = experiment_new();
	struct cmd_ctx c;
	memset(&c, 0, sizeof c);
	c.x = x;
	c.out = sink_discard;
	c.msg = sink_keep;
	char line[256];
	snprintf(line, sizeof line, "preset %s", name);
	last_msg[0] = 0;
	int rc = cmd_exec_line(&c, line);
	if (rc < 0) {
		printf("step preset=%s error=\"%s\"\n", name, last_msg);
		experiment_free(x);
		return 1;
	}
	rc = experiment_step(x, 1, NULL);   /* prepare: build, θ0, laws and their checks */
	if (rc) {
		printf("step preset=%s error=\"%s\"\n", name, experiment_error(x));
		experiment_free(x);
		return 1;
	}
	struct run *s = experiment_run(x, 0);
	const struct optimizer *opt = &run_settings(s)->opt;
	int samples = experiment_data(x)->n;
	if (opt->kind == OPT_SGD && opt->batch > 0 && opt->batch < samples)
		samples = opt->batch;
	double law_flops = 0;
	const char *note = NULL;
	double flops = step_flops(x, samples, &law_flops, &note);
	double flops_model = model_flops_per_sample(experiment_model(x)) * samples;

	/* calibrate N: a run of N steps takes >= min_time */
	long N = 16;
	for (;;) {
		run_reset(s);
		double t0 = now_seconds();
		if ((rc = run_step(s, N, NULL)))
			break;
		double dt = now_seconds() - t0;
		if (dt >= 0.1 || N > 100000000L) {
			N = (long)ceil(N * min_time / (dt > 0 ? dt : 1e-9));
			break;
		}
		N *= 4;
	}
	double *sps = xmalloc((size_t)runs * sizeof *sps), *cps = xmalloc((size_t)runs * sizeof *cps);
	unsigned long allocs = 0;
	for (int r = 0; r < runs && !rc; r++) {
		run_reset(s);
		alloc_calls = free_calls = 0;
		count_on = 1;
		double c0 = cpu_seconds(), t0 = now_seconds();
		rc = run_step(s, N, NULL);
		double dt = now_seconds() - t0, dc = cpu_seconds() - c0;
		count_on = 0;
		allocs += alloc_calls;
		sps[r] = (double)N / dt;
		cps[r] = (double)N / (dc > 0 ? dc : dt);
	}
	if (rc) {
		printf("step preset=%s error=\"%s\"\n", name, run_error(s));
		free(sps); free(cps);
		experiment_free(x);
		return 1;
	}
	struct trace_view tv;
	run_trace(s, &tv);
	long stride = tv.stride;
	const struct qset *qs = run_quantities(s);
	double med = median(sps, runs), cmed = median(cps, runs);
	double gflops = med * flops * 1e-9;
	double limit = peak * 1e9 / flops;
	printf("step preset=%s D=%zu samples=%d laws=%d quantities=%d steps_per_run=%ld runs=%d "
	       "median_steps_per_s=%.1f min_steps_per_s=%.1f max_steps_per_s=%.1f cpu_steps_per_s=%.1f "
	       "flops_per_step=%.0f flops_model=%.0f law_flops=%.0f gflops=%.3f peak_gflops=%.2f "
	       "frac_peak=%.4f limit_steps_per_s=%.1f frac_limit=%.4f "
	       "allocs_per_step=%.3g allocs_total=%lu trace_stride=%ld\n",
	       name, run_nparams(s), samples, run_count(s, QR_LAW), qs->n, N, runs,
	       med, sps[0], sps[runs - 1], cmed, flops, flops_model, law_flops, gflops, peak,
	       gflops / peak, limit, med / limit,
	       (double)allocs / ((double)N * runs), allocs, stride);
	if (note)
		printf("note preset=%s %s\n", name, note);

	/* breakdown: gradient alone and quantity evaluation alone, per step */
	long M = N / 4 > 10 ? N / 4 : 10;
	double t0 = now_seconds();
	double *grad = xcalloc(run_nparams(s) + 1, sizeof *grad);
	for (long i = 0; i < M; i++)
		experiment_loss_grad(x, run_theta(s), grad);
	free(grad);
	double t_grad = (now_seconds() - t0) / (double)M;
	double sink = 0;
	t0 = now_seconds();
	for (long i = 0; i < M; i++)
		for (int k = 0; k < qs->n; k++) {
			const struct quantity *q = qs->q[k];
			for (int j = 0; j < q->ncomp; j++)
				sink += quantity_comp_value(q, j, run_theta(s));
		}
	double t_q = (now_seconds() - t0) / (double)M;
	double t_step = 1.0 / med;
	printf("breakdown preset=%s step_us=%.3f grad_us=%.3f quantities_us=%.3f other_us=%.3f (check %g)\n",
	       name, t_step * 1e6, t_grad * 1e6, t_q * 1e6, (t_step - t_grad - t_q) * 1e6,
	       sink != sink ? 0.0 : 1.0);
	fflush(stdout);
	free(sps); free(cps);
	experiment_free(x);
	return 0;
}

int main(int argc, char **argv)
{
	double peak = 0, min_time = 0.3;
	int runs = 7;
	const char *names[64];
	int nn = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--peak") && i + 1 < argc) {
			if (parse_double(argv[++i], &peak) || peak <= 0)
				goto usage;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			long r;
			if (parse_long(argv[++i], &r) || r < 1 || r > 101)
				goto usage;
			runs = (int)r;
		} else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) {
			if (parse_double(argv[++i], &min_time) || min_time <= 0 || min_time > 60)
				goto usage;
		} else if (argv[i][0] == '-') {
			goto usage;
		} else if (nn < 64) {
			names[nn++] = argv[i];
		}
	}
	linalg_set_threads(1);
	if (peak <= 0) {
		peak = quick_peak();
		printf("note dgemm peak measured here (n=512): %.2f GFLOP/s\n", peak);
	}
	if (!nn) {
		static const char *const defaults[] = { "relu2-gd", "mha-rope", "moe-topk", "mha", "swiglu" };
		char path[1024];
		for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++) {
			if (i && cmd_preset_path(defaults[i], path, sizeof path)) {
				printf("note preset %s not found in presets/: skipped\n", defaults[i]);
				continue;
			}
			names[nn++] = defaults[i];
		}
	}
	int failed = 0;
	for (int i = 0; i < nn; i++)
		failed += bench_preset(names[i], peak, runs, min_time);
	return failed ? 1 : 0;
usage:
	fprintf(stderr, "usage: bench_step [--peak GFLOPS] [--runs R] [--min-time S] [PRESET ...]\n");
	return 2;
}
