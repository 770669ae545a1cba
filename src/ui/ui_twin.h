/* ui_twin.h — twin runs for `compare`: a second session B built by replaying
 * the first session A's provenance (its configuration commands) through a
 * second command context, then given one different setting; B starts from
 * A's θ0 and is kept step-locked with A.
 *
 * Pure: no curses, so the unit tests drive it directly. Invariants while a
 * twin is on: B has A's model, data, loss and θ0 (copied, not shared, so a
 * preset change in A can never leave B with dangling pointers); after
 * ui_twin_sync, B->step == A->step; when A's experiment itself changes
 * (data, layers, loss, augmentation, another preset) the twin ends rather
 * than show a comparison that no longer holds. */
#ifndef NOETHER_UI_TWIN_H
#define NOETHER_UI_TWIN_H
#include <signal.h>
#include "noether/cmd.h"

enum ui_twin_what { UI_TW_SCHEDULE, UI_TW_OPT, UI_TW_WD, UI_TW_MOMENTUM };

struct ui_twin {
	int on;
	int what;                  /* enum ui_twin_what: what the two runs differ in */
	struct session *b;
	struct cmd_ctx ctx;        /* replays into b; its sinks write into err */
	char set_a[256], set_b[256];   /* the two setting commands, as run */
	char err[512];
	unsigned long hist_hash;   /* A's history seen at the last sync */
	int hist_n;
};

/* Parses argv of `compare WHAT A... B...` (argv[0] = "compare") into the two
 * setting command lines a and b. WHAT: schedule KIND TAU [...] KIND TAU [...]
 * | opt KIND [k=v] KIND [k=v] | wd L1 L2 | momentum BETA1 BETA2. Returns 0, or
 * NT_EINVAL with a message in err. */
int ui_twin_parse(int argc, char **argv, int *what, char *a, char *b, size_t len, char *err, size_t errlen);

/* Starts a twin of a (prepared): applies line_a to a through ca (so it is
 * logged), resets a (logged), builds B by replaying a's configuration history
 * plus line_b, and puts B at a's θ0. On error nothing is left on (a may have
 * taken line_a) and the message is in t->err. Returns 0 or an NT_* code. */
int ui_twin_start(struct ui_twin *t, struct cmd_ctx *ca, int what, const char *line_a, const char *line_b);
void ui_twin_stop(struct ui_twin *t);

/* Keeps B step-locked with a: when a was reset (or reseeded, re-initialised,
 * loaded) B is put back at a's θ0; then B takes the steps a has taken.
 * Returns 0; 1 when a's experiment changed and the twin ended (reason in
 * t->err); or B's step error (diverged: B's message in t->err, B stays). */
int ui_twin_sync(struct ui_twin *t, struct session *a, volatile sig_atomic_t *interrupt);
/* Label of one side's setting (live from the session): the schedule for a
 * schedule comparison, else the optimizer with its weight decay. */
void ui_twin_label(const struct ui_twin *t, const struct session *s, int ascii, char *buf, size_t len);
#endif
