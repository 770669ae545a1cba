/* cmd_exp.c — experiments and files: `sweep tau`, `save params|data`,
 * `load params`, and `laws checkpoints` (the bridge to PyTorch runs).
 * The work is done in the core (sweep.c, safetensors.c, bridge.c); these
 * handlers parse arguments, print tables and report errors. */
#include "cmd_impl.h"
#include "noether/bridge.h"
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
	if (c->screen) {           /* kept for the screen's plot until the next sweep */
		cmd_sweep_clear(c);
		c->sweep = xmalloc(sizeof *c->sweep);
		c->sweep_spec = xmalloc(sizeof *c->sweep_spec);
		*c->sweep = r;
		*c->sweep_spec = sp;
		c->sweep_gen++;
		return 0;
	}
	sweep_result_free(&r);
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

/* laws checkpoints DIR|GLOB map=FILE [csv=OUT] [flat=TOL] [drifts=TOL] */
int cmd_laws_checkpoints(struct cmd_ctx *c, int argc, char **argv)
{
	const char *spec = NULL, *map = NULL, *csv = NULL;
	double flat = -1, drifts = -1;
	for (int i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "map=", 4)) map = argv[i] + 4;
		else if (!strncmp(argv[i], "csv=", 4)) csv = argv[i] + 4;
		else if (!strncmp(argv[i], "flat=", 5) && !parse_double(argv[i] + 5, &flat) && flat > 0) continue;
		else if (!strncmp(argv[i], "drifts=", 7) && !parse_double(argv[i] + 7, &drifts) && drifts > 0) continue;
		else if (!spec && !strchr(argv[i], '=')) spec = argv[i];
		else
			return cmd_error(c, NT_EINVAL, "laws checkpoints: unexpected argument '%s'", argv[i]);
	}
	if (!spec || !map || !*map)
		return cmd_error(c, NT_EINVAL, "usage: laws checkpoints DIR|GLOB map=FILE [csv=OUT] [flat=TOL] [drifts=TOL]");
	char err[1024];
	struct bridge *b = bridge_new(map, err, sizeof err);
	if (!b)
		return cmd_error(c, NT_EINVAL, "%s", err);
	char **files = NULL;
	int n = bridge_list(spec, &files, err, sizeof err), rc = 0;
	if (n < 0) {
		bridge_free(b);
		return cmd_error(c, n, "laws checkpoints: %s", err);
	}
	for (int i = 0; i < n && !rc; i++)
		if ((rc = bridge_add(b, files[i], err, sizeof err)))
			cmd_error(c, rc, "laws checkpoints: %s", err);
	for (int i = 0; i < n; i++)
		free(files[i]);
	free(files);
	if (rc) {
		bridge_free(b);
		return rc;
	}
	int last = b->nck - 1;
	cmd_printf(c, "%d checkpoints, map %s; relative drift from the first checkpoint\n", b->nck, map);
	cmd_printf(c, "%-10s", "step");
	for (int k = 0; k < b->nblocks; k++)
		cmd_printf(c, " %-14.14s %-11s %-11s", b->block_name[k], "ε", "contr.min");
	cmd_printf(c, "\n");
	for (int i = 0; i < b->nck; i++) {
		cmd_printf(c, "%-10ld", b->ck_step[i]);
		for (int k = 0; k < b->nblocks; k++) {
			char a[32], e[32], m[32];
			cmd_fmt(a, sizeof a, bridge_law_max(b, k, i));
			cmd_fmt(e, sizeof e, bridge_law_mean(b, k, i));
			cmd_fmt(m, sizeof m, bridge_contrast_min(b, k, i));
			cmd_printf(c, " max %-10s %-11s %-11s", a, e, m);
		}
		cmd_printf(c, "\n");
	}
	cmd_printf(c, "%-44s %12s %12s %11s\n", "quantity (last checkpoint)", "h(first)", "h(last)", "rel drift");
	for (int i = 0; i < b->nq; i++) {
		const struct bridge_q *q = &b->q[i];
		if (q->role == BQ_NA) {
			cmd_printf(c, "%-44s  not applicable: %s\n", q->name, q->why);
			continue;
		}
		char h0[32], hk[32], r[32];
		double n0 = 0, nk = 0;
		for (int k = 0; k < q->ncomp; k++) {
			n0 += q->val[k] * q->val[k];
			nk += q->val[(size_t)last * q->ncomp + k] * q->val[(size_t)last * q->ncomp + k];
		}
		cmd_fmt(h0, sizeof h0, q->ncomp == 1 ? q->val[0] : sqrt(n0));
		cmd_fmt(hk, sizeof hk, q->ncomp == 1 ? q->val[last] : sqrt(nk));
		cmd_fmt(r, sizeof r, q->rel[last]);
		cmd_printf(c, "%-44s %12s %12s %11s  %s%s\n", q->name, h0, hk, r, q->role == BQ_LAW ? "law" : "contrast",
		           q->ncomp > 1 ? " (norm)" : "");
	}
	double lmax = bridge_law_max(b, -1, last), cmin = bridge_contrast_min(b, -1, last);
	char a[32], m[32];
	cmd_fmt(a, sizeof a, lmax);
	cmd_fmt(m, sizeof m, cmin);
	cmd_printf(c, "largest law drift %s, smallest contrast drift %s\n", a, m);
	if (csv) {
		char line[2048] = "laws";
		for (int i = 1; i < argc; i++)
			snprintf(line + strlen(line), sizeof line - strlen(line), " %s", argv[i]);
		if ((rc = bridge_export_csv(b, csv, line, map, err, sizeof err))) {
			bridge_free(b);
			return cmd_error(c, rc, "laws checkpoints: %s", err);
		}
	}
	bridge_free(b);
	int fail = 0;
	if (flat > 0 && !(lmax <= flat)) {
		cmd_error(c, 0, "expect failed: largest law drift %s, wanted <= %g (flat=)", a, flat);
		fail = 1;
	}
	if (drifts > 0 && !(lmax >= drifts)) {
		cmd_error(c, 0, "expect failed: largest law drift %s, wanted >= %g (drifts=)", a, drifts);
		fail = 1;
	}
	if (fail) {
		c->expect_failed++;
		return 1;
	}
	return 0;
}
