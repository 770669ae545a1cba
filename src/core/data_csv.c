/* data_csv.c — data sets as CSV files, so a run can be reproduced by another
 * tool from two files (the CSV and the parameters' safetensors).
 *
 * Layout (what `save data` writes and `data csv` reads):
 *   # noether data: len=T out_len=O classes=C    (optional; other # lines ignored)
 *   x0,x1,...,x{d-1},y0,...,y{m-1}                (regression)   or
 *   x0,x1,...,x{d-1},label                        (classification, 0..C-1)
 *   one line per sample row; T consecutive lines form one sample. With
 *   out_len=1 and T>1 the target is the one on the sample's first line.
 * Numbers are written %.17g (C locale), so a save/load round trip is exact.
 * Lines end at \n, \r\n or \r; a leading UTF-8 byte-order mark is skipped.
 * The reader checks every line's column count and every number and names
 * the file and line of the first problem; sizes are bounded by NT_MAX_* and
 * a line by CSV_LINE_MAX bytes, the metadata's numbers by their ranges. */
#include "noether/data.h"
#include "noether/afile.h"
#include "noether/util.h"
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CSV_LINE_MAX = 1 << 20 };  /* bytes in one line: 8192 columns of %.17g fit */

/* What the reader has seen so far. */
struct csv_reader {
	const char *path;
	FILE *f;
	char *line;               /* CSV_LINE_MAX bytes */
	long lineno, rows, rowcap;
	long len, out_len, classes;  /* from len= or the metadata line; 0: not given */
	int len_given;            /* len= on the command line wins over the metadata */
	int ncol, d_in, d_out, is_label;   /* ncol < 0: no header yet */
	double *x, *y;            /* rows × d_in, rows × (d_out or 1) */
	char *err;
	size_t errlen;
};

/* FILE [len=T]: the path and the sample length. */
static int csv_args(struct csv_reader *r, int argc, char **argv)
{
	if (argc < 1 || strchr(argv[0], '='))
		return nt_err(r->err, r->errlen, NT_EINVAL, "usage: data csv FILE [len=T]");
	r->path = argv[0];
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "len=", 4) && !parse_long(argv[i] + 4, &r->len) && r->len >= 1 && r->len <= NT_MAX_SEQ) {
			r->len_given = 1;
			continue;
		}
		return nt_err(r->err, r->errlen, NT_EINVAL, "data csv: unexpected argument '%s' (len=T with T in 1..%d)",
		              argv[i], NT_MAX_SEQ);
	}
	return 0;
}

/* Opens the file; a directory is refused by name (fopen accepts one). */
static int csv_open(struct csv_reader *r)
{
	r->f = fopen(r->path, "r");
	if (!r->f)
		return nt_err(r->err, r->errlen, NT_ENOENT, "data csv: cannot open '%s': %s", r->path, strerror(errno));
	struct stat st;
	if (fstat(fileno(r->f), &st) == 0 && S_ISDIR(st.st_mode))
		return nt_err(r->err, r->errlen, NT_EINVAL, "data csv: '%s' is a directory, not a CSV file", r->path);
	return 0;
}

/* Reads the next line into r->line: it ends at "\n", "\r\n" or "\r" (not
 * kept); a UTF-8 byte-order mark opening the file is dropped. Returns 1, 0 at
 * the end, or an error: a NUL byte, a line of CSV_LINE_MAX bytes or more (so
 * an endless line fails after a megabyte), a read error. */
static int csv_getline(struct csv_reader *r)
{
	size_t n = 0;
	int ch;
	r->lineno++;
	while ((ch = getc_unlocked(r->f)) != EOF && ch != '\n') {
		if (ch == '\r') {
			int next = getc_unlocked(r->f);
			if (next != '\n' && next != EOF)
				ungetc(next, r->f);
			break;
		}
		if (ch == 0)
			return nt_err(r->err, r->errlen, NT_EINVAL, "%s:%ld: NUL byte (not a text file?)", r->path, r->lineno);
		if (n + 1 >= CSV_LINE_MAX)
			return nt_err(r->err, r->errlen, NT_ERANGE, "%s:%ld: line longer than the limit of %d bytes",
			              r->path, r->lineno, CSV_LINE_MAX - 1);
		r->line[n++] = (char)ch;
	}
	if (ch == EOF && ferror(r->f))
		return nt_err(r->err, r->errlen, NT_EIO, "%s:%ld: read error: %s", r->path, r->lineno, strerror(errno));
	r->line[n] = 0;
	if (r->lineno == 1 && n >= 3 && !memcmp(r->line, "\xEF\xBB\xBF", 3))
		memmove(r->line, r->line + 3, n - 2);
	return ch != EOF || n > 0;
}

/* One value of the metadata line, KEY=integer in lo..hi. */
static int csv_meta_value(struct csv_reader *r, const char *tok, const char *key, long lo, long hi, long *out)
{
	size_t k = strlen(key);
	if (strncmp(tok, key, k) || tok[k] != '=')
		return 1;           /* not this key */
	char v[32];
	size_t L = strcspn(tok + k + 1, " \t");
	str_copy(v, tok + k + 1, L + 1 < sizeof v ? L + 1 : sizeof v);
	if (L >= sizeof v || parse_long(v, out) || *out < lo || *out > hi)
		return nt_err(r->err, r->errlen, NT_ERANGE, "%s:%ld: metadata %s='%.*s' is not an integer in %ld..%ld",
		              r->path, r->lineno, key, (int)(L < 24 ? L : 24), tok + k + 1, lo, hi);
	return 0;
}

/* "# noether data: len=T out_len=O classes=C n=N from: ..." (what
 * data_csv_write puts first). Words before "from:" are checked; len= on the
 * command line wins over the one here. */
static int csv_meta(struct csv_reader *r)
{
	const char *m = strstr(r->line, "noether data:");
	if (!m)
		return 0;
	for (const char *p = m + 13; *p;) {
		p += strspn(p, " \t");
		if (!*p || !strncmp(p, "from:", 5))
			break;
		long v;
		int rc = csv_meta_value(r, p, "len", 1, NT_MAX_SEQ, &v);
		if (!rc && !r->len_given)
			r->len = v;
		if (rc == 1 && !(rc = csv_meta_value(r, p, "out_len", 1, NT_MAX_SEQ, &v)))
			r->out_len = v;
		if (rc == 1 && !(rc = csv_meta_value(r, p, "classes", 0, NT_MAX_WIDTH, &v)))
			r->classes = v;
		if (rc < 0)
			return rc;
		p += strcspn(p, " \t");
	}
	return 0;
}

/* x0,...,x{d-1} then y0,...,y{m-1} or label: sets ncol, d_in, d_out, is_label. */
static int csv_header(struct csv_reader *r)
{
	r->ncol = 1;
	for (char *p = r->line; *p; p++)
		r->ncol += *p == ',';
	char *save = NULL;
	int k = 0;
	for (char *tok = strtok_r(r->line, ",", &save); tok; tok = strtok_r(NULL, ",", &save), k++) {
		while (*tok == ' ')
			tok++;
		char want[32];
		if (k == r->d_in && tok[0] == 'x') {
			snprintf(want, sizeof want, "x%d", r->d_in);
			if (strcmp(tok, want))
				break;
			r->d_in++;
		} else if (r->d_in && !r->is_label && tok[0] == 'y') {
			snprintf(want, sizeof want, "y%d", r->d_out);
			if (strcmp(tok, want))
				break;
			r->d_out++;
		} else if (r->d_in && !r->d_out && !r->is_label && !strcmp(tok, "label")) {
			r->is_label = 1;
		} else
			break;
	}
	if (k != r->ncol || !r->d_in || (!r->d_out && !r->is_label))
		return nt_err(r->err, r->errlen, NT_EINVAL,
		              "%s:%ld: header must be x0,...,x{d-1} then y0,...,y{m-1} or label (column %d is wrong)",
		              r->path, r->lineno, k + 1);
	if (r->d_in > NT_MAX_WIDTH || r->d_out > NT_MAX_WIDTH)
		return nt_err(r->err, r->errlen, NT_ERANGE, "%s: more than %d input or target columns", r->path, NT_MAX_WIDTH);
	return 0;
}

/* One data line: ncol finite numbers into row r->rows of x and y. */
static int csv_row(struct csv_reader *r)
{
	if (r->rows >= NT_MAX_SAMPLES * 16L || (double)(r->rows + 1) * r->ncol > NT_MAX_ELEMS)
		return nt_err(r->err, r->errlen, NT_ERANGE, "%s: more rows than the limit (%d values)", r->path, NT_MAX_ELEMS);
	int ny = r->d_out + r->is_label;
	if (r->rows == r->rowcap) {
		r->rowcap = r->rowcap ? 2 * r->rowcap : 256;
		r->x = xrealloc(r->x, (size_t)r->rowcap * r->d_in * sizeof *r->x);
		r->y = xrealloc(r->y, (size_t)r->rowcap * ny * sizeof *r->y);
	}
	int n = 1;
	for (char *q = r->line; *q; q++)
		n += *q == ',';
	if (n != r->ncol)
		return nt_err(r->err, r->errlen, NT_EINVAL, "%s:%ld: expected %d columns, found %d", r->path, r->lineno, r->ncol, n);
	char *p = r->line;
	for (int k = 0; k < r->ncol; k++) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = 0;
		double v;
		while (*p == ' ')
			p++;
		if (parse_double(p, &v))
			return nt_err(r->err, r->errlen, NT_EINVAL, "%s:%ld: column %d: '%.40s' is not a finite number",
			              r->path, r->lineno, k + 1, p);
		if (k < r->d_in)
			r->x[(size_t)r->rows * r->d_in + k] = v;
		else
			r->y[(size_t)r->rows * ny + (k - r->d_in)] = v;
		p = comma ? comma + 1 : p;
	}
	r->rows++;
	return 0;
}

/* Every line of the file: '#' lines (the metadata one read), blank lines
 * skipped, the header, then data rows. */
static int csv_lines(struct csv_reader *r)
{
	int got, rc = 0;
	while (!rc && (got = csv_getline(r)) > 0) {
		if (r->line[0] == '#')
			rc = csv_meta(r);
		else if (!r->line[0])
			continue;
		else if (r->ncol < 0)
			rc = csv_header(r);
		else
			rc = csv_row(r);
	}
	if (rc)
		return rc;
	if (got < 0)
		return got;
	if (r->ncol < 0)
		return nt_err(r->err, r->errlen, NT_EINVAL, "%s: no header line (x0,...)", r->path);
	return 0;
}

/* The rows make whole samples, within the limits. */
static int csv_shape(struct csv_reader *r)
{
	if (!r->len)
		r->len = 1;
	if (!r->out_len)
		r->out_len = r->len;
	if (r->rows == 0 || r->rows % r->len)
		return nt_err(r->err, r->errlen, NT_EINVAL, "%s: %ld data lines do not make whole samples of len=%ld",
		              r->path, r->rows, r->len);
	if (r->out_len != r->len && r->out_len != 1)
		return nt_err(r->err, r->errlen, NT_EINVAL, "%s: out_len=%ld must be 1 or len (%ld)", r->path, r->out_len, r->len);
	if (r->rows / r->len > NT_MAX_SAMPLES)
		return nt_err(r->err, r->errlen, NT_ERANGE, "%s: more than %d samples", r->path, NT_MAX_SAMPLES);
	return 0;
}

/* Class indices from the label column: integers 0..NT_MAX_WIDTH-1 (a
 * classifier's output layer is that wide at most), below classes= when the
 * metadata gives it. */
static int csv_labels(struct csv_reader *r, struct dataset *d, long stride, long nt)
{
	d->label = xcalloc((size_t)nt, sizeof(int));
	long mx = 0, lim = r->classes ? r->classes : NT_MAX_WIDTH;
	for (long i = 0; i < nt; i++) {
		double v = r->y[i * stride];
		if (!(v >= 0 && v < (double)lim && v == (double)(long)v))
			return nt_err(r->err, r->errlen, NT_EINVAL, "%s: label %g on data line %ld is not a class index 0..%ld%s",
			              r->path, v, i * stride + 1, lim - 1, r->classes ? " (classes= in the metadata)" : "");
		d->label[i] = (int)v;
		mx = (long)v > mx ? (long)v : mx;
	}
	d->n_classes = (int)(r->classes > mx ? r->classes : mx + 1);
	if (d->n_classes < 2)
		d->n_classes = 2;
	return 0;
}

/* The data set from the rows read (takes x; y is converted and freed by the
 * caller). */
static struct dataset *csv_dataset(struct csv_reader *r, int argc, char **argv)
{
	struct dataset *d = xcalloc(1, sizeof *d);
	str_copy(d->kind, "csv", sizeof d->kind);
	snprintf(d->desc, sizeof d->desc, "csv %s%s%s", r->path, argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	d->n = (int)(r->rows / r->len);
	d->len = (int)r->len;
	d->d_in = r->d_in;
	d->out_len = (int)r->out_len;
	d->orbit = 1;
	d->x = r->x;
	r->x = NULL;
	long stride = r->out_len == 1 ? r->len : 1; /* target row i of the set comes from line i*stride */
	long nt = (long)d->n * r->out_len;
	if (r->is_label) {
		if (csv_labels(r, d, stride, nt)) {
			data_free(d);
			return NULL;
		}
	} else {
		d->d_out = r->d_out;
		d->y = xcalloc((size_t)nt * r->d_out, sizeof(double));
		for (long i = 0; i < nt; i++)
			memcpy(d->y + i * r->d_out, r->y + i * stride * r->d_out, (size_t)r->d_out * sizeof(double));
	}
	return d;
}

struct dataset *data_csv_read(int argc, char **argv, char *err, size_t errlen)
{
	struct csv_reader r = { .ncol = -1, .err = err, .errlen = errlen };
	struct dataset *d = NULL;
	if (!csv_args(&r, argc, argv) && !csv_open(&r)) {
		r.line = xmalloc(CSV_LINE_MAX);
		if (!csv_lines(&r) && !csv_shape(&r))
			d = csv_dataset(&r, argc, argv);
	}
	if (r.f)
		fclose(r.f);
	free(r.line);
	free(r.x);
	free(r.y);
	return d;
}

int data_csv_write(const struct dataset *d, const char *path, char *err, size_t errlen)
{
	if (d->out_len != 1 && d->out_len != d->len)
		return nt_err(err, errlen, NT_EINVAL, "save data: targets per sample (%d) must be 1 or the sequence length (%d)",
		              d->out_len, d->len);
	struct afile a;
	int rc = afile_open(&a, path, "w", "save data", err, errlen);
	if (rc)
		return rc;
	FILE *f = a.f;
	fprintf(f, "# noether data: len=%d out_len=%d classes=%d n=%d from: %s\n", d->len, d->out_len, d->n_classes, d->n, d->desc);
	for (int k = 0; k < d->d_in; k++)
		fprintf(f, "%sx%d", k ? "," : "", k);
	if (d->label)
		fprintf(f, ",label");
	else
		for (int k = 0; k < d->d_out; k++)
			fprintf(f, ",y%d", k);
	fputc('\n', f);
	for (long r = 0; r < (long)d->n * d->len; r++) {
		const double *xr = d->x + (size_t)r * d->d_in;
		for (int k = 0; k < d->d_in; k++)
			fprintf(f, "%s%.17g", k ? "," : "", xr[k]);
		long tr = d->out_len == 1 ? r / d->len : r;
		if (d->label)
			fprintf(f, ",%d", d->label[tr]);
		else
			for (int k = 0; k < d->d_out; k++)
				fprintf(f, ",%.17g", d->y[(size_t)tr * d->d_out + k]);
		fputc('\n', f);
	}
	return afile_commit(&a, "save data", err, errlen);
}
