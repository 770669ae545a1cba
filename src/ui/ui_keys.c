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
	{ 'o',        "o",      "overlay output", "the last command's output, with the last error in full" },
	{ 'x',        "x",      "plot logx",     "step axis of the plots: log k / linear k (log by default under compare)" },
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
	{ 27,         "Esc",    "overlay close", "close the help or output overlay (none open: stop following checkpoints, then close that view; or hide the sweep plot)" },
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

/* "ESC [ n ~" keys (VT220 / xterm / screen). */
static int tilde_key(int n)
{
	switch (n) {
	case 1: case 7: return KEY_HOME;
	case 2: return KEY_IC;
	case 3: return KEY_DC;
	case 4: case 8: return KEY_END;
	case 5: return KEY_PPAGE;
	case 6: return KEY_NPAGE;
	case 11: case 12: case 13: case 14: case 15: return KEY_F(n - 10);
	case 17: case 18: case 19: case 20: case 21: return KEY_F(n - 11);
	case 23: case 24: return KEY_F(n - 12);
	default: return UI_KEY_NONE;
	}
}

/* Final byte of a CSI or SS3 sequence without parameters. */
static int final_key(int f)
{
	switch (f) {
	case 'A': return KEY_UP;
	case 'B': return KEY_DOWN;
	case 'C': return KEY_RIGHT;
	case 'D': return KEY_LEFT;
	case 'H': return KEY_HOME;
	case 'F': return KEY_END;
	case 'P': return KEY_F(1);
	case 'Q': return KEY_F(2);
	case 'R': return KEY_F(3);
	case 'S': return KEY_F(4);
	case 'M': return KEY_ENTER;
	default: return UI_KEY_NONE;
	}
}

static int mouse_fill(struct ui_mouse *m, int b, int x, int y, int press)
{
	if (x < 1 || y < 1)
		return UI_KEY_NONE;
	m->button = b & ~(4 | 8 | 16 | 32);     /* shift, meta, ctrl, motion */
	m->x = x - 1;
	m->y = y - 1;
	m->press = press && (b & 3) != 3;      /* X10: button 3 is a release */
	return UI_KEY_MOUSE;
}

int ui_key_mouse(int (*next)(void *ctx), void *ctx, int sgr, struct ui_mouse *m)
{
	if (!sgr) {                             /* three bytes, each 32 + value */
		int b = next(ctx), x = next(ctx), y = next(ctx);
		if (b < 32 || x < 33 || y < 33 || b > 255 || x > 255 || y > 255)
			return UI_KEY_NONE;
		return mouse_fill(m, b - 32, x - 32, y - 32, 1);
	}
	int v[3] = { 0 }, k = 0;                /* b ; x ; y then M (press) or m (release) */
	for (int guard = 0; guard < 32; guard++) {
		int c = next(ctx);
		if (c >= '0' && c <= '9') {
			v[k] = v[k] * 10 + (c - '0');
			if (v[k] > 100000)
				return UI_KEY_NONE;
		} else if (c == ';' && k < 2) {
			k++;
		} else if ((c == 'M' || c == 'm') && k == 2) {
			return mouse_fill(m, v[0], v[1], v[2], c == 'M');
		} else {
			return UI_KEY_NONE;
		}
	}
	return UI_KEY_NONE;
}

int ui_key_escape(int (*next)(void *ctx), void *ctx, struct ui_mouse *m)
{
	int c = next(ctx);
	if (c < 0)
		return 27;                      /* a lone Esc */
	if (c == 'O') {                         /* SS3: one final byte */
		int f = next(ctx);
		if (f < 0)
			return UI_KEY_ALT + 'O';
		return final_key(f);
	}
	if (c != '[') {
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			return UI_KEY_ALT + c;
		return c == 27 ? 27 : c < 256 ? UI_KEY_ESC_THEN + c : UI_KEY_NONE;
	}
	/* CSI: parameter bytes 0x30-0x3F, intermediates 0x20-0x2F, a final 0x40-0x7E */
	int params[8] = { 0 }, np = 0, any = 0, priv = 0, n = 0, f = -1;
	for (int guard = 0; guard < 64; guard++) {
		int b = next(ctx);
		if (guard == 0 && b == '<')
			return ui_key_mouse(next, ctx, 1, m);   /* SGR mouse report */
		if (guard == 0 && b == 'M')
			return ui_key_mouse(next, ctx, 0, m);   /* X10 mouse report */
		if (b < 0)
			return UI_KEY_NONE;             /* cut short: drop what came */
		if (b >= '0' && b <= '9') {
			if (np < 8)
				params[np] = params[np] * 10 + (b - '0');
			any = 1;
		} else if (b == ';') {
			if (np < 7)
				np++;
		} else if (b >= 0x3c && b <= 0x3f) {
			priv = 1;                   /* < = > ?: private (SGR mouse, ...) */
		} else if (b >= 0x20 && b <= 0x2f) {
			n++;
		} else if (b >= 0x40 && b <= 0x7e) {
			f = b;
			break;
		} else {
			return UI_KEY_NONE;
		}
	}
	if (f < 0 || priv || n)
		return UI_KEY_NONE;
	if (f == '~')
		return np == 0 ? tilde_key(params[0]) : UI_KEY_NONE;   /* with a modifier: not bound */
	if (!any || (np == 0 && params[0] == 1))
		return final_key(f);
	return UI_KEY_NONE;                     /* Ctrl/Shift/Alt + key: not bound */
}
