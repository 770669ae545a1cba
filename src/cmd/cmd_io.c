/* cmd_io.c — files and meta commands: export, preset, source, help, echo, quit,
 * and the forwarding of screen-only commands to the front end. */
#include "cmd_impl.h"
#include "noether/util.h"
#include <stdio.h>
#include <string.h>

int cmd_export(struct cmd_ctx *c, int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "csv"))
		return cmd_error(c, NT_EINVAL, "usage: export csv FILE [every=N]");
	long every = 1;
	for (int i = 3; i < argc; i++) {
		if (!strncmp(argv[i], "every=", 6) && !parse_long(argv[i] + 6, &every) && every >= 1)
			continue;
		return cmd_error(c, NT_EINVAL, "export: unexpected argument '%s' (every=N, N >= 1)", argv[i]);
	}
	int rc = cmd_need_session(c);
	if (rc)
		return rc;
	session_update_quantities(c->s);
	rc = session_export_csv(c->s, argv[2], every);
	if (rc)
		return cmd_session_error(c, rc);
	if (c->interactive)
		cmd_printf(c, "wrote %s (%ld rows)\n", argv[2], c->s->trace.nrows);
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
	session_clear(c->s);
	c->running = 0;
	int saved = c->preset_depth;
	c->preset_depth = c->depth + 1;
	rc = cmd_exec_file(c, path);
	c->preset_depth = saved;
	if (rc < 0)
		return rc;
	rc = cmd_need_session(c);
	if (rc)
		return rc;
	if (c->interactive)
		cmd_printf(c, "preset %s: %d laws checked and conserved, %d claimed but failing — press space (or type run) to train\n",
		           argv[1], session_count(c->s, QR_LAW), session_count(c->s, QR_CLAIMED_FAILS));
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

int cmd_screen(struct cmd_ctx *c, int argc, char **argv)
{
	if (c->ui_cmd)
		return c->ui_cmd(c, argc, argv);
	/* headless: presentation and screen layout are no-ops, so recordings and
	 * presentation scripts also run with -b; captions are echoed at a prompt */
	if ((!strcmp(argv[0], "caption") || !strcmp(argv[0], "pause")) && c->interactive && argc > 1)
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
