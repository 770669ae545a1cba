/* test_safetensors.c — the safetensors reader/writer and save/load params:
 * bit-exact round trip, F32 conversion, metadata, and refusal (with a message,
 * nothing changed) of truncated files at every length, garbled headers,
 * unknown dtypes, out-of-range and overlapping offsets, shape mismatches and
 * missing tensors. Also the CSV data round trip and its error messages.
 * Hand-made headers here are written independently of st_write. */
#include "test.h"
#include "cmd/cmd.h"
#include "noether/safetensors.h"
#include "noether/util.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void sink(void *u, const char *t) { (void)u; (void)t; }

static struct cmd_ctx ctx(void)
{
	struct cmd_ctx c = { 0 };
	c.x = experiment_new();
	c.out = c.msg = sink;
	return c;
}

/* builds a file image: 8-byte length, header, data */
static unsigned char *image(const char *hdr, const void *data, size_t dlen, size_t *len)
{
	size_t h = strlen(hdr);
	unsigned char *b = malloc(8 + h + dlen + 1);
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)h >> (8 * i));
	memcpy(b + 8, hdr, h);
	if (dlen)
		memcpy(b + 8 + h, data, dlen);
	*len = 8 + h + dlen;
	return b;
}

static int refuses(const char *hdr, const void *data, size_t dlen, const char *needle)
{
	size_t len;
	unsigned char *b = image(hdr, data, dlen, &len);
	struct st_file *f = NULL;
	char err[512] = "";
	int rc = st_parse(b, len, &f, err, sizeof err);
	free(b);
	st_free(f);
	int ok = rc != 0 && strstr(err, needle) != NULL;
	if (!ok)
		printf("  header %s -> rc %d, message '%s' (wanted '%s')\n", hdr, rc, err, needle);
	return ok;
}

static void test_parser(void)
{
	float f32[3] = { 1.5f, -2.25f, 3.0f };
	double f64[2] = { 0.1, -7.0 };
	unsigned char both[20];
	memcpy(both, f32, 12);
	memcpy(both + 12, &f64[0], 8);
	size_t len;
	unsigned char *b = image("{\"__metadata__\":{\"k\":\"a\\\"b\\u00e9\\n\"},\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
	                         "\"v\" : { \"shape\" : [1] , \"dtype\":\"F64\", \"data_offsets\":[12,20]}}   ", both, 20, &len);
	struct st_file *f = NULL;
	char err[512];
	CHECK(st_parse(b, len, &f, err, sizeof err) == 0, "valid header with padding, escapes, any key order");
	free(b);
	if (f) {
		CHECK(f->n == 2 && !strcmp(st_meta(f, "k"), "a\"b\xc3\xa9\n"), "metadata string decoded");
		double out[3];
		st_get(f, st_find(f, "w"), out);
		CHECK(out[0] == 1.5 && out[1] == -2.25 && out[2] == 3.0, "F32 converted");
		st_get(f, st_find(f, "v"), out);
		CHECK(out[0] == 0.1, "F64 exact");
		st_free(f);
	}
	unsigned char z[64] = { 0 };
	CHECK(refuses("{\"w\":{\"dtype\":\"X64\",\"shape\":[1],\"data_offsets\":[0,8]}}", z, 8, "unsupported dtype 'X64'"), "unknown dtype");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", z, 8, "outside"), "offsets beyond data");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", z, 8, "need 16"), "size mismatch");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},\"u\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
	              z, 16, "overlap"), "overlapping tensors");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,0]}}", z, 8, "begin after end"), "reversed offsets");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1]}}", z, 8, "lacks data_offsets"), "missing field");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8],\"x\":1}}", z, 8, "unexpected"), "unknown field");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}", z, 8, "bad safetensors header"), "unclosed object");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", z, 8, "integer"), "fractional shape");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[-1],\"data_offsets\":[0,8]}}", z, 8, "integer"), "negative shape");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}} x", z, 8, "at byte 64: end of file expected"),
	      "trailing garbage, its byte named");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
	              z, 8, "duplicate object key"), "duplicate tensor");
	CHECK(refuses("{\"__metadata__\":{\"a\":1}}", z, 0, "bad safetensors header"), "non-string metadata");
	CHECK(refuses("{\"w\\q\":{}}", z, 0, "escape"), "bad escape");
	CHECK(refuses("[1,2]", z, 0, "not a JSON object"), "not an object");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}\x01", z, 8, "bad safetensors header"), "control byte after the JSON");
	CHECK(refuses("{\"w\\u0000\":{}}", z, 0, "bad safetensors header"), "NUL in a name");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[9007199254740993],\"data_offsets\":[0,8]}}", z, 8, "integers"),
	      "shape beyond 2^53");
	/* a 0-byte tensor between two overlapping ones: checked against the
	 * furthest-reaching tensor, not only its neighbour */
	CHECK(refuses("{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
	              "\"z\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[8,8]},"
	              "\"b\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[8,24]}}", z, 24, "'a' and 'b' overlap"),
	      "overlap hidden behind a 0-byte tensor refused");
	CHECK(refuses("{\"a\":{\"dtype\":\"F64\",\"shape\":[4],\"data_offsets\":[0,32]},"
	              "\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
	              "\"c\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[24,32]}}", z, 32, "overlap at file offset"),
	      "a tensor inside a larger one refused, offset named");
	/* 0-byte tensors anywhere and integer tensors are fine (integers are not read) */
	{
		size_t l2;
		unsigned char *b2 = image("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
		                          "\"z\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
		                          "\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}}", z, 16, &l2);
		struct st_file *f2 = NULL;
		CHECK(st_parse(b2, l2, &f2, err, sizeof err) == 0 && f2->n == 3 && st_find(f2, "i")->type == ST_OTHER,
		      "0-byte tensor inside another's range and an I64 tensor accepted");
		if (f2) {
			double v = 0;
			st_get(f2, st_find(f2, "i"), &v);
			CHECK(isnan(v), "an integer tensor's values are not read (NaN)");
		}
		st_free(f2);
		free(b2);
	}
	/* absurd header length */
	unsigned char big[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}' };
	CHECK(st_parse(big, 16, &f, err, sizeof err) != 0 && strstr(err, "length"), "absurd header length refused");
	CHECK(st_parse(big, 5, &f, err, sizeof err) != 0 && strstr(err, "shorter"), "5-byte file refused");
}

/* element i of a written file's first tensor, as raw bits */
static unsigned raw_bits(const char *path, int i, int width)
{
	FILE *f = fopen(path, "rb");
	unsigned char b[8];
	uint64_t hl = 0;
	unsigned v = 0;
	if (f && fread(b, 1, 8, f) == 8) {
		for (int k = 7; k >= 0; k--)
			hl = hl << 8 | b[k];
		fseek(f, (long)(8 + hl) + (long)i * width, SEEK_SET);
		if (fread(b, 1, (size_t)width, f) == (size_t)width)
			v = b[0] | (unsigned)b[1] << 8;
	}
	if (f)
		fclose(f);
	return v;
}

static void test_encode(void)
{
	/* bf16 round to nearest, ties to even, straight from double (no double rounding through float) */
	double v[] = { 1.0, 1.0 / 3, 1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-8 + 0x1p-40, -2.0, 1e39, 0x1p-133, 0.0 };
	unsigned want_bf[] = { 0x3F80, 0x3EAB, 0x3F80, 0x3F82, 0x3F81, 0xC000, 0x7F80, 0x0001, 0x0000 };
	double h[] = { 1.0, 1.0 / 3, 65504, 65520, 0x1p-24, -0.5, 0x1p-25 + 0x1p-40, 70000 };
	unsigned want_h[] = { 0x3C00, 0x3555, 0x7BFF, 0x7C00, 0x0001, 0xB800, 0x0001, 0x7C00 };
	long n1 = 9, n2 = 8;
	struct st_out o1 = { "v", 1, &n1, v }, o2 = { "h", 1, &n2, h };
	char err[512];
	CHECK(st_write("test_st.tmp.bf16", &o1, 1, NULL, 0, ST_BF16, err, sizeof err) == 0, "write BF16");
	CHECK(st_write("test_st.tmp.f16", &o2, 1, NULL, 0, ST_F16, err, sizeof err) == 0, "write F16");
	int ok = 1;
	for (int i = 0; i < 9; i++)
		if (raw_bits("test_st.tmp.bf16", i, 2) != want_bf[i]) {
			printf("  bf16(%a) = %04x, want %04x\n", v[i], raw_bits("test_st.tmp.bf16", i, 2), want_bf[i]);
			ok = 0;
		}
	CHECK(ok, "BF16 bits: rounding to nearest even, overflow to inf, subnormals");
	ok = 1;
	for (int i = 0; i < 8; i++)
		if (raw_bits("test_st.tmp.f16", i, 2) != want_h[i]) {
			printf("  f16(%a) = %04x, want %04x\n", h[i], raw_bits("test_st.tmp.f16", i, 2), want_h[i]);
			ok = 0;
		}
	CHECK(ok, "F16 bits: rounding, largest finite, overflow, subnormals");
	struct st_file *f;
	double back[9];
	CHECK(st_read("test_st.tmp.bf16", &f, err, sizeof err) == 0, "BF16 file reads back (mapped)");
	if (f) {
		st_get(f, st_find(f, "v"), back);
		CHECK(back[0] == 1.0 && back[1] == 0.333984375 && back[4] == 1 + 0x1p-7 && isinf(back[6]) && back[7] == 0x1p-133,
		      "BF16 values converted exactly");
		double part[2];
		st_get_range(f, st_find(f, "v"), 3, 2, part);
		CHECK(part[0] == 1 + 0x1p-6 && part[1] == 1 + 0x1p-7, "a range of elements");
		st_release(f, st_find(f, "v"), 0, 9);
		st_get_range(f, st_find(f, "v"), 0, 1, part);
		CHECK(part[0] == 1.0, "pages given back are read again");
		st_free(f);
	}
	CHECK(st_ulp(ST_BF16, 1.0) == 0x1p-7 && st_ulp(ST_BF16, 3.0) == 0x1p-6 && st_ulp(ST_F16, 1.0) == 0x1p-10
	      && st_ulp(ST_F32, 1.0) == 0x1p-23 && st_ulp(ST_BF16, 0x1p-130) == 0x1p-133, "ulp of each dtype, subnormal range");
	CHECK(st_read(".", &f, err, sizeof err) != 0 && strstr(err, "it is a directory"), "a directory is refused by name");
	CHECK(mkfifo("test_st.tmp.fifo", 0600) == 0, "make a FIFO");
	CHECK(st_read("test_st.tmp.fifo", &f, err, sizeof err) != 0 && strstr(err, "not a regular file"), "a FIFO is refused, not waited on");
	remove("test_st.tmp.fifo");
	remove("test_st.tmp.bf16");
	remove("test_st.tmp.f16");
}

static void test_params(void)
{
	struct cmd_ctx c = ctx();
	CHECK(cmd_exec_line(&c, "preset relu2; step 50; save params test_st.tmp.safetensors") == 0, "save params");
	const struct run *s = experiment_run(c.x, 0);
	size_t D = run_nparams(s);
	double *th = malloc(D * sizeof *th);
	memcpy(th, run_theta(s), D * sizeof *th);
	struct st_file *f = NULL;
	char err[512];
	CHECK(st_read("test_st.tmp.safetensors", &f, err, sizeof err) == 0, "saved file reads back");
	if (f) {
		CHECK(st_meta(f, "script") && strstr(st_meta(f, "script"), "layer dense 32\n"), "script in metadata");
		const struct tensor_view *v = model_find_tensor(experiment_model(c.x), "layer1.dense.W");
		const struct st_tensor *t = st_find(f, "layer1.dense.W");
		CHECK(t && v && t->ndim == 2 && t->shape[0] == v->dim[0] && t->shape[1] == v->dim[1], "named tensor with its shape");
		st_free(f);
	}
	struct cmd_ctx c2 = ctx();
	CHECK(cmd_exec_line(&c2, "preset relu2; load params test_st.tmp.safetensors") == 0, "load params");
	const struct run *s2 = experiment_run(c2.x, 0);
	CHECK(run_nparams(s2) == D && !memcmp(run_theta(s2), th, D * sizeof *th) && !memcmp(run_theta0(s2), th, D * sizeof *th),
	      "round trip bit-exact (θ and θ0)");
	CHECK(run_steps(s2) == 0, "step 0 after load");

	/* truncated at every length: refused, θ untouched */
	FILE *in = fopen("test_st.tmp.safetensors", "rb");
	fseek(in, 0, SEEK_END);
	long n = ftell(in);
	rewind(in);
	unsigned char *buf = malloc((size_t)n);
	CHECK(fread(buf, 1, (size_t)n, in) == (size_t)n, "read file");
	fclose(in);
	int all = 1;
	for (long k = 0; k < n; k += (k < 600 ? 1 : 97)) {
		all &= st_parse(buf, (size_t)k, &f, err, sizeof err) != 0 && err[0];
		if (!all) { printf("  truncation at %ld accepted\n", k); break; }
	}
	CHECK(all, "every truncation refused with a message");
	/* flipped bytes in the header: never crash; parse or refuse */
	int hl = buf[0] | buf[1] << 8;
	unsigned seed = 7;
	for (int k = 0; k < 2000; k++) {
		unsigned char *g = malloc((size_t)n);
		memcpy(g, buf, (size_t)n);
		seed = seed * 1103515245u + 12345u;
		g[8 + (seed >> 8) % (unsigned)hl] ^= (unsigned char)(1u << ((seed >> 4) & 7));
		if (st_parse(g, (size_t)n, &f, err, sizeof err) == 0)
			st_free(f);
		free(g);
	}
	CHECK(1, "2000 garbled headers survived");
	FILE *o = fopen("test_st.tmp2.safetensors", "wb");
	fwrite(buf, 1, (size_t)n - 5, o);
	fclose(o);
	memcpy(th, run_theta(s2), D * sizeof *th);
	CHECK(cmd_exec_line(&c2, "step 3; load params test_st.tmp2.safetensors") != 0 && strstr(c2.last_error, "truncated"),
	      "truncated file: load refused, message says truncated");
	CHECK(run_steps(s2) == 3, "failed load changed nothing");
	free(buf);

	/* shape mismatch and missing tensor, named */
	struct cmd_ctx c3 = ctx();
	CHECK(cmd_exec_line(&c3, "preset relu2; layer clear; layer dense 16; layer relu; layer dense 1") == 0, "other model");
	CHECK(cmd_exec_line(&c3, "load params test_st.tmp.safetensors") != 0 && strstr(c3.last_error, "layer1.dense.W")
	      && strstr(c3.last_error, "shape"), "shape mismatch names the tensor");
	struct cmd_ctx c4 = ctx();
	CHECK(cmd_exec_line(&c4, "preset relu2; layer add relu; layer dense 1") == 0, "deeper model");
	CHECK(cmd_exec_line(&c4, "load params test_st.tmp.safetensors") != 0 && strstr(c4.last_error, "layer5.dense.W"),
	      "missing tensor named");
	CHECK(cmd_exec_line(&c4, "load params no-such-file.safetensors") != 0 && strstr(c4.last_error, "cannot open"), "missing file");

	/* F32 file written by hand (as PyTorch would) loads, converted */
	const struct model *m = experiment_model(c.x);
	char hdr[4096] = "{";
	size_t off = 0;
	float *fd = malloc(D * sizeof *fd);
	size_t k = 0;
	for (int b = 0; b < m->nblocks; b++)
		for (int i = 0; i < m->blocks[b].ntensors; i++) {
			const struct tensor_view *v = &m->blocks[b].tensors[i];
			char one[256], shp[64] = "";
			for (int d = 0; d < v->ndim; d++)
				snprintf(shp + strlen(shp), sizeof shp - strlen(shp), "%s%d", d ? "," : "", v->dim[d]);
			snprintf(one, sizeof one, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%s],\"data_offsets\":[%zu,%zu]}",
			         k ? "," : "", v->name, shp, off, off + 4 * v->size);
			strcat(hdr, one);
			for (size_t e = 0; e < v->size; e++)
				fd[k + e] = (float)(0.001 * (double)(k + e));
			off += 4 * v->size;
			k += v->size;
		}
	strcat(hdr, "}");
	size_t len;
	unsigned char *img = image(hdr, fd, 4 * D, &len);
	o = fopen("test_st.tmp3.safetensors", "wb");
	fwrite(img, 1, len, o);
	fclose(o);
	free(img);
	CHECK(cmd_exec_line(&c4, "preset relu2; load params test_st.tmp3.safetensors") == 0, "F32 file loads");
	int same = 1;
	for (size_t e = 0; e < D; e++)
		same &= run_theta(experiment_run(c4.x, 0))[e] == (double)fd[e];
	CHECK(same, "F32 values converted exactly (tensors in model order)");
	free(fd);
	remove("test_st.tmp.safetensors");
	remove("test_st.tmp2.safetensors");
	remove("test_st.tmp3.safetensors");
	free(th);
	experiment_free(c.x); experiment_free(c2.x); experiment_free(c3.x); experiment_free(c4.x);
}

static void test_csv(void)
{
	struct cmd_ctx c = ctx();
	CHECK(cmd_exec_line(&c, "data teacher n=20 in=3 out=2 seed=4; save data test_st.tmp.csv") == 0, "save data");
	struct cmd_ctx c2 = ctx();
	CHECK(cmd_exec_line(&c2, "data csv test_st.tmp.csv") == 0, "data csv");
	const struct dataset *a = experiment_data(c.x), *b = experiment_data(c2.x);
	CHECK(b && b->n == 20 && b->d_in == 3 && b->d_out == 2 && !memcmp(a->x, b->x, 60 * sizeof(double))
	      && !memcmp(a->y, b->y, 40 * sizeof(double)), "CSV round trip bit-exact");
	CHECK(cmd_exec_line(&c, "data blobs n=30 classes=3; save data test_st.tmp.csv; data csv test_st.tmp.csv") == 0, "labels");
	const struct dataset *d = experiment_data(c.x);
	CHECK(d->n_classes == 3 && d->label && d->label[2] == 2, "labels read back");
	FILE *o = fopen("test_st.tmp.csv", "w");
	fputs("x0,x1,y0\n1,2,3\n4,5\n", o);
	fclose(o);
	CHECK(cmd_exec_line(&c2, "data csv test_st.tmp.csv") != 0 && strstr(c2.last_error, ":3: expected 3 columns"), "short line named");
	o = fopen("test_st.tmp.csv", "w");
	fputs("x0,x1,y0\n1,2,3\n4,abc,6\n", o);
	fclose(o);
	CHECK(cmd_exec_line(&c2, "data csv test_st.tmp.csv") != 0 && strstr(c2.last_error, "'abc'"), "bad number named");
	o = fopen("test_st.tmp.csv", "w");
	fputs("a,b\n1,2\n", o);
	fclose(o);
	CHECK(cmd_exec_line(&c2, "data csv test_st.tmp.csv") != 0 && strstr(c2.last_error, "header"), "bad header");
	o = fopen("test_st.tmp.csv", "w");
	fputs("x0,y0\n1,2\n3,4\n5,6\n", o);
	fclose(o);
	CHECK(cmd_exec_line(&c2, "data csv test_st.tmp.csv len=2") != 0 && strstr(c2.last_error, "whole samples"), "len mismatch");
	CHECK(experiment_data(c2.x)->n == 20, "failed loads kept the old data");
	remove("test_st.tmp.csv");
	experiment_free(c.x);
	experiment_free(c2.x);
}

int main(void)
{
	test_parser();
	test_encode();
	test_params();
	test_csv();
	return test_summary("test_safetensors");
}
