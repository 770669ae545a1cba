/* cmd_follow.h — following a training run's checkpoints (`laws checkpoints
 * DIR follow`, cmd_bridge.c) as one object that a front end ticks: headless
 * loops over it and prints a CSV row per checkpoint; the screen keeps it in
 * ctx->follow and ticks it in its own loop, a slice of reading between keys,
 * so the screen never blocks on a large checkpoint.
 *
 * Invariants: a tick reads at most about `budget` bytes of tensor data (at
 * least one row block) and returns; the series (bridge) only grows by whole
 * checkpoints; once stopped (until=, idle=, or cmd_follow_stop) a tick does
 * nothing and the series stays readable. */
#ifndef NOETHER_CMD_FOLLOW_H
#define NOETHER_CMD_FOLLOW_H
#include <stddef.h>
#include "cmd.h"

struct ck_follow;
struct bridge;

/* What a tick did (or an NT_* code < 0: a checkpoint refused, or the
 * directory could not be scanned; cmd_follow_error says why). */
enum { FOLLOW_IDLE = 0, FOLLOW_BUSY = 1, FOLLOW_ADDED = 2, FOLLOW_DONE = 3 };

/* One slice: reads up to about budget bytes of the next checkpoint, or looks
 * for new ones when every= seconds have passed; with csv= writes the row of a
 * checkpoint it completed. */
int cmd_follow_tick(struct ck_follow *f, size_t budget);
/* The series read so far (borrowed; valid until cmd_follow_free). */
const struct bridge *cmd_follow_bridge(const struct ck_follow *f);
/* The DIR|GLOB|FILE followed; the last refusal (or ""). */
const char *cmd_follow_spec(const struct ck_follow *f);
const char *cmd_follow_error(const struct ck_follow *f);
/* Seconds between looks for new checkpoints (every=), and until the next. */
double cmd_follow_every(const struct ck_follow *f);
double cmd_follow_next_look(const struct ck_follow *f);
/* Why it stopped ("no new checkpoint for 3 s (idle=)"), or NULL while following. */
const char *cmd_follow_stopped(const struct ck_follow *f);
/* Stops following (the series stays); why is shown by cmd_follow_stopped. */
void cmd_follow_stop(struct ck_follow *f, const char *why);
void cmd_follow_free(struct ck_follow *f);
/* Frees ctx->follow (the screen's), sets it NULL and bumps ctx->follow_gen. */
void cmd_follow_clear(struct cmd_ctx *c);
#endif
