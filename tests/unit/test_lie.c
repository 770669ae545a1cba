/* test_lie.c — `laws count` / `laws find` reproduce the theory of conservation
 * laws: for each architecture the Lie count (upper bound) and the rank of the
 * laws in hand (lower bound) meet at the number theory predicts, with status
 * complete, and `laws find` recovers every catalogue law. Expected counts come
 * from theory (stated per case), and for deep linear nets from the rank of the
 * matrix laws' gradients computed here, independently of the catalogue. */
#include "test.h"
#include "cmd/cmd.h"
#include "cmd/lie_report.h"
#include "noether/lie.h"
#include "noether/linalg.h"
#include "noether/rng.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char outbuf[1 << 18];
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

/* Runs setup commands then `cmd`; parses the last "laws: lower=L upper=U
 * status=S" (count) or "find: laws=N recovered=R/T" line. */
struct res { int lower, upper, laws, rec, tot; char status[16]; int rc; };

static struct res run(const char *setup, const char *cmd)
{
	struct res r = { -1, -1, -1, -1, -1, "", 0 };
	struct experiment *s = experiment_new();
	struct cmd_ctx c;
	memset(&c, 0, sizeof c);
	c.x = s;
	c.out = sink;
	c.msg = sink;
	outlen = 0;
	outbuf[0] = 0;
	r.rc = cmd_exec_line(&c, setup);
	if (!r.rc)
		r.rc = cmd_exec_line(&c, cmd);
	const char *p = strstr(outbuf, "laws: lower=");
	if (p)
		sscanf(p, "laws: lower=%d upper=%d status=%15s", &r.lower, &r.upper, r.status);
	p = strstr(outbuf, "find: laws=");
	if (p)
		sscanf(p, "find: laws=%d recovered=%d/%d", &r.laws, &r.rec, &r.tot);
	experiment_free(s);
	return r;
}

static void expect_count(const char *setup, int want, const char *why)
{
	struct res r = run(setup, "laws count");
	char what[512];
	snprintf(what, sizeof what, "%s: count complete at %d (%s)", setup, want, why);
	int ok = r.rc == 0 && r.upper == want && r.lower == want && !strcmp(r.status, "complete");
	if (!ok)
		printf("  got rc=%d lower=%d upper=%d status=%s\n%s\n", r.rc, r.lower, r.upper, r.status, outbuf);
	CHECK(ok, what);
	r = run(setup, "laws find");
	snprintf(what, sizeof what, "%s: laws find recovers every catalogue law", setup);
	ok = r.rc == 0 && r.tot >= 0 && r.rec == r.tot;
	if (!ok)
		printf("  got rc=%d recovered %d/%d\n%s\n", r.rc, r.rec, r.tot, outbuf);
	CHECK(ok, what);
}

/* Rank of the gradients of W_l W_l^T - W_{l+1}^T W_{l+1} (upper triangles) of
 * a bias-free deep linear net with the given widths, at a random θ. Built here
 * from the formula, not from the catalogue. */
static int linear_law_rank(const int *w, int L)
{
	size_t D = 0, off[8];
	for (int l = 0; l < L; l++) {
		off[l] = D;
		D += (size_t)w[l + 1] * w[l];
	}
	double *th = malloc(D * sizeof *th);
	struct rng g;
	rng_seed(&g, 42);
	for (size_t i = 0; i < D; i++)
		th[i] = rng_normal(&g);
	int rows = 0;
	for (int l = 0; l + 1 < L; l++)
		rows += w[l + 1] * (w[l + 1] + 1) / 2;
	double *G = calloc((size_t)rows * D + 1, sizeof *G);
	int k = 0;
	for (int l = 0; l + 1 < L; l++) {
		int r = w[l + 1], in = w[l], o2 = w[l + 2];
		const double *A = th + off[l], *B = th + off[l + 1];   /* A (r,in), B (o2,r) */
		for (int a = 0; a < r; a++)
			for (int b = a; b < r; b++, k++) {
				double *row = G + (size_t)k * D;
				for (int t = 0; t < in; t++) {       /* d/dA of Σ_t A[a,t]A[b,t] */
					row[off[l] + (size_t)a * in + t] += A[b * in + t];
					row[off[l] + (size_t)b * in + t] += A[a * in + t];
				}
				for (int t = 0; t < o2; t++) {       /* d/dB of -Σ_t B[t,a]B[t,b] */
					row[off[l + 1] + (size_t)t * r + a] -= B[t * r + b];
					row[off[l + 1] + (size_t)t * r + b] -= B[t * r + a];
				}
			}
	}
	int mn = rows < (int)D ? rows : (int)D;
	double *s = malloc((size_t)(mn + 1) * sizeof *s);
	svd_values(rows, (int)D, G, s);
	int rank = 0;
	while (rank < mn && s[rank] > 1e-9 * s[0])
		rank++;
	free(s);
	free(G);
	free(th);
	return rank;
}

static void linear_case(const int *w, int L)
{
	char setup[512];
	int p = snprintf(setup, sizeof setup, "data teacher n=64 in=%d out=%d", w[0], w[L]);
	for (int l = 1; l <= L; l++)
		p += snprintf(setup + p, sizeof setup - (size_t)p, "; layer dense %d bias=off", w[l]);
	expect_count(setup, linear_law_rank(w, L), "rank of the matrix laws' gradients");
}

static void test_core_api(void)
{
	/* lower bound of two independent quadratic laws, and a dependent third */
	struct quantity *q[3];
	for (int i = 0; i < 3; i++)
		q[i] = quantity_new("q", QK_QUADRATIC, 1);
	qcomp_add(&q[0]->comp[0], 0, 0, 1.0);
	qcomp_add(&q[0]->comp[0], 1, 1, -1.0);
	qcomp_add(&q[1]->comp[0], 2, 2, 1.0);
	qcomp_add(&q[2]->comp[0], 0, 0, 2.0);   /* q2 = 2 q0 + 2 θ1² ... dependent only with q1? no: */
	qcomp_add(&q[2]->comp[0], 1, 1, -2.0);  /* q2 = 2 q0: dependent */
	double th[3] = { 0.3, -1.2, 0.7 };
	struct lie_rank r;
	lie_grad_rank(q, 3, th, 3, &r);
	CHECK(r.rank == 2, "lie_grad_rank: 2 independent laws among 3 (q2 = 2 q0)");
	double res;
	CHECK(lie_span_contains(q, 1, q[2], 3, 1, &res), "lie_span_contains: 2 q0 is in span{q0}");
	CHECK(!lie_span_contains(q, 1, q[1], 3, 1, &res), "lie_span_contains: θ2² is not in span{q0}");
	for (int i = 0; i < 3; i++)
		quantity_free(q[i]);
}

static void test_interrupt(void)
{
	struct experiment *s = experiment_new();
	struct cmd_ctx c;
	memset(&c, 0, sizeof c);
	volatile sig_atomic_t stop = 1;
	c.x = s;
	c.out = sink;
	c.msg = sink;
	c.interrupt = &stop;
	c.interactive = 1;   /* the command sees the flag (a script would stop before it) */
	outlen = 0;
	int rc = cmd_exec_line(&c, "data teacher n=32 in=3 out=2; layer dense 4; layer relu; layer dense 2");
	CHECK(rc == 0, "interrupt: setup");
	rc = cmd_exec_line(&c, "laws count");
	CHECK(rc == NT_EINTR, "laws count returns NT_EINTR when the interrupt flag is raised");
	experiment_free(s);
}

/* lie_find_take_new: found laws handed over as quantities named after their
 * support and form; laws already in the span of `have` stay behind. */
static void test_take_new(void)
{
	struct experiment *s = experiment_new();
	struct cmd_ctx c;
	memset(&c, 0, sizeof c);
	c.x = s;
	c.out = sink;
	c.msg = sink;
	CHECK(cmd_exec_line(&c, "data teacher n=32 in=3 out=1; layer dense 3; layer relu; layer dense 1") == 0 &&
	      experiment_prepare(s) == 0, "take_new: setup");
	struct model *m = experiment_model(s);
	size_t D = experiment_nparams(s);
	struct lie_gen *g = lie_gen_outputs(m, 1, 1.0, 0);
	struct lie_fields F = lie_gen_fields(g);
	struct lie_find_result fr;
	char err[256];
	CHECK(lie_find(m, &F, NULL, &fr, err, sizeof err) == 0 && fr.nlaws == 3, "take_new: 3 laws found (3 hidden neurons)");
	struct qset out = { 0 };
	/* with every found law already in hand nothing moves */
	struct quantity *have[3] = { fr.laws[0], fr.laws[1], fr.laws[2] };
	struct qset dummy = { 0 };
	CHECK(lie_find_take_new(&fr, m, have, 3, D, &dummy) == 0 && fr.nlaws == 3 && dummy.n == 0,
	      "take_new: laws in the span of those in hand stay behind");
	/* with none in hand all three move, renamed, as candidates for the caller's check */
	int moved = lie_find_take_new(&fr, m, NULL, 0, D, &out);
	int named = 1, distinct = 1;
	for (int i = 0; i < out.n; i++) {
		named &= !strncmp(out.q[i]->name, "found.quad(layer1.dense.W,", 26) && out.q[i]->role == QR_CANDIDATE &&
		         strstr(out.q[i]->formula, "layer3.dense.W") != NULL;
		for (int j = 0; j < i; j++)
			distinct &= strcmp(out.q[i]->name, out.q[j]->name) != 0;
	}
	CHECK(moved == 3 && out.n == 3 && fr.nlaws == 0, "take_new: all three move when none is in hand");
	CHECK(named && distinct, "take_new: names give form and support (found.quad(layer1.dense.W,...)), distinct, role candidate");
	if (!named || !distinct)
		for (int i = 0; i < out.n; i++)
			printf("  %s: %s\n", out.q[i]->name, out.q[i]->formula);
	qset_clear(&out);
	lie_find_result_free(&fr);
	lie_gen_free(g);
	experiment_free(s);
}

/* Progress: fractions in [0, 1] that never go back, named stages, 1 at the
 * end; raising the interrupt flag from the callback cancels the count. */
struct progress_log { int calls, back, fields, bad; double last; volatile sig_atomic_t *stop; double stop_at; };

static void progress_cb(void *ctx, double frac, const char *stage)
{
	struct progress_log *p = ctx;
	p->calls++;
	if (frac < p->last)
		p->back++;
	if (!(frac >= 0 && frac <= 1) || !stage || !stage[0])
		p->bad++;
	if (stage && !strcmp(stage, "count: fields"))
		p->fields++;
	p->last = frac;
	if (p->stop && frac >= p->stop_at)
		*p->stop = 1;
}

static void test_progress(void)
{
	struct experiment *s = experiment_new();
	struct cmd_ctx c;
	memset(&c, 0, sizeof c);
	volatile sig_atomic_t stop = 0;
	c.x = s;
	c.out = sink;
	c.msg = sink;
	c.interrupt = &stop;
	CHECK(cmd_exec_line(&c, "data teacher n=32 in=5 out=2; layer dense 12; layer relu; layer dense 8; layer relu; layer dense 2") == 0,
	      "progress: setup");
	char *argv[] = { "count" };
	char **lines;
	int n;
	struct progress_log p = { 0, 0, 0, 0, 0.0, NULL, 0 };
	int rc = lie_report_lines_progress(&c, 1, argv, &lines, &n, progress_cb, &p);
	CHECK(rc == 0 && n > 0 && !strncmp(lines[n - 1], "laws: ", 6), "laws count with a progress callback reports as usual");
	lie_report_free(lines, n);
	CHECK(p.calls > 5 && p.fields > 0 && p.back == 0 && p.bad == 0 && p.last == 1.0,
	      "progress: named stages, fractions in [0,1] that never go back, 1 at the end");
	struct progress_log q = { 0, 0, 0, 0, 0.0, &stop, 0.3 };
	rc = lie_report_lines_progress(&c, 1, argv, &lines, &n, progress_cb, &q);
	CHECK(rc == NT_EINTR && q.last < 1.0, "raising the interrupt flag from the progress callback cancels the count");
	lie_report_free(lines, n);
	experiment_free(s);
}

int main(void)
{
	test_core_api();
	test_interrupt();
	test_progress();
	test_take_new();

	/* deep linear nets: count = rank of the matrix laws' gradients (can be
	 * below r(r+1)/2 when a neighbouring width is smaller than r) */
	{ int w[] = { 3, 2, 3 }; linear_case(w, 2); }
	{ int w[] = { 4, 3, 2 }; linear_case(w, 2); }
	{ int w[] = { 2, 1, 2 }; linear_case(w, 2); }
	{ int w[] = { 2, 3, 1, 3, 2 }; linear_case(w, 4); }
	{ int w[] = { 3, 4, 2 }; linear_case(w, 2); }

	/* ReLU MLPs: one rescaling law per hidden neuron, nothing else */
	expect_count("data teacher n=64 in=4 out=2; layer dense 6; layer relu; layer dense 2", 6, "6 hidden neurons");
	expect_count("data teacher n=64 in=4 out=2; layer dense 5 bias=off; layer relu; layer dense 2 bias=off", 5, "5 hidden neurons");
	expect_count("data teacher n=64 in=3 out=2; layer dense 1; layer relu; layer dense 2", 1, "1 hidden neuron");
	expect_count("data teacher n=64 in=4 out=2; layer dense 6 bias=off; layer relu; layer dense 5 bias=off; layer relu; layer dense 2",
	             11, "6 + 5 hidden neurons");
	expect_count("data teacher n=64 in=3 out=1; layer dense 4; layer leaky-relu slope=0.1; layer dense 1", 4, "4 hidden neurons (leaky)");

	/* smooth non-homogeneous activations: no laws */
	expect_count("data teacher n=64 in=4 out=2; layer dense 5; layer gelu; layer dense 2", 0, "GELU: none");
	expect_count("data teacher n=64 in=3 out=2; layer dense 4; layer silu; layer dense 2", 0, "SiLU: none");

	/* SwiGLU: ||A[:,i]||^2 - ||C[i,:]||^2 per hidden unit */
	expect_count("data teacher n=64 in=4 out=2; layer swiglu hidden=3 out=2", 3, "d1 = 3");
	expect_count("data teacher n=64 in=3 out=2; layer swiglu hidden=1 out=2", 1, "d1 = 1");

	/* attention, d=4 >= dk=dv=2: per head Q^TQ-K^TK and V^TV-O^TO, 3 + 3 */
	expect_count("data seq n=16 len=4 d=4 out=4; layer attn heads=2 dk=2", 12, "2 heads × (3 + 3)");
	/* RoPE, one plane: ||Q||^2 - ||K||^2 for the plane (1) + V^TV - O^TO (3) */
	expect_count("data seq n=16 len=4 d=4 out=4; layer attn heads=1 dk=2 pe=rope", 4, "1 plane + 3");

	/* MoE, dense softmax gating over 2 SwiGLU experts of hidden 2, d = 4:
	 * Σ_i W_i (4 components) + 2 per expert */
	expect_count("data seq n=16 len=4 d=4 out=4; layer moe experts=2 hidden=2", 8, "4 + 2 + 2");

	/* conv1d: one law per channel */
	expect_count("data seq n=16 len=4 d=4 out=4; layer conv1d channels=2 kernel=2", 2, "2 channels");
	expect_count("data seq n=16 len=5 d=3 out=3; layer conv1d channels=1 kernel=3", 1, "1 channel");

	/* softmax head with cross-entropy: column sums (3) + Σ c (1) */
	expect_count("data blobs n=60 in=3 classes=3; layer head softmax classes=3; loss cross-entropy", 4, "3 + 1 linear laws");

	/* a claimed law that fails its rate check has no room in the count:
	 * RoPE's full Q^TQ - K^TK */
	{
		struct res r = run("data seq n=16 len=4 d=4 out=4; layer attn heads=1 dk=2 pe=rope", "laws count");
		CHECK(strstr(outbuf, "no room, consistent") != NULL && !strcmp(r.status, "complete"),
		      "RoPE: the failing claim Q^TQ-K^TK has no room in a complete count");
	}

	/* over=augmented without a group: the family of one-sample data sets with
	 * random targets spans the same fields as W, so the same count */
	{
		struct res r = run("data teacher n=64 in=3 out=2; layer dense 4; layer relu; layer dense 2", "laws count over=augmented");
		CHECK(r.upper == 4 && r.lower == 4 && !strcmp(r.status, "complete"), "over=augmented, no group: 4 laws (ReLU)");
	}
	return test_summary("test_lie");
}
