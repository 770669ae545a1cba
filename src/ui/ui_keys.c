/* ui_keys.c — key bindings (see ui_keys.h). Invariant: a binding is only a
 * command string; behaviour lives in the command it names, so anything a key
 * does can be typed, scripted, recorded and replayed. */
#include <curses.h>
#include <stddef.h>
#include "ui_keys.h"

const struct ui_key ui_keys[] = {
	{ ' ',        "space",  "toggle",        "run / pause training" },
	{ 'n',        "n",      "step 1",        "one step" },
	{ '+',        "+ =",    "speed faster",  "more steps per frame (1 3 10 ... max)" },
	{ '=',        "=",      "speed faster",  NULL },
	{ '-',        "-",      "speed slower",  "fewer steps per frame" },
	{ '[',        "[",      "tau down",      "smaller step size (1-3-10 ladder), keeps the schedule kind" },
	{ ']',        "]",      "tau up",        "larger step size (1-3-10 ladder)" },
	{ 'r',        "r",      "reset",         "back to the initial point (same seed)" },
	{ 'R',        "R",      "reseed",        "new initialisation seed, then reset" },
	{ 'l',        "l",      "laws",          "table of laws and drifts" },
	{ '1',        "1-9",    "panel 1",       "toggle panel N: 1 summary 2 laws 3 contrast 4 drift 5 loss 6 sparklines 7 hints 8 big digits 9 h values" },
	{ '2',        "2",      "panel 2",       NULL },
	{ '3',        "3",      "panel 3",       NULL },
	{ '4',        "4",      "panel 4",       NULL },
	{ '5',        "5",      "panel 5",       NULL },
	{ '6',        "6",      "panel 6",       NULL },
	{ '7',        "7",      "panel 7",       NULL },
	{ '8',        "8",      "panel 8",       NULL },
	{ '9',        "9",      "panel 9",       NULL },
	{ KEY_NPAGE,  "PgDn",   "scroll down",   "scroll the quantity panels down a page (when more rows than fit)" },
	{ KEY_PPAGE,  "PgUp",   "scroll up",     "scroll the quantity panels up a page" },
	{ KEY_HOME,   "Home",   "scroll top",    "quantity panels back to their first row" },
	{ KEY_END,    "End",    "scroll end",    "quantity panels to their last rows" },
	{ 'p',        "p",      "cycle next",    "next preset" },
	{ 'P',        "P",      "cycle prev",    "previous preset" },
	{ ':',        ": /",    "focus",         "type a command (Esc leaves, Tab completes, ↑↓ history)" },
	{ '/',        "/",      "focus",         NULL },
	{ '\n',       "Enter",  "repeat",        "repeat the last typed command" },
	{ KEY_ENTER,  "Enter",  "repeat",        NULL },
	{ '?',        "? F1",   "overlay help",  "this help" },
	{ KEY_F(1),   "F1",     "overlay help",  NULL },
	{ 27,         "Esc",    "overlay close", "close the help or output overlay (none open: hide the sweep plot)" },
	{ 12,         "Ctrl-L", "redraw",        "redraw the screen" },
	{ 'q',        "q F10",  "quit",          "quit (the terminal is restored)" },
	{ KEY_F(10),  "F10",    "quit",          NULL },
	{ 0, NULL, NULL, NULL }
};

const struct ui_key *ui_key_find(int key)
{
	for (const struct ui_key *k = ui_keys; k->label; k++)
		if (k->key == key)
			return k;
	return NULL;
}
