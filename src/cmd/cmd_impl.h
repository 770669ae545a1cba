/* cmd_impl.h — private to src/cmd: the handler functions the table points to,
 * grouped by topic file, and small shared helpers. */
#ifndef NOETHER_CMD_IMPL_H
#define NOETHER_CMD_IMPL_H
#include "cmd.h"
#include "cmd_plot.h"

/* cmd_model.c */
int cmd_data(struct cmd_ctx *c, int argc, char **argv);
int cmd_layer(struct cmd_ctx *c, int argc, char **argv);
int cmd_loss(struct cmd_ctx *c, int argc, char **argv);
int cmd_init(struct cmd_ctx *c, int argc, char **argv);
int cmd_show(struct cmd_ctx *c, int argc, char **argv);
/* cmd_train.c */
int cmd_opt(struct cmd_ctx *c, int argc, char **argv);
int cmd_schedule(struct cmd_ctx *c, int argc, char **argv);
int cmd_wd(struct cmd_ctx *c, int argc, char **argv);
int cmd_tau(struct cmd_ctx *c, int argc, char **argv);
int cmd_step(struct cmd_ctx *c, int argc, char **argv);
int cmd_run(struct cmd_ctx *c, int argc, char **argv);
int cmd_pause(struct cmd_ctx *c, int argc, char **argv);
int cmd_toggle(struct cmd_ctx *c, int argc, char **argv);
int cmd_reset(struct cmd_ctx *c, int argc, char **argv);
int cmd_reseed(struct cmd_ctx *c, int argc, char **argv);
/* cmd_laws.c */
int cmd_laws(struct cmd_ctx *c, int argc, char **argv);
int cmd_watch(struct cmd_ctx *c, int argc, char **argv);
int cmd_unwatch(struct cmd_ctx *c, int argc, char **argv);
int cmd_expect(struct cmd_ctx *c, int argc, char **argv);
int cmd_print(struct cmd_ctx *c, int argc, char **argv);
/* cmd_lie.c: `laws count ...` and `laws find ...` (argv[0] = "count"/"find") */
int cmd_laws_count(struct cmd_ctx *c, int argc, char **argv);
int cmd_laws_find(struct cmd_ctx *c, int argc, char **argv);
/* cmd_sym.c */
int cmd_augment(struct cmd_ctx *c, int argc, char **argv);
int cmd_watch_expr(struct cmd_ctx *c, int argc, char **argv);
/* cmd_io.c */
int cmd_export(struct cmd_ctx *c, int argc, char **argv);
int cmd_preset(struct cmd_ctx *c, int argc, char **argv);
int cmd_new(struct cmd_ctx *c, int argc, char **argv);
/* 1 when NAME is a word of the metric grammar (loss, step, laws, A, B, ...):
 * not a name for a watched quantity. */
int cmd_metric_reserved(const char *name);
int cmd_checks(struct cmd_ctx *c, int argc, char **argv);
int cmd_source(struct cmd_ctx *c, int argc, char **argv);
int cmd_help(struct cmd_ctx *c, int argc, char **argv);
int cmd_quit(struct cmd_ctx *c, int argc, char **argv);
int cmd_echo(struct cmd_ctx *c, int argc, char **argv);
int cmd_screen(struct cmd_ctx *c, int argc, char **argv);
/* cmd_compare.c: twin runs and the phase portrait */
int cmd_compare(struct cmd_ctx *c, int argc, char **argv);
int cmd_portrait(struct cmd_ctx *c, int argc, char **argv);

/* cmd_plot.c: `export plot` (the figures themselves: cmd_plot.h) */
int cmd_export_plot(struct cmd_ctx *c, int argc, char **argv);

/* cmd_exp.c */
int cmd_sweep(struct cmd_ctx *c, int argc, char **argv);
int cmd_save(struct cmd_ctx *c, int argc, char **argv);
int cmd_load(struct cmd_ctx *c, int argc, char **argv);
/* cmd_session.c: `save session FILE` (called by cmd_save) */
int cmd_save_session(struct cmd_ctx *c, const char *path);
int cmd_laws_checkpoints(struct cmd_ctx *c, int argc, char **argv);  /* laws checkpoints ... */

/* Prepares the experiment, reporting an error through the context. */
int cmd_need_experiment(struct cmd_ctx *c);
/* Reports the experiment's error message with the given code. */
int cmd_experiment_error(struct cmd_ctx *c, int code);
/* Run A (the experiment's first run). */
struct run *cmd_run_a(const struct cmd_ctx *c);
/* Formats a number compactly (%.4g, or %.3e for small/large). */
void cmd_fmt(char *buf, size_t len, double v);
#endif
