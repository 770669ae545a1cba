/* cmd_compare.c — twin runs (`compare`) and the phase portrait (`portrait`).
 * Both live in the core (experiment.h), so they work the same headless and
 * on the screen: a script's `step N` steps both runs, `print B.laws.max-rel`
 * reads run B, `export csv` writes both, `portrait.rate` is a metric. */
#include "cmd_impl.h"
#include "noether/util.h"
#include <stdio.h>
#include <string.h>

/* "A: schedule const 0.05 | B: schedule decay 0.05" */
static void describe(struct cmd_ctx *c, char *buf, size_t len)
{
	const char *what = experiment_compare_what(c->x);
	size_t o = 0;
	buf[0] = '\0';
	for (int r = 0; r < experiment_nruns(c->x) && o + 1 < len; r++) {
		const struct run *run = experiment_run(c->x, r);
		const struct train_settings *st = run_settings(run);
		char set[128];
		if (!strcmp(what, "schedule"))
			schedule_format(&st->sched, set, sizeof set);
		else if (!strcmp(what, "wd"))
			snprintf(set, sizeof set, "wd %g", st->wd);
		else {
			char o2[96];
			optimizer_format(&st->opt, o2, sizeof o2);
			snprintf(set, sizeof set, "opt %s", o2);
		}
		int n = snprintf(buf + o, len - o, "%s%s: %s", r ? " | " : "", run_label(run), set);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

int cmd_compare(struct cmd_ctx *c, int argc, char **argv)
{
	char d[300];
	if (argc == 1) {
		if (!experiment_compare_what(c->x)) {
			cmd_printf(c, "compare is off (e.g. compare schedule const 0.05 decay 0.05)\n");
		} else {
			describe(c, d, sizeof d);
			cmd_printf(c, "comparing %s (same θ0, step-locked; compare off ends)\n", d);
		}
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "off")) {
		int was = experiment_compare_what(c->x) != NULL;
		experiment_compare_off(c->x);
		if (c->interactive)
			cmd_printf(c, "%s\n", was ? "compare off: back to one run (A's settings stay)" : "compare was off");
		return 0;
	}
	int rc = experiment_compare(c->x, argc - 1, argv + 1);
	if (rc)
		return cmd_experiment_error(c, rc);
	c->requests |= REQ_PAUSE;
	describe(c, d, sizeof d);
	if (c->interactive)
		cmd_printf(c, "compare %s — same θ0, step-locked; %s, compare off ends\n", d,
		           c->screen ? "space runs both" : "step N steps both");
	return 0;
}

int cmd_portrait(struct cmd_ctx *c, int argc, char **argv)
{
	const char *usage = "portrait X Y | portrait off   (X, Y: |SLICE|, |A, B|, an entry W[i,j] or an expression)";
	const struct portrait_info *p = experiment_portrait_info(c->x);
	char x[256], y[256], cs[32], rs[32];
	if (argc == 1) {
		if (!p->on)
			cmd_printf(c, "portrait is off (e.g. portrait layer1.dense.W[0,0] layer2.dense.W[0,0])\n");
		else
			cmd_printf(c, "portrait x = %s, y = %s\n", p->tx, p->ty);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "off")) {
		int was = p->on;
		experiment_portrait_off(c->x);
		if (c->interactive)
			cmd_printf(c, "%s\n", was ? "portrait off" : "portrait was off");
		return 0;
	}
	if (portrait_split(argc - 1, argv + 1, x, y, sizeof x))
		return cmd_error(c, NT_EINVAL, "usage: %s", usage);
	int rc = experiment_portrait(c->x, x, y);
	if (rc)
		return cmd_experiment_error(c, rc);
	cmd_fmt(cs, sizeof cs, p->c0);
	snprintf(rs, sizeof rs, "%.1e", p->rate);
	if (p->level_law)
		cmd_printf(c, "portrait: level set x²−y² = %s through θ0 is a law here (rate %s)\n", cs, rs);
	else
		cmd_printf(c, "portrait: x²−y² is NOT conserved here (rate %s): its level set is drawn for reference\n", rs);
	return 0;
}
