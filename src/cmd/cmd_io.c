/* cmd_io.c — files and meta commands: export, preset, source, help, echo, quit,
 * and the screen-only commands: their arguments are checked here (headless
 * too), then the operation goes to the front end. */
#include "cmd_impl.h"
#include "noether/util.h"
#include <stdio.h>
#include <string.h>

int cmd_export(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "plot"))
		return cmd_export_plot(c, argc, argv);
	if (argc < 3 || strcmp(argv[1], "csv"))
		return cmd_error(c, NT_EINVAL, "usage: export csv FILE [every=N] | export plot FILE.png|.svg|.pdf "
		                 "[drift|loss|sweep|portrait] [width=W] [height=H] [logx=on|off]");
	long every = 1;
	for (int i = 3; i < argc; i++) {
		if (!strncmp(argv[i], "every=", 6) && !parse_long(argv[i] + 6, &every) && every >= 1)
			continue;
		return cmd_error(c, NT_EINVAL, "export: unexpected argument '%s' (every=N, N >= 1)", argv[i]);
	}
	int rc = cmd_need_experiment(c);
	if (rc)
		return rc;
	experiment_update(c->x);
	rc = experiment_export_csv(c->x, argv[2], every);
	if (rc)
		return cmd_experiment_error(c, rc);
	struct trace_view t;
	run_trace(cmd_run_a(c), &t);
	if (c->interactive)
		cmd_printf(c, "wrote %s (%ld rows%s)\n", argv[2], t.nrows, experiment_nruns(c->x) > 1 ? ", runs A and B" : "");
	return 0;
}

int cmd_new(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc != 1)
		return cmd_error(c, NT_EINVAL, "usage: new");
	experiment_clear(c->x);
	cmd_sweep_clear(c);
	c->count_step = 0;          /* no `laws count` result */
	c->requests |= REQ_PAUSE;
	return 0;
}

int cmd_preset(struct cmd_ctx *c, int argc, char **argv)
{
	char path[1024];
	if (argc != 2) {
		const char *const *names = cmd_preset_names();
		cmd_printf(c, "usage: preset NAME; presets:");
		for (int i = 0; names[i]; i++)
			cmd_printf(c, " %s", names[i]);
		cmd_printf(c, "\n");
		return argc == 1 ? 0 : NT_EINVAL;
	}
	int rc = cmd_preset_path(argv[1], path, sizeof path);
	if (rc)
		return cmd_error(c, NT_ENOENT, "unknown preset '%s' (list: preset)", argv[1]);
	experiment_clear(c->x);
	c->requests |= REQ_PAUSE;
	int saved = c->preset_depth;
	c->preset_depth = c->depth + 1;
	rc = cmd_exec_file(c, path);
	c->preset_depth = saved;
	if (rc < 0)
		return rc;
	rc = cmd_need_experiment(c);
	if (rc)
		return rc;
	if (c->interactive)
		cmd_printf(c, "preset %s: %d laws checked and conserved, %d claimed but failing — %s\n", argv[1],
		           run_count(cmd_run_a(c), QR_LAW), run_count(cmd_run_a(c), QR_CLAIMED_FAILS),
		           c->screen ? "press space (or type run) to train" : "type step N (or run) to train");
	return 0;
}

int cmd_checks(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return cmd_error(c, NT_EINVAL, "usage: checks");
	if (c->preset_depth && c->depth == c->preset_depth)
		c->requests |= REQ_END_FILE;
	return 0;
}

int cmd_source(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc != 2)
		return cmd_error(c, NT_EINVAL, "usage: source FILE");
	return cmd_exec_file(c, argv[1]);
}

int cmd_echo(struct cmd_ctx *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		cmd_printf(c, "%s%s", i > 1 ? " " : "", argv[i]);
	cmd_printf(c, "\n");
	return 0;
}

int cmd_quit(struct cmd_ctx *c, int argc, char **argv)
{
	c->requests |= REQ_QUIT;
	return 0;
}

const char *const cmd_theme_names[] = { "dark", "light", "mono", "contrast", NULL };
const char *const cmd_panel_names[] = { "summary", "laws", "contrast", "drift", "loss", "spark", "hints", "big", "values", NULL };

int cmd_panel_find(const char *w)
{
	if (w[0] >= '1' && w[0] <= '9' && w[1] == '\0')
		return w[0] - '1';
	for (int i = 0; cmd_panel_names[i]; i++)
		if (!strcmp(w, cmd_panel_names[i]))
			return i;
	return -1;
}

static int one_of(const char *w, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(w, list[i]))
			return 1;
	return 0;
}

/* Checks the arguments of a screen operation; 0 or an error already reported. */
static int screen_args(struct cmd_ctx *c, enum cmd_screen_op op, const char *usage, int argc, char **argv)
{
	static const char *const speeds[] = { "faster", "slower", "max", "+", "-", NULL };
	static const char *const dirs[] = { "next", "prev", NULL };
	static const char *const overlays[] = { "help", "output", "close", NULL };
	static const char *const glyphs[] = { "braille", "block", "ascii", NULL };
	static const char *const onoff[] = { "on", "off", NULL };
	static const char *const onofftoggle[] = { "on", "off", "toggle", NULL };
	static const char *const scrolls[] = { "up", "down", "top", "end", NULL };
	static const char *const which[] = { "laws", "contrast", NULL };
	int ok = 1;
	long n;
	switch (op) {
	case SCR_CAPTION:
	case SCR_PAUSE_TEXT:
		break;
	case SCR_SPEED:
		ok = argc == 2 && (one_of(argv[1], speeds) || (!parse_long(argv[1], &n) && n >= 0 && n <= 100000000));
		break;
	case SCR_PANEL:
		ok = (argc == 2 || (argc == 3 && one_of(argv[2], onofftoggle))) && cmd_panel_find(argv[1]) >= 0;
		break;
	case SCR_CYCLE:
		ok = argc == 2 && one_of(argv[1], dirs);
		break;
	case SCR_OVERLAY:
		ok = argc == 2 && one_of(argv[1], overlays);
		break;
	case SCR_THEME:
		ok = argc == 2 && one_of(argv[1], cmd_theme_names);
		break;
	case SCR_PLOT:
		ok = (argc == 2 && one_of(argv[1], glyphs)) ||
		     (argc >= 2 && !strcmp(argv[1], "logx") && (argc == 2 || (argc == 3 && one_of(argv[2], onofftoggle))));
		break;
	case SCR_PRESENT:
		ok = argc == 1 || (argc == 2 && one_of(argv[1], onoff));
		break;
	case SCR_SCROLL:
		ok = (argc == 2 || (argc == 3 && one_of(argv[2], which))) && one_of(argv[1], scrolls);
		break;
	default:           /* focus, redraw, repeat, stats: no arguments */
		ok = argc == 1;
		break;
	}
	if (ok)
		return 0;
	if (op == SCR_SPEED && argc == 2)
		return cmd_error(c, NT_EINVAL, "speed: '%s' is not faster, slower, max or a step count in 0..100000000", argv[1]);
	return cmd_error(c, NT_EINVAL, "usage: %s", usage);
}

int cmd_screen(struct cmd_ctx *c, int argc, char **argv)
{
	const struct cmd *k = cmd_find(argv[0]);
	enum cmd_screen_op op = k->op;
	if (!strcmp(argv[0], "pause"))
		op = SCR_PAUSE_TEXT;
	int rc = screen_args(c, op, k->usage, argc, argv);
	if (rc)
		return rc;
	if (c->screen_op)
		return c->screen_op(c, op, argc, argv);
	/* headless: presentation and screen layout are no-ops (once their arguments
	 * check out), so recordings and presentation scripts also run with -b;
	 * captions are echoed at a prompt */
	if ((op == SCR_CAPTION || op == SCR_PAUSE_TEXT) && c->interactive && argc > 1)
		cmd_printf(c, "%s\n", argv[1]);
	else if (c->interactive)
		cmd_printf(c, "(%s: the screen is not open)\n", argv[0]);
	return 0;
}

int cmd_help(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc == 1) {
		cmd_printf(c, "commands (help CMD for details; help layer KIND for a block):\n");
		for (int i = 0; cmd_table[i].name; i++)
			cmd_printf(c, "  %-44s\n", cmd_table[i].usage);
		return 0;
	}
	if (!strcmp(argv[1], "layer") && argc > 2) {
		const struct block_kind *k = block_kind_find(argv[2]);
		if (!k)
			return cmd_error(c, NT_ENOENT, "help: unknown layer '%s'", argv[2]);
		cmd_printf(c, "layer %s\n  %s\n", k->usage, k->help);
		return 0;
	}
	const struct cmd *k = cmd_find(argv[1]);
	if (!k)
		return cmd_error(c, NT_ENOENT, "help: unknown command '%s'", argv[1]);
	cmd_printf(c, "%s\n  %s\n", k->usage, k->help);
	if (!strcmp(k->name, "layer")) {
		cmd_printf(c, "  kinds:");
		for (int i = 0; block_kinds[i]; i++)
			cmd_printf(c, " %s", block_kinds[i]->name);
		cmd_printf(c, "\n");
	}
	if (!strcmp(k->name, "data")) {
		for (int i = 0; data_kinds[i]; i++)
			cmd_printf(c, "  data %s\n", data_kind_usage(data_kinds[i]));
	}
	return 0;
}
