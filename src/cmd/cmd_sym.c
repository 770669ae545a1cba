/* cmd_sym.c — data symmetry commands: `augment GROUP` (close the data set under
 * a finite group) and the `watch NAME = EXPR` form (user quantities from
 * expressions over named tensors, rate-checked like laws).
 *
 * Invariants: augmentation always starts from the base (un-augmented) data,
 * so `augment none` restores it exactly; a watched expression keeps its text
 * and recompiles itself whenever the experiment rebuilds the model. */
#include "cmd_impl.h"
#include "noether/augment.h"
#include "noether/expr.h"
#include "noether/util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void augment_status(struct cmd_ctx *c)
{
	const struct dataset *d = experiment_data(c->x);
	if (!d->group[0]) {
		cmd_printf(c, "augment: none (%d samples)\n", d->n);
		return;
	}
	int lo, hi;
	aug_orbit_sizes(d, &lo, &hi);
	cmd_printf(c, "augment: group %s, order %d: %d base samples -> %d; distinct points per orbit %d", d->group,
	           d->orbit, d->n / d->orbit, d->n, lo);
	if (hi != lo)
		cmd_printf(c, "..%d", hi);
	cmd_printf(c, "\n");
}

int cmd_augment(struct cmd_ctx *c, int argc, char **argv)
{
	if (!experiment_data(c->x))
		return cmd_error(c, NT_ESTATE, "augment: no data yet (e.g. data teacher n=16 in=3 out=1)");
	if (argc < 2) {
		augment_status(c);
		return 0;
	}
	int rc = experiment_set_augment(c->x, argc - 1, argv + 1);
	if (rc)
		return cmd_experiment_error(c, rc);
	if (c->interactive)
		augment_status(c);
	return 0;
}

/* `watch NAME = EXPR`, `watch NAME=EXPR`, ...: argv joined, split at the first '='. */
int cmd_watch_expr(struct cmd_ctx *c, int argc, char **argv)
{
	struct experiment *x = c->x;
	char line[2048] = "";
	size_t used = 0;
	for (int i = 1; i < argc; i++) {
		int w = snprintf(line + used, sizeof line - used, "%s%s", i > 1 ? " " : "", argv[i]);
		if (w < 0 || (size_t)w >= sizeof line - used)
			return cmd_error(c, NT_ERANGE, "watch: expression too long (limit %zu characters)", sizeof line - 1);
		used += (size_t)w;
	}
	char *eq = strchr(line, '=');
	if (!eq)
		return cmd_error(c, NT_EINVAL, "usage: watch NAME = EXPR");
	*eq = 0;
	char *name = line, *text = eq + 1;
	while (*name == ' ')
		name++;
	for (char *e = name + strlen(name); e > name && e[-1] == ' '; e--)
		e[-1] = 0;
	while (*text == ' ')
		text++;
	if (!*name)
		return cmd_error(c, NT_EINVAL, "watch: missing NAME before '=' (usage: watch NAME = EXPR)");
	if (cmd_metric_reserved(name))
		return cmd_error(c, NT_EINVAL, "watch: '%s' names a built-in metric (print %s); pick another name", name, name);
	if (qset_find(experiment_quantities(x), name))
		return cmd_error(c, NT_EINVAL, "watch: a quantity named '%s' exists already (unwatch does not remove it; pick another name)", name);
	char err[512];
	struct quantity *q = expr_quantity_new(name, text, experiment_model(x), err, sizeof err);
	if (!q) {
		int col = 0;
		if (c->interactive && sscanf(err, "column %d", &col) == 1 && col > 0 && col < 200)
			cmd_printf(c, "  %s\n  %*s^\n", text, col - 1, "");
		return cmd_error(c, NT_EINVAL, "watch: %s", err);
	}
	int rc = experiment_watch(x, q);
	if (rc)
		return cmd_experiment_error(c, rc);
	char logline[2200];
	snprintf(logline, sizeof logline, "watch %s = %s", name, text);
	experiment_log(x, logline);   /* `watch` is not a provenance command, this form is */
	const struct quantity *w = qset_find(run_quantities(cmd_run_a(c)), name);
	if (c->interactive && w) {
		char v[32];
		cmd_fmt(v, sizeof v, w->h0[0]);
		cmd_printf(c, "watching %s = %s: h(θ0) = %s, %s (rate %.1e for this data and loss)\n", w->name, w->formula, v,
		           w->role == QR_LAW ? "conserved under gradient flow" : "not conserved (a contrast)", w->rate);
	}
	return 0;
}
