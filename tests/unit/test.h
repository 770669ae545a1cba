/* test.h — a tiny test harness: each tests/unit/test_*.c is its own program
 * that calls CHECK/CHECK_NEAR and ends with test_summary(), which prints
 * "N passed, N failed" and returns the exit status. */
#ifndef NOETHER_TEST_H
#define NOETHER_TEST_H
#include <math.h>
#include <stdio.h>

extern int test_passed, test_failed;

/* Records one check; prints a "not ok" line with the location on failure. */
int test_check(int ok, const char *what, const char *file, int line);
/* |a-b| <= tol*max(1,|b|)?  prints both values on failure. */
int test_near(double a, double b, double tol, const char *what, const char *file, int line);
/* Prints the summary line; returns 0 if nothing failed, 1 otherwise. */
int test_summary(const char *name);

#define CHECK(cond, what) test_check(!!(cond), (what), __FILE__, __LINE__)
#define CHECK_NEAR(a, b, tol, what) test_near((a), (b), (tol), (what), __FILE__, __LINE__)
#endif
