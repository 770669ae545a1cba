/* test_lie_units.c — `laws count` decides on ReLU networks, and its subset
 * counts reproduce the residual-block theorems.
 *
 * Expected counts come from theory: one rescaling law per hidden unit
 * (||in||² + b² − ||out||², built here from the formula), the softmax head's
 * linear laws under cross-entropy, plus the local laws of the units the
 * program names as never switching (dead units, connections between units
 * never on together, units that never change side). Each named local law is
 * checked here on this file's own scan of 20000 inputs (its own seeds, radii
 * e^-1.5..e^4.5 times the data's scale, the range the census documents): its
 * gradient at θ must be orthogonal to the per-sample gradient of every
 * scanned input, or the claim is refuted. The expected count is the rank of
 * all those gradients at θ; the count must be complete and equal to it.
 *
 * Residual theorems (Marcotte, Gribonval, Peyré, arXiv 2506.06194): the laws
 * depending only on one residual block's parameters are those of the block
 * alone (here: one per hidden neuron of its inner ReLU layer), and a set of
 * parameters spread over two blocks has no law of its own. */
#include "test.h"
#include "cmd/cmd.h"
#include "noether/experiment.h"
#include "noether/lie.h"
#include "noether/linalg.h"
#include "noether/rng.h"
#include "noether/run.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char outbuf[1 << 20];
static size_t outlen;

static void sink(void *user, const char *text)
{
	(void)user;
	size_t n = strlen(text);
	if (outlen + n + 1 < sizeof outbuf) {
		memcpy(outbuf + outlen, text, n + 1);
		outlen += n;
	}
}

struct res { int lower, upper, dead, never; char status[16]; int rc; };

static struct res run_cmd(struct cmd_ctx *c, const char *cmd)
{
	struct res r = { -1, -1, -1, -1, "", 0 };
	outlen = 0;
	outbuf[0] = 0;
	r.rc = cmd_exec_line(c, cmd);
	const char *p = strstr(outbuf, "laws: lower=");
	if (p)
		sscanf(p, "laws: lower=%d upper=%d status=%15s", &r.lower, &r.upper, r.status);
	p = strstr(outbuf, "  units: ");
	if (p) {
		const char *q = strstr(p, "inputs: ");
		if (q)
			sscanf(q, "inputs: %d dead, %d never switch", &r.dead, &r.never);
	} else {
		r.dead = r.never = 0;
	}
	return r;
}

static int is_kinked(const struct block *b)
{
	return !strcmp(b->kind->name, "relu") || !strcmp(b->kind->name, "leaky-relu");
}

/* Gradient rows of the expected laws at θ, built from the formulas. */
struct rows { int n, cap; size_t D; double *g; };

static double *row_new(struct rows *R)
{
	if (R->n == R->cap) {
		R->cap = R->cap ? 2 * R->cap : 64;
		R->g = realloc(R->g, (size_t)R->cap * R->D * sizeof *R->g);
	}
	double *g = R->g + (size_t)R->n++ * R->D;
	memset(g, 0, R->D * sizeof *g);
	return g;
}

static int rows_rank(struct rows *R)
{
	if (!R->n)
		return 0;
	int mn = R->n < (int)R->D ? R->n : (int)R->D;
	double *s = malloc((size_t)mn * sizeof *s);
	for (int i = 0; i < R->n; i++) {
		double *g = R->g + (size_t)i * R->D, n = 0;
		for (size_t t = 0; t < R->D; t++)
			n += g[t] * g[t];
		n = sqrt(n);
		for (size_t t = 0; n > 0 && t < R->D; t++)
			g[t] /= n;
	}
	svd_values(R->n, (int)R->D, R->g, s);
	int rank = 0;
	while (rank < mn && s[rank] > 1e-9 * s[0])
		rank++;
	free(s);
	return rank;
}

struct expect { int count, units, named, refuted, extra_const; };

/* The expected count for a chain of dense / relu / leaky-relu / head blocks
 * at run A's θ (see the file comment). */
static struct expect expected(struct experiment *s)
{
	struct expect e = { 0, 0, 0, 0, 0 };
	struct model *m = experiment_model(s);
	const struct dataset *data = experiment_data(s);
	enum loss_kind loss = experiment_loss(s);
	size_t D = experiment_nparams(s), in = (size_t)m->in.width, ow = (size_t)m->out.width;
	const double *th = run_theta(experiment_run(s, 0));
	int B = m->max_batch;
	double xs = 0;
	for (size_t i = 0; i < (size_t)data->n * in; i++)
		xs += data->x[i] * data->x[i];
	xs = sqrt(xs / ((double)data->n * in));
	/* the units the program names, as `laws count` finds them */
	struct lie_gen *gen = lie_gen_outputs(m, 1, xs, loss == LOSS_XENT);
	lie_gen_cover(gen, th, 0);
	struct lie_local loc;
	lie_local_laws(gen, th, &loc);
	int nrow_loc = 0;
	for (int i = 0; i < loc.nlaws; i++)
		nrow_loc += loc.laws[i]->ncomp;
	double *hg = calloc((size_t)nrow_loc * D + 1, sizeof *hg);
	int k = 0;
	for (int i = 0; i < loc.nlaws; i++)
		for (int cpt = 0; cpt < loc.laws[i]->ncomp; cpt++, k++)
			quantity_comp_grad(loc.laws[i], cpt, th, 1.0, hg + (size_t)k * D);
	e.named = loc.nlaws;
	/* scan: per-sample gradients; each must be orthogonal to every named law */
	double *acc = calloc(D, sizeof *acc), *g = malloc(D * sizeof *g);
	double *x = malloc(in * sizeof *x), *c = malloc(ow * sizeof *c);
	unsigned char *bad = calloc((size_t)nrow_loc + 1, 1);
	struct rng r;
	rng_seed(&r, 20250101);
	for (int n = 0; n < 20000; n++) {
		double rad = xs * exp(-1.5 + 6.0 * rng_uniform(&r));
		for (size_t j = 0; j < in; j++)
			x[j] = rad * rng_normal(&r);
		double mean = 0;
		for (size_t j = 0; j < ow; j++)
			mean += (c[j] = rng_normal(&r)) / (double)ow;
		if (loss == LOSS_XENT)
			for (size_t j = 0; j < ow; j++)
				c[j] -= mean;
		model_forward(m, th, x, 1);
		memset(g, 0, D * sizeof *g);
		model_backward(m, th, c, g, NULL);
		double gn = 0;
		for (size_t t = 0; t < D; t++) {
			acc[t] += fabs(g[t]);
			gn += g[t] * g[t];
		}
		for (int q = 0; q < nrow_loc; q++) {
			const double *h = hg + (size_t)q * D;
			double d = 0, hn = 0;
			for (size_t t = 0; t < D; t++) {
				d += h[t] * g[t];
				hn += h[t] * h[t];
			}
			if (fabs(d) > 1e-10 * sqrt(hn * gn))
				bad[q] = 1;
		}
	}
	for (int q = 0; q < nrow_loc; q++)
		e.refuted += bad[q];
	(void)B;
	struct rows R = { 0, 0, D, NULL };
	for (int b = 1; b + 1 < m->nblocks; b++) {
		if (!is_kinked(&m->blocks[b]))
			continue;
		const struct block *A = &m->blocks[b - 1], *C = &m->blocks[b + 1];
		const struct tensor_view *W1 = &A->tensors[0], *b1 = A->ntensors > 1 ? &A->tensors[1] : NULL;
		const struct tensor_view *W2 = &C->tensors[0];
		int w = m->blocks[b].in.width, fi = W1->dim[1], fo = W2->dim[0];
		e.units += w;
		for (int j = 0; j < w; j++) {   /* rescaling law of unit j */
			double *row = row_new(&R);
			for (int t = 0; t < fi; t++)
				row[W1->off + (size_t)j * fi + t] = 2 * th[W1->off + (size_t)j * fi + t];
			if (b1)
				row[b1->off + j] = 2 * th[b1->off + j];
			for (int o = 0; o < fo; o++)
				row[W2->off + (size_t)o * w + j] = -2 * th[W2->off + (size_t)o * w + j];
		}
	}
	/* softmax head under cross-entropy: column sums and the bias sum */
	const struct block *last = &m->blocks[m->nblocks - 1];
	if (loss == LOSS_XENT && !strcmp(last->kind->name, "head")) {
		const struct tensor_view *T = &last->tensors[0], *cb = &last->tensors[1];
		for (int j = 0; j < T->dim[1]; j++) {
			double *row = row_new(&R);
			for (int i = 0; i < T->dim[0]; i++)
				row[T->off + (size_t)i * T->dim[1] + j] = 1;
		}
		double *row = row_new(&R);
		for (int i = 0; i < cb->dim[0]; i++)
			row[cb->off + i] = 1;
	}
	for (int q = 0; q < nrow_loc; q++)
		memcpy(row_new(&R), hg + (size_t)q * D, D * sizeof *hg);
	e.count = rows_rank(&R);
	/* constant parameters the scan sees that no named law explains (info) */
	for (size_t t = 0; t < D; t++)
		if (acc[t] == 0) {
			int named = 0;
			for (int q = 0; q < nrow_loc && !named; q++)
				named = hg[(size_t)q * D + t] != 0;
			e.extra_const += !named;
		}
	free(R.g);
	free(hg);
	free(bad);
	free(acc);
	free(g);
	free(x);
	free(c);
	lie_local_free(&loc);
	lie_gen_free(gen);
	return e;
}

/* Counts the experiment's model and compares with the expectation. Returns 1 if
 * the model had units that never switch (dead or linear). */
static int check_count(struct cmd_ctx *c, const char *what)
{
	struct expect e = expected(c->x);
	struct res r = run_cmd(c, "laws count find=off");
	char msg[512];
	snprintf(msg, sizeof msg, "%s: laws count complete at %d (%d units + %d named local laws)", what, e.count, e.units, e.named);
	int ok = r.rc == 0 && !strcmp(r.status, "complete") && r.upper == e.count && r.lower == e.count;
	if (!ok)
		printf("  got rc=%d lower=%d upper=%d status=%s\n%s\n", r.rc, r.lower, r.upper, r.status, outbuf);
	CHECK(ok, msg);
	snprintf(msg, sizeof msg, "%s: no named local law is refuted by an input of this test's scan", what);
	CHECK(e.refuted == 0, msg);
	if (e.extra_const)
		printf("  %s: %d parameters had zero gradient on this test's scan but are active on the program's\n", what,
		       e.extra_const);
	return e.named > 0;
}

static void ctx_init(struct cmd_ctx *c, struct experiment *s)
{
	memset(c, 0, sizeof *c);
	c->x = s;
	c->out = sink;
	c->msg = sink;
}

/* 20 random small ReLU / leaky-ReLU nets: none uncertain, each at its
 * expected count. */
static void test_random_shapes(void)
{
	struct rng r;
	rng_seed(&r, 777);
	int special = 0;
	for (int k = 0; k < 20; k++) {
		char setup[512];
		int in = 2 + (int)rng_below(&r, 4), out = 1 + (int)rng_below(&r, 3), depth = 1 + (int)rng_below(&r, 3);
		int p = snprintf(setup, sizeof setup, "data teacher n=64 in=%d out=%d seed=%d", in, out, k + 1);
		for (int l = 0; l < depth; l++) {
			int w = 2 + (int)rng_below(&r, 7);
			int leaky = rng_below(&r, 4) == 0;
			p += snprintf(setup + p, sizeof setup - (size_t)p, "; layer dense %d%s; layer %s", w,
			              rng_below(&r, 5) == 0 ? " bias=off" : "", leaky ? "leaky-relu slope=0.2" : "relu");
		}
		snprintf(setup + p, sizeof setup - (size_t)p, "; layer dense %d; init normal seed=%d", out, 100 + k);
		struct experiment *s = experiment_new();
		struct cmd_ctx c;
		ctx_init(&c, s);
		int rc = cmd_exec_line(&c, setup);
		if (!rc)
			rc = experiment_prepare(s);
		CHECK(rc == 0, setup);
		if (!rc)
			special += check_count(&c, setup);
		experiment_free(s);
	}
	printf("  %d of 20 random nets had named units that never switch\n", special);
	CHECK(special >= 2, "the random nets include cases with dead or never-switching units (the test is not vacuous)");
}

static void test_presets(void)
{
	const char *names[] = { "relu-deep", "classifier" };
	for (int i = 0; i < 2; i++) {
		struct experiment *s = experiment_new();
		struct cmd_ctx c;
		ctx_init(&c, s);
		char cmd[64];
		snprintf(cmd, sizeof cmd, "preset %s", names[i]);
		int rc = cmd_exec_line(&c, cmd);
		if (!rc)
			rc = experiment_prepare(s);
		CHECK(rc == 0, cmd);
		if (!rc)
			check_count(&c, cmd);
		experiment_free(s);
	}
}

/* The residual-block theorems through laws count params=. */
static void test_residual(void)
{
	const char *net = "data teacher n=64 in=6 out=1 seed=3; layer dense 6; layer residual { dense 5 , relu , dense 6 }; "
	                  "layer residual { dense 4 , relu , dense 6 }; layer dense 1; init normal seed=4";
	struct experiment *s = experiment_new();
	struct cmd_ctx c;
	ctx_init(&c, s);
	CHECK(cmd_exec_line(&c, net) == 0, "residual net");
	struct res r = run_cmd(&c, "laws count params=layer2.*");
	CHECK(r.rc == 0 && r.upper == 5 && r.lower == 5 && !strcmp(r.status, "complete"),
	      "block 2 alone: 5 laws, one per hidden neuron of its inner ReLU");
	if (r.upper != 5)
		printf("%s\n", outbuf);
	r = run_cmd(&c, "laws count params=layer3.*");
	CHECK(r.rc == 0 && r.upper == 4 && r.lower == 4 && !strcmp(r.status, "complete"), "block 3 alone: 4 laws");
	/* the isolated block as a model of its own has the same count */
	struct experiment *s2 = experiment_new();
	struct cmd_ctx c2;
	ctx_init(&c2, s2);
	CHECK(cmd_exec_line(&c2, "data teacher n=64 in=6 out=6 seed=3; layer dense 5; layer relu; layer dense 6") == 0, "isolated block");
	struct res r2 = run_cmd(&c2, "laws count");
	CHECK(r2.upper == 5 && !strcmp(r2.status, "complete"), "the isolated block's own count is 5: equal to its laws inside the net");
	experiment_free(s2);
	/* both blocks: the sum, nothing straddling them */
	r = run_cmd(&c, "laws count params=layer2.*,layer3.*");
	CHECK(r.rc == 0 && r.upper == 9 && r.lower == 9 && !strcmp(r.status, "complete"),
	      "blocks 2 and 3 together: 5 + 4, no law across the two blocks");
	/* a set overlapping two blocks (the end of one, the start of the next) */
	r = run_cmd(&c, "laws count params=layer2.residual.dense3.*,layer3.residual.dense1.*");
	CHECK(r.rc == 0 && r.upper == 0 && !strcmp(r.status, "complete"), "parameters spread over two blocks: no law of their own");
	/* the same subset where a law does live: one inner layer and its successor */
	r = run_cmd(&c, "laws count params=layer2.residual.dense1.*,layer2.residual.dense3.W");
	CHECK(r.rc == 0 && r.upper == 5 && !strcmp(r.status, "complete"), "inner dense1 and dense3.W of one block: its 5 laws");
	r = run_cmd(&c, "laws count params=nosuch.*");
	CHECK(r.rc != 0 && strstr(outbuf, "matches no tensor"), "params= with a pattern matching nothing is an error naming it");
	experiment_free(s);
}

/* laws find points=1: every reported law verified here independently (rate
 * of its gradient against the loss gradient at fresh random points, and
 * against the loss gradient at fresh random points), and only the laws. */
static void test_find_points(void)
{
	struct experiment *s = experiment_new();
	struct cmd_ctx c;
	ctx_init(&c, s);
	CHECK(cmd_exec_line(&c, "data teacher n=64 in=4 out=1 seed=2; layer dense 6; layer relu; layer dense 1; init normal seed=3") == 0,
	      "find setup");
	experiment_prepare(s);
	struct model *m = experiment_model(s);
	size_t D = experiment_nparams(s);
	struct lie_gen *g = lie_gen_outputs(m, 1, 1.0, 0);
	struct lie_fields F = lie_gen_fields(g);
	struct lie_find_opts o;
	lie_find_defaults(&o);
	o.points = 1;
	o.seed = 5;
	struct lie_find_result fr;
	char err[256];
	int rc = lie_find(m, &F, &o, &fr, err, sizeof err);
	CHECK(rc == 0, "lie_find points=1 runs");
	CHECK(fr.candidates > fr.nlaws, "points=1: one point leaves more candidates than laws");
	CHECK(fr.nlaws == 6, "points=1: exactly the 6 laws remain after the fresh-point equations");
	double worst = 0, *th = malloc(D * sizeof *th), *gl = malloc(D * sizeof *gl), *gh = malloc(D * sizeof *gh);
	for (int p = 0; p < 4; p++) {
		struct init_spec sp = { INIT_NORMAL, 0.0, 9000 + (unsigned long)p };
		model_init(m, th, &sp);
		experiment_loss_grad(s, th, gl);
		double ln = 0;
		for (size_t t = 0; t < D; t++)
			ln += gl[t] * gl[t];
		for (int i = 0; i < fr.nlaws; i++) {
			memset(gh, 0, D * sizeof *gh);
			quantity_comp_grad(fr.laws[i], 0, th, 1.0, gh);
			double d = 0, hn = 0;
			for (size_t t = 0; t < D; t++) {
				d += gh[t] * gl[t];
				hn += gh[t] * gh[t];
			}
			double rate = fabs(d) / sqrt(hn * ln);
			if (rate > worst)
				worst = rate;
		}
	}
	printf("  points=1: %d candidates, %d laws, worst rate against the loss gradient %.1e\n", fr.candidates, fr.nlaws, worst);
	CHECK(worst < 1e-9, "every law laws find reports has rate < 1e-9 at fresh points (checked here)");
	free(th);
	free(gl);
	free(gh);
	lie_find_result_free(&fr);
	lie_gen_free(g);
	experiment_free(s);
}

int main(void)
{
	test_find_points();
	test_residual();
	test_presets();
	test_random_shapes();
	return test_summary("test_lie_units");
}
