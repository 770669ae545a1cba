/* test_harness.c — implementation of test.h (linked into every unit test). */
#include "test.h"

int test_passed, test_failed;

int test_check(int ok, const char *what, const char *file, int line)
{
	if (ok) {
		test_passed++;
		return 1;
	}
	test_failed++;
	printf("not ok - %s (%s:%d)\n", what, file, line);
	return 0;
}

int test_near(double a, double b, double tol, const char *what, const char *file, int line)
{
	double scale = fabs(b) > 1 ? fabs(b) : 1;
	int ok = fabs(a - b) <= tol * scale && !isnan(a) && !isnan(b);
	if (!ok)
		printf("  %s: got %.17g, want %.17g (tol %g)\n", what, a, b, tol);
	return test_check(ok, what, file, line);
}

int test_summary(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, test_passed, test_failed);
	return test_failed ? 1 : 0;
}
