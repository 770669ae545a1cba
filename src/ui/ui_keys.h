/* ui_keys.h — the key table: every key of the screen is a command string run
 * through the same parser as typed lines and scripts. This table is the one
 * place keys are defined; the help overlay and the man page's KEY BINDINGS
 * list are printed from it. */
#ifndef NOETHER_UI_KEYS_H
#define NOETHER_UI_KEYS_H

struct ui_key {
	int key;                /* curses key code */
	const char *label;      /* as shown in help: "space", "F1", "Ctrl-L" */
	const char *command;    /* command string run through cmd_exec_line */
	const char *help;       /* one line; NULL for an alias listed with the key before */
};

extern const struct ui_key ui_keys[];   /* terminated by {0, NULL, ...} */
/* Binding of key, or NULL. */
const struct ui_key *ui_key_find(int key);
#endif
