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

/* Escape sequences curses did not turn into a key (a terminfo entry that does
 * not match the terminal, e.g. End as ESC [ 4 ~ under TERM=xterm inside tmux)
 * arrive byte by byte after an ESC. ui_key_escape reads the rest of one
 * sequence from next(ctx) (which returns -1 when no byte is waiting) and
 * consumes it whole: a lone ESC is the Esc key (27); CSI and SS3 sequences of
 * the cursor, editing and function keys become the curses key code; Alt-c
 * (ESC then a letter or digit) becomes UI_KEY_ALT + c; ESC then another
 * character is the Esc key followed by that key, UI_KEY_ESC_THEN + c (Esc
 * then : typed quickly, more likely than Alt-:); anything else is
 * UI_KEY_NONE, so no byte of it ever acts as a key of its own. */
enum { UI_KEY_NONE = -2, UI_KEY_MOUSE = -3, UI_KEY_ALT = 0x40000, UI_KEY_ESC_THEN = 0x80000 };

/* A mouse report (xterm protocol: X10 "ESC [ M b x y" or SGR
 * "ESC [ < b ; x ; y M|m"): 0-based cell, button 0-2 (left, middle,
 * right), 64/65 the wheel up/down, with the motion and modifier bits removed;
 * press 0 for a release. */
struct ui_mouse { int y, x, button, press; };

/* Reads one escape sequence after ESC (see above). A mouse report fills *m
 * and returns UI_KEY_MOUSE. */
int ui_key_escape(int (*next)(void *ctx), void *ctx, struct ui_mouse *m);
/* The rest of a mouse report after curses matched its prefix (the terminfo
 * kmous, "ESC [ M" or "ESC [ <": sgr) and returned KEY_MOUSE: UI_KEY_MOUSE
 * with *m filled, or UI_KEY_NONE. */
int ui_key_mouse(int (*next)(void *ctx), void *ctx, int sgr, struct ui_mouse *m);
#endif
