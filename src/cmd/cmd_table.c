/* cmd_table.c — THE command table: name, usage, help, completion, handler.
 * `help`, tab completion, the screen's help overlay and the man page's command
 * list (checked by a test) all come from here. Adding a command = one entry. */
#include "cmd_impl.h"
#include "noether/util.h"
#include <stdio.h>
#include <string.h>

static const char *const *complete_layer(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *list[64];
	if (argi == 0) {
		int n = 0;
		for (int i = 0; block_kinds[i] && n < 60; i++)
			list[n++] = block_kinds[i]->name;
		list[n++] = "pop";
		list[n++] = "clear";
		list[n] = NULL;
		return list;
	}
	const struct block_kind *k = argc > 1 ? block_kind_find(argv[1]) : NULL;
	if (!k || !k->options)
		return NULL;
	static char opts[32][32];
	int n = 0;
	for (int i = 0; k->options[i] && n < 31; i++, n++) {
		snprintf(opts[n], sizeof opts[n], "%s=", k->options[i]);
		list[n] = opts[n];
	}
	list[n] = NULL;
	return list;
}

static const char *const *complete_data(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *extra[] = { "n=", "in=", "out=", "hidden=", "noise=", "classes=", "spread=", "seed=", NULL };
	return argi == 0 ? data_kinds : extra;
}

static const char *const *complete_loss(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	return argi == 0 ? loss_names : NULL;
}

static const char *const *complete_opt(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *const kinds[] = { "gd", "sgd", "momentum", NULL };
	static const char *const opts[] = { "batch=", "seed=", "beta=", NULL };
	return argi == 0 ? kinds : opts;
}

static const char *const *complete_schedule(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *const opts[] = { "every=", "gamma=", NULL };
	return argi == 0 ? sched_names : argi >= 2 ? opts : NULL;
}

static const char *const *complete_init(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *const kinds[] = { "normal", "balanced", "uniform", NULL };
	static const char *const opts[] = { "std=", "seed=", NULL };
	return argi == 0 ? kinds : opts;
}

static const char *const *complete_preset(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	return argi == 0 ? cmd_preset_names() : NULL;
}

static const char *const *complete_help(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *list[128];
	if (argi == 0) {
		int n = 0;
		for (int i = 0; cmd_table[i].name && n < 127; i++)
			list[n++] = cmd_table[i].name;
		list[n] = NULL;
		return list;
	}
	if (argi == 1 && !strcmp(argv[1], "layer"))
		return complete_layer(c, 0, argc, argv);
	return NULL;
}

static const char *const *complete_quantity(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char **list;
	static int cap;
	struct session *s = c ? c->s : NULL;
	if (!s || s->dirty)
		return NULL;
	if (cap < s->q.n + 2) {
		cap = s->q.n + 2;
		list = xrealloc(list, (size_t)cap * sizeof *list);
	}
	int n = 0;
	list[n++] = "all";
	for (int i = 0; i < s->q.n; i++)
		list[n++] = s->q.q[i]->name;
	list[n] = NULL;
	return list;
}

static const char *const *complete_metric(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *const metrics[] = { "loss", "loss0", "step", "budget", "params", "laws",
		"claimed-fails", "contrasts", "laws.max-rel", "laws.max-abs", "laws.max-rate", "laws.max-ratio",
		"contrasts.min-rel", "contrasts.max-rel", "eps-block", NULL };
	static const char *const ops[] = { "<", "<=", ">", ">=", "==", "!=", "is", NULL };
	return argi == 0 ? metrics : argi == 1 ? ops : NULL;
}

static const char *const *complete_export(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *const fmts[] = { "csv", NULL };
	return argi == 0 ? fmts : NULL;
}

static const char *const *complete_laws(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	return argi == 0 ? complete_quantity(c, argi, argc, argv) : NULL;
}

const struct cmd cmd_table[] = {
	{ "data", "data KIND [key=value ...]",
	  "Make the data set (own seed): teacher (regression from a random ReLU teacher), blobs, xor, spirals. "
	  "Example: data teacher n=64 in=10 out=1 seed=1.", complete_data, cmd_data, 1 },
	{ "layer", "layer KIND [options] | layer pop | layer clear",
	  "Append a block; input widths are inferred from the data and the previous layer. "
	  "Example: layer dense 32; layer relu; layer dense 1 bias=off.", complete_layer, cmd_layer, 1 },
	{ "loss", "loss mse|logistic|exponential|cross-entropy",
	  "Choose the loss (means over output rows; logistic/exponential take labels ±1).", complete_loss, cmd_loss, 1 },
	{ "init", "init normal|balanced|uniform [std=S] [seed=N]",
	  "Initialisation of θ0 (own seed). std defaults to 1/sqrt(fan_in); balanced rescales each neuron so its "
	  "law is 0 at θ0 (same function).", complete_init, cmd_init, 1 },
	{ "opt", "opt gd | sgd [batch=B] [seed=N] | momentum [beta=0.9]",
	  "Optimizer: full-batch gradient descent, minibatch SGD, or heavy-ball momentum (breaks the laws: a contrast).",
	  complete_opt, cmd_opt, 1 },
	{ "schedule", "schedule const TAU | decay TAU0 | cosine TAU0 K | step TAU0 every=N gamma=G",
	  "Step size τ_k: constant, τ0/(k+1), cosine over K steps, or multiplied by G every N steps. "
	  "Law drift grows like Σ τ_k² (linear in k for const, bounded for decay).", complete_schedule, cmd_schedule, 1 },
	{ "wd", "wd LAMBDA",
	  "Weight decay λ (added to the gradient). Laws are then shown rescaled: e^{2Λ}h (quadratic), e^{Λ}h (linear), "
	  "Λ = -Σ log(1-τ_k λ).", NULL, cmd_wd, 1 },
	{ "step", "step [N]", "Take N optimizer steps (default 1). Ctrl-C interrupts.", NULL, cmd_step, 1 },
	{ "run", "run", "Train continuously (screen: until pause; prompt: until Ctrl-C). Scripts use step N.", NULL, cmd_run, 0 },
	{ "pause", "pause [\"TEXT\"]", "Stop a run. With TEXT (presentation scripts): show TEXT and wait for a key.",
	  NULL, cmd_pause, 0 },
	{ "toggle", "toggle", "Run if paused, pause if running (the space key).", NULL, cmd_toggle, 0 },
	{ "reset", "reset", "Back to θ0 (same data, same initialisation), step 0.", NULL, cmd_reset, 1 },
	{ "reseed", "reseed", "New initialisation seed (seed+1), then reset.", NULL, cmd_reseed, 1 },
	{ "sweep", "sweep tau T1 T2 ... steps=K [seeds=S] [at=k1,k2] [schedule=const|decay] [csv=FILE]",
	  "Run each step size from the same θ0 (seeds: init seed + 0..S-1) on a copy of the session, record every law's "
	  "relative drift at the horizons at= (default K/10 and K), print mean ± sd over seeds of ε (mean law drift) and "
	  "the max law drift, and the least-squares log-log slope of drift against τ at each horizon.", NULL, cmd_sweep, 0 },
	{ "laws", "laws [all|NAME]",
	  "Table of conserved laws (checked numerically: rate <∇h,∇L> at random points), failing claims, and with "
	  "`all` the contrasts: h(θ0), h(θk), |Δh|, relative drift, check.", complete_laws, cmd_laws, 0 },
	{ "watch", "watch [NAME...|all]", "Show/export a quantity (list watched ones without argument).",
	  complete_quantity, cmd_watch, 0 },
	{ "unwatch", "unwatch NAME...|all", "Hide a quantity from the panels and CSV columns.", complete_quantity, cmd_unwatch, 0 },
	{ "show", "show [data]", "Model summary: layers, shapes, tensors, parameter count, loss, optimizer, schedule, seeds.",
	  NULL, cmd_show, 0 },
	{ "preset", "preset [NAME]", "Load a preset experiment (a script in presets/); without NAME list them.",
	  complete_preset, cmd_preset, 0 },
	{ "checks", "checks",
	  "Marks where a script's checks begin: `preset NAME` stops there (the experiment is left at step 0), "
	  "`noether -b FILE` goes on and runs the steps and expect lines.", NULL, cmd_checks, 0 },
	{ "source", "source FILE", "Run the commands of FILE.", NULL, cmd_source, 0 },
	{ "export", "export csv FILE [every=N]",
	  "Write the trace as CSV: # metadata (version, seeds, commands), header step,tau,loss,law:NAME...,q:NAME..., "
	  "one row per step (%.17g).", complete_export, cmd_export, 0 },
	{ "expect", "expect METRIC OP VALUE | expect NAME is law|claimed-fails|contrast",
	  "Assertion; a failure makes a script exit 1. METRIC: loss loss0 step budget params laws claimed-fails "
	  "contrasts laws.max-rel laws.max-abs laws.max-rate laws.max-ratio (law drift over the smallest change of its own terms) contrasts.min-rel contrasts.max-rel eps-block NAME.rel "
	  "NAME.abs NAME.value NAME.value0 NAME.rate. VALUE: a number or [NUMBER*]METRIC.", complete_metric, cmd_expect, 0 },
	{ "print", "print METRIC...", "Print metrics (same names as expect) with 17 digits.", complete_metric, cmd_print, 0 },
	{ "echo", "echo TEXT...", "Print TEXT.", NULL, cmd_echo, 0 },
	{ "caption", "caption \"TEXT\"", "Set the caption line (presentation mode).", NULL, cmd_screen, 0 },
	{ "help", "help [CMD | layer KIND]", "This list, or the help of one command or layer kind.", complete_help, cmd_help, 0 },
	{ "quit", "quit", "Leave noether (the terminal is restored).", NULL, cmd_quit, 0 },
	{ NULL, NULL, NULL, NULL, NULL, 0 },
};
