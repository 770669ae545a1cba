/* run.h — one trajectory over an experiment (experiment.h).
 *
 * A run owns θ, θ0, the gradient, the optimizer state (momentum, minibatch
 * stream, integrator workspace), the counters (step k, time t, Λ, budget
 * Σ τ_k²), the trace (one row per recorded step) and its copies of the
 * experiment's quantities with their values at θ0 and θk. Runs listed by the
 * experiment (A, B) are rebuilt with it; a detached run (run_new) is for a
 * computation that ends before the experiment changes (sweeps) and refuses to
 * step once its experiment was rebuilt.
 *
 * Invariants: after a prepare, θ/θ0/gradient hold nparams doubles in the
 * model's layout; run_step never allocates; a quantity copy has role QR_LAW
 * only if the experiment's check passed. */
#ifndef NOETHER_RUN_H
#define NOETHER_RUN_H
#include <signal.h>
#include <stddef.h>
#include "noether/experiment.h"

/* Trace rows hold [step, tau, loss, t, Λ, budget Σ τ², gradient budget G,
 * value of each quantity slot..., predicted value of each predicted law...]:
 * plain values (under weight decay a law is compared with F_k·h(θ0), F_k =
 * e^{-2Λ} for a quadratic law, e^{-Λ} for a linear one); tau is the step size
 * taken from that row's θ (for the last row: the one in force). */
#define TRACE_FIXED 7
struct trace_view {
	long nrows;
	int width;              /* doubles per row */
	int nvals;              /* value columns (after TRACE_FIXED); predictions follow */
	long stride;            /* every stride-th step is recorded */
	const double *rows;
};

/* A detached run over x (prepared), starting at x's θ0 with x's settings.
 * Free with run_free. */
struct run *run_new(struct experiment *x);
void run_free(struct run *r);
const char *run_label(const struct run *r);        /* "A", "B", or "" */
const char *run_error(const struct run *r);

/* Own settings (override the experiment's defaults for this run). */
int run_set_opt(struct run *r, int argc, char **argv);
int run_set_schedule(struct run *r, int argc, char **argv);
int run_set_wd(struct run *r, double lambda);
/* Own initialisation seed: θ0 = the experiment's init with this seed. */
int run_set_init_seed(struct run *r, unsigned long seed);
/* The settings in force. */
const struct train_settings *run_settings(const struct run *r);
double run_tau(const struct run *r, long k);
/* What the labels are for: the dynamics in force, as a phrase ("gd",
 * "momentum beta=0.9 (gradient-flow laws broken)", ...). */
const char *run_dynamics(const struct run *r);

/* Runs n optimizer steps. Stops early with NT_EINTR when *interrupt becomes
 * non-zero (may be NULL), or NT_EDIVERGED ("diverged at step k (τ=…): try a
 * smaller step") when loss or gradient becomes NaN/Inf or explodes; θ is left
 * at the last finite point. */
int run_step(struct run *r, long n, volatile sig_atomic_t *interrupt);
/* θ ← θ0, step 0, trace cleared. */
int run_reset(struct run *r);
/* θ0 ← th (nparams doubles), then reset. */
int run_reset_at(struct run *r, const double *th);

long run_steps(const struct run *r);
double run_time(const struct run *r);        /* Σ τ_k, or flow time */
double run_lambda(const struct run *r);      /* Λ */
double run_budget(const struct run *r);      /* Σ τ_k² */
/* Σ_i (F_k/F_{i+1}) τ_i² ||∇L_i||²: the a-priori bound |Δh| <= max|c|·G of a
 * quadratic law under GD/SGD (F: the weight-decay factors). */
double run_grad_budget(const struct run *r);
/* 1 while every step since reset had an exact one-step identity (gd, sgd,
 * flow) and some law is predicted. */
int run_predicting(const struct run *r);
double run_loss(const struct run *r);        /* at θ (full batch) */
double run_loss0(const struct run *r);       /* at θ0 */
double run_grad_norm(const struct run *r);
double run_flow_h(const struct run *r);      /* the integrator's next trial step */
int run_diverged(const struct run *r);
size_t run_nparams(const struct run *r);
const double *run_theta(const struct run *r);
const double *run_theta0(const struct run *r);
/* θ, writable (tests and `load`); the caller must then call run_update. */
double *run_theta_mut(struct run *r);

/* Quantities with their values (call run_update after steps). */
const struct qset *run_quantities(const struct run *r);
void run_update(struct run *r);
int run_count(const struct run *r, enum qrole role);
/* F_k of quantity q: the weight-decay factor a law is compared with (1 for a
 * contrast, or without decay). */
double run_law_decay(const struct run *r, const struct quantity *q);
/* ε_block for block b: mean relative drift of its laws; -1 if it has none. */
double run_block_drift(const struct run *r, int block);
void run_trace(const struct run *r, struct trace_view *t);
#endif
