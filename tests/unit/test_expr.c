/* test_expr.c — user expressions: values computed independently from θ,
 * gradients against central finite differences, name resolution (full, layerN,
 * short, K-th, case-insensitive), slices, and parse errors with their column. */
#include "test.h"
#include "noether/expr.h"
#include "noether/model.h"
#include "noether/util.h"
#include <stdlib.h>
#include <string.h>

static struct model *m;
static double th[64];
static size_t D;

/* Offsets of the tensors, looked up by full name (not through the parser). */
static size_t off_of(const char *name)
{
	const struct tensor_view *v = model_find_tensor(m, name);
	return v ? v->off : 0;
}

static double value(const char *text)
{
	char err[256];
	struct expr *e = expr_compile(text, m, err, sizeof err);
	if (!CHECK(e != NULL, text)) {
		printf("  %s: %s\n", text, err);
		return NAN;
	}
	double v = expr_eval(e, th, NULL, 0);
	expr_free(e);
	return v;
}

/* Max relative difference between the reverse-mode gradient and central differences. */
static double grad_error(const char *text)
{
	char err[256];
	struct expr *e = expr_compile(text, m, err, sizeof err);
	if (!e)
		return INFINITY;
	double g[64] = { 0 }, worst = 0;
	expr_eval(e, th, g, 2.0); /* scale 2: the gradient is added times 2 */
	for (size_t i = 0; i < D; i++) {
		double h = 1e-6 * (1 + fabs(th[i])), save = th[i];
		th[i] = save + h;
		double fp = expr_eval(e, th, NULL, 0);
		th[i] = save - h;
		double fm = expr_eval(e, th, NULL, 0);
		th[i] = save;
		double fd = 2.0 * (fp - fm) / (2 * h);
		double d = fabs(fd - g[i]) / (1 + fabs(fd));
		if (d > worst)
			worst = d;
	}
	expr_free(e);
	return worst;
}

static int error_column(const char *text, char *msg, size_t len)
{
	struct expr *e = expr_compile(text, m, msg, len);
	if (e) {
		expr_free(e);
		return -1;
	}
	int col = 0;
	if (sscanf(msg, "column %d", &col) != 1)
		return 0;
	return col;
}

int main(void)
{
	char err[256];
	m = model_new();
	char *a1[] = { "4" }, *a3[] = { "2" };
	CHECK(model_add(m, "dense", 1, a1, err, sizeof err) == 0, "dense 4");
	CHECK(model_add(m, "tanh", 0, NULL, err, sizeof err) == 0, "tanh");
	CHECK(model_add(m, "dense", 1, a3, err, sizeof err) == 0, "dense 2");
	struct shape in = { 1, 3 };
	CHECK(model_build(m, in, 4, err, sizeof err) == 0, "build");
	D = m->nparams;
	CHECK(D == 4 * 3 + 4 + 2 * 4 + 2, "parameter count 26");
	for (size_t i = 0; i < D; i++)
		th[i] = 0.3 + 0.1 * (double)i * (i % 2 ? -1 : 1) / 3.0;
	size_t W1 = off_of("layer1.dense.W"), b1 = off_of("layer1.dense.b"), W2 = off_of("layer3.dense.W");
	/* W1 is (4,3) row-major: W1[i,j] = th[W1 + 3i + j]; W2 is (2,4) */

	/* values */
	CHECK_NEAR(value("1 + 2*3 - 4/2"), 5.0, 1e-15, "arithmetic precedence");
	CHECK_NEAR(value("-2^2"), -4.0, 1e-15, "unary minus binds looser than ^");
	CHECK_NEAR(value("2^3^2"), 512.0, 1e-12, "^ is right-associative");
	CHECK_NEAR(value("layer1.dense.W[1,2]"), th[W1 + 5], 1e-15, "entry by full name");
	CHECK_NEAR(value("layer3.W[1,0]"), th[W2 + 4], 1e-15, "layerN.SHORT");
	CHECK_NEAR(value("W2[1,0]"), th[W2 + 4], 1e-15, "K-th short name");
	CHECK_NEAR(value("b1[3]"), th[b1 + 3], 1e-15, "b1");
	CHECK_NEAR(value("w1[0,0]"), th[W1], 1e-15, "case-insensitive alias");
	double s = 0;
	for (int j = 0; j < 4; j++)
		s += th[W2 + j] * th[W2 + 4 + j];
	CHECK_NEAR(value("W2[0,:]·W2[1,:]"), s, 1e-14, "dot of rows with ·");
	CHECK_NEAR(value("dot(W2[0,:], W2[1,:])"), s, 1e-14, "dot()");
	s = 0;
	for (int i = 0; i < 4; i++)
		s += th[W1 + 3 * i + 1];
	CHECK_NEAR(value("sum(W1[:,1])"), s, 1e-14, "sum of a column");
	s = 0;
	for (int i = 0; i < 12; i++)
		s += th[W1 + i] * th[W1 + i];
	CHECK_NEAR(value("norm2(layer1.dense.W)"), s, 1e-14, "norm2 of a whole tensor");
	CHECK_NEAR(value("norm(W1)"), sqrt(s), 1e-14, "norm");
	s = 0;
	for (int i = 1; i < 3; i++)
		s += th[W1 + 3 * i] * th[W1 + 3 * i];
	CHECK_NEAR(value("norm2(W1[1:3,0])"), s, 1e-14, "range slice");
	CHECK_NEAR(value("atan2(W2[0,1], W2[0,0])"), atan2(th[W2 + 1], th[W2]), 1e-15, "atan2");
	CHECK_NEAR(value("sqrt(abs(b1[0])) + exp(b1[1]) - log(2)"), sqrt(fabs(th[b1])) + exp(th[b1 + 1]) - log(2), 1e-14,
	           "sqrt abs exp log");
	CHECK_NEAR(value("sum(2*b1 - b1^2)"), 2 * (th[b1] + th[b1 + 1] + th[b1 + 2] + th[b1 + 3])
	           - (th[b1] * th[b1] + th[b1 + 1] * th[b1 + 1] + th[b1 + 2] * th[b1 + 2] + th[b1 + 3] * th[b1 + 3]),
	           1e-14, "elementwise vector arithmetic with broadcast");
	CHECK_NEAR(value("pi"), M_PI, 1e-15, "pi");

	/* gradients */
	const char *gexprs[] = { "atan2(W2[0,1], W2[0,0])", "W2[0,:]·W2[1,:]", "norm2(W1[0,:]) + b1[0]^2 - norm2(W2[:,0])",
		"sum(W1[:,1])", "norm(W1) * exp(b1[2]) / (1 + b1[1]^2)", "log(abs(W1[0,0])) - sqrt(norm2(b1))",
		"sum(b1^3)", "b1[0]^b1[1]" , "-(W2[1,3] - 2*W2[0,2])", NULL };
	for (int i = 0; gexprs[i]; i++) {
		double ge = grad_error(gexprs[i]);
		if (!CHECK(ge < 1e-7, gexprs[i]))
			printf("  gradient error %g for %s\n", ge, gexprs[i]);
	}

	/* errors point at the column */
	CHECK(error_column("atan2(w1[1,0], w1[0,0]", err, sizeof err) == 23, "missing ')' at the end");
	CHECK(strstr(err, "expected ')'") != NULL, "message says expected ')'");
	CHECK(error_column("1 + * 2", err, sizeof err) == 5, "unexpected operator column");
	CHECK(error_column("norm2(Q)", err, sizeof err) == 7, "unknown tensor column");
	CHECK(strstr(err, "unknown tensor 'Q'") != NULL, "names the unknown tensor");
	CHECK(error_column("W[0,0]", err, sizeof err) == 1, "ambiguous short name");
	CHECK(strstr(err, "ambiguous") != NULL, "says ambiguous");
	CHECK(error_column("W1[4,0]", err, sizeof err) == 4, "index out of range points at the index");
	CHECK(error_column("W1[0,:]·W2[0,:]", err, sizeof err) == 8, "dot length mismatch at the operator");
	CHECK(error_column("W1[0,:]", err, sizeof err) == 1, "vector-valued expression refused");
	CHECK(error_column("foo(b1[0])", err, sizeof err) == 1, "unknown function");
	CHECK(error_column("b1[0] b1[1]", err, sizeof err) == 7, "missing operator");
	CHECK(error_column("", err, sizeof err) == 1, "empty");
	CHECK(error_column("W1[0]", err, sizeof err) == 3, "too few indices");

	/* rebind: the same text follows a rebuilt model with other offsets */
	struct expr *e = expr_compile("W2[1,0]", m, err, sizeof err);
	CHECK(e != NULL, "compile before rebuild");
	model_clear(m);
	char *a5[] = { "5" };
	model_add(m, "dense", 1, a5, err, sizeof err);
	model_add(m, "tanh", 0, NULL, err, sizeof err);
	model_add(m, "dense", 1, a3, err, sizeof err);
	CHECK(model_build(m, in, 4, err, sizeof err) == 0, "rebuild");
	CHECK(expr_rebind(e, m, err, sizeof err) == 0, "rebind");
	CHECK_NEAR(expr_eval(e, th, NULL, 0), th[off_of("layer3.dense.W") + 5], 1e-15, "rebound offset (W2 is 2x5 now)");
	model_clear(m);
	model_add(m, "dense", 1, a3, err, sizeof err);
	model_build(m, in, 4, err, sizeof err);
	CHECK(expr_rebind(e, m, err, sizeof err) != 0, "rebind fails when W2 is gone");
	CHECK(isnan(expr_eval(e, th, NULL, 0)), "an unresolved expression evaluates to NaN");
	expr_free(e);
	model_free(m);
	return test_summary("test_expr");
}
