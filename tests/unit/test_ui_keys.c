/* test_ui_keys.c — the escape-sequence reader of the screen (ui_keys.c): the
 * bytes after an ESC that curses did not turn into a key. Each sequence is
 * consumed whole (no byte left to act as a key), known keys come out as their
 * curses codes, Alt-key is told apart from Esc followed by punctuation, and
 * xterm mouse reports (X10 and SGR) are decoded to 0-based cells. */
#include <curses.h>
#include <string.h>
#include "test.h"
#include "ui/ui_keys.h"

struct src { const char *s; size_t i, n; };

static int next(void *ctx)
{
	struct src *b = ctx;
	return b->i < b->n ? (unsigned char)b->s[b->i++] : -1;
}

/* The key for the bytes after ESC, and whether all of them were consumed. */
static int esc(const char *after, int *all, struct ui_mouse *m)
{
	struct src b = { after, 0, strlen(after) };
	int k = ui_key_escape(next, &b, m);
	*all = b.i == b.n;
	return k;
}

int main(void)
{
	struct ui_mouse m;
	int all;
	static const struct { const char *seq; int key; const char *what; } cases[] = {
		{ "", 27, "a lone ESC is Esc" },
		{ "[4~", KEY_END, "ESC [ 4 ~ is End (screen/tmux)" },
		{ "[F", KEY_END, "ESC [ F is End (xterm)" },
		{ "OF", KEY_END, "ESC O F is End (xterm application mode)" },
		{ "[1~", KEY_HOME, "ESC [ 1 ~ is Home" },
		{ "[H", KEY_HOME, "ESC [ H is Home" },
		{ "[5~", KEY_PPAGE, "PgUp" },
		{ "[6~", KEY_NPAGE, "PgDn" },
		{ "[3~", KEY_DC, "Delete" },
		{ "[A", KEY_UP, "Up" },
		{ "OB", KEY_DOWN, "Down (SS3)" },
		{ "OP", KEY_F(1), "F1 (SS3)" },
		{ "[21~", KEY_F(10), "F10" },
		{ "[1;5C", UI_KEY_NONE, "Ctrl-Right: not bound, consumed" },
		{ "[4;2~", UI_KEY_NONE, "Shift-End: not bound, consumed" },
		{ "[200~", UI_KEY_NONE, "bracketed paste start: consumed" },
		{ "[?1;2c", UI_KEY_NONE, "a private reply: consumed" },
		{ "1", UI_KEY_ALT + '1', "Alt-1 is Alt-1, not Esc then 1" },
		{ "q", UI_KEY_ALT + 'q', "Alt-q" },
		{ ":", UI_KEY_ESC_THEN + ':', "Esc then : (punctuation is not taken as Alt)" },
		{ "[", UI_KEY_NONE, "a CSI cut short: dropped" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int k = esc(cases[i].seq, &all, &m);
		CHECK(k == cases[i].key && all, cases[i].what);
	}
	CHECK(esc("[M !6", &all, &m) == UI_KEY_MOUSE && all && m.button == 0 && m.press && m.x == 0 && m.y == 21,
	      "X10 press of the left button at (0, 21)");
	CHECK(esc("[M#!6", &all, &m) == UI_KEY_MOUSE && all && !m.press, "X10 button 3 is a release");
	CHECK(esc("[Ma&%", &all, &m) == UI_KEY_MOUSE && all && m.button == 65 && m.x == 5 && m.y == 4, "X10 wheel down");
	CHECK(esc("[<0;120;45M", &all, &m) == UI_KEY_MOUSE && all && m.button == 0 && m.press && m.x == 119 && m.y == 44,
	      "SGR press beyond column 95");
	CHECK(esc("[<0;6;5m", &all, &m) == UI_KEY_MOUSE && all && !m.press, "SGR release (final m)");
	CHECK(esc("[<64;6;5M", &all, &m) == UI_KEY_MOUSE && m.button == 64, "SGR wheel up");
	CHECK(esc("[<16;6;5M", &all, &m) == UI_KEY_MOUSE && m.button == 0, "SGR ctrl-click: the modifier bit removed");
	CHECK(esc("[<0;6M", &all, &m) == UI_KEY_NONE, "SGR report with two numbers: dropped");

	/* after curses matched the kmous prefix itself */
	struct src b = { " !6", 0, 3 };
	CHECK(ui_key_mouse(next, &b, 0, &m) == UI_KEY_MOUSE && m.y == 21 && b.i == 3, "X10 rest after KEY_MOUSE");
	struct src c = { "2;10;3M", 0, 7 };
	CHECK(ui_key_mouse(next, &c, 1, &m) == UI_KEY_MOUSE && m.button == 2 && m.x == 9 && m.y == 2 && c.i == 7,
	      "SGR rest after KEY_MOUSE (right button)");
	return test_summary("test_ui_keys");
}
