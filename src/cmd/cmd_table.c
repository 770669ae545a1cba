/* cmd_table.c — THE command table: name, usage, help, completion, handler.
 * `help`, tab completion, the screen's help overlay and the man page's command
 * list (checked by a test) all come from here. Adding a command = one entry. */
#include "cmd_impl.h"
#include "noether/opts.h"
#include "noether/util.h"
#include "noether/augment.h"
#include <stdio.h>
#include <string.h>

static const char *const *complete_layer(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *list[64];
	if (argi == 0) {
		int n = 0;
		for (int i = 0; block_kinds[i] && n < 60; i++)
			list[n++] = block_kinds[i]->name;
		list[n++] = "add";
		list[n++] = "pop";
		list[n++] = "clear";
		list[n] = NULL;
		return list;
	}
	const struct block_kind *k = argc > 1 ? block_kind_find(argv[1]) : NULL;
	int n = 0;
	if (k && !strcmp(k->name, "residual")) {
		/* layer residual { dense 16 , relu , dense 8 }: after '{' or ',' an
		 * inner kind; after an inner kind its options, ',' or '}' */
		const char *prev = argv[argc - 1];
		if (argc == 2 || !strcmp(prev, "{") || !strcmp(prev, ",")) {
			if (argc == 2)
				list[n++] = "{";
			for (int i = 0; block_kinds[i] && n < 60; i++)
				if (strcmp(block_kinds[i]->name, "residual"))
					list[n++] = block_kinds[i]->name;
			list[n] = NULL;
			return list;
		}
		for (int i = argc - 1; i > 1; i--)
			if (!strcmp(argv[i - 1], "{") || !strcmp(argv[i - 1], ",") || i == 2) {
				k = block_kind_find(argv[i]);
				break;
			}
		list[n++] = ",";
		list[n++] = "}";
	}
	if (!k || !k->opts) {
		list[n] = NULL;
		return n ? list : NULL;
	}
	static char opts[32][32];
	opts_complete_keys(k->opts, opts, list + n, 31);
	return list;
}

static const char *const *complete_data(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *list[32];
	static char keys[31][32];
	if (argi == 0)
		return data_kinds;
	const struct opt_spec *spec = argc > 1 ? data_kind_opts(argv[1]) : NULL;
	if (!spec)
		return NULL;
	opts_complete_keys(spec, keys, list, 31);
	return list;
}

static const char *const *complete_loss(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	return argi == 0 ? loss_names : NULL;
}

static const char *const *complete_opt(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static char words[16][32];
	static const char *list[17];
	if (argi == 0)
		return opt_names;
	for (int k = 0; opt_names[k]; k++)       /* the chosen kind's own options */
		if (argc > 1 && !strcmp(argv[1], opt_names[k])) {
			opts_complete_keys(optimizer_options((enum opt_kind)k), words, list, 16);
			return list;
		}
	return NULL;
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
	if (!c || !c->x || experiment_dirty(c->x))
		return NULL;
	const struct qset *qs = experiment_quantities(c->x);
	if (cap < qs->n + 2) {
		cap = qs->n + 2;
		list = xrealloc(list, (size_t)cap * sizeof *list);
	}
	int n = 0;
	list[n++] = "all";
	for (int i = 0; i < qs->n; i++)
		if (!qs->q[i]->internal)
			list[n++] = qs->q[i]->name;
	list[n] = NULL;
	return list;
}

static const char *const *complete_metric(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *const metrics[] = { "loss", "loss0", "step", "budget", "params", "laws",
		"claimed-fails", "contrasts", "laws.max-rel", "laws.max-abs", "laws.max-rate", "laws.max-ratio", "laws.max-pred",
		"laws.max-pred-err", "laws.bound-ratio", "laws.empirical-c", "count.lower", "count.upper", "count.complete",
		"contrasts.min-rel", "contrasts.max-rel", "contrasts.median-rel", "eps-block", "eps-block.max", "portrait.x",
		"portrait.y", "portrait.level", "portrait.c0", "portrait.rate", "portrait.law", NULL };
	static const char *const ops[] = { "<", "<=", ">", ">=", "==", "!=", "is", NULL };
	return argi == 0 ? metrics : argi == 1 ? ops : NULL;
}

static const char *const *complete_export(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *const fmts[] = { "csv", "plot", NULL };
	static const char *const plot_opts[] = { "drift", "loss", "sweep", "portrait", "width=", "height=", "logx=on",
		"logx=off", NULL };
	return argi == 0 ? fmts : argi >= 2 && argc > 1 && !strcmp(argv[1], "plot") ? plot_opts : NULL;
}

static const char *const *complete_laws(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *const count_opts[] = { "over=all", "over=augmented", "find=on", "find=off", "degree=1",
		"degree=2", "levels=", "points=", "seed=", NULL };
	static const char *const find_opts[] = { "over=all", "over=augmented", "degree=1", "degree=2", "points=",
		"seed=", NULL };
	static const char **list;
	static int cap;
	if (argi > 0)
		return argc > 1 && !strcmp(argv[1], "count") ? count_opts : argc > 1 && !strcmp(argv[1], "find") ? find_opts : NULL;
	const char *const *q = complete_quantity(c, argi, argc, argv);
	int n = 0;
	while (q && q[n])
		n++;
	if (cap < n + 8) {
		cap = n + 8;
		list = xrealloc(list, (size_t)cap * sizeof *list);
	}
	static const char *const subs[] = { "count", "find", "drop", "keep", "checkpoints" };
	int m = 0;
	for (int i = 0; i < 5; i++)
		list[m++] = subs[i];
	for (int i = 0; i < n; i++)
		list[m++] = q[i];
	if (!q)
		list[m++] = "all";
	list[m] = NULL;
	return list;
}

static const char *const *complete_augment(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	return argi == 0 ? aug_kinds : NULL;
}

static const char *const *complete_panel(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *const states[] = { "on", "off", "toggle", NULL };
	return argi == 0 ? cmd_panel_names : argi == 1 ? states : NULL;
}

static const char *const *complete_theme(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	return argi == 0 ? cmd_theme_names : NULL;
}

static const char *const *complete_compare(struct cmd_ctx *c, int argi, int argc, char **argv)
{
	static const char *const what[] = { "schedule", "opt", "wd", "momentum", "off", NULL };
	static const char *const opts[] = { "gd", "sgd", "momentum", "flow", "flow+momentum", NULL };
	if (argi == 0)
		return what;
	if (argc > 1 && !strcmp(argv[1], "schedule"))
		return sched_names;
	if (argc > 1 && !strcmp(argv[1], "opt"))
		return opts;
	return NULL;
}

const struct cmd cmd_table[] = {
	{ "data", "data KIND [key=value ...]",
	  "Make the data set (own seed): teacher (regression from a random ReLU teacher), blobs, xor, spirals, "
	  "seq (token sequences, attention-teacher target per position), seqcls (one label per sequence). "
	  "Example: data teacher n=64 in=10 out=1 seed=1.", complete_data, cmd_data, CMD_PROVENANCE, SCR_NONE },
	{ "layer", "layer KIND [options] | layer add KIND [options] | layer pop | layer clear",
	  "Append a block; input widths are inferred from the data and the previous layer. Layers typed one after "
	  "another build one model; the first `layer` after any other configuring command or steps (data, loss, "
	  "step, a preset, ...) starts a new model (notice: new model). `layer add` always appends; `layer pop` "
	  "removes the last block, `layer clear` all. A layer that does not fit is refused and the model stays as it was. "
	  "Example: layer dense 32; layer relu; layer dense 1 bias=off.", complete_layer, cmd_layer, CMD_PROVENANCE, SCR_NONE },
	{ "loss", "loss mse|logistic|exponential|cross-entropy",
	  "Choose the loss (means over output rows; logistic/exponential take labels ±1).", complete_loss, cmd_loss, CMD_PROVENANCE, SCR_NONE },
	{ "init", "init normal|balanced|uniform [std=S] [seed=N]",
	  "Initialisation of θ0 (own seed). std (> 0) defaults to 1/sqrt(fan_in); balanced rescales each neuron so its "
	  "law is 0 at θ0 (same function).", complete_init, cmd_init, CMD_PROVENANCE, SCR_NONE },
	{ "opt", "opt gd | sgd [batch=B] [seed=N] | momentum [beta=0.9] | adam|adamw [beta1=0.9] [beta2=0.999] [eps=1e-8] "
	  "| rmsprop [alpha=0.99] [eps=1e-8] | sign | flow [tol=1e-8] | flow+momentum [beta=0.9] [tol=1e-8]",
	  "Optimizer, stepping with the schedule's τ_k (PyTorch's update rules: SGD, Adam, AdamW, RMSprop; sign is "
	  "signSGD, θ − τ sign(g + λθ)); batch=B (with seed=; B at most the samples) makes any discrete one minibatch. Every label is for the "
	  "dynamics in force: gd, sgd and flow keep the gradient-flow laws (weight decay: compared with their decayed "
	  "prediction); momentum, adam, adamw, rmsprop and sign make them contrasts with the reason, re-checked against "
	  "what the optimizer actually does. Under momentum the skew part of a Gram law's momentum map, a function of θ "
	  "and the velocity, is shown as a law (decays like β^k). flow integrates gradient flow dθ/dt = -∇L - λθ with "
	  "adaptive Dormand-Prince 5(4); step N takes N accepted steps, each at most the schedule's τ_k; time t is "
	  "continuous and Λ = λt. flow+momentum integrates θ'' + γθ' + ∇L + λθ = 0 with γ = (1-β)/√τ0.",
	  complete_opt, cmd_opt, CMD_PROVENANCE, SCR_NONE },
	{ "schedule", "schedule const TAU | decay TAU0 | cosine TAU0 K | step TAU0 every=N gamma=G",
	  "Step size τ_k: constant, τ0/(k+1), cosine over K steps, or multiplied by G every N steps. "
	  "Law drift grows like Σ τ_k² (linear in k for const, bounded for decay).", complete_schedule, cmd_schedule, CMD_PROVENANCE, SCR_NONE },
	{ "wd", "wd LAMBDA",
	  "Weight decay λ (added to the gradient; decoupled under adamw). A law h stays a law, compared with F_k·h(θ0): "
	  "F_k = Π(1-τ_i λ)² = e^{-2Λ} for a quadratic law, e^{-Λ} for a linear one (Λ = -Σ log(1-τ_k λ); λt under "
	  "flow); its relative drift is measured against its magnitude, never a decayed value scaled up.", NULL, cmd_wd,
	  CMD_PROVENANCE, SCR_NONE },
	{ "step", "step [N]", "Take N optimizer steps (default 1). Ctrl-C interrupts.", NULL, cmd_step, CMD_PROVENANCE, SCR_NONE },
	{ "run", "run", "Train continuously (screen: until pause; prompt: until Ctrl-C). Scripts use step N.", NULL, cmd_run, 0, SCR_NONE },
	{ "pause", "pause [\"TEXT\"]", "Stop a run. With TEXT (presentation scripts): show TEXT and wait for a key "
	  "(headless: echoed at a prompt, ignored in a script).", NULL, cmd_pause, 0, SCR_NONE },
	{ "toggle", "toggle", "Run if paused, pause if running (the space key).", NULL, cmd_toggle, 0, SCR_NONE },
	{ "reset", "reset", "Back to θ0 (same data, same initialisation), step 0.", NULL, cmd_reset, CMD_PROVENANCE, SCR_NONE },
	{ "reseed", "reseed", "New initialisation seed (seed+1), then reset.", NULL, cmd_reseed, CMD_PROVENANCE, SCR_NONE },
	{ "sweep", "sweep tau T1 T2 ... steps=K [seeds=S] [at=k1,k2] [schedule=const|decay] [csv=FILE] | sweep show|off",
	  "Run each step size from the same θ0 (seeds: init seed + 0..S-1) on a copy of the session, record every law's "
	  "relative drift at the horizons at= (default K/10 and K), print mean ± sd over seeds of ε (mean law drift) and "
	  "the max law drift, and the least-squares log-log slope of drift against τ at each horizon. On the screen the "
	  "result is a log-log plot of ε against τ in place of the panels (one marked line per horizon, ± sd bars, the "
	  "fitted slopes, a dotted τ² reference line); `overlay output` shows the table, Esc hides the plot, "
	  "`sweep show` brings it back, `sweep off` discards it.", NULL, cmd_sweep, 0, SCR_NONE },
	{ "laws", "laws [all|NAME] | laws count [over=all|augmented] [find=on|off] [levels=N] [points=P] [seed=N] "
	  "[params=PATTERN] | laws find [degree=1|2] [over=...] [points=P] [seed=N] [params=PATTERN] "
	  "| laws drop NAME...|found | laws keep NAME... | laws checkpoints DIR|GLOB|FILE [map=FILE] [csv=OUT] [all] [flat=TOL] [drifts=TOL] [ratio=R] [na=N] "
	  "[follow [every=SEC] [idle=SEC] [until=STEP] [settle=SEC]]",
	  "Table, for the dynamics in force (said on its first line), of the conserved laws (checked numerically: rate "
	  "<∇h,dθ/dt> at random points, dθ/dt what the optimizer does), failing claims, gradient-flow laws these dynamics break "
	  "(with the reason), and with `all` the contrasts: h(θ0), h(θk), |Δh| (h(θk) − F·h(θ0) under weight decay), "
	  "relative drift (to the law's magnitude, the sum of its terms' sizes), predicted drift where one step has an "
	  "exact identity (gd, sgd: τ²·h(∇L) per step; flow; momentum's phase-space laws), check; then ε_block per block, "
	  "the budget, the largest prediction error and the a-priori bound. `laws count`: number of independent laws near θ, "
	  "upper bound D − dim Lie(W)(θ) from rank decisions on the gradient fields and their brackets, lower bound the rank "
	  "of the laws in hand (with ReLU units that never switch named and their local laws added); last line "
	  "`laws: lower=L upper=U status=complete|open|uncertain`. `laws find`: basis of all "
	  "linear and axis-Gram quadratic laws, each verified at fresh random points, matched against the catalogue; "
	  "the ones the catalogue lacks are checked like any law and shown as laws (named found.FORM(TENSORS...)), in "
	  "every run, on the screen and in the CSV, until the model changes; `laws drop NAME|found` removes them, "
	  "`laws keep NAME...` keeps only those; "
	  "points=P solves at P random points (0, the default: one per equation) before the fresh-point check. "
	  "params=PATTERN (tensor names with * ? [..], comma-separated): only laws that depend on those parameters alone. "
	  "over=augmented: fields ∇L_Z over sampled "
	  "data sets Z (random targets). `laws checkpoints`: the catalogue laws on the safetensors checkpoints of a PyTorch run (files, shards with an index, "
	  "checkpoint-N/ folders; F64/F32/F16/BF16, streamed with bounded memory): grouped-query attention per head group and RoPE "
	  "plane, V/O, gated-MLP neurons, biases joined; the map is inferred from Llama/Qwen/Mistral or GPT-2 names and config.json "
	  "and printed (map=FILE overrides, see FILES); contrasts are each law's single terms; drift relative to the law's "
	  "magnitude, with the rounding floor of the stored precision; `all` lists every quantity; csv= writes a row per checkpoint. "
	  "`follow` watches the run and prints a CSV row per new checkpoint (every= seconds between looks, stops after idle= seconds "
	  "without one, at until=STEP, or on Ctrl-C); on the screen it shows the run in place of the panels (largest drift per law "
	  "family, ε_block per block, drift over the training steps), read a slice at a time between keys: Esc stops following, "
	  "Esc again closes the view. flat=/drifts=/ratio=/na= fail like expect unless the largest law drift is "
	  "<= TOL, >= TOL, <= R × the median contrast drift, or at most N laws are not applicable.", complete_laws, cmd_laws, 0, SCR_NONE },
	{ "watch", "watch [NAME...|all] | watch NAME = EXPR",
	  "Show/export a quantity (list watched ones without argument). `watch NAME = EXPR` defines a quantity over "
	  "named tensors, rate-checked like a law (conserved for this data and loss, or a contrast), with drift, CSV "
	  "column q:NAME and expect NAME.rel. EXPR: numbers pi + - * / ^ ( ), a·b or dot(a,b), atan2 sqrt exp log abs "
	  "sum norm2 norm; tensors by full name (layer1.dense.W), layerN.W, unique short name, W1/W2 (K-th W), "
	  "slices W[0,:] W[:,3] W[1:3,0], entry w[1] (size-1 dimensions may be omitted). NAME may not be a metric's "
	  "(loss, step, laws, A, B, ...); EXPR must be finite at θ0; a watch whose tensors a model change removes shows "
	  "nan and is no law until they are back. Example: watch angle = atan2(w[1], w[0]).", complete_quantity, cmd_watch, 0, SCR_NONE },
	{ "unwatch", "unwatch NAME...|all", "Hide a quantity from the panels and CSV columns.", complete_quantity, cmd_unwatch, 0, SCR_NONE },
	{ "augment", "augment GROUP [COORDS] [equivariant] | augment none",
	  "Close the data set under a finite group acting on the inputs (labels kept: invariant): signs I,J (flip "
	  "any subset), cyclic [I,J,..] (cyclic shifts, default all), c4 I,J (90° rotations of a plane), perm [I,J,..] "
	  "(all permutations, default all), reflect I (x_I -> -x_I) or reflect I,J (swap), seq-reverse, seq-cyclic "
	  "(positions; per-position targets move along). `equivariant` makes a coordinate group act on regression "
	  "targets too. n samples become n·|G|. `augment none` restores the base set; without GROUP: status.",
	  complete_augment, cmd_augment, CMD_PROVENANCE, SCR_NONE },
	{ "show", "show [data]", "Model summary: layers, shapes, tensors, parameter count, loss, optimizer, schedule, seeds.",
	  NULL, cmd_show, 0, SCR_NONE },
	{ "preset", "preset [NAME]", "Load a preset experiment (a script in presets/); without NAME list them.",
	  complete_preset, cmd_preset, 0, SCR_NONE },
	{ "new", "new", "Start a new experiment: no data, no layers, default settings, no watches, empty history "
	  "(what preset does before it reads its file; a saved session starts with it).", NULL, cmd_new, 0, SCR_NONE },
	{ "checks", "checks",
	  "Marks where a script's checks begin: `preset NAME` stops there (the experiment is left at step 0), "
	  "`noether -b FILE` goes on and runs the steps and expect lines.", NULL, cmd_checks, 0, SCR_NONE },
	{ "source", "source FILE", "Run the commands of FILE.", NULL, cmd_source, 0, SCR_NONE },
	{ "export", "export csv FILE [every=N] | export plot FILE.png|.svg|.pdf [drift|loss|sweep|portrait] [width=W] [height=H] [logx=on|off]",
	  "Write the trace as CSV: # metadata (version, seeds, the dynamics, commands), header step,tau,loss,"
	  "law:NAME...,q:NAME... (plain values; a matrix law: NAME.i.j per upper-triangle entry; a vector law: NAME.i), "
	  "then pred:NAME... (the predicted value of each law with an exact one-step identity), last lambda (Λ: a law is "
	  "compared with e^{-2Λ}·h(θ0), e^{-Λ} if linear), one row per recorded step (%.17g); tau is the step size taken "
	  "from that row. Under compare, run B's columns follow on the same row: B.tau,B.loss,B.law:NAME...,B.pred:NAME..., "
	  "and B.lambda after lambda. "
	  "`export plot` draws a figure for a slide or a paper (format from the extension; PNG in pixels, SVG and PDF "
	  "in points; default 960×900 for drift and loss stacked, 960×600 for one): the drift plot (relative law "
	  "drift: ε, the mean over the laws, and the largest law's; the budget Σ τk², the predicted drift, the "
	  "contrasts' median relative change, a reference line ∝ k; runs A and B under compare), the loss plot, the "
	  "last sweep's drift against τ (log-log, ± sd over seeds, a τ² reference) or the portrait (trajectory and "
	  "level set). The step axis is logarithmic unless logx=off; log axes carry evenly spaced decade ticks.",
	  complete_export, cmd_export, 0, SCR_NONE },
	{ "save", "save params FILE.safetensors | save data FILE.csv | save session FILE.nt",
	  "params: θ as safetensors (F64, tensor names as in show: layer1.dense.W ...; metadata: the command script). "
	  "data: the data set as CSV (# metadata line, header x0..x{d-1},y0..y{m-1} or label, one line per sample row). "
	  "session: the current state as a runnable script (new, then the provenance commands in order, resets and steps "
	  "included, the screen's run steps too, ending with expect step == K); noether -b FILE or source FILE "
	  "reproduces θ whatever the session held before.",
	  NULL, cmd_save, 0, SCR_NONE },
	{ "load", "load params FILE.safetensors",
	  "Read every model tensor from a safetensors file (F64/F32/F16/BF16; shapes checked, a mismatch names the tensor) "
	  "and make it θ0 and θ (step 0). Nothing changes if the file is bad.", NULL, cmd_load, CMD_PROVENANCE, SCR_NONE },
	{ "expect", "expect METRIC OP VALUE | expect NAME is law|claimed-fails|contrast",
	  "Assertion; a failure makes a script exit 1. METRIC: loss loss0 step budget params laws claimed-fails "
	  "contrasts laws.max-rel (largest drift relative to the law's magnitude) laws.max-abs laws.max-rate "
	  "laws.max-ratio (law drift over the smallest change of its own terms) laws.max-pred (largest predicted drift) "
	  "laws.max-pred-err (largest |measured − predicted| over the magnitude: rounding level for a law) "
	  "laws.bound-ratio (largest |Δh| / (max|c| Σ τ² ||∇L||²): the a-priori bound holds when <= 1) "
	  "laws.empirical-c (max |Δh| / Σ τ² seen on the run: a description, not a bound) contrasts.min-rel "
	  "contrasts.max-rel contrasts.median-rel eps-block (the papers' ε_block: mean ||Δh_i|| / ||h_i(θ0)|| over the "
	  "laws) eps-block.max (largest block's) laws.rank laws.rank-gap (rank at θ of the gradients of the laws shown as conserved, and its singular-value gap) count.lower count.upper count.complete (of the last laws count) NAME.rel "
	  "NAME.abs NAME.value NAME.value0 NAME.rate NAME.eps NAME.pred NAME.pred-err portrait.x portrait.y "
	  "portrait.level portrait.c0 portrait.rate portrait.law; under compare, B.METRIC reads run B (A.METRIC or METRIC "
	  "run A), also B.NAME is law. VALUE: a number or [NUMBER*]METRIC.", complete_metric, cmd_expect, 0, SCR_NONE },
	{ "print", "print METRIC...", "Print metrics (same names as expect) with 17 digits.", complete_metric, cmd_print, 0, SCR_NONE },
	{ "echo", "echo TEXT...", "Print TEXT.", NULL, cmd_echo, 0, SCR_NONE },
	{ "tau", "tau up|down", "Move the step size τ0 along the 1-3-10 ladder, keeping the schedule kind (keys: [ ]).",
	  NULL, cmd_tau, CMD_PROVENANCE, SCR_NONE },
	{ "caption", "caption [\"TEXT\"]", "Set the caption line (presentation mode); without TEXT clear it. "
	  "Headless: ignored (echoed at a prompt).", NULL, cmd_screen, CMD_SCREEN, SCR_CAPTION },
	{ "speed", "speed faster|slower|max|N", "Screen: steps per frame while running (keys: + -).", NULL, cmd_screen,
	  CMD_SCREEN, SCR_SPEED },
	{ "panel", "panel N|NAME [on|off|toggle]", "Screen: show or hide a panel: 1 summary, 2 laws, 3 contrast, "
	  "4 drift, 5 loss, 6 sparklines, 7 hints, 8 big digits, 9 values (keys: 1-9).", complete_panel, cmd_screen,
	  CMD_SCREEN, SCR_PANEL },
	{ "cycle", "cycle next|prev", "Screen: load the next or previous preset (keys: p P).", NULL, cmd_screen,
	  CMD_SCREEN, SCR_CYCLE },
	{ "focus", "focus", "Screen: move the keys to the command line (keys: : /).", NULL, cmd_screen, CMD_SCREEN, SCR_FOCUS },
	{ "overlay", "overlay help|output|close", "Screen: show the help or the last command's output, or close it "
	  "(keys: ? F1 Esc).", NULL, cmd_screen, CMD_SCREEN, SCR_OVERLAY },
	{ "redraw", "redraw", "Screen: repaint everything (key: Ctrl-L).", NULL, cmd_screen, CMD_SCREEN, SCR_REDRAW },
	{ "repeat", "repeat", "Screen: run the last typed command again (key: Enter on an empty line).", NULL, cmd_screen,
	  CMD_SCREEN, SCR_REPEAT },
	{ "theme", "theme dark|light|mono|contrast", "Screen: colour theme; mono uses attributes only.", complete_theme,
	  cmd_screen, CMD_SCREEN, SCR_THEME },
	{ "plot", "plot braille|block|ascii | plot logx [on|off|toggle]", "Screen: plot glyphs: braille 2x4 dots, half "
	  "blocks, or ASCII marks; `plot logx` puts the step axis of the drift and loss plots on a log scale or back "
	  "(key: x; log by default under compare, linear otherwise).",
	  NULL, cmd_screen, CMD_SCREEN, SCR_PLOT },
	{ "present", "present [on|off]", "Screen: presentation mode (big digits, caption line, high-contrast theme).",
	  NULL, cmd_screen, CMD_SCREEN, SCR_PRESENT },
	{ "stats", "stats", "Screen: frame cost, share of run time and key latency.", NULL, cmd_screen, CMD_SCREEN, SCR_STATS },
	{ "compare", "compare schedule KIND TAU KIND TAU | compare opt KIND KIND | compare wd L1 L2 | compare momentum B1 B2 | compare off",
	  "Twin runs A and B from the same θ0, step-locked: A takes the first setting (as the default setting), B the "
	  "second; both restart from θ0. Every `step N` steps both, also in scripts; metrics of B read as B.METRIC (A's as "
	  "A.METRIC or METRIC); `laws` lists both runs; `export csv` adds B's columns (B.tau, B.loss, B.law:NAME ...). "
	  "On the screen: two conserved panels titled A and B, drift and loss plots with both curves, tagged A/B, "
	  "budgets a/b. A new model, data, loss or preset ends it. Without arguments: what is compared. "
	  "Example: compare schedule const 0.05 decay 0.05.", complete_compare, cmd_compare, CMD_PROVENANCE, SCR_NONE },
	{ "portrait", "portrait X Y | portrait off",
	  "Phase portrait of two scalar coordinates of θ (|SLICE| a norm, |A, B| the norm of both, an entry "
	  "W[i,j], or any watch expression): recorded in run A's trace every step, with the level set x²−y² = c0 through "
	  "θ0, rate-checked like a law and labelled a law or not (metrics portrait.x portrait.y portrait.level "
	  "portrait.c0 portrait.rate portrait.law). On the screen it replaces the loss plot. A new model ends it. "
	  "Examples: portrait layer1.dense.W[0,0] layer2.dense.W[0,0] (f = a·b·x); "
	  "portrait |layer1.dense.W[3,:], layer1.dense.b[3]| |layer3.dense.W[:,3]| (a ReLU neuron).",
	  NULL, cmd_portrait, CMD_PROVENANCE, SCR_NONE },
	{ "scroll", "scroll up|down|top|end [laws|contrast]",
	  "Screen: scroll the quantity panels by a page when they hold more rows than fit (keys: PgUp PgDn Home End).",
	  NULL, cmd_screen, CMD_SCREEN, SCR_SCROLL },
	{ "help", "help [CMD | layer KIND]", "This list, or the help of one command or layer kind.", complete_help, cmd_help, 0, SCR_NONE },
	{ "quit", "quit", "Leave noether (the terminal is restored).", NULL, cmd_quit, 0, SCR_NONE },
	{ NULL, NULL, NULL, NULL, NULL, 0, SCR_NONE },
};
