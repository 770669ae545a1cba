/* cmd_train.c — training commands: opt, schedule, wd, step, run/pause/toggle,
 * reset, reseed. `run` hands control to the front end (the screen steps in time
 * slices; the REPL steps until Ctrl-C); scripts use `step N`. */
#include "cmd_impl.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

int cmd_opt(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc < 2)
		return cmd_error(c, NT_EINVAL, "usage: opt gd | sgd [batch=B] [seed=N] | momentum [beta=0.9] | flow [tol=T] | flow+momentum [beta=B] [tol=T]");
	int rc = experiment_set_opt(c->x, argc - 1, argv + 1);
	return rc ? cmd_experiment_error(c, rc) : 0;
}

int cmd_schedule(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc < 3)
		return cmd_error(c, NT_EINVAL, "usage: schedule const TAU | decay TAU0 | cosine TAU0 K | step TAU0 every=N gamma=G");
	int rc = experiment_set_schedule(c->x, argc - 1, argv + 1);
	return rc ? cmd_experiment_error(c, rc) : 0;
}

/* Next value on the 1-3-10 ladder strictly above (up) or below x. */
static double ladder(double x, int up)
{
	if (!(x > 0) || !isfinite(x))
		return up ? 0.01 : 0.001;
	double e = floor(log10(x)), best = up ? INFINITY : 0;
	for (int k = -1; k <= 1; k++)
		for (int m = 0; m < 2; m++) {
			double v = (m ? 3.0 : 1.0) * pow(10, e + k);
			if (up && v > x * (1 + 1e-9) && v < best)
				best = v;
			if (!up && v < x * (1 - 1e-9) && v > best)
				best = v;
		}
	return best;
}

int cmd_tau(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "up") && strcmp(argv[1], "down")))
		return cmd_error(c, NT_EINVAL, "usage: tau up|down");
	struct schedule sc = experiment_settings(c->x)->sched;
	sc.tau0 = ladder(sc.tau0, argv[1][0] == 'u');
	if (sc.tau0 > 1e3 || sc.tau0 < 1e-12)
		return cmd_error(c, NT_ERANGE, "tau: %g is outside (1e-12, 1000]", sc.tau0);
	int rc = experiment_set_schedule_spec(c->x, &sc);
	if (rc)
		return cmd_experiment_error(c, rc);
	char line[128];
	schedule_format(&sc, line, sizeof line);   /* say it as the command that sets it */
	if (c->msg && c->interactive)
		c->msg(c->user, line);
	return 0;
}

int cmd_wd(struct cmd_ctx *c, int argc, char **argv)
{
	double v;
	if (argc != 2)
		return cmd_error(c, NT_EINVAL, "usage: wd LAMBDA");
	if (parse_double(argv[1], &v))
		return cmd_error(c, NT_EINVAL, "wd: '%s' is not a number", argv[1]);
	int rc = experiment_set_wd(c->x, v);
	return rc ? cmd_experiment_error(c, rc) : 0;
}

static void status_line(struct cmd_ctx *c)
{
	for (int r = 0; r < experiment_nruns(c->x); r++) {
		const struct run *run = experiment_run(c->x, r);
		const struct qset *qs = run_quantities(run);
		double mx = 0;
		for (int i = 0; i < qs->n; i++)
			if (qs->q[i]->role == QR_LAW && !qs->q[i]->internal && qs->q[i]->drift_rel > mx)
				mx = qs->q[i]->drift_rel;
		char l[32], d[32], t[32], who[8] = "";
		cmd_fmt(l, sizeof l, run_loss(run));
		cmd_fmt(d, sizeof d, mx);
		cmd_fmt(t, sizeof t, run_tau(run, run_steps(run)));
		if (experiment_nruns(c->x) > 1)
			snprintf(who, sizeof who, "%s: ", run_label(run));
		if (run_count(run, QR_LAW))
			cmd_printf(c, "%sstep %ld  τ %s  loss %s  max law drift (rel) %s\n", who, run_steps(run), t, l, d);
		else
			cmd_printf(c, "%sstep %ld  τ %s  loss %s  (no conservation laws)\n", who, run_steps(run), t, l);
	}
}

int cmd_step(struct cmd_ctx *c, int argc, char **argv)
{
	long n = 1;
	if (argc > 2)
		return cmd_error(c, NT_EINVAL, "usage: step [N]");
	if (argc == 2 && (parse_long(argv[1], &n) || n < 0 || n > 1000000000L))
		return cmd_error(c, NT_EINVAL, "step: N must be an integer in 0..1000000000, not '%s'", argv[1]);
	int rc = cmd_need_experiment(c);
	if (rc)
		return rc;
	if (c->progress && n > 1) {
		/* pieces of about a tenth of a second, so progress shows (same steps) */
		long done = 0, piece = 1;
		char stage[64];
		snprintf(stage, sizeof stage, "step %ld", n);
		nt_progress_report(c->progress, 0, stage);
		while (done < n && !rc) {
			long k = n - done < piece ? n - done : piece;
			double t0 = now_seconds();
			rc = experiment_step(c->x, k, c->interrupt);
			done += k;
			double dt = now_seconds() - t0;
			piece = dt < 0.05 ? 2 * piece : dt > 0.2 && piece > 1 ? piece / 2 : piece;
			nt_progress_report(c->progress, (double)done / (double)n, stage);
		}
	} else {
		rc = experiment_step(c->x, n, c->interrupt);
	}
	if (rc == NT_EINTR) {
		experiment_update(c->x);
		if (!c->interactive)    /* a script stops: what follows assumed N steps */
			return cmd_error(c, rc, "%s during 'step %ld'; the script stops", experiment_error(c->x), n);
		if (c->interrupt)
			*c->interrupt = 0;
		cmd_printf(c, "%s\n", experiment_error(c->x));
		return 0;
	}
	if (rc) {
		experiment_update(c->x);
		c->requests |= REQ_PAUSE;
		return cmd_experiment_error(c, rc);
	}
	if (c->interactive && !c->screen)
		status_line(c);
	return 0;
}

int cmd_run(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return cmd_error(c, NT_EINVAL, "usage: run");
	int rc = cmd_need_experiment(c);
	if (rc)
		return rc;
	if (c->screen) {
		c->requests |= REQ_RUN;
		return 0;
	}
	if (!c->interactive)
		return cmd_error(c, NT_ESTATE, "run needs the screen or the prompt; in scripts use step N");
	/* REPL: step until Ctrl-C, reporting once a second */
	double last = now_seconds();
	for (;;) {
		rc = experiment_step(c->x, 100, c->interrupt);
		if (rc == NT_EINTR) {
			if (c->interrupt)
				*c->interrupt = 0;
			experiment_update(c->x);
			status_line(c);
			return 0;
		}
		if (rc) {
			experiment_update(c->x);
			return cmd_experiment_error(c, rc);
		}
		if (now_seconds() - last > 1.0) {
			status_line(c);
			last = now_seconds();
		}
	}
}

int cmd_pause(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc > 1) /* pause "text": presentation pause, a screen matter */
		return cmd_screen(c, argc, argv);
	c->requests |= REQ_PAUSE;
	return 0;
}

int cmd_toggle(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return cmd_error(c, NT_EINVAL, "usage: toggle");
	if (c->screen) {
		c->requests |= REQ_TOGGLE;
		return 0;
	}
	return cmd_run(c, 1, argv);
}

int cmd_reset(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return cmd_error(c, NT_EINVAL, "usage: reset");
	int rc = cmd_need_experiment(c);
	if (!rc)
		rc = experiment_reset(c->x);
	if (rc)
		return cmd_experiment_error(c, rc);
	c->requests |= REQ_PAUSE;
	return 0;
}

int cmd_reseed(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return cmd_error(c, NT_EINVAL, "usage: reseed");
	int rc = cmd_need_experiment(c);
	if (!rc)
		rc = experiment_reseed(c->x);
	if (rc)
		return cmd_experiment_error(c, rc);
	if (c->interactive)
		cmd_printf(c, "init seed %lu\n", experiment_init(c->x)->seed);
	return 0;
}
