/* bench_step.c — training throughput of presets and of ReLU nets 10-W-1
 * through the core API only, every step recorded in the trace (stride 1).
 *
 * A configuration ("config") is a preset by name, `relu2-gd` (the preset if it
 * exists, else the full-batch 10-32-1 net of relu2 built here), or `w=N`: a
 * ReLU net 10-N-1 on teacher data, n = 64, full batch. Each is set up through
 * cmd_exec_line (sinks discard output), prepared once, then timed: one step is
 * what the explorer does while running — gradient (forward + backward), the
 * optimizer update, and the trace record (every quantity evaluated at the new
 * θ, and the predicted laws). A timed run of N steps starts from run_reset;
 * when N is more than the trace holds, the run is cut into chunks that each
 * start from a reset (untimed), so every step of every run records every
 * quantity (stride 1; the stride seen is printed, and is 1 unless something is
 * wrong).
 *
 * Rounds: every config (and every thread count of --threads) is calibrated
 * once, then timed once per round, configs in turn, so load on the machine
 * falls on all of them alike; the figures are medians over the rounds with the
 * min and max. Rates are by wall clock; cpu_steps_per_s (process CPU time) next
 * to them shows whether other load disturbed the run.
 *
 * FLOPs per step: the core's count (model_flops_per_sample: 2 flops per
 * parameter per input row forward, 2 for ∂θ, 2 for ∂x except the first block;
 * attention scores; top-k MoE charges only the routed experts) times the
 * samples of a step, plus the update and ‖g‖² (4 per parameter) and every
 * polynomial quantity of the trace (3 per quadratic term, 2 per linear one).
 * The limit is peak / FLOPs-per-step; frac_limit = steps/s ÷ limit.
 *
 * "No allocation inside a step" is checked by replacing malloc/calloc/realloc/
 * free in this program (glibc lets a program replace them; ours forward to the
 * __libc_ entry points) and counting calls made during timed run_step calls
 * (an upper bound: the end-of-call work of run_step is included).
 *
 * --export DIR writes, per config, DIR/NAME.cfg for bench/torch_ref.py: the
 * commands that built the model, the data, θ0, every polynomial quantity's
 * terms, and the loss after a few steps (so the PyTorch twin can show it runs
 * the same model). No timing is done then.
 *
 * Output, one key=value line per figure:
 *   run config=NAME threads=T round=R steps_per_s=... cpu_steps_per_s=...   (--raw: every run)
 *   step config=NAME threads=T ... median_steps_per_s=... min_..=... max_..=... frac_limit=...
 *   breakdown config=NAME step_us=... grad_us=... quantities_us=... other_us=...
 * Usage:
 *   bench_step [--peak GFLOPS] [--runs R] [--min-time S] [--threads T[,T...]]
 *              [--raw] [--no-breakdown] [--export DIR] [CONFIG ...]
 * Without CONFIGs: every preset that trains full batch on >= 64 samples of
 * data that is not augmented, then w=8,16,...,2048. --list prints that list and exits. */
#include "cmd/cmd.h"
#include "noether/experiment.h"
#include "noether/linalg.h"
#include "noether/model.h"
#include "noether/quantity.h"
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
static unsigned long alloc_calls;

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

/* Median, min and max of v[0..n) (v is sorted in place). */
static double median3(double *v, int n, double *lo, double *hi)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	*lo = v[0];
	*hi = v[n - 1];
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
	double g[7], lo, hi;
	mm(0, 0, n, n, n, 1.0, A, B, 0.0, C);
	for (int r = 0; r < reps; r++) {
		double t0 = now_seconds();
		mm(0, 0, n, n, n, 1.0, A, B, 0.0, C);
		g[r] = 2.0 * n * (double)n * n / (now_seconds() - t0) * 1e-9;
	}
	free(A); free(B); free(C);
	return median3(g, reps, &lo, &hi);
}

/* ---- configurations ----------------------------------------------------------- */

enum { MAX_CONFIGS = 64, MAX_THREADS = 4, MAX_RUNS = 101 };

/* The full-batch twin of relu2 (its model, data, init and step size), used
 * under the name relu2-gd when presets/ has no such preset. */
static const char relu2_gd_script[] =
	"data teacher n=64 in=10 out=1 hidden=8 seed=1; layer dense 32; layer relu; layer dense 1; "
	"loss mse; init normal std=0.2 seed=2; opt gd; schedule const 0.05";

struct config {
	char name[48];
	char label[48];           /* as printed: "relu2", "10-512-1" */
	int width;                /* w=N: N; else 0 */
	struct experiment *x;
	struct run *r;            /* run A */
	struct cmd_ctx c;
	int samples;
	double flops, law_flops;
	long N;                   /* steps per timed run */
	long chunk;               /* steps per run_step call (the trace holds them all) */
	double sps[MAX_THREADS][MAX_RUNS], cps[MAX_THREADS][MAX_RUNS];
	unsigned long allocs[MAX_THREADS];   /* per thread count of --threads */
	long steps_timed[MAX_THREADS];
	long max_stride;
	int failed;
};

static int config_fail(struct config *k, const char *what)
{
	printf("step config=%s error=\"%s: %s\"\n", k->name, what,
	       last_msg[0] ? last_msg : k->r && run_error(k->r)[0] ? run_error(k->r) : experiment_error(k->x));
	fflush(stdout);
	k->failed = 1;
	return 1;
}

/* Builds config k from its name; returns 0, or 1 with an error line printed. */
static int config_setup(struct config *k, const char *name)
{
	memset(k, 0, sizeof *k);
	str_copy(k->name, name, sizeof k->name);
	str_copy(k->label, name, sizeof k->label);
	k->x = experiment_new();
	k->c.x = k->x;
	k->c.out = sink_discard;
	k->c.msg = sink_keep;
	char script[512], path[1024];
	long w = 0;
	if (!strncmp(name, "w=", 2)) {
		if (parse_long(name + 2, &w) || w < 1 || w > NT_MAX_WIDTH) {
			snprintf(last_msg, sizeof last_msg, "width must be an integer in 1..%d", NT_MAX_WIDTH);
			return config_fail(k, "bad config");
		}
		k->width = (int)w;
		snprintf(k->label, sizeof k->label, "10-%ld-1", w);
		/* step size: below 2/λmax of the loss Hessian, which grows like W at
		 * this init (1/sqrt(fan-in)): 0.05 up to W = 32, then 1.6/W */
		double tau = w <= 32 ? 0.05 : 1.6 / (double)w;
		snprintf(script, sizeof script,
		         "data teacher n=64 in=10 out=1 hidden=8 seed=1; layer dense %ld; layer relu; layer dense 1; "
		         "loss mse; init normal seed=2; opt gd; schedule const %.17g", w, tau);
	} else if (!strcmp(name, "relu2-gd") && cmd_preset_path(name, path, sizeof path)) {
		str_copy(script, relu2_gd_script, sizeof script);
	} else {
		snprintf(script, sizeof script, "preset %s", name);
	}
	last_msg[0] = 0;
	if (cmd_exec_line(&k->c, script) < 0)
		return config_fail(k, "set-up");
	last_msg[0] = 0;
	if (experiment_step(k->x, 1, NULL))
		return config_fail(k, "prepare");
	k->r = experiment_run(k->x, 0);
	if (run_reset(k->r))
		return config_fail(k, "reset");
	const struct optimizer *o = &run_settings(k->r)->opt;
	const struct qset *qs = run_quantities(k->r);
	k->samples = experiment_data(k->x)->n;
	if (o->batch > 0 && o->batch < k->samples)
		k->samples = o->batch;
	double lf = 0;
	for (int i = 0; i < qs->n; i++) {
		const struct quantity *q = qs->q[i];
		if (q->fn)
			continue;
		for (int c = 0; c < q->ncomp; c++)
			for (int t = 0; t < q->comp[c].nterms; t++)
				lf += q->comp[c].terms[t].j < 0 ? 2.0 : 3.0;
	}
	k->law_flops = lf;
	k->flops = model_flops_per_sample(experiment_model(k->x)) * k->samples + 4.0 * (double)run_nparams(k->r) + lf;
	/* the trace holds about 2^21 doubles (run.c); a reset records row 0. The
	 * guess is checked: config_calibrate halves it while a run thins the trace */
	struct trace_view tv;
	run_trace(k->r, &tv);
	k->chunk = (long)((2u << 20) / (unsigned)tv.width) - 2;
	if (k->chunk < 16)
		k->chunk = 16;
	return 0;
}

/* Full batch on >= 64 samples, discrete steps: the configs the targets cover.
 * Not the symmetry demonstrations (augmented data, 3 to 6 parameters: a step
 * of a few hundred FLOPs is all fixed cost, its FLOP limit tens of millions of
 * steps a second). */
static int config_is_target(const struct config *k)
{
	if (k->failed)
		return 0;
	const struct dataset *d = experiment_data(k->x);
	const struct optimizer *o = &run_settings(k->r)->opt;
	return d->n >= 64 && !d->group[0] && (o->batch <= 0 || o->batch >= d->n)
	       && o->kind != OPT_FLOW && o->kind != OPT_FLOW_MOMENTUM;
}

/* One timed run of k->N steps in chunks, counted under thread setting ti;
 * returns 0 or 1 (error printed). */
static int config_run(struct config *k, int ti, double *sps, double *cps)
{
	struct run *r = k->r;
	double wall = 0, cpu = 0;
	for (long done = 0; done < k->N;) {
		long n = k->N - done < k->chunk ? k->N - done : k->chunk;
		run_reset(r);
		alloc_calls = 0;
		count_on = 1;
		double c0 = cpu_seconds(), t0 = now_seconds();
		int rc = run_step(r, n, NULL);
		double dt = now_seconds() - t0, dc = cpu_seconds() - c0;
		count_on = 0;
		if (rc)
			return config_fail(k, "step");
		k->allocs[ti] += alloc_calls;
		struct trace_view tv;
		run_trace(r, &tv);
		if (tv.stride > k->max_stride)
			k->max_stride = tv.stride;
		wall += dt;
		cpu += dc;
		done += n;
	}
	k->steps_timed[ti] += k->N;
	*sps = (double)k->N / wall;
	*cps = (double)k->N / (cpu > 0 ? cpu : wall);
	return 0;
}

/* Chooses N so that a run takes about min_time seconds, after checking that
 * a chunk of steps fits in the trace (halved until it does). */
static int config_calibrate(struct config *k, double min_time)
{
	double sps, cps;
	for (;;) {
		struct trace_view tv;
		run_reset(k->r);
		if (run_step(k->r, k->chunk, NULL))
			return config_fail(k, "step");
		run_trace(k->r, &tv);
		if (tv.stride == 1 || k->chunk <= 16)
			break;
		k->chunk /= 2;
	}
	k->N = 16;
	for (;;) {
		double t0 = now_seconds();
		if (config_run(k, 0, &sps, &cps))
			return 1;
		double dt = now_seconds() - t0;
		if (dt >= 0.05 || k->N > 100000000L)
			break;
		k->N *= 4;
	}
	k->N = (long)ceil(sps * min_time);
	if (k->N < 16)
		k->N = 16;
	memset(k->allocs, 0, sizeof k->allocs);
	memset(k->steps_timed, 0, sizeof k->steps_timed);
	return 0;
}

/* Per step: the gradient alone and the quantity plan alone (what the trace
 * record evaluates), measured apart over about a tenth of a run each. */
static void config_breakdown(struct config *k, double sps_median)
{
	struct run *r = k->r;
	long M = k->N / 10 > 10 ? k->N / 10 : 10;
	size_t D = run_nparams(r);
	double *grad = xcalloc(D + 1, sizeof *grad);
	run_reset(r);
	double t0 = now_seconds();
	for (long i = 0; i < M; i++)
		experiment_loss_grad(k->x, run_theta(r), grad);
	double t_grad = (now_seconds() - t0) / (double)M;
	free(grad);
	struct trace_view tv;
	run_trace(r, &tv);
	struct qplan *p = qplan_new(run_quantities(r), D);
	double *out = xcalloc((size_t)tv.width + 1, sizeof *out);
	t0 = now_seconds();
	for (long i = 0; i < M; i++)
		qplan_eval(p, run_theta(r), out);
	double t_q = (now_seconds() - t0) / (double)M;
	double sink = out[0];
	qplan_free(p);
	free(out);
	double t_step = 1.0 / sps_median;
	printf("breakdown config=%s step_us=%.3f grad_us=%.3f quantities_us=%.3f other_us=%.3f%s\n",
	       k->name, t_step * 1e6, t_grad * 1e6, t_q * 1e6, (t_step - t_grad - t_q) * 1e6,
	       sink != sink ? " (nan)" : "");
}

/* ---- export for the PyTorch twin ---------------------------------------------- */

static void put_vec(FILE *f, const char *tag, const double *v, size_t n)
{
	fprintf(f, "%s %zu\n", tag, n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%.17g%c", v[i], i % 8 == 7 || i + 1 == n ? '\n' : ' ');
}

/* DIR/NAME.cfg: see bench/torch_ref.py for the format. */
static int config_export(struct config *k, const char *dir, int check_steps)
{
	struct run *r = k->r;
	const struct model *m = experiment_model(k->x);
	const struct qset *qs = run_quantities(r);
	char path[1200];
	snprintf(path, sizeof path, "%s/%s.cfg", dir, k->name);
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(last_msg, sizeof last_msg, "cannot write %s", path);
		return config_fail(k, "export");
	}
	fprintf(f, "config %s\nlabel %s\ntarget %d\nflops %.17g\n", k->name, k->label, config_is_target(k), k->flops);
	for (int i = 0; i < experiment_history_len(k->x); i++) {
		const char *h = experiment_history(k->x, i);
		if (!strncmp(h, "layer ", 6) || !strncmp(h, "loss ", 5))
			fprintf(f, "cmd %s\n", h);
	}
	const struct dataset *d = experiment_data(k->x);
	enum loss_kind lk = experiment_loss(k->x);
	fprintf(f, "input %d %d %d\n", d->n, m->in.len, m->in.width);
	fprintf(f, "output %d %d\n", m->out.len, m->out.width);
	size_t R = (size_t)d->n * m->out.len;
	fprintf(f, "loss %s\n", loss_names[lk]);
	put_vec(f, "x", d->x, (size_t)d->n * d->len * d->d_in);
	if (lk == LOSS_XENT) {
		fprintf(f, "labels %zu\n", R);
		for (size_t i = 0; i < R; i++)
			fprintf(f, "%d%c", d->label[i], i % 16 == 15 || i + 1 == R ? '\n' : ' ');
	} else {
		double *t = NULL;
		char err[256];
		if (loss_targets(lk, d, m->out.width, &t, err, sizeof err)) {
			fclose(f);
			str_copy(last_msg, err, sizeof last_msg);
			return config_fail(k, "export");
		}
		put_vec(f, "y", t, R * (size_t)m->out.width);
		free(t);
	}
	run_reset(r);
	put_vec(f, "theta0", run_theta0(r), run_nparams(r));
	/* τ for each of the first check_steps steps, then for a long run the
	 * schedule (const or decay: τ0/(k+1)) */
	const struct schedule *sc = &run_settings(r)->sched;
	fprintf(f, "schedule %s %.17g\n", sched_names[sc->kind], sc->tau0);
	/* the polynomial quantities of θ (not expressions, not phase-space laws,
	 * which also read the momentum) */
	int nq = 0;
	for (int i = 0; i < qs->n; i++)
		nq += qs->q[i]->fn || qs->q[i]->phase ? 0 : qs->q[i]->ncomp;
	fprintf(f, "components %d\n", nq);
	for (int i = 0; i < qs->n; i++) {
		const struct quantity *q = qs->q[i];
		if (q->fn || q->phase)
			continue;
		for (int c = 0; c < q->ncomp; c++) {
			const struct qcomp *cp = &q->comp[c];
			fprintf(f, "comp %d\n", cp->nterms);
			for (int t = 0; t < cp->nterms; t++)
				fprintf(f, "%d %d %.17g\n", cp->terms[t].i, cp->terms[t].j, cp->terms[t].c);
		}
	}
	if (run_step(r, check_steps, NULL)) {
		fclose(f);
		return config_fail(k, "export steps");
	}
	double L = run_loss(r);
	fprintf(f, "check %d %.17g\n", check_steps, L);
	/* the quantity values at that point, in component order, for the twin */
	double *v = xcalloc((size_t)nq + 1, sizeof *v);
	int nv = 0;
	for (int i = 0; i < qs->n; i++) {
		const struct quantity *q = qs->q[i];
		if (!q->fn && !q->phase)
			for (int c = 0; c < q->ncomp; c++)
				v[nv++] = quantity_comp_value(q, c, run_theta(r));
	}
	put_vec(f, "check_values", v, (size_t)nv);
	free(v);
	fprintf(f, "end\n");
	run_reset(r);
	if (fclose(f)) {
		snprintf(last_msg, sizeof last_msg, "write error on %s", path);
		return config_fail(k, "export");
	}
	return 0;
}

/* ---- main ------------------------------------------------------------------------ */

static int default_configs(const char **names, char store[][48], int max)
{
	int n = 0;
	const char *const *presets = cmd_preset_names();
	int have_gd = 0, relu2_sgd = 0;
	for (int i = 0; presets[i] && n < max - 16; i++) {
		/* keep the presets that train full batch on >= 64 samples */
		struct experiment *x = experiment_new();
		struct cmd_ctx c;
		memset(&c, 0, sizeof c);
		c.x = x;
		c.out = c.msg = sink_discard;
		char line[300];
		snprintf(line, sizeof line, "preset %s", presets[i]);
		const struct dataset *d = cmd_exec_line(&c, line) >= 0 && !experiment_prepare(x) ? experiment_data(x) : NULL;
		const struct optimizer *o = &experiment_settings(x)->opt;
		int full = o->batch <= 0 || (d && o->batch >= d->n);
		int ok = d && d->n >= 64 && !d->group[0] && full && o->kind != OPT_FLOW && o->kind != OPT_FLOW_MOMENTUM;
		if (!strcmp(presets[i], "relu2") && !full)
			relu2_sgd = 1;
		if (!strcmp(presets[i], "relu2-gd"))
			have_gd = 1;
		experiment_free(x);
		if (ok) {
			str_copy(store[n], presets[i], 48);
			names[n] = store[n];
			n++;
		}
	}
	if (relu2_sgd && !have_gd) {
		str_copy(store[n], "relu2-gd", 48);
		names[n] = store[n];
		n++;
	}
	for (int w = 8; w <= 2048 && n < max; w *= 2) {
		snprintf(store[n], 48, "w=%d", w);
		names[n] = store[n];
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	double peak = 0, min_time = 0.25;
	int runs = 5, raw = 0, breakdown = 1, list = 0;
	int threads[MAX_THREADS] = { 1 }, nthreads = 1;
	const char *export_dir = NULL;
	const char *names[MAX_CONFIGS];
	static char store[MAX_CONFIGS][48];
	int nn = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (!strcmp(a, "--peak") && more) {
			if (parse_double(argv[++i], &peak) || peak <= 0)
				goto usage;
		} else if (!strcmp(a, "--runs") && more) {
			long r;
			if (parse_long(argv[++i], &r) || r < 1 || r > MAX_RUNS)
				goto usage;
			runs = (int)r;
		} else if (!strcmp(a, "--min-time") && more) {
			if (parse_double(argv[++i], &min_time) || min_time <= 0 || min_time > 60)
				goto usage;
		} else if (!strcmp(a, "--threads") && more) {
			char buf[64], *save = NULL;
			str_copy(buf, argv[++i], sizeof buf);
			nthreads = 0;
			for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				long v;
				if (nthreads == MAX_THREADS || parse_long(t, &v) || v < 1 || v > 256)
					goto usage;
				threads[nthreads++] = (int)v;
			}
			if (!nthreads)
				goto usage;
		} else if (!strcmp(a, "--export") && more) {
			export_dir = argv[++i];
		} else if (!strcmp(a, "--raw")) {
			raw = 1;
		} else if (!strcmp(a, "--no-breakdown")) {
			breakdown = 0;
		} else if (!strcmp(a, "--list")) {
			list = 1;
		} else if (a[0] == '-') {
			goto usage;
		} else if (nn < MAX_CONFIGS) {
			names[nn++] = a;
		}
	}
	if (!nn)
		nn = default_configs(names, store, MAX_CONFIGS);
	if (list) {
		for (int i = 0; i < nn; i++)
			printf("%s\n", names[i]);
		return 0;
	}
	linalg_set_threads(1);
	if (!export_dir && peak <= 0) {
		peak = quick_peak();
		printf("note dgemm peak measured here (n=512): %.2f GFLOP/s\n", peak);
	}
	struct config *cf = xcalloc((size_t)nn, sizeof *cf);
	int failed = 0;
	for (int i = 0; i < nn; i++)
		failed += config_setup(&cf[i], names[i]);
	if (export_dir) {
		for (int i = 0; i < nn; i++)
			if (!cf[i].failed)
				failed += config_export(&cf[i], export_dir, 10);
		goto done;
	}
	for (int i = 0; i < nn; i++)
		if (!cf[i].failed) {
			linalg_set_threads(threads[0]);
			failed += config_calibrate(&cf[i], min_time);
		}
	for (int r = 0; r < runs; r++)
		for (int i = 0; i < nn; i++)
			for (int t = 0; t < nthreads && !cf[i].failed; t++) {
				struct config *k = &cf[i];
				linalg_set_threads(threads[t]);
				if (config_run(k, t, &k->sps[t][r], &k->cps[t][r])) {
					failed++;
					break;
				}
				if (raw)
					printf("run config=%s threads=%d round=%d steps=%ld steps_per_s=%.1f cpu_steps_per_s=%.1f\n",
					       k->name, threads[t], r + 1, k->N, k->sps[t][r], k->cps[t][r]);
				fflush(stdout);
			}
	linalg_set_threads(1);
	for (int i = 0; i < nn; i++) {
		struct config *k = &cf[i];
		if (k->failed)
			continue;
		struct run *r = k->r;
		struct trace_view tv;
		run_trace(r, &tv);
		double med1 = 0;
		for (int t = 0; t < nthreads; t++) {
			double lo, hi, clo, chi;
			double med = median3(k->sps[t], runs, &lo, &hi), cmed = median3(k->cps[t], runs, &clo, &chi);
			if (t == 0)
				med1 = med;
			double limit = peak * 1e9 / k->flops;
			printf("step config=%s label=%s threads=%d target=%d D=%zu samples=%d quantities=%d components=%d "
			       "steps_per_run=%ld runs=%d median_steps_per_s=%.1f min_steps_per_s=%.1f max_steps_per_s=%.1f "
			       "cpu_steps_per_s=%.1f flops_per_step=%.0f law_flops=%.0f gflops=%.3f peak_gflops=%.2f "
			       "limit_steps_per_s=%.1f frac_limit=%.4f allocs_per_step=%.3g trace_stride=%ld\n",
			       k->name, k->label, threads[t], config_is_target(k), run_nparams(r), k->samples,
			       run_quantities(r)->n, tv.nvals, k->N, runs, med, lo, hi, cmed, k->flops, k->law_flops,
			       med * k->flops * 1e-9, peak, limit, med / limit,
			       k->steps_timed[t] ? (double)k->allocs[t] / (double)k->steps_timed[t] : 0.0, k->max_stride);
		}
		if (breakdown)
			config_breakdown(k, med1);
		fflush(stdout);
	}
done:
	for (int i = 0; i < nn; i++)
		experiment_free(cf[i].x);
	free(cf);
	return failed ? 1 : 0;
usage:
	fprintf(stderr, "usage: bench_step [--peak GFLOPS] [--runs R] [--min-time S] [--threads T[,T...]] [--raw]\n"
	                "                  [--no-breakdown] [--export DIR] [--list] [PRESET | relu2-gd | w=N ...]\n");
	return 2;
}
