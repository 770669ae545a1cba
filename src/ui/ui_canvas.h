/* ui_canvas.h — pixel plots on a character grid, sparklines and big digits.
 *
 * Pure: a canvas is cw×ch cells, each holding a dot mask (braille 2×4 dots,
 * block 1×2 half cells, ASCII 1 dot) and the series that last drew into it
 * (for colour and for the ASCII marker, so a series is told apart by shape as
 * well as colour). Pixel (0,0) is the top-left. Storage grows only when the
 * canvas grows; clearing and drawing never allocate. */
#ifndef NOETHER_UI_CANVAS_H
#define NOETHER_UI_CANVAS_H
#include <stddef.h>

enum ui_glyphs { UI_G_BRAILLE, UI_G_BLOCK, UI_G_ASCII };

struct ui_canvas {
	int cw, ch;              /* cells */
	int px, py;              /* pixels per cell */
	int mode;                /* enum ui_glyphs */
	unsigned char *bits;     /* cw*ch dot masks */
	unsigned char *owner;    /* cw*ch series+1 of the last dot, 0 empty */
	unsigned *seen;          /* cw*ch: bit s set when series s (< 32) has a dot in the cell */
	size_t cap;
};

void ui_canvas_resize(struct ui_canvas *c, int cw, int ch, int mode);
void ui_canvas_free(struct ui_canvas *c);
void ui_canvas_clear(struct ui_canvas *c);
int ui_canvas_width(const struct ui_canvas *c);    /* pixels */
int ui_canvas_height(const struct ui_canvas *c);
/* Sets pixel (x,y) for series (0..254); out-of-range pixels are ignored. */
void ui_canvas_dot(struct ui_canvas *c, int x, int y, int series);
/* Line between two pixels; dotted != 0 sets every other pixel. */
void ui_canvas_line(struct ui_canvas *c, int x0, int y0, int x1, int y1, int series, int dotted);
/* UTF-8 (or ASCII) text of cell (cx,cy) into buf[8]; " " when empty.
 * marks[series] is the ASCII marker of each series. Returns the series+1 that
 * owns the cell (0: empty). */
int ui_canvas_glyph(const struct ui_canvas *c, int cx, int cy, const char *marks, char buf[8]);
/* Bit s set for every series s (< 32) with a dot in cell (cx,cy). */
unsigned ui_canvas_seen(const struct ui_canvas *c, int cx, int cy);
/* The ASCII glyph of cell (cx,cy) as if series s had drawn it last (its
 * marker marks[s]); braille and block glyphs do not depend on the owner. */
int ui_canvas_glyph_as(const struct ui_canvas *c, int cx, int cy, int s, const char *marks, char buf[8]);

/* Sparkline level 0..8 for a relative drift on a log scale [lo, hi] decades;
 * NaN → 0 (blank), zero or below → 1. */
int ui_spark_level(double rel, double lo, double hi);
/* Glyph of a level: "▁".."█" or " .:-=+*#@" in ASCII. */
const char *ui_spark_glyph(int level, int ascii);

/* Big digits, 5 rows tall, 4 cells per character (3 + a gap). Supported:
 * 0-9 . , - + e A B and space; others print as space. Writes row r (0..4) of
 * text into buf; returns the width in cells. */
enum { UI_BIG_H = 5, UI_BIG_W = 4 };
int ui_big_row(const char *text, int r, int ascii, char *buf, size_t len);
/* Braille-encodes a dot mask (UTF-8, 3 bytes + NUL). */
void ui_braille(unsigned mask, char out[4]);
#endif
