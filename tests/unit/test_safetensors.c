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
	CHECK(refuses("{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", z, 8, "unsupported dtype 'I64'"), "unknown dtype");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", z, 8, "outside"), "offsets beyond data");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", z, 8, "need 16"), "size mismatch");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},\"u\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
	              z, 16, "overlap"), "overlapping tensors");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,0]}}", z, 8, "outside"), "reversed offsets");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1]}}", z, 8, "lacks data_offsets"), "missing field");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8],\"x\":1}}", z, 8, "unexpected"), "unknown field");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}", z, 8, "bad safetensors header"), "unclosed object");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", z, 8, "integer"), "fractional shape");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[-1],\"data_offsets\":[0,8]}}", z, 8, "integer"), "negative shape");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}} x", z, 8, "trailing"), "trailing garbage");
	CHECK(refuses("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
	              z, 8, "twice"), "duplicate tensor");
	CHECK(refuses("{\"__metadata__\":{\"a\":1}}", z, 0, "bad safetensors header"), "non-string metadata");
	CHECK(refuses("{\"w\\q\":{}}", z, 0, "escape"), "bad escape");
	CHECK(refuses("[1,2]", z, 0, "expected '{'"), "not an object");
	/* absurd header length */
	unsigned char big[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}' };
	CHECK(st_parse(big, 16, &f, err, sizeof err) != 0 && strstr(err, "length"), "absurd header length refused");
	CHECK(st_parse(big, 5, &f, err, sizeof err) != 0 && strstr(err, "shorter"), "5-byte file refused");
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
	test_params();
	test_csv();
	return test_summary("test_safetensors");
}
