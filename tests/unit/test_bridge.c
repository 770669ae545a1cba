/* test_bridge.c — laws over PyTorch checkpoints (tests/bridge, written by
 * gen_checkpoints.py): a law's value recomputed here from the raw tensors,
 * SGD without momentum keeps the attention and MLP laws nearly flat while the
 * contrasts move, Adam makes them drift; declared features that break a law
 * make it "not applicable"; bad maps and damaged checkpoints are refused with
 * the file (and line or tensor) named. */
#include "test.h"
#include "noether/bridge.h"
#include "noether/safetensors.h"
#include <stdlib.h>
#include <string.h>

#define MAP "tests/bridge/qwen_tiny.map"

static struct bridge *series(const char *map, const char *spec, char *err, size_t len)
{
	struct bridge *b = bridge_new(map, err, len);
	if (!b)
		return NULL;
	char **f;
	int n = bridge_list(spec, &f, err, len), rc = n < 0;
	for (int i = 0; i < n; i++) {
		if (!rc)
			rc = bridge_add(b, f[i], err, len);
		free(f[i]);
	}
	if (n > 0)
		free(f);
	if (rc) {
		bridge_free(b);
		return NULL;
	}
	return b;
}

static const struct bridge_q *findq(const struct bridge *b, const char *name)
{
	for (int i = 0; i < b->nq; i++)
		if (!strcmp(b->q[i].name, name))
			return &b->q[i];
	return NULL;
}

static void test_values(void)
{
	char err[1024];
	struct bridge *b = series(MAP, "tests/bridge/sgd/step_000000.safetensors", err, sizeof err);
	CHECK(b != NULL, "one checkpoint");
	if (!b) { printf("  %s\n", err); return; }
	struct st_file *f;
	CHECK(st_read("tests/bridge/sgd/step_000000.safetensors", &f, err, sizeof err) == 0, "read raw");
	double q[32 * 8], k[32 * 8], up[12 * 8], down[8 * 12];
	st_get(f, st_find(f, "model.layers.0.self_attn.q_proj.weight"), q);
	st_get(f, st_find(f, "model.layers.0.self_attn.k_proj.weight"), k);
	st_get(f, st_find(f, "model.layers.0.mlp.up_proj.weight"), up);
	st_get(f, st_find(f, "model.layers.0.mlp.down_proj.weight"), down);
	st_free(f);
	/* head 1, plane 1 with rotate-half pairing: rows 4+1 and 4+3 */
	double want = 0;
	for (int c = 0; c < 8; c++)
		want += q[5 * 8 + c] * q[5 * 8 + c] + q[7 * 8 + c] * q[7 * 8 + c] - k[5 * 8 + c] * k[5 * 8 + c] - k[7 * 8 + c] * k[7 * 8 + c];
	const struct bridge_q *p = findq(b, "layer0.attn.h1.plane1");
	CHECK(p && p->role == BQ_LAW, "plane law present");
	if (p)
		CHECK_NEAR(p->val[0], want, 1e-14, "plane law value = ||Q plane||² - ||K plane||²");
	/* neuron 3: ||down[:,3]||² - ||up[3,:]||² */
	want = 0;
	for (int r = 0; r < 8; r++)
		want += down[r * 12 + 3] * down[r * 12 + 3] - up[3 * 8 + r] * up[3 * 8 + r];
	p = findq(b, "layer0.mlp.n3");
	CHECK(p && p->role == BQ_LAW, "neuron law present");
	if (p)
		CHECK_NEAR(p->val[0], want, 1e-14, "SwiGLU law value");
	CHECK(findq(b, "layer0.attn.h0.QtQ-KtK(full, RoPE)") && findq(b, "layer0.attn.h0.QtQ-KtK(full, RoPE)")->role == BQ_CONTRAST,
	      "with RoPE the full Q^TQ-K^TK is a contrast");
	bridge_free(b);
}

static void test_series(void)
{
	char err[1024];
	struct bridge *s = series(MAP, "tests/bridge/sgd", err, sizeof err);
	struct bridge *a = series(MAP, "tests/bridge/adam/*.safetensors", err, sizeof err);
	CHECK(s && a, "both series read (F64 and F32 files)");
	if (!s || !a) { printf("  %s\n", err); bridge_free(s); bridge_free(a); return; }
	CHECK(s->nck == 5 && a->nck == 5 && s->ck_step[4] == 1000, "5 checkpoints each, steps from metadata");
	for (int blk = 0; blk < 2; blk++) {
		double sl = bridge_law_max(s, blk, 4), sc = bridge_contrast_min(s, blk, 4);
		double al = bridge_law_mean(a, blk, 4);
		printf("  %s: SGD law max %.3e (contrast min %.3e); Adam law mean %.3e, max %.3e\n", s->block_name[blk], sl, sc, al,
		       bridge_law_max(a, blk, 4));
		CHECK(sl < 5e-3, "SGD: laws nearly flat");
		CHECK(sc > 5 * sl, "SGD: every contrast moves more than the laws");
		CHECK(al > 0.3, "Adam: laws drift");
	}
	bridge_free(s);
	bridge_free(a);
}

static int map_fails(const char *text, const char *needle)
{
	FILE *o = fopen("test_bridge.tmp.map", "w");
	fputs(text, o);
	fclose(o);
	char err[1024] = "";
	struct bridge *b = series("test_bridge.tmp.map", "tests/bridge/sgd", err, sizeof err);
	remove("test_bridge.tmp.map");
	int ok = !b && strstr(err, needle);
	if (!ok)
		printf("  map '%s' -> '%s' (wanted '%s')\n", text, err, needle);
	bridge_free(b);
	return ok;
}

#define ATT "attention a q=model.layers.0.self_attn.q_proj.weight k=model.layers.0.self_attn.k_proj.weight " \
            "v=model.layers.0.self_attn.v_proj.weight o=model.layers.0.self_attn.o_proj.weight head_dim=4 "

static void test_na_and_errors(void)
{
	char err[1024];
	FILE *o = fopen("test_bridge.tmp.map", "w");
	fputs(ATT "heads=2 rope=half q_bias=model.layers.0.self_attn.q_proj.bias\n", o);
	fclose(o);
	struct bridge *b = series("test_bridge.tmp.map", "tests/bridge/sgd", err, sizeof err);
	remove("test_bridge.tmp.map");
	CHECK(b != NULL, "map with q bias");
	if (b) {
		const struct bridge_q *p = findq(b, "a.h0.plane0"), *v = findq(b, "a.h0.VtV-OtO");
		CHECK(p && p->role == BQ_NA && strstr(p->why, "bias"), "q bias: Q/K law not applicable, reason given");
		CHECK(v && v->role == BQ_LAW, "V/O law still applies");
		CHECK(isnan(bridge_law_max(b, 0, 4)) == 0 && bridge_law_max(b, 0, 4) < 5e-3, "only applicable laws counted");
		bridge_free(b);
	}
	o = fopen("test_bridge.tmp.map", "w");
	fputs(ATT "heads=2 rope=none qk_norm=yes\n", o);
	fclose(o);
	b = series("test_bridge.tmp.map", "tests/bridge/sgd", err, sizeof err);
	remove("test_bridge.tmp.map");
	CHECK(b && findq(b, "a.h1.QtQ-KtK") && findq(b, "a.h1.QtQ-KtK")->role == BQ_NA, "QK-norm: not applicable");
	bridge_free(b);
	CHECK(map_fails(ATT "heads=2 kv_heads=1 rope=half\n", "the map needs [4,8]"), "kv_heads vs file shape: tensor named");
	CHECK(map_fails(ATT "heads=2 rope=sideways\n", ":1: bad or unknown option 'rope=sideways'"), "bad option, line named");
	CHECK(map_fails("# c\nmlp x gate=a up=b down=c\n", ":2: unknown block 'mlp'"), "unknown block");
	CHECK(map_fails("swiglu m gate=model.layers.0.mlp.gate_proj.weight up=nope down=model.layers.0.mlp.down_proj.weight\n",
	                "no tensor 'nope'"), "missing tensor named");
	CHECK(map_fails("attention a q=x heads=2 head_dim=4 rope=none\n", "needs k=TENSOR"), "incomplete block");
	CHECK(map_fails("", "no blocks"), "empty map");
	b = series(MAP, "tests/bridge/bad/truncated.safetensors", err, sizeof err);
	CHECK(!b && strstr(err, "truncated.safetensors") && strstr(err, "outside"), "truncated checkpoint refused, file named");
	b = series(MAP, "tests/bridge/bad/garbled.safetensors", err, sizeof err);
	CHECK(!b && strstr(err, "garbled.safetensors") && strstr(err, "bad safetensors header"), "garbled header refused");
	b = series(MAP, "tests/bridge/none-such/*.safetensors", err, sizeof err);
	CHECK(!b && strstr(err, "no checkpoints match"), "empty glob refused");
	b = series(MAP, "tests/bridge/sgd", err, sizeof err);
	CHECK(b && bridge_export_csv(b, "test_bridge.tmp.csv", "laws checkpoints x", MAP, err, sizeof err) == 0, "CSV export");
	bridge_free(b);
	FILE *in = fopen("test_bridge.tmp.csv", "r");
	char line[8192];
	int rows = 0, header = 0, meta = 0;
	while (in && fgets(line, sizeof line, in)) {
		if (line[0] == '#') meta++;
		else if (!header) header = !strncmp(line, "step,file,law:layer0.attn.h0.plane0", 35);
		else rows++;
	}
	if (in) fclose(in);
	remove("test_bridge.tmp.csv");
	CHECK(meta >= 3 && header && rows == 5, "CSV: metadata, header, one row per checkpoint");
}

int main(void)
{
	test_values();
	test_series();
	test_na_and_errors();
	return test_summary("test_bridge");
}
