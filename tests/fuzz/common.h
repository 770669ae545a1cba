/* common.h — what the libFuzzer harnesses share: a CPU-time budget that
 * raises the command layer's interrupt flag, a context whose output goes
 * nowhere, the input as a file, and the input policy that keeps the work per
 * input bounded and the harness away from the file system. */
#ifndef NOETHER_FUZZ_COMMON_H
#define NOETHER_FUZZ_COMMON_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "cmd/cmd.h"

/* Raised when the budget of the current input is spent (SIGVTALRM). */
extern volatile sig_atomic_t fuzz_stop;

/* Arms a CPU-time budget of `seconds` for one input (clears fuzz_stop). */
void fuzz_budget_start(double seconds);
void fuzz_budget_end(void);

/* A batch context over a fresh experiment: output discarded, interrupt =
 * &fuzz_stop, file name "fuzz". Free with fuzz_ctx_free. */
struct cmd_ctx fuzz_ctx_new(void);
void fuzz_ctx_free(struct cmd_ctx *c);

/* Writes the input to this process's scratch file (under $TMPDIR) and
 * returns its path, or NULL. */
const char *fuzz_write_file(const uint8_t *data, size_t size, const char *suffix);

/* A NUL-terminated copy of the input (malloc'd). */
char *fuzz_text(const uint8_t *data, size_t size);

/* The input policy on command text, quotes removed first as the command
 * splitter removes them. Refused (returns 1): a word naming a file command
 * (source, export, save, load, csv, checkpoints, record); with no_lie the
 * words count and find; a size above cap (4 cap for n=). A size is any
 * number except a step count (after `step`, or steps=, at=, every=), a seed,
 * a batch, or an operand after an operator (expect, watch): those are
 * bounded by the CPU budget, not by memory. */
int fuzz_text_ok(const char *text, double cap, int no_lie);
/* 1 when the text holds the word count or find (the Lie computations, whose
 * cost grows with the cube of the parameter count). */
int fuzz_has_lie(const char *text);
/* 1 when the text holds a word that changes the model: data, layer, preset,
 * augment. */
int fuzz_changes_model(const char *text);
#endif
