/* cmd_model.c — commands that assemble the experiment: data, layer, loss,
 * init, and `show` (the model summary). Configuration commands are logged as
 * provenance by the dispatcher when they succeed. */
#include "cmd_impl.h"
#include "noether/augment.h"
#include "noether/util.h"
#include <stdio.h>
#include <string.h>

int cmd_experiment_error(struct cmd_ctx *c, int code)
{
	return cmd_error(c, code, "%s", experiment_error(c->x));
}

int cmd_need_experiment(struct cmd_ctx *c)
{
	int rc = experiment_prepare(c->x);
	return rc ? cmd_experiment_error(c, rc) : 0;
}

struct run *cmd_run_a(const struct cmd_ctx *c) { return experiment_run(c->x, 0); }

void cmd_fmt(char *buf, size_t len, double v)
{
	double a = v < 0 ? -v : v;
	if (v != v)
		snprintf(buf, len, "nan");
	else if (a != 0 && (a < 1e-3 || a >= 1e5))
		snprintf(buf, len, "%.3e", v);
	else
		snprintf(buf, len, "%.5g", v);
}

int cmd_data(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc < 2)
		return cmd_error(c, NT_EINVAL, "usage: data KIND [key=value ...] (kinds: teacher, blobs, xor, spirals)");
	int rc = experiment_set_data(c->x, argv[1], argc - 2, argv + 2);
	return rc ? cmd_experiment_error(c, rc) : 0;
}

/* Building a model: layers typed one after another build one model. The
 * first `layer` after anything else that configured or ran the experiment
 * (data, loss, init, steps, ...) starts a new model: the old layers go, with
 * a notice. `layer add KIND` always appends, `layer clear` empties the model.
 * The rule reads only the experiment's history length, so a script replays
 * the same decisions. */
int cmd_layer(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc < 2)
		return cmd_error(c, NT_EINVAL, "usage: layer KIND [options] | layer add KIND [options] | layer pop | layer clear (try: help layer)");
	int rc = 0, old = experiment_model(c->x)->nblocks;
	if (!strcmp(argv[1], "pop")) {
		rc = experiment_pop_layer(c->x);
	} else if (!strcmp(argv[1], "clear")) {
		experiment_clear_model(c->x);
		if (c->interactive && old)
			cmd_printf(c, "model cleared (%d layer%s): type its layers, first to last\n", old, old == 1 ? "" : "s");
	} else if (!strcmp(argv[1], "add")) {
		if (argc < 3)
			return cmd_error(c, NT_EINVAL, "usage: layer add KIND [options] (appends to the current model)");
		rc = experiment_add_layer(c->x, argc - 2, argv + 2);
	} else if (old > 0 && experiment_history_len(c->x) != c->layer_mark) {
		rc = experiment_start_model(c->x, argc - 1, argv + 1);
		if (rc)
			return cmd_error(c, rc, "as the first layer of a new model: %s", experiment_error(c->x));
		if (c->interactive) {
			char what[256] = "";
			for (int i = 1; i < argc && strlen(what) + strlen(argv[i]) + 2 < sizeof what; i++) {
				strcat(what, i > 1 ? " " : "");
				strcat(what, argv[i]);
			}
			cmd_printf(c, "new model: %s (the old %d layer%s dropped; layer add KIND appends instead)\n", what, old,
			           old == 1 ? "" : "s");
		}
	} else {
		rc = experiment_add_layer(c->x, argc - 1, argv + 1);
	}
	if (rc)
		return cmd_experiment_error(c, rc);
	c->layer_mark = experiment_history_len(c->x) + 1;   /* this command's own history line */
	return 0;
}

int cmd_loss(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc != 2)
		return cmd_error(c, NT_EINVAL, "usage: loss mse|logistic|exponential|cross-entropy");
	int rc = experiment_set_loss(c->x, argv[1]);
	return rc ? cmd_experiment_error(c, rc) : 0;
}

int cmd_init(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc < 2)
		return cmd_error(c, NT_EINVAL, "usage: init normal|balanced|uniform [std=S] [seed=N]");
	int rc = experiment_set_init(c->x, argc - 1, argv + 1);
	return rc ? cmd_experiment_error(c, rc) : 0;
}

static void shape_str(char *buf, size_t len, struct shape s)
{
	if (s.len == 1)
		snprintf(buf, len, "%d", s.width);
	else
		snprintf(buf, len, "%d×%d", s.len, s.width);
}

static void show_data(struct cmd_ctx *c)
{
	const struct dataset *d = experiment_data(c->x);
	if (!d) {
		cmd_printf(c, "data: none (e.g. data teacher n=64 in=10 out=1)\n");
		return;
	}
	if (strstr(d->desc, "seed="))
		cmd_printf(c, "data: %s\n", d->desc);
	else
		cmd_printf(c, "data: %s  (seed %lu)\n", d->desc, d->seed);
	cmd_printf(c, "  %d samples, input ", d->n);
	if (d->len > 1)
		cmd_printf(c, "%d positions × %d features", d->len, d->d_in);
	else
		cmd_printf(c, "%d features", d->d_in);
	if (d->n_classes)
		cmd_printf(c, ", %d classes\n", d->n_classes);
	else
		cmd_printf(c, ", targets %d\n", d->d_out);
	if (d->group[0]) {
		int lo, hi;
		aug_orbit_sizes(d, &lo, &hi);
		cmd_printf(c, "  augmented: group %s (order %d), %d base samples x %d; distinct points per orbit %d%s%.0d\n",
		           d->group, d->orbit, d->n / d->orbit, d->orbit, lo, hi != lo ? ".." : "", hi != lo ? hi : 0);
	}
}

int cmd_show(struct cmd_ctx *c, int argc, char **argv)
{
	struct experiment *x = c->x;
	if (argc > 1 && !strcmp(argv[1], "data")) {
		show_data(c);
		return 0;
	}
	if (argc > 1)
		return cmd_error(c, NT_EINVAL, "usage: show [data]");
	show_data(c);
	int rc = experiment_prepare(x);
	const struct model *m = experiment_model(x);
	if (rc) {
		cmd_printf(c, "model: not built: %s\n", experiment_error(x));
		for (int i = 0; i < m->nblocks; i++) {
			char d[128] = "";
			const struct block *b = &m->blocks[i];
			if (b->kind->describe)
				b->kind->describe(b, d, sizeof d);
			cmd_printf(c, "  layer%d  %s %s\n", i + 1, b->kind->name, d);
		}
		return 0;
	}
	cmd_printf(c, "model: %d layers, %zu parameters%s\n", m->nblocks, m->nparams,
	           model_tensorizable(m) ? " (tensorizable: polynomial in θ and x)" : " (not tensorizable)");
	for (int i = 0; i < m->nblocks; i++) {
		const struct block *b = &m->blocks[i];
		char in[32], out[32], d[128] = "", what[160];
		shape_str(in, sizeof in, b->in);
		shape_str(out, sizeof out, b->out);
		if (b->kind->describe)
			b->kind->describe(b, d, sizeof d);
		snprintf(what, sizeof what, "%s%s%s", b->kind->name, d[0] ? " " : "", d);   /* as typed after `layer` */
		cmd_printf(c, "  %-18s %-20s %6s -> %-6s %7zu params\n", b->name, what, in, out, b->nparam);
		for (int t = 0; t < b->ntensors; t++) {
			const struct tensor_view *v = &b->tensors[t];
			if (v->ndim == 1)
				cmd_printf(c, "      %-24s (%d)\n", v->name, v->dim[0]);
			else if (v->ndim == 2)
				cmd_printf(c, "      %-24s (%d, %d)\n", v->name, v->dim[0], v->dim[1]);
			else
				cmd_printf(c, "      %-24s (%d, %d, %d)\n", v->name, v->dim[0], v->dim[1], v->dim[2]);
		}
	}
	const struct train_settings *st = experiment_settings(x);
	const struct init_spec *in = experiment_init(x);
	char opt[96], sched[96];
	optimizer_format(&st->opt, opt, sizeof opt);
	schedule_format(&st->sched, sched, sizeof sched);
	cmd_printf(c, "loss: %s   opt: %s   %s   wd: %g\n", loss_names[experiment_loss(x)], opt, sched, st->wd);
	if (in->std > 0)
		cmd_printf(c, "init: %s std=%g seed=%lu\n", in->kind == INIT_BALANCED ? "balanced" : in->kind == INIT_UNIFORM ? "uniform" : "normal",
		           in->std, in->seed);
	else
		cmd_printf(c, "init: %s (std 1/sqrt(fan_in)) seed=%lu\n",
		           in->kind == INIT_BALANCED ? "balanced" : in->kind == INIT_UNIFORM ? "uniform" : "normal", in->seed);
	const struct run *a = cmd_run_a(c);
	cmd_printf(c, "laws: %d conserved (checked), %d claimed but failing, %d contrasts\n",
	           run_count(a, QR_LAW), run_count(a, QR_CLAIMED_FAILS), run_count(a, QR_CONTRAST));
	return 0;
}
