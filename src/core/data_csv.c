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
 * The reader checks every line's column count and every number and names
 * the file and line of the first problem; sizes are bounded by NT_MAX_*. */
#include "noether/data.h"
#include "noether/afile.h"
#include "noether/util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dataset *data_csv_read(int argc, char **argv, char *err, size_t errlen)
{
	if (argc < 1 || strchr(argv[0], '=')) {
		nt_err(err, errlen, NT_EINVAL, "usage: data csv FILE [len=T]");
		return NULL;
	}
	const char *path = argv[0];
	long len = 0, out_len = 0, classes = 0;
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "len=", 4) && !parse_long(argv[i] + 4, &len) && len >= 1 && len <= NT_MAX_SEQ)
			continue;
		nt_err(err, errlen, NT_EINVAL, "data csv: unexpected argument '%s' (len=T with T in 1..%d)", argv[i], NT_MAX_SEQ);
		return NULL;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		nt_err(err, errlen, NT_ENOENT, "data csv: cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0, rows = 0, rowcap = 0;
	int ncol = -1, d_in = 0, d_out = 0, is_label = 0, bad = 0;
	double *x = NULL, *y = NULL;
	ssize_t got;
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = 0;
		if (line[0] == '#') {
			const char *m = strstr(line, "noether data:");
			if (m) {
				const char *p;
				if (!len && (p = strstr(m, "len=")) && p[-1] == ' ') len = strtol(p + 4, NULL, 10);
				if ((p = strstr(m, "out_len="))) out_len = strtol(p + 8, NULL, 10);
				if ((p = strstr(m, "classes="))) classes = strtol(p + 8, NULL, 10);
			}
			continue;
		}
		if (!got)
			continue;
		if (ncol < 0) { /* header */
			ncol = 1;
			for (char *p = line; *p; p++)
				ncol += *p == ',';
			char *save = NULL;
			int k = 0;
			for (char *tok = strtok_r(line, ",", &save); tok; tok = strtok_r(NULL, ",", &save), k++) {
				while (*tok == ' ') tok++;
				char want[32];
				if (k == d_in && tok[0] == 'x') {
					snprintf(want, sizeof want, "x%d", d_in);
					if (strcmp(tok, want)) break;
					d_in++;
				} else if (d_in && !is_label && tok[0] == 'y') {
					snprintf(want, sizeof want, "y%d", d_out);
					if (strcmp(tok, want)) break;
					d_out++;
				} else if (d_in && !d_out && !is_label && !strcmp(tok, "label")) {
					is_label = 1;
				} else
					break;
			}
			if (k != ncol || !d_in || (!d_out && !is_label)) {
				nt_err(err, errlen, NT_EINVAL, "%s:%ld: header must be x0,...,x{d-1} then y0,...,y{m-1} or label (column %d is wrong)",
				       path, lineno, k + 1);
				bad = 1;
				break;
			}
			if (d_in > NT_MAX_WIDTH || d_out > NT_MAX_WIDTH) {
				nt_err(err, errlen, NT_ERANGE, "%s: more than %d input or target columns", path, NT_MAX_WIDTH);
				bad = 1;
				break;
			}
			continue;
		}
		if (rows >= NT_MAX_SAMPLES * 16L || (double)(rows + 1) * ncol > NT_MAX_ELEMS) {
			nt_err(err, errlen, NT_ERANGE, "%s: more rows than the limit (%d values)", path, NT_MAX_ELEMS);
			bad = 1;
			break;
		}
		if (rows == rowcap) {
			rowcap = rowcap ? 2 * rowcap : 256;
			x = xrealloc(x, (size_t)rowcap * d_in * sizeof *x);
			y = xrealloc(y, (size_t)rowcap * (d_out + is_label) * sizeof *y);
		}
		char *p = line;
		for (int k = 0; k < ncol; k++) {
			char *comma = strchr(p, ',');
			if ((comma != NULL) != (k < ncol - 1)) {
				int n = 1;
				for (char *q = line; *q; q++) n += *q == ',';
				nt_err(err, errlen, NT_EINVAL, "%s:%ld: expected %d columns, found %d", path, lineno, ncol, n);
				bad = 1;
				break;
			}
			if (comma)
				*comma = 0;
			double v;
			while (*p == ' ') p++;
			if (parse_double(p, &v)) {
				nt_err(err, errlen, NT_EINVAL, "%s:%ld: column %d: '%.40s' is not a finite number", path, lineno, k + 1, p);
				bad = 1;
				break;
			}
			if (k < d_in)
				x[(size_t)rows * d_in + k] = v;
			else
				y[(size_t)rows * (d_out + is_label) + (k - d_in)] = v;
			p = comma ? comma + 1 : p;
		}
		if (bad)
			break;
		rows++;
	}
	free(line);
	fclose(f);
	if (!bad && ncol < 0) {
		nt_err(err, errlen, NT_EINVAL, "%s: no header line (x0,...)", path);
		bad = 1;
	}
	if (!len)
		len = 1;
	if (!out_len)
		out_len = len;
	if (!bad && (rows == 0 || rows % len)) {
		nt_err(err, errlen, NT_EINVAL, "%s: %ld data lines do not make whole samples of len=%ld", path, rows, len);
		bad = 1;
	}
	if (!bad && out_len != len && out_len != 1) {
		nt_err(err, errlen, NT_EINVAL, "%s: out_len=%ld must be 1 or len (%ld)", path, out_len, len);
		bad = 1;
	}
	if (!bad && rows / len > NT_MAX_SAMPLES) {
		nt_err(err, errlen, NT_ERANGE, "%s: more than %d samples", path, NT_MAX_SAMPLES);
		bad = 1;
	}
	if (bad) {
		free(x);
		free(y);
		return NULL;
	}
	struct dataset *d = xcalloc(1, sizeof *d);
	str_copy(d->kind, "csv", sizeof d->kind);
	snprintf(d->desc, sizeof d->desc, "csv %s%s%s", path, argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	d->n = (int)(rows / len);
	d->len = (int)len;
	d->d_in = d_in;
	d->out_len = (int)out_len;
	d->orbit = 1;
	d->x = x;
	long stride = out_len == 1 ? len : 1; /* target row r of the set comes from line r*stride */
	long nt = (long)d->n * out_len;
	if (is_label) {
		d->label = xcalloc((size_t)nt, sizeof(int));
		long mx = 0;
		for (long r = 0; r < nt; r++) {
			double v = y[r * stride];
			if (v < 0 || v > 100000 || v != (double)(long)v) {
				nt_err(err, errlen, NT_EINVAL, "%s: label %g on data line %ld is not a class index 0..100000", path, v, r * stride + 1);
				free(y);
				data_free(d);
				return NULL;
			}
			d->label[r] = (int)v;
			mx = (long)v > mx ? (long)v : mx;
		}
		d->n_classes = (int)(classes > mx ? classes : mx + 1);
		if (d->n_classes < 2)
			d->n_classes = 2;
	} else {
		d->d_out = d_out;
		d->y = xcalloc((size_t)nt * d_out, sizeof(double));
		for (long r = 0; r < nt; r++)
			memcpy(d->y + r * d_out, y + r * stride * d_out, (size_t)d_out * sizeof(double));
	}
	free(y);
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
