/* cmd_exp.c — experiments and files: `sweep tau`, `save params|data`,
 * `load params` (`laws checkpoints` is in cmd_bridge.c).
 * The work is done in the core (sweep.c, safetensors.c); these
 * handlers parse arguments, print tables and report errors. */
#include "cmd_impl.h"
#include "noether/safetensors.h"
#include "noether/sweep.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt_pm(char *buf, size_t len, double m, double sd)
{
	char a[32], b[32];
	cmd_fmt(a, sizeof a, m);
	cmd_fmt(b, sizeof b, sd);
	snprintf(buf, len, "%s ± %s", a, b);
}

void cmd_sweep_clear(struct cmd_ctx *c)
{
	if (c->sweep)
		sweep_result_free(c->sweep);
	free(c->sweep);
	free(c->sweep_spec);
	c->sweep = NULL;
	c->sweep_spec = NULL;
}

int cmd_sweep(struct cmd_ctx *c, int argc, char **argv)
{
	struct experiment *s = c->x;
	if (argc == 2 && (!strcmp(argv[1], "off") || !strcmp(argv[1], "show"))) {
		/* the screen's drift-vs-τ plot of the last sweep */
		if (!c->sweep)
			return cmd_error(c, NT_ESTATE, "sweep %s: no sweep to plot%s", argv[1],
			                 c->screen ? " (e.g. sweep tau 1e-3 3e-3 1e-2 steps=200)" : " (the plot is a screen feature)");
		if (argv[1][1] == 'f')
			cmd_sweep_clear(c);
		else
			c->sweep_gen++;
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "tau"))
		return cmd_error(c, NT_EINVAL, "usage: sweep tau T1 T2 ... steps=K [seeds=S] [at=k1,k2] [schedule=const|decay] [csv=FILE] | sweep show|off");
	const char *csv = NULL;
	char *rest[128];
	int n = 0;
	for (int i = 2; i < argc && n < 128; i++) {
		if (!strncmp(argv[i], "csv=", 4)) {
			if (!argv[i][4])
				return cmd_error(c, NT_EINVAL, "sweep: csv= needs a file name");
			csv = argv[i] + 4;
		} else
			rest[n++] = argv[i];
	}
	struct sweep_spec sp;
	char err[256];
	int rc = sweep_parse(n, rest, &sp, err, sizeof err);
	if (rc)
		return cmd_error(c, rc, "%s", err);
	if ((rc = cmd_need_experiment(c)))
		return rc;
	struct sweep_result r;
	rc = sweep_run(s, &sp, &r, c->interrupt, c->progress);
	if (rc == NT_EINTR && c->interrupt)
		*c->interrupt = 0;
	if (rc)
		return cmd_experiment_error(c, rc);
	cmd_printf(c, "sweep τ: schedule %s, optimizer %s, %d seed%s from init seed %lu, %d laws; drift relative to θ0\n",
	           sched_names[sp.sched], opt_names[experiment_settings(s)->opt.kind], sp.seeds, sp.seeds > 1 ? "s" : "",
	           experiment_init(s)->seed, r.nlaws);
	cmd_printf(c, "%-10s", "τ");
	for (int a = 0; a < sp.nat; a++) {
		char h1[48], h2[48];
		snprintf(h1, sizeof h1, "ε k=%ld", sp.at[a]);
		snprintf(h2, sizeof h2, "max k=%ld", sp.at[a]);
		cmd_printf(c, " %-22s %-22s", h1, h2);
	}
	cmd_printf(c, "\n");
	for (int j = 0; j < sp.ntau; j++) {
		char t[32];
		cmd_fmt(t, sizeof t, sp.tau[j]);
		cmd_printf(c, "%-10s", t);
		for (int a = 0; a < sp.nat; a++) {
			double m, sd;
			char e1[64], e2[64];
			int used = sweep_stat(&r, 0, j, a, &m, &sd);
			if (!used) {
				cmd_printf(c, " %-22s %-22s", "diverged", "diverged");
				continue;
			}
			fmt_pm(e1, sizeof e1, m, sd);
			sweep_stat(&r, 1, j, a, &m, &sd);
			fmt_pm(e2, sizeof e2, m, sd);
			cmd_printf(c, " %-22s %-22s", e1, e2);
		}
		cmd_printf(c, "\n");
	}
	for (int a = 0; a < sp.nat; a++) {
		double se = r.slope_eps[a], sm = r.slope_max[a];
		if (isnan(se)) {
			cmd_printf(c, "slope at k=%ld: not enough finite points to fit\n", sp.at[a]);
			continue;
		}
		const char *note = "";
		if (sp.sched == SCHED_CONST)
			note = se > 1.8 && se < 2.2 ? "  (≈ τ²: the one-step error dominates)"
			     : se < 1.8 ? "  (below 2: gradients shrink as training converges, so the drift grows slower than τ²)"
			     : "  (above 2)";
		cmd_printf(c, "log-log slope of drift vs τ at k=%ld: ε %.3f, max law %.3f%s\n", sp.at[a], se, sm, note);
	}
	for (int j = 0; j < sp.ntau; j++)
		for (int k = 0; k < sp.seeds; k++)
			if (r.diverged[j * sp.seeds + k])
				cmd_printf(c, "τ=%g seed %lu diverged (left out of the fit)\n", sp.tau[j], experiment_init(s)->seed + (unsigned long)k);
	if (csv) {
		rc = sweep_export_csv(s, &sp, &r, csv);
		if (rc) {
			sweep_result_free(&r);
			return cmd_experiment_error(c, rc);
		}
		if (c->interactive)
			cmd_printf(c, "wrote %s\n", csv);
	}
	/* kept for the screen's plot and `export plot sweep` until the next sweep */
	cmd_sweep_clear(c);
	c->sweep = xmalloc(sizeof *c->sweep);
	c->sweep_spec = xmalloc(sizeof *c->sweep_spec);
	*c->sweep = r;
	*c->sweep_spec = sp;
	c->sweep_gen++;
	return 0;
}

int cmd_save(struct cmd_ctx *c, int argc, char **argv)
{
	struct experiment *s = c->x;
	if (argc == 3 && !strcmp(argv[1], "session"))
		return cmd_save_session(c, argv[2]);   /* cmd_session.c */
	if (argc != 3 || (strcmp(argv[1], "params") && strcmp(argv[1], "data")))
		return cmd_error(c, NT_EINVAL, "usage: save params FILE.safetensors | save data FILE.csv | save session FILE.nt");
	int rc;
	if (!strcmp(argv[1], "params")) {
		if ((rc = cmd_need_experiment(c)))
			return rc;
		rc = experiment_save_params(s, argv[2]);
		if (rc)
			return cmd_experiment_error(c, rc);
		if (c->interactive)
			cmd_printf(c, "wrote %s (%zu parameters, F64, step %ld)\n", argv[2], experiment_nparams(s), run_steps(cmd_run_a(c)));
		return 0;
	}
	const struct dataset *d = experiment_data(s);
	if (!d)
		return cmd_error(c, NT_ESTATE, "save data: no data yet (e.g. data teacher n=64 in=10 out=1)");
	char err[1024];
	rc = data_csv_write(d, argv[2], err, sizeof err);
	if (rc)
		return cmd_error(c, rc, "%s", err);
	if (c->interactive)
		cmd_printf(c, "wrote %s (%d samples)\n", argv[2], d->n);
	return 0;
}

int cmd_load(struct cmd_ctx *c, int argc, char **argv)
{
	struct experiment *s = c->x;
	if (argc != 3 || strcmp(argv[1], "params"))
		return cmd_error(c, NT_EINVAL, "usage: load params FILE.safetensors");
	int rc = cmd_need_experiment(c);
	if (rc)
		return rc;
	rc = experiment_load_params(s, argv[2]);
	if (rc)
		return cmd_experiment_error(c, rc);
	c->requests |= REQ_PAUSE;
	if (c->interactive)
		cmd_printf(c, "loaded %s: θ0 = θ = the file's parameters, step 0\n", argv[2]);
	return 0;
}
