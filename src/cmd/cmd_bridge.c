/* cmd_bridge.c — `laws checkpoints`: the laws of an outside training run,
 * read from its safetensors checkpoints (the core's bridge.c does the work;
 * this handler parses the options, prints the tables or, with `follow`, one
 * CSV row per checkpoint as the run writes them, and checks the flat=/drifts=/
 * ratio=/na= assertions like `expect`). Following is one object (struct
 * ck_follow, cmd_follow.h) that headless loops over and the screen ticks in
 * its own loop, a slice between keys. */
#include "cmd_impl.h"
#include "cmd_follow.h"
#include "noether/afile.h"
#include "noether/bridge.h"
#include "noether/util.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USAGE "usage: laws checkpoints DIR|GLOB|FILE [map=FILE] [csv=OUT] [all] [flat=TOL] [drifts=TOL] [ratio=R] [na=N] " \
              "[follow [every=SEC] [idle=SEC] [until=STEP] [settle=SEC]]"

struct ck_opts {
	const char *spec, *map, *csv;
	double flat, drifts, ratio, every, idle, settle;
	long until, na;
	int follow, all;
};

static int parse_opts(struct cmd_ctx *c, int argc, char **argv, struct ck_opts *o)
{
	memset(o, 0, sizeof *o);
	o->flat = o->drifts = o->ratio = o->idle = -1;
	o->every = 1;
	o->settle = 5;
	o->until = -1;
	o->na = -1;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = strchr(a, '=');
		double x;
		long l;
#define KEY(k) (!strncmp(a, k "=", sizeof k) && (v = a + sizeof k, 1))
		if (KEY("map")) o->map = v;
		else if (KEY("csv")) o->csv = v;
		else if (KEY("flat") || KEY("drifts") || KEY("ratio") || KEY("every") || KEY("idle") || KEY("settle")) {
			if (parse_double(v, &x) || !(x > 0) || x > 1e9)
				return cmd_error(c, NT_EINVAL, "laws checkpoints: %.*s= needs a positive number, not '%s'", (int)(v - a - 1), a, v);
			*(a[0] == 'f' ? &o->flat : a[0] == 'd' ? &o->drifts : a[0] == 'r' ? &o->ratio : a[0] == 'e' ? &o->every
			  : a[0] == 'i' ? &o->idle : &o->settle) = x;
		} else if (KEY("until") || KEY("na")) {
			if (parse_long(v, &l) || l < 0)
				return cmd_error(c, NT_EINVAL, "laws checkpoints: %.*s= needs a whole number >= 0, not '%s'", (int)(v - a - 1), a, v);
			*(a[0] == 'u' ? &o->until : &o->na) = l;
		} else if (!strcmp(a, "follow")) o->follow = 1;
		else if (!strcmp(a, "all")) o->all = 1;
		else if (!o->spec && !strchr(a, '=')) o->spec = a;
		else
			return cmd_error(c, NT_EINVAL, "laws checkpoints: unexpected argument '%s' (%s)", a, USAGE);
#undef KEY
	}
	if (!o->spec)
		return cmd_error(c, NT_EINVAL, "%s", USAGE);
	if (o->map && !*o->map)
		return cmd_error(c, NT_EINVAL, "laws checkpoints: map= needs a file");
	if (!o->follow && (o->idle > 0 || o->until >= 0))
		return cmd_error(c, NT_EINVAL, "laws checkpoints: idle= and until= go with follow");
	return 0;
}

static void fmt(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else
		cmd_fmt(b, n, v);
}

static void human_bytes(char *b, size_t n, double v)
{
	if (v >= 1e9) snprintf(b, n, "%.2f GB", v / 1e9);
	else if (v >= 1e6) snprintf(b, n, "%.1f MB", v / 1e6);
	else snprintf(b, n, "%.1f kB", v / 1e3);
}

static void print_map(struct cmd_ctx *c, const struct bridge *b, const struct ck_opts *o, const char *pfx)
{
	const char *t = bridge_map_text(b);
	if (!t)
		return;
	if (!o->follow)
		cmd_printf(c, "map %s:\n", o->map ? o->map : "(inferred from tensor names, shapes and config.json)");
	for (const char *p = t; *p;) {
		const char *e = strchr(p, '\n');
		int len = e ? (int)(e - p) : (int)strlen(p);
		cmd_printf(c, "%s%.*s\n", pfx, len, p);
		p += len + (e ? 1 : 0);
	}
}

static void print_tables(struct cmd_ctx *c, const struct bridge *b, const struct ck_opts *o, double secs)
{
	int nck = bridge_nck(b), last = nck - 1;
	double bytes = 0;
	for (int k = 0; k < nck; k++)
		bytes += bridge_ck(b, k)->bytes;
	char hb[32], pk[32], lt[32];
	human_bytes(hb, sizeof hb, bytes);
	human_bytes(pk, sizeof pk, bridge_peak_bytes(b));
	human_bytes(lt, sizeof lt, bridge_largest_tensor_bytes(b));
	cmd_printf(c, "%d checkpoint%s (%s, %s) read in %.2f s (%.3g s per GB); peak memory %s above the start "
	           "(largest tensor in double %s)\n", nck, nck == 1 ? "" : "s", hb, nck ? bridge_ck(b, 0)->dtype : "-", secs,
	           bytes > 0 ? secs / (bytes / 1e9) : 0.0, pk, lt);
	cmd_printf(c, "%-10s %-11s %-11s %-11s %-11s %-11s %-11s %-11s\n", "step", "law max", "law mean", "contr.median", "floor max",
	           "qk max", "vo max", "mlp max");
	for (int k = 0; k < nck; k++) {
		const struct bridge_ck *ck = bridge_ck(b, k);
		char v[7][32];
		fmt(v[0], 32, ck->law_max);
		fmt(v[1], 32, ck->law_mean);
		fmt(v[2], 32, ck->contrast_median);
		fmt(v[3], 32, ck->floor_max);
		for (int g = 0; g < BG_COUNT; g++)
			fmt(v[4 + g], 32, bridge_group_max(b, g, -1, k));
		cmd_printf(c, "%-10ld %-11s %-11s %-11s %-11s %-11s %-11s %-11s\n", ck->step, v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
	}
	cmd_printf(c, "%-34s %-9s %6s %11s %11s %11s\n", "family (last checkpoint)", "role", "n", "max drift", "mean drift", "floor");
	for (int i = 0; i < bridge_nfam(b); i++) {
		const struct bridge_fam *f = bridge_fam(b, i);
		char nm[96];
		snprintf(nm, sizeof nm, "%s %s", bridge_block_name(b, f->block), f->name);
		if (f->role == BQ_NA) {
			cmd_printf(c, "%-34s %-9s %6d  not applicable: %s\n", nm, "law", f->n, f->why);
			continue;
		}
		char a[32], m[32], fl[32];
		fmt(a, sizeof a, f->hist_max[last]);
		fmt(m, sizeof m, f->hist_mean[last]);
		fmt(fl, sizeof fl, f->hist_floor[last]);
		cmd_printf(c, "%-34s %-9s %6d %11s %11s %11s\n", nm, f->role == BQ_LAW ? "law" : "contrast", f->n, a, m, fl);
	}
	if (o->all) {
		cmd_printf(c, "%-48s %12s %12s %11s %11s\n", "quantity (last checkpoint)", "h(first)", "h(last)", "rel drift", "floor");
		for (int i = 0; i < bridge_nfam(b); i++) {
			const struct bridge_fam *f = bridge_fam(b, i);
			for (int j = 0; f->role != BQ_NA && j < f->n; j++) {
				char nm[200], h0[32], hk[32], r[32], fl[32];
				double n0 = 0;
				for (int k = 0; k < f->ncomp; k++)
					n0 += f->h0[(size_t)j * f->ncomp + k] * f->h0[(size_t)j * f->ncomp + k];
				bridge_member_name(b, i, j, nm, sizeof nm);
				fmt(h0, sizeof h0, f->ncomp == 1 ? f->h0[j] : sqrt(n0));
				fmt(hk, sizeof hk, f->hk[j]);
				fmt(r, sizeof r, f->rel[j]);
				fmt(fl, sizeof fl, f->floor[j]);
				cmd_printf(c, "%-48s %12s %12s %11s %11s  %s%s\n", nm, h0, hk, r, fl, f->role == BQ_LAW ? "law" : "contrast",
				           f->ncomp > 1 ? " (norm)" : "");
			}
		}
	}
}

/* The closing line and the assertions; returns 0, or 1 when one failed. */
static int verdict(struct cmd_ctx *c, const struct bridge *b, const struct ck_opts *o)
{
	int last = bridge_nck(b) - 1;
	const struct bridge_ck *ck = last >= 0 ? bridge_ck(b, last) : NULL;
	double lmax = ck ? ck->law_max : NAN, cmed = ck ? ck->contrast_median : NAN, flo = ck ? ck->floor_max : NAN;
	char a[32], m[32], fl[48], where[200] = "";
	fmt(a, sizeof a, lmax);
	fmt(m, sizeof m, cmed);
	if (flo == 0)
		snprintf(fl, sizeof fl, "0 (F64 storage)");
	else
		fmt(fl, sizeof fl, flo);
	if (ck && ck->law_argmax_fam >= 0) {
		where[0] = ' ';
		where[1] = '(';
		bridge_member_name(b, ck->law_argmax_fam, ck->law_argmax_member, where + 2, sizeof where - 3);
		strcat(where, ")");
	}
	int na = bridge_na_count(b);
	cmd_printf(c, "%slargest law drift %s%s, median contrast drift %s (ratio %.3g); rounding floor up to %s; %d not applicable\n",
	           o->follow ? "# " : "", a, where, m, cmed > 0 ? lmax / cmed : NAN, fl, na);
	int fail = 0;
	if (o->flat > 0 && !(lmax <= o->flat)) {
		cmd_error(c, 0, "expect failed: largest law drift %s, wanted <= %g (flat=)", a, o->flat);
		fail = 1;
	}
	if (o->drifts > 0 && !(lmax >= o->drifts)) {
		cmd_error(c, 0, "expect failed: largest law drift %s, wanted >= %g (drifts=)", a, o->drifts);
		fail = 1;
	}
	if (o->ratio > 0 && !(lmax <= o->ratio * cmed)) {
		cmd_error(c, 0, "expect failed: largest law drift %s, wanted <= %g × the median contrast drift %s (ratio=)", a, o->ratio, m);
		fail = 1;
	}
	if (o->na >= 0 && na > o->na) {
		cmd_error(c, 0, "expect failed: %d laws not applicable, wanted <= %ld (na=)", na, o->na);
		fail = 1;
	}
	if (fail)
		c->expect_failed++;
	return fail;
}

static void sleep_a_little(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		break;
}

static int interrupted(struct cmd_ctx *c)
{
	return c->interrupt && *c->interrupt;
}

/* ---- following a run: one object for headless and the screen ------------- */

struct ck_follow {
	struct bridge *b;
	struct ck_opts o;              /* its strings point into the copies below */
	char spec[1024], map[1024], csvpath[1024], line[2048];
	FILE *csv;
	double last_new, last_scan;
	int refused, rc, done;
	char err[1024];                /* the last refusal */
	char why[160];                 /* why it stopped */
};

/* Opens the series and the csv= file. Returns 0 and *out, or an error (reported). */
static int follow_new(struct cmd_ctx *c, const struct ck_opts *o, const char *line, struct ck_follow **out)
{
	struct ck_follow *f = xcalloc(1, sizeof *f);
	f->o = *o;
	str_copy(f->spec, o->spec, sizeof f->spec);
	f->o.spec = f->spec;
	if (o->map) {
		str_copy(f->map, o->map, sizeof f->map);
		f->o.map = f->map;
	}
	if (o->csv) {
		str_copy(f->csvpath, o->csv, sizeof f->csvpath);
		f->o.csv = f->csvpath;
	}
	str_copy(f->line, line, sizeof f->line);
	char err[1024];
	struct bridge_opts bo = { f->o.map, 1, f->o.settle };
	int rc = bridge_open(&f->b, f->spec, &bo, err, sizeof err);
	if (rc) {
		free(f);
		return cmd_error(c, rc, "laws checkpoints: %s", err);
	}
	if (o->csv && !(f->csv = fopen(o->csv, "w"))) {
		rc = cmd_error(c, NT_EIO, "laws checkpoints: cannot write '%s': %s", o->csv, strerror(errno));
		bridge_free(f->b);
		free(f);
		return rc;
	}
	f->last_new = f->last_scan = now_seconds();
	*out = f;
	return 0;
}

int cmd_follow_tick(struct ck_follow *f, size_t budget)
{
	if (f->done)
		return FOLLOW_DONE;
	struct bridge *b = f->b;
	int w = bridge_work(b, budget, f->err, sizeof f->err);
	if (w < 0) {
		f->refused++;
		f->rc = w;
		return w;
	}
	if (w == BRIDGE_ADDED) {
		f->last_new = now_seconds();
		if (f->csv) {
			if (bridge_nck(b) == 1) {
				char *meta = bridge_csv_meta(b, f->line), *h = bridge_csv_header(b, 1);
				fprintf(f->csv, "%s%s\n", meta, h);
				free(meta);
				free(h);
			}
			char *r = bridge_csv_row(b, 1);
			fprintf(f->csv, "%s\n", r);
			fflush(f->csv);
			free(r);
		}
		if (f->o.until >= 0 && bridge_ck(b, bridge_nck(b) - 1)->step >= f->o.until) {
			f->done = 1;
			snprintf(f->why, sizeof f->why, "reached step %ld (until=)", f->o.until);
		}
		return FOLLOW_ADDED;
	}
	if (w == BRIDGE_BUSY)
		return FOLLOW_BUSY;
	if (f->o.idle > 0 && now_seconds() - f->last_new >= f->o.idle) {
		f->done = 1;
		snprintf(f->why, sizeof f->why, "no new checkpoint for %g s (idle=)", f->o.idle);
		return FOLLOW_DONE;
	}
	if (now_seconds() - f->last_scan >= f->o.every) {
		f->last_scan = now_seconds();
		int n = bridge_scan(b, f->err, sizeof f->err);
		if (n < 0) {
			f->rc = n;
			return n;
		}
	}
	return FOLLOW_IDLE;
}

const struct bridge *cmd_follow_bridge(const struct ck_follow *f) { return f->b; }
const char *cmd_follow_spec(const struct ck_follow *f) { return f->spec; }
const char *cmd_follow_error(const struct ck_follow *f) { return f->err; }
double cmd_follow_every(const struct ck_follow *f) { return f->o.every; }
double cmd_follow_next_look(const struct ck_follow *f)
{
	double t = f->o.every - (now_seconds() - f->last_scan);
	return t > 0 ? t : 0;
}

const char *cmd_follow_stopped(const struct ck_follow *f)
{
	return f->done ? f->why : NULL;
}

void cmd_follow_stop(struct ck_follow *f, const char *why)
{
	if (!f->done) {
		f->done = 1;
		str_copy(f->why, why, sizeof f->why);
	}
}

/* Closes the csv= file; returns 0 or an error (reported). */
static int follow_close_csv(struct cmd_ctx *c, struct ck_follow *f)
{
	int rc = 0;
	if (f->csv && fclose(f->csv))
		rc = cmd_error(c, NT_EIO, "laws checkpoints: writing '%s' failed", f->o.csv);
	f->csv = NULL;
	return rc;
}

void cmd_follow_free(struct ck_follow *f)
{
	if (!f)
		return;
	if (f->csv)
		fclose(f->csv);
	bridge_free(f->b);
	free(f);
}

void cmd_follow_clear(struct cmd_ctx *c)
{
	cmd_follow_free(c->follow);
	c->follow = NULL;
	c->follow_gen++;
}

static int run_follow(struct cmd_ctx *c, struct ck_follow *f)
{
	struct bridge *b = f->b;
	const struct ck_opts *o = &f->o;
	cmd_printf(c, "# following %s: a row per checkpoint (every %g s%s); Ctrl-C stops\n", o->spec, o->every,
	           o->idle > 0 ? ", stops when idle" : "");
	for (;;) {
		int w = cmd_follow_tick(f, (size_t)64 << 20);
		if (w < 0) {
			cmd_error(c, w, "laws checkpoints: %s", f->err);
			continue;
		}
		if (w == FOLLOW_ADDED) {
			if (bridge_nck(b) == 1) {
				char *meta = bridge_csv_meta(b, f->line), *h = bridge_csv_header(b, 0);
				cmd_printf(c, "%s%s\n", meta, h);
				free(meta);
				free(h);
			}
			char *r = bridge_csv_row(b, 0);
			cmd_printf(c, "%s\n", r);
			free(r);
		}
		if (w == FOLLOW_DONE) {
			if (strncmp(f->why, "reached", 7))
				cmd_printf(c, "# stopped: %s\n", f->why);
			break;
		}
		if (cmd_follow_stopped(f))
			break;              /* until= reached with this checkpoint */
		if (interrupted(c)) {
			*c->interrupt = 0;
			cmd_printf(c, "# stopped (interrupted)\n");
			break;
		}
		if (w == FOLLOW_IDLE)
			sleep_a_little(0.05);
	}
	int rc = follow_close_csv(c, f);
	char pk[32], lt[32];
	human_bytes(pk, sizeof pk, bridge_peak_bytes(b));
	human_bytes(lt, sizeof lt, bridge_largest_tensor_bytes(b));
	cmd_printf(c, "# %d checkpoints; peak memory %s above the start (largest tensor in double %s)\n", bridge_nck(b), pk, lt);
	int fail = bridge_nck(b) ? verdict(c, b, o) : 0;
	if (f->refused)
		return cmd_error(c, f->rc, "laws checkpoints: %d checkpoint%s refused (see above)", f->refused, f->refused == 1 ? "" : "s");
	return rc ? rc : fail;
}

/* laws checkpoints SPEC [options]: see USAGE and the help text in cmd_table.c */
int cmd_laws_checkpoints(struct cmd_ctx *c, int argc, char **argv)
{
	struct ck_opts o;
	int rc = parse_opts(c, argc, argv, &o);
	if (rc)
		return rc;
	char line[2048] = "laws";
	for (int i = 1; i < argc; i++)
		snprintf(line + strlen(line), sizeof line - strlen(line), " %s", argv[i]);
	if (o.follow) {
		struct ck_follow *f = NULL;
		if ((rc = follow_new(c, &o, line, &f)))
			return rc;
		if (c->screen) {
			/* the screen follows it in its loop (a view of its own), reading a
			 * slice between keys; Esc stops it */
			cmd_follow_clear(c);
			c->follow = f;
			cmd_printf(c, "following %s: %d checkpoint%s found so far; Esc stops\n", o.spec, bridge_pending(f->b),
			           bridge_pending(f->b) == 1 ? "" : "s");
			return 0;
		}
		rc = run_follow(c, f);
		cmd_follow_free(f);
		return rc;
	}
	char err[1024];
	struct bridge *b;
	struct bridge_opts bo = { o.map, o.follow, o.settle };
	if ((rc = bridge_open(&b, o.spec, &bo, err, sizeof err)))
		return cmd_error(c, rc, "laws checkpoints: %s", err);
	struct afile af;
	int have_csv = 0;
	if (o.csv) {
		if ((rc = afile_open(&af, o.csv, "w", "laws checkpoints", err, sizeof err))) {
			bridge_free(b);
			return cmd_error(c, rc, "%s", err);
		}
		have_csv = 1;
	}
	double t0 = now_seconds();
	int w, total = bridge_pending(b);
	nt_progress_report(c->progress, 0, "checkpoints");
	/* pieces of 16 MB (a few hundredths of a second): progress and Ctrl-C are answered between them */
	while ((w = bridge_work(b, (size_t)16 << 20, err, sizeof err)) != BRIDGE_IDLE) {
		if (total > 0)
			nt_progress_report(c->progress, (bridge_nck(b) + bridge_progress(b)) / total, "checkpoints");
		if (w < 0) {
			rc = cmd_error(c, w, "laws checkpoints: %s", err);
			break;
		}
		if (w == BRIDGE_ADDED && have_csv) {
			if (bridge_nck(b) == 1) {
				char *m = bridge_csv_meta(b, line), *h = bridge_csv_header(b, 1);
				fprintf(af.f, "%s%s\n", m, h);
				free(m);
				free(h);
			}
			char *r = bridge_csv_row(b, 1);
			fprintf(af.f, "%s\n", r);
			free(r);
		}
		if (interrupted(c)) {
			*c->interrupt = 0;
			rc = cmd_error(c, NT_EINTR, "laws checkpoints: interrupted after %d checkpoints", bridge_nck(b));
			break;
		}
	}
	double secs = now_seconds() - t0;
	if (rc) {
		if (have_csv)
			afile_abort(&af);
		bridge_free(b);
		return rc;
	}
	if (have_csv && (rc = afile_commit(&af, "laws checkpoints", err, sizeof err))) {
		bridge_free(b);
		return cmd_error(c, rc, "%s", err);
	}
	print_map(c, b, &o, "  ");
	print_tables(c, b, &o, secs);
	rc = verdict(c, b, &o);
	bridge_free(b);
	return rc;
}
