/* ui_canvas.c — dot rasters, sparklines and the big-digit font (see
 * ui_canvas.h). The braille cell maps dot (col,row) to the Unicode bit order
 * 1 4 / 2 5 / 3 6 / 7 8; block mode uses the upper/lower half blocks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "noether/util.h"
#include "ui_canvas.h"

static const unsigned char braille_bit[4][2] = {
	{ 0x01, 0x08 }, { 0x02, 0x10 }, { 0x04, 0x20 }, { 0x40, 0x80 }
};

void ui_canvas_resize(struct ui_canvas *c, int cw, int ch, int mode)
{
	if (cw < 0)
		cw = 0;
	if (ch < 0)
		ch = 0;
	size_t need = (size_t)cw * (size_t)ch;
	if (need > c->cap) {
		c->bits = xrealloc(c->bits, need ? need : 1);
		c->owner = xrealloc(c->owner, need ? need : 1);
		c->seen = xrealloc(c->seen, (need ? need : 1) * sizeof *c->seen);
		c->cap = need;
	}
	c->cw = cw;
	c->ch = ch;
	c->mode = mode;
	c->px = mode == UI_G_BRAILLE ? 2 : 1;
	c->py = mode == UI_G_BRAILLE ? 4 : mode == UI_G_BLOCK ? 2 : 1;
	ui_canvas_clear(c);
}

void ui_canvas_free(struct ui_canvas *c)
{
	free(c->bits);
	free(c->owner);
	free(c->seen);
	memset(c, 0, sizeof *c);
}

void ui_canvas_clear(struct ui_canvas *c)
{
	size_t n = (size_t)c->cw * (size_t)c->ch;
	if (n) {
		memset(c->bits, 0, n);
		memset(c->owner, 0, n);
		memset(c->seen, 0, n * sizeof *c->seen);
	}
}

int ui_canvas_width(const struct ui_canvas *c) { return c->cw * c->px; }
int ui_canvas_height(const struct ui_canvas *c) { return c->ch * c->py; }

void ui_canvas_dot(struct ui_canvas *c, int x, int y, int series)
{
	if (x < 0 || y < 0 || x >= c->cw * c->px || y >= c->ch * c->py)
		return;
	int cx = x / c->px, cy = y / c->py, dx = x % c->px, dy = y % c->py;
	size_t i = (size_t)cy * (size_t)c->cw + (size_t)cx;
	unsigned char bit;
	if (c->mode == UI_G_BRAILLE)
		bit = braille_bit[dy][dx];
	else if (c->mode == UI_G_BLOCK)
		bit = dy ? 2 : 1;
	else
		bit = 1;
	c->bits[i] |= bit;
	c->owner[i] = (unsigned char)(series + 1);
	if (series >= 0 && series < 32)
		c->seen[i] |= 1u << series;
}

void ui_canvas_line(struct ui_canvas *c, int x0, int y0, int x1, int y1, int series, int dotted)
{
	int dx = abs(x1 - x0), dy = -abs(y1 - y0);
	int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
	int err = dx + dy, k = 0;
	for (;;) {
		if (!dotted || (k & 1) == 0)
			ui_canvas_dot(c, x0, y0, series);
		k++;
		if (x0 == x1 && y0 == y1)
			break;
		int e2 = 2 * err;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

void ui_braille(unsigned mask, char out[4])
{
	unsigned cp = 0x2800u + (mask & 0xffu);
	out[0] = (char)(0xe0 | (cp >> 12));
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	out[3] = '\0';
}

int ui_canvas_glyph(const struct ui_canvas *c, int cx, int cy, const char *marks, char buf[8])
{
	size_t i = (size_t)cy * (size_t)c->cw + (size_t)cx;
	unsigned m = c->bits[i];
	buf[0] = ' ';
	buf[1] = '\0';
	if (!m)
		return 0;
	int owner = c->owner[i];
	if (c->mode == UI_G_BRAILLE) {
		ui_braille(m, buf);
	} else if (c->mode == UI_G_BLOCK) {
		static const char *const half[4] = { " ", "▀", "▄", "█" };
		strcpy(buf, half[m & 3]);
	} else {
		char mk = marks && marks[0] ? marks[0] : '*';
		for (int s = 0; marks && s < owner && marks[s]; s++)
			mk = marks[s];
		buf[0] = mk;
	}
	return owner;
}

unsigned ui_canvas_seen(const struct ui_canvas *c, int cx, int cy)
{
	if (cx < 0 || cy < 0 || cx >= c->cw || cy >= c->ch)
		return 0;
	return c->seen[(size_t)cy * (size_t)c->cw + (size_t)cx];
}

int ui_canvas_glyph_as(const struct ui_canvas *c, int cx, int cy, int s, const char *marks, char buf[8])
{
	int own = ui_canvas_glyph(c, cx, cy, marks, buf);
	if (own && c->mode == UI_G_ASCII && marks) {
		size_t n = strlen(marks);
		buf[0] = s >= 0 && (size_t)s < n ? marks[s] : '*';
		buf[1] = '\0';
	}
	return own;
}

int ui_spark_level(double rel, double lo, double hi)
{
	if (isnan(rel))
		return 0;
	if (rel <= 0 || hi <= lo)
		return 1;
	double l = log10(rel);
	if (l >= hi)
		return 8;
	if (l <= lo)
		return 1;
	int k = 1 + (int)((l - lo) / (hi - lo) * 8);
	return k > 8 ? 8 : k;
}

const char *ui_spark_glyph(int level, int ascii)
{
	static const char *const uni[9] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char *const asc[9] = { " ", ".", ":", "-", "=", "+", "*", "#", "@" };
	if (level < 0)
		level = 0;
	if (level > 8)
		level = 8;
	return ascii ? asc[level] : uni[level];
}

/* 3×5 font: each glyph is 5 rows of 3 bits (bit 2 = left column). */
static const struct { char ch; unsigned char rows[5]; } font[] = {
	{ '0', { 7, 5, 5, 5, 7 } }, { '1', { 2, 6, 2, 2, 7 } }, { '2', { 7, 1, 7, 4, 7 } },
	{ '3', { 7, 1, 7, 1, 7 } }, { '4', { 5, 5, 7, 1, 1 } }, { '5', { 7, 4, 7, 1, 7 } },
	{ '6', { 7, 4, 7, 5, 7 } }, { '7', { 7, 1, 1, 1, 1 } }, { '8', { 7, 5, 7, 5, 7 } },
	{ '9', { 7, 5, 7, 1, 7 } }, { '.', { 0, 0, 0, 0, 2 } }, { ',', { 0, 0, 0, 2, 4 } },
	{ '-', { 0, 0, 7, 0, 0 } }, { '+', { 0, 2, 7, 2, 0 } }, { 'e', { 0, 7, 7, 4, 7 } },
	{ 'A', { 2, 5, 7, 5, 5 } }, { 'B', { 6, 5, 6, 5, 6 } },
};

int ui_big_row(const char *text, int r, int ascii, char *buf, size_t len)
{
	const char *on = ascii ? "#" : "█";
	size_t o = 0, onl = strlen(on);
	int cells = 0;
	if (len == 0)
		return 0;
	for (const char *p = text; *p; p++) {
		unsigned bits = 0;
		for (size_t k = 0; k < sizeof font / sizeof font[0]; k++)
			if (font[k].ch == *p)
				bits = font[k].rows[r < 0 || r > 4 ? 0 : r];
		for (int col = 0; col < UI_BIG_W; col++) {
			int set = col < 3 && ((bits >> (2 - col)) & 1);
			const char *g = set ? on : " ";
			size_t gl = set ? onl : 1;
			if (o + gl + 1 > len)
				goto done;
			memcpy(buf + o, g, gl);
			o += gl;
			cells++;
		}
	}
done:
	buf[o] = '\0';
	return cells;
}
