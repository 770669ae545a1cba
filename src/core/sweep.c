/* sweep.c — step-size sweeps on detached runs of the experiment (see sweep.h).
 *
 * A run shares the model (its workspace is only used by one run at a time),
 * the data set and the targets of the experiment, and owns everything it
 * writes: θ, θ0, gradient, optimizer state, quantities, trace and counters.
 * The experiment's own runs are untouched apart from its being prepared.
 * Every run starts from the same θ0 for a given seed (init seed + seed index),
 * so runs at different τ differ only in τ. */
#include "noether/sweep.h"
#include "noether/afile.h"
#include "noether/opts.h"
#include "noether/util.h"
#include <stddef.h>
#include "exp_impl.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef NT_VERSION
#define NT_VERSION "0.0"
#endif

/* at=k1,k2,...: up to SWEEP_MAX_AT step counts */
static int parse_at(const char *v, void *cfg, char *err, size_t len)
{
	struct sweep_spec *sp = cfg;
	char buf[256];
	str_copy(buf, v, sizeof buf);
	sp->nat = 0;
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		if (sp->nat >= SWEEP_MAX_AT || parse_long(tok, &sp->at[sp->nat]))
			return nt_err(err, len, NT_EINVAL, "at= must be up to %d comma-separated step counts, not '%s'", SWEEP_MAX_AT, v);
		sp->nat++;
	}
	return sp->nat ? 0 : nt_err(err, len, NT_EINVAL, "at= needs at least one step count");
}

static void print_at(const void *cfg, char *buf, size_t len)
{
	const struct sweep_spec *sp = cfg;
	size_t o = 0;
	buf[0] = '\0';
	for (int i = 0; i < sp->nat && o + 1 < len; i++) {
		int n = snprintf(buf + o, len - o, "%s%ld", i ? "," : "", sp->at[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static const char *const sweep_scheds[] = { "const", "decay", NULL };
static const struct opt_spec sweep_opts[] = {
	{ .key = "steps", .type = OPT_LONG, .off = offsetof(struct sweep_spec, steps), .lo = 1, .hi = 100000000L,
	  .help = "run length (default: the last horizon)" },
	{ .key = "seeds", .type = OPT_INT, .off = offsetof(struct sweep_spec, seeds), .lo = 1, .hi = SWEEP_MAX_SEEDS,
	  .def = 1, .help = "initialisation seeds per step size" },
	{ .key = "at", .type = OPT_CUSTOM, .parse = parse_at, .print = print_at, .help = "horizons k1,k2,..." },
	{ .key = "schedule", .type = OPT_ENUM, .off = offsetof(struct sweep_spec, sched), .names = sweep_scheds,
	  .help = "const τ, or decay τ/(k+1)" },
	{ 0 }
};

int sweep_parse(int argc, char **argv, struct sweep_spec *sp, char *err, size_t len)
{
	memset(sp, 0, sizeof *sp);
	opts_defaults(sweep_opts, sp);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		if (eq) {           /* key=value through the one option parser */
			char key[32];
			if ((size_t)(eq - a) >= sizeof key)
				return nt_err(err, len, NT_EINVAL, "sweep: unknown option '%s' (steps= seeds= at= schedule= csv=)", a);
			snprintf(key, sizeof key, "%.*s", (int)(eq - a), a);
			int rc = opts_set(sweep_opts, "sweep", key, eq + 1, sp, err, len);
			if (rc == NT_ENOENT)
				return nt_err(err, len, NT_EINVAL, "sweep: unknown option '%s' (steps= seeds= at= schedule= csv=)", a);
			if (rc)
				return rc;
			continue;
		}
		double v;           /* the step sizes, as many as given */
		if (parse_double(a, &v) || !(v > 0) || v > 1e3)
			return nt_err(err, len, NT_EINVAL, "sweep: step size '%s' must be a number in (0, 1000]", a);
		if (sp->ntau >= SWEEP_MAX_TAU)
			return nt_err(err, len, NT_ERANGE, "sweep: at most %d step sizes", SWEEP_MAX_TAU);
		sp->tau[sp->ntau++] = v;
	}
	if (sp->ntau < 1)
		return nt_err(err, len, NT_EINVAL, "sweep: give at least one step size (e.g. sweep tau 1e-3 2e-3 5e-3 steps=1000)");
	if (sp->steps < 1) {
		long mx = 0;
		for (int i = 0; i < sp->nat; i++)
			mx = sp->at[i] > mx ? sp->at[i] : mx;
		if (mx < 1)
			return nt_err(err, len, NT_EINVAL, "sweep: steps=K is required");
		sp->steps = mx;
	}
	if (!sp->nat) {
		sp->at[0] = sp->steps / 10 > 0 ? sp->steps / 10 : 1;
		sp->at[1] = sp->steps;
		sp->nat = sp->at[0] < sp->steps ? 2 : 1;
		if (sp->nat == 1)
			sp->at[0] = sp->steps;
	}
	for (int i = 0; i < sp->nat; i++) {
		if (sp->at[i] < 1 || sp->at[i] > sp->steps || (i && sp->at[i] <= sp->at[i - 1]))
			return nt_err(err, len, NT_EINVAL, "sweep: at= horizons must be ascending, in 1..steps (%ld)", sp->steps);
	}
	if (sp->at[sp->nat - 1] != sp->steps) {
		if (sp->nat >= SWEEP_MAX_AT)
			return nt_err(err, len, NT_ERANGE, "sweep: at most %d horizons", SWEEP_MAX_AT);
		sp->at[sp->nat++] = sp->steps;
	}
	return 0;
}

int sweep_fit_loglog(const double *x, const double *y, int n, double *slope)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0;
	int m = 0;
	for (int i = 0; i < n; i++) {
		if (!(x[i] > 0) || !(y[i] > 0) || !isfinite(x[i]) || !isfinite(y[i]))
			continue;
		double a = log(x[i]), b = log(y[i]);
		sx += a; sy += b; sxx += a * a; sxy += a * b;
		m++;
	}
	if (m < 2)
		return -1;
	double den = m * sxx - sx * sx;
	if (!(fabs(den) > 0))
		return -1;
	*slope = (m * sxy - sx * sy) / den;
	return 0;
}

int sweep_stat(const struct sweep_result *r, int which, int tau, int at, double *mean, double *sd)
{
	const double *v = which ? r->maxd : r->eps;
	double s1 = 0, s2 = 0;
	int m = 0;
	for (int k = 0; k < r->nseeds; k++) {
		int run = tau * r->nseeds + k;
		if (r->diverged[run])
			continue;
		double x = v[(size_t)run * r->nat + at];
		s1 += x; s2 += x * x;
		m++;
	}
	*mean = m ? s1 / m : NAN;
	*sd = m > 1 ? sqrt(fmax(0.0, (s2 - s1 * s1 / m) / (m - 1))) : 0.0;
	return m;
}

/* records drift of every law of run t at horizon index a of run number `run` */
static void sweep_record(struct run *t, struct sweep_result *r, int run, int a)
{
	run_update(t);
	double sum = 0, mx = 0;
	int n = 0;
	size_t cell = (size_t)run * r->nat + a;
	const struct qset *qs = run_quantities(t);
	for (int i = 0; i < qs->n; i++) {
		const struct quantity *q = qs->q[i];
		if (q->role != QR_LAW || q->internal)
			continue;
		double d = q->drift_rel;
		if (n < r->nlaws)
			r->law[cell * r->nlaws + n] = d;
		sum += d;
		mx = d > mx ? d : mx;
		n++;
	}
	r->eps[cell] = n ? sum / n : NAN;
	r->maxd[cell] = n ? mx : NAN;
}

/* run_step in pieces of at most `piece` steps (0: one piece), reporting the
 * fraction of all the sweep's steps done. Same steps, same θ. */
static int step_reporting(struct run *t, long n, long piece, volatile sig_atomic_t *interrupt,
                          const struct nt_progress *progress, long *done_all, double total, const char *stage)
{
	while (n > 0) {
		long k = piece > 0 && piece < n ? piece : n;
		int rc = run_step(t, k, interrupt);
		if (rc)
			return rc;
		n -= k;
		*done_all += k;
		nt_progress_report(progress, (double)*done_all / total, stage);
	}
	return 0;
}

int sweep_run(struct experiment *s, const struct sweep_spec *sp, struct sweep_result *r,
              volatile sig_atomic_t *interrupt, const struct nt_progress *progress)
{
	memset(r, 0, sizeof *r);
	int rc = experiment_prepare(s);
	if (rc)
		return rc;
	int nl = run_count(s->runs[0], QR_LAW);
	if (!nl)
		return nt_err(s->err, sizeof s->err, NT_ESTATE, "sweep: this model has no conservation laws to measure");
	if ((double)sp->steps * sp->ntau * sp->seeds > 1e9)
		return nt_err(s->err, sizeof s->err, NT_ERANGE, "sweep: steps × step sizes × seeds exceeds 1e9 steps");
	r->ntau = sp->ntau;
	r->nseeds = sp->seeds;
	r->nat = sp->nat;
	r->nlaws = nl;
	size_t runs = (size_t)sp->ntau * sp->seeds, cells = runs * sp->nat;
	r->law_names = xcalloc((size_t)nl, sizeof *r->law_names);
	r->eps = xcalloc(cells, sizeof(double));
	r->maxd = xcalloc(cells, sizeof(double));
	r->law = xcalloc(cells * nl, sizeof(double));
	r->diverged = xcalloc(runs, sizeof(int));
	const struct qset *cat = &s->q;
	for (int i = 0, n = 0; i < cat->n; i++)
		if (cat->q[i]->role == QR_LAW && !cat->q[i]->internal)
			str_copy(r->law_names[n++], cat->q[i]->name, sizeof r->law_names[0]);

	struct run *t = run_new(s);
	rc = 0;
	long done_all = 0, piece = progress ? (sp->steps + 19) / 20 : 0;
	double total = (double)sp->steps * sp->ntau * sp->seeds;
	nt_progress_report(progress, 0, "sweep");
	for (int k = 0; k < sp->seeds && !rc; k++) {
		for (int j = 0; j < sp->ntau && !rc; j++) {
			int run = j * sp->seeds + k;
			t->set.sched.kind = sp->sched;
			t->set.sched.tau0 = sp->tau[j];
			t->own |= RUN_OWN_SCHED;
			run_set_init_seed(t, s->init.seed + (unsigned long)k);
			long done = 0;
			char stage[64];
			snprintf(stage, sizeof stage, "τ=%g seed %d", sp->tau[j], k);
			for (int a = 0; a < sp->nat; a++) {
				int src = step_reporting(t, sp->at[a] - done, piece, interrupt, progress, &done_all, total, stage);
				if (src == NT_EINTR) {
					rc = nt_err(s->err, sizeof s->err, NT_EINTR, "sweep interrupted (τ=%g, seed %d)", sp->tau[j], k);
					break;
				}
				if (src == NT_EDIVERGED || src == NT_ERANGE) {
					r->diverged[run] = 1;
					for (int b = a; b < sp->nat; b++) {
						size_t cell = (size_t)run * sp->nat + b;
						r->eps[cell] = r->maxd[cell] = NAN;
					}
					break;
				}
				if (src) {
					rc = nt_err(s->err, sizeof s->err, src, "sweep: %s", t->err);
					break;
				}
				done = sp->at[a];
				sweep_record(t, r, run, a);
			}
		}
	}
	run_free(t);
	if (rc) {
		sweep_result_free(r);
		return rc;
	}
	double x[SWEEP_MAX_TAU], ye[SWEEP_MAX_TAU], ym[SWEEP_MAX_TAU], sd;
	for (int a = 0; a < sp->nat; a++) {
		for (int j = 0; j < sp->ntau; j++) {
			x[j] = sp->tau[j];
			sweep_stat(r, 0, j, a, &ye[j], &sd);
			sweep_stat(r, 1, j, a, &ym[j], &sd);
		}
		if (sweep_fit_loglog(x, ye, sp->ntau, &r->slope_eps[a]))
			r->slope_eps[a] = NAN;
		if (sweep_fit_loglog(x, ym, sp->ntau, &r->slope_max[a]))
			r->slope_max[a] = NAN;
	}
	return 0;
}

int sweep_view_fill(const struct sweep_result *r, const struct sweep_spec *sp, struct sweep_view *v)
{
	memset(v, 0, sizeof *v);
	v->nat = r->nat < SWEEP_MAX_AT ? r->nat : SWEEP_MAX_AT;
	v->ntau = r->ntau;
	double xlo = INFINITY, xhi = -INFINITY, lo = INFINITY, hi = -INFINITY;
	for (int j = 0; j < v->ntau; j++) {
		v->logtau[j] = log10(sp->tau[j]);
		xlo = fmin(xlo, v->logtau[j]);
		xhi = fmax(xhi, v->logtau[j]);
	}
	for (int a = 0; a < v->nat; a++)
		for (int j = 0; j < v->ntau; j++) {
			double *m = &v->mean[a][j], *sd = &v->sd[a][j];
			if (!sweep_stat(r, 0, j, a, m, sd) || !(*m > 0) || !isfinite(*m))
				*m = NAN;
			if (!isfinite(*sd))
				*sd = 0;
			if (isnan(*m))
				continue;
			lo = fmin(lo, log10(*m - *sd > 0 ? *m - *sd : *m));
			hi = fmax(hi, log10(*m + *sd));
		}
	if (!(lo <= hi))
		return -1;
	if (xhi - xlo < 1e-9) {
		xlo -= 0.5;
		xhi += 0.5;
	}
	v->pad = 0.04 * (xhi - xlo);
	v->xlo = xlo - v->pad;
	v->xhi = xhi + v->pad;
	double cx = 0, cy = 0;
	int nc = 0;
	for (int j = 0; j < v->ntau; j++)
		if (!isnan(v->mean[0][j])) {
			cx += v->logtau[j];
			cy += log10(v->mean[0][j]);
			nc++;
		}
	if (nc > 0) {
		cx /= nc;
		cy /= nc;
		v->ref = 1;
		v->ref_x0 = xlo;
		v->ref_x1 = xhi;
		v->ref_y0 = cy + 2 * (xlo - cx);
		v->ref_y1 = cy + 2 * (xhi - cx);
		lo = fmin(lo, fmin(v->ref_y0, v->ref_y1));
		hi = fmax(hi, fmax(v->ref_y0, v->ref_y1));
	}
	v->ylo = lo;
	v->yhi = hi;
	return 0;
}

void sweep_result_free(struct sweep_result *r)
{
	free(r->law_names);
	free(r->eps);
	free(r->maxd);
	free(r->law);
	free(r->diverged);
	memset(r, 0, sizeof *r);
}

int sweep_export_csv(struct experiment *s, const struct sweep_spec *sp, const struct sweep_result *r, const char *path)
{
	struct afile af;
	int rc = afile_open(&af, path, "w", "sweep", s->err, sizeof s->err);
	if (rc)
		return rc;
	FILE *f = af.f;
	experiment_write_csv_metadata(s, f);
	fprintf(f, "# sweep: schedule=%s steps=%ld seeds=%d (init seeds %lu..%lu) optimizer=%s\n",
	        sched_names[sp->sched], sp->steps, sp->seeds, s->init.seed, s->init.seed + (unsigned long)sp->seeds - 1,
	        opt_names[s->set.opt.kind]);
	for (int a = 0; a < r->nat; a++)
		fprintf(f, "# slope k=%ld eps=%.17g max=%.17g\n", sp->at[a], r->slope_eps[a], r->slope_max[a]);
	fprintf(f, "tau,seed,k,eps,max");
	for (int i = 0; i < r->nlaws; i++)
		fprintf(f, ",law:%s", r->law_names[i]);
	fputc('\n', f);
	for (int j = 0; j < r->ntau; j++)
		for (int k = 0; k < r->nseeds; k++)
			for (int a = 0; a < r->nat; a++) {
				size_t cell = ((size_t)j * r->nseeds + k) * r->nat + a;
				fprintf(f, "%.17g,%lu,%ld,%.17g,%.17g", sp->tau[j], s->init.seed + (unsigned long)k, sp->at[a],
				        r->eps[cell], r->maxd[cell]);
				for (int i = 0; i < r->nlaws; i++)
					fprintf(f, ",%.17g", r->diverged[j * r->nseeds + k] ? NAN : r->law[cell * r->nlaws + i]);
				fputc('\n', f);
			}
	return afile_commit(&af, "sweep", s->err, sizeof s->err);
}
