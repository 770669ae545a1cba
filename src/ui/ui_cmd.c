/* ui_cmd.c — what the screen-only commands do (theme, caption, panels,
 * speed, overlays, ...). Their names, usage, help and argument checks live in
 * the command layer's one table (cmd_table.c, cmd_io.c); the table entry hands
 * the checked operation here through ctx->screen_op. Invariant: every key
 * binding resolves to a command of that table, so keys, typed lines, scripts
 * and recordings behave the same. A command that changes the experiment builds
 * an ordinary command line (e.g. `preset gelu2`) and runs it through
 * cmd_exec_line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readline/readline.h>
#include "cmd/cmd_follow.h"
#include "noether/util.h"
#include "ui_screen.h"

static int bad(struct ui *u, const char *usage)
{
	return cmd_error(u->ctx, NT_EINVAL, "usage: %s", usage);
}

static void join(char *buf, size_t len, int argc, char **argv)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int i = 1; i < argc && o + 1 < len; i++) {
		int n = snprintf(buf + o, len - o, "%s%s", i > 1 ? " " : "", argv[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static const long speeds[] = { 1, 3, 10, 30, 100, 300, 1000, 3000, 10000, 0 };
enum { NSPEEDS = sizeof speeds / sizeof speeds[0] };

static int speed_index(long spf)
{
	if (spf <= 0)
		return NSPEEDS - 1;
	for (int i = 0; i < NSPEEDS - 1; i++)
		if (speeds[i] >= spf)
			return i;
	return NSPEEDS - 2;
}

static int x_speed(struct ui *u, int argc, char **argv)
{
	const char *usage = "speed faster|slower|max|N";
	long n;
	if (argc != 2)
		return bad(u, usage);
	if (strcmp(argv[1], "faster") == 0 || strcmp(argv[1], "+") == 0) {
		int i = speed_index(u->spf);
		u->spf = speeds[i < NSPEEDS - 1 ? i + 1 : i];
	} else if (strcmp(argv[1], "slower") == 0 || strcmp(argv[1], "-") == 0) {
		int i = speed_index(u->spf);
		u->spf = speeds[i > 0 ? i - 1 : 0];
	} else if (strcmp(argv[1], "max") == 0) {
		u->spf = 0;
	} else if (parse_long(argv[1], &n) == 0 && n >= 0 && n <= 100000000) {
		u->spf = n;
	} else {
		return bad(u, usage);
	}
	if (u->spf > 0)
		ui_message(u, 0, "%ld step%s per frame (at most 30 frames/s)", u->spf, u->spf == 1 ? "" : "s");
	else
		ui_message(u, 0, "as many steps per frame as fit (max speed)");
	return 0;
}

static int x_panel(struct ui *u, int argc, char **argv)
{
	const char *usage = "panel N|NAME [on|off|toggle]   (names: summary laws contrast drift loss spark hints big values)";
	if (argc < 2 || argc > 3)
		return bad(u, usage);
	int p = cmd_panel_find(argv[1]);
	if (p < 0)
		return bad(u, usage);
	unsigned bit = 1u << p;
	if (argc == 2 || strcmp(argv[2], "toggle") == 0)
		u->visible ^= bit;
	else if (strcmp(argv[2], "on") == 0)
		u->visible |= bit;
	else if (strcmp(argv[2], "off") == 0)
		u->visible &= ~bit;
	else
		return bad(u, usage);
	ui_message(u, 0, "panel %d %s: %s", p + 1, cmd_panel_names[p], (u->visible & bit) ? "shown" : "hidden");
	return 0;
}

static int x_cycle(struct ui *u, int argc, char **argv)
{
	const char *usage = "cycle next|prev";
	if (argc != 2 || (strcmp(argv[1], "next") != 0 && strcmp(argv[1], "prev") != 0))
		return bad(u, usage);
	const char *const *names = cmd_preset_names();
	int n = 0;
	while (names && names[n])
		n++;
	if (n == 0)
		return cmd_error(u->ctx, NT_ENOENT, "no presets found (set NOETHER_PRESETS or run from the source tree)");
	if (u->preset_idx < 0) {
		/* start from the preset the experiment was built by, if any */
		const struct experiment *x = u->ctx->x;
		for (int h = experiment_history_len(x) - 1; h >= 0 && u->preset_idx < 0; h--)
			for (int i = 0; i < n; i++) {
				char want[160];
				snprintf(want, sizeof want, "preset %s", names[i]);
				if (strcmp(experiment_history(x, h), want) == 0)
					u->preset_idx = i;
			}
	}
	int dir = argv[1][0] == 'n' ? 1 : -1;
	int i = u->preset_idx < 0 ? (dir > 0 ? 0 : n - 1) : ((u->preset_idx + dir) % n + n) % n;
	char line[256];
	snprintf(line, sizeof line, "preset %s", names[i]);
	u->running = 0;
	int rc = cmd_exec_line(u->ctx, line);
	if (rc == 0) {
		u->preset_idx = i;
		ui_message(u, 0, "preset %s (%d of %d; p next, P previous)", names[i], i + 1, n);
	}
	return rc;
}

static int x_focus(struct ui *u, int argc, char **argv)
{
	(void)argc; (void)argv;
	u->focus = 1;
	u->overlay = UI_O_NONE;
	return 0;
}

static int x_overlay(struct ui *u, int argc, char **argv)
{
	const char *usage = "overlay help|output|close";
	if (argc != 2)
		return bad(u, usage);
	if (strcmp(argv[1], "help") == 0)
		u->overlay = u->overlay == UI_O_HELP ? UI_O_NONE : UI_O_HELP;
	else if (strcmp(argv[1], "output") == 0)
		u->overlay = UI_O_OUTPUT;
	else if (strcmp(argv[1], "close") == 0 && u->overlay == UI_O_NONE && u->follow_on && u->ctx->follow &&
	         !cmd_follow_stopped(u->ctx->follow)) {
		cmd_follow_stop(u->ctx->follow, "stopped (Esc)");   /* Esc: stop following, the view stays */
		ui_message(u, 0, "stopped following %s: the view stays (Esc closes it)", cmd_follow_spec(u->ctx->follow));
	} else if (strcmp(argv[1], "close") == 0 && u->overlay == UI_O_NONE && u->follow_on) {
		cmd_follow_clear(u->ctx);   /* Esc again: close the view */
		u->follow_on = 0;
		u->follow_gen = u->ctx->follow_gen;
	} else if (strcmp(argv[1], "close") == 0 && u->overlay == UI_O_NONE && u->sweep_on) {
		u->sweep_on = 0;     /* Esc with nothing open: hide the sweep plot */
		ui_message(u, 0, "sweep plot hidden (sweep show brings it back, sweep off discards it)");
	} else if (strcmp(argv[1], "close") == 0)
		u->overlay = UI_O_NONE;
	else
		return bad(u, usage);
	u->overlay_scroll = 0;
	return 0;
}

static int x_redraw(struct ui *u, int argc, char **argv)
{
	(void)argc; (void)argv;
	u->full_redraw = 1;
	return 0;
}

static int x_repeat(struct ui *u, int argc, char **argv)
{
	(void)argc; (void)argv;
	if (!u->last_cmd[0])
		return cmd_error(u->ctx, NT_ESTATE, "nothing to repeat yet: type a command after :");
	/* after this line is done (the repeated one may start long work) */
	str_copy(u->deferred, u->last_cmd, sizeof u->deferred);
	u->have_deferred = 1;
	return 0;
}

static int x_theme(struct ui *u, int argc, char **argv)
{
	const char *usage = "theme dark|light|mono|contrast";
	if (argc != 2)
		return bad(u, usage);
	for (int i = 0; i < UI_THEME_COUNT; i++)
		if (strcmp(argv[1], cmd_theme_names[i]) == 0) {
			u->theme = i;
			ui_theme_apply(u);
			if (!u->can_color && i != UI_THEME_MONO)
				ui_message(u, 0, "theme %s: no colours here (NO_COLOR, --no-color or the terminal), using attributes", argv[1]);
			return 0;
		}
	return bad(u, usage);
}

static int x_caption(struct ui *u, int argc, char **argv)
{
	join(u->caption, sizeof u->caption, argc, argv);
	return 0;
}

static int x_pause(struct ui *u, int argc, char **argv)
{
	u->running = 0;
	if (argc < 2)
		return 0;
	join(u->wait_text, sizeof u->wait_text, argc, argv);
	/* what the script printed so far counts as seen: its last line goes to
	 * the message line (o shows all of it), the screen stays visible around
	 * the pause box, and the end of the script does not bring it back */
	if (u->out_fresh && u->out_len > 0) {
		size_t e = u->out_len;
		while (e > 0 && u->out[e - 1] == '\n')
			e--;
		size_t b = e;
		while (b > 0 && u->out[b - 1] != '\n')
			b--;
		int more = b > 0;
		size_t n = e - b, cap = sizeof u->msg - (more ? 20 : 1);
		if (n > cap)
			n = cap;
		memcpy(u->msg, u->out + b, n);
		u->msg[n] = '\0';
		if (more)
			strcat(u->msg, " (o: all output)");
		u->msg_error = 0;
		u->out_fresh = 0;
	}
	u->need_q = 1;          /* the steps the script took so far, in both runs */
	ui_wait_key(u);
	return 0;
}

static int x_plot(struct ui *u, int argc, char **argv)
{
	const char *usage = "plot braille|block|ascii | plot logx [on|off|toggle]";
	if (argc >= 2 && strcmp(argv[1], "logx") == 0) {
		int now = u->logx >= 0 ? u->logx : experiment_nruns(u->ctx->x) > 1;
		if (argc == 2 || strcmp(argv[2], "toggle") == 0)
			u->logx = !now;
		else if (argc == 3 && (strcmp(argv[2], "on") == 0 || strcmp(argv[2], "off") == 0))
			u->logx = argv[2][1] == 'n';
		else
			return bad(u, usage);
		ui_message(u, 0, "step axis: %s (x toggles)", u->logx ? "log k" : "linear k");
		return 0;
	}
	if (argc != 2)
		return bad(u, usage);
	int g = strcmp(argv[1], "braille") == 0 ? UI_G_BRAILLE
	      : strcmp(argv[1], "block") == 0 ? UI_G_BLOCK
	      : strcmp(argv[1], "ascii") == 0 ? UI_G_ASCII : -1;
	if (g < 0)
		return bad(u, usage);
	if (g != UI_G_ASCII && u->ascii)
		return cmd_error(u->ctx, NT_ESTATE, "plot %s needs a UTF-8 terminal (started with --no-unicode or a non-UTF-8 locale)", argv[1]);
	u->glyphs = g;
	return 0;
}

static int x_present(struct ui *u, int argc, char **argv)
{
	const char *usage = "present on|off";
	if (argc > 2)
		return bad(u, usage);
	int on = argc == 1 ? !u->present : strcmp(argv[1], "on") == 0 ? 1 : strcmp(argv[1], "off") == 0 ? 0 : -1;
	if (on < 0)
		return bad(u, usage);
	u->present = on;
	if (on) {
		u->visible |= 1u << UI_P_BIG;
		u->theme = UI_THEME_CONTRAST;
	} else {
		u->visible &= ~(1u << UI_P_BIG);
		u->theme = u->can_color ? UI_THEME_DARK : UI_THEME_MONO;
	}
	ui_theme_apply(u);
	return 0;
}

static int x_stats(struct ui *u, int argc, char **argv)
{
	(void)argc; (void)argv;
	double wall = now_seconds() - u->t_start;
	cmd_printf(u->ctx, "screen: %ld frames in %.1f s, %.2f ms per frame\n", u->frames, wall,
	           u->frames ? 1e3 * u->t_draw / u->frames : 0.0);
	cmd_printf(u->ctx, "time drawing: %.1f%% of wall, %.1f%% of drawing+stepping\n",
	           wall > 0 ? 100 * u->t_draw / wall : 0.0,
	           u->t_draw + u->t_step > 0 ? 100 * u->t_draw / (u->t_draw + u->t_step) : 0.0);
	cmd_printf(u->ctx, "steps run by the loop: %ld (%.3g steps/s now), worst slice %.1f ms\n",
	           u->steps_run, u->rate, 1e3 * u->max_slice);
	cmd_printf(u->ctx, "worst input-to-frame latency: %.1f ms\n", 1e3 * u->max_latency);
	return 0;
}

static int x_scroll(struct ui *u, int argc, char **argv)
{
	const char *usage = "scroll up|down|top|end [laws|contrast]";
	if (argc < 2 || argc > 3)
		return bad(u, usage);
	int which = u->panel_focus ? u->panel_focus : 3;   /* a clicked panel, else both */
	if (argc == 3)
		which = strcmp(argv[2], "laws") == 0 ? 1 : strcmp(argv[2], "contrast") == 0 ? 2 : 0;
	if (!which)
		return bad(u, usage);
	int page = u->lay.laws.h > 5 ? u->lay.laws.h - 5 : 1;
	int *sc[2] = { &u->scroll_law, &u->scroll_con };
	for (int k = 0; k < 2; k++) {
		if (!((which >> k) & 1))
			continue;
		if (strcmp(argv[1], "up") == 0)
			*sc[k] -= page;
		else if (strcmp(argv[1], "down") == 0)
			*sc[k] += page;
		else if (strcmp(argv[1], "top") == 0)
			*sc[k] = 0;
		else if (strcmp(argv[1], "end") == 0)
			*sc[k] = 1 << 20;
		else
			return bad(u, usage);
		if (*sc[k] < 0)
			*sc[k] = 0;      /* the drawing clamps the other end */
	}
	return 0;
}

/* indexed by enum cmd_screen_op */
static int (*const ops[SCR_COUNT])(struct ui *u, int argc, char **argv) = {
	[SCR_CAPTION] = x_caption, [SCR_PAUSE_TEXT] = x_pause, [SCR_SPEED] = x_speed, [SCR_PANEL] = x_panel,
	[SCR_CYCLE] = x_cycle, [SCR_FOCUS] = x_focus, [SCR_OVERLAY] = x_overlay, [SCR_REDRAW] = x_redraw,
	[SCR_REPEAT] = x_repeat, [SCR_THEME] = x_theme, [SCR_PLOT] = x_plot, [SCR_PRESENT] = x_present,
	[SCR_STATS] = x_stats, [SCR_SCROLL] = x_scroll,
};

int ui_screen_op(struct cmd_ctx *c, enum cmd_screen_op op, int argc, char **argv)
{
	struct ui *u = c->ui;
	if (!u || op <= SCR_NONE || op >= SCR_COUNT || !ops[op])
		return cmd_error(c, NT_ENOENT, "%s: not a screen command", argv[0]);
	int rc = ops[op](u, argc, argv);
	u->dirty = 1;
	return rc;
}
