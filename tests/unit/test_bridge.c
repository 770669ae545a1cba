/* test_bridge.c — laws over checkpoints of outside runs (bridge.c).
 *
 * - The laws themselves, derived independently here: a forward pass of a
 *   grouped-query attention block (RoPE half / interleaved / partial, q/k/v
 *   biases, GPT-2's fused Conv1D layout) and of a SwiGLU MLP written in this
 *   file in complex arithmetic gives the exact gradient g = ∇L by complex-step
 *   differentiation; checkpoints at θ ± εg go through the bridge (map inferred
 *   from the names and config.json). Every quantity it calls a law is
 *   quadratic, so h(θ+εg) − h(θ−εg) = 2ε<∇h, g> exactly: laws must come out at
 *   rounding level while each of their terms moves; the per-head law an MHA
 *   reading would use (Q_hᵀQ_h − K_gᵀK_g) is shown to move.
 * - The rounding floor: two BF16 checkpoints of the same model in rotated
 *   residual bases (every law and term is invariant) drift only by rounding;
 *   the floor must predict that drift (rms of drift/floor near 1).
 * - The committed series (gen_gqa.py: 4-layer GQA, bf16, 2 shards, config.json;
 *   gen_checkpoints.py: one layer, F64/F32 with a map file): inferred maps,
 *   law drift against contrast change, memory, map round trip.
 * - Finding checkpoints (files, shards, indexes, checkpoint-N folders), refusals
 *   naming the file and offset, bad maps, follow (a checkpoint that appears
 *   later, one written in two goes). */
#include "test.h"
#include "noether/bridge.h"
#include "noether/safetensors.h"
#include "noether/util.h"
#include <complex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define MAP "tests/bridge/qwen_tiny.map"

static unsigned rng_state = 12345;
static double urand(void)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return ((rng_state >> 8) + 0.5) / 16777216.0;
}
static double nrand(void)
{
	double u = urand(), v = urand();
	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void rm_rf(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("  could not remove %s\n", dir);
}

static char *tmpdir(void)
{
	static char buf[8][64];
	static int k;
	char *d = buf[k++ % 8];
	snprintf(d, 64, "test_bridge.tmp.XXXXXX");
	return mkdtemp(d);
}

/* Reads a whole series; NULL with err on failure. */
static struct bridge *series(const char *spec, const char *map, char *err, size_t len)
{
	struct bridge *b;
	struct bridge_opts o = { map, 0, 0 };
	if (bridge_open(&b, spec, &o, err, len))
		return NULL;
	int w;
	while ((w = bridge_work(b, 1 << 20, err, len)) != BRIDGE_IDLE)
		if (w < 0) {
			bridge_free(b);
			return NULL;
		}
	return b;
}

static int findfam(const struct bridge *b, const char *block, const char *name)
{
	for (int i = 0; i < bridge_nfam(b); i++)
		if (!strcmp(bridge_block_name(b, bridge_fam(b, i)->block), block) && !strcmp(bridge_fam(b, i)->name, name))
			return i;
	return -1;
}

/* ------------------------------------------------------------ test model */

enum { PAIR_NONE, PAIR_HALF, PAIR_INTERLEAVED };
#define MAXT 6
#define MAXQ 48
#define MAXD 8

struct tm {
	int d, H, G, hd, rd, dff, T, pairing, bias, upbias, gpt2, phi3, mixtral;
	int oq, obq, ok, obk, ov, obv, oo, og, ou, obu, odn, D;
	double X[MAXT * MAXD], Wl[MAXT * MAXD], Wm[MAXT * MAXD];
};

static void tm_layout(struct tm *m)
{
	int o = 0, qd = m->H * m->hd, kd = m->G * m->hd;
	m->oq = o; o += qd * m->d;
	m->obq = o; o += m->bias ? qd : 0;
	m->ok = o; o += kd * m->d;
	m->obk = o; o += m->bias ? kd : 0;
	m->ov = o; o += kd * m->d;
	m->obv = o; o += m->bias ? kd : 0;
	m->oo = o; o += m->d * qd;
	m->og = o; o += m->dff * m->d;
	m->ou = o; o += m->dff * m->d;
	m->obu = o; o += m->upbias ? m->dff : 0;
	m->odn = o; o += m->d * m->dff;
	m->D = o;
	for (int i = 0; i < m->T * m->d; i++) {
		m->X[i] = nrand();
		m->Wl[i] = nrand();
		m->Wm[i] = nrand();
	}
}

static void rotate(double complex *x, int p1, int p2, double a)
{
	double complex u = x[p1], v = x[p2];
	x[p1] = u * cos(a) - v * sin(a);
	x[p2] = u * sin(a) + v * cos(a);
}

/* Loss of the test model (attention and SwiGLU on the same inputs, summed):
 * L = Σ w·out + ½ Σ out², in complex arithmetic for the complex step. */
static double complex tm_loss(const struct tm *m, const double complex *th)
{
	int d = m->d, H = m->H, G = m->G, hd = m->hd, T = m->T, r = H / G, qd = H * hd, kd = G * hd;
	double complex q[MAXT][MAXQ], k[MAXT][MAXQ], v[MAXT][MAXQ], L = 0;
	for (int t = 0; t < T; t++) {
		const double *x = m->X + t * d;
		for (int i = 0; i < qd; i++) {
			q[t][i] = m->bias ? th[m->obq + i] : 0;
			for (int c = 0; c < d; c++)
				q[t][i] += th[m->oq + i * d + c] * x[c];
		}
		for (int i = 0; i < kd; i++) {
			k[t][i] = m->bias ? th[m->obk + i] : 0;
			v[t][i] = m->bias ? th[m->obv + i] : 0;
			for (int c = 0; c < d; c++) {
				k[t][i] += th[m->ok + i * d + c] * x[c];
				v[t][i] += th[m->ov + i * d + c] * x[c];
			}
		}
		for (int j = 0; m->pairing != PAIR_NONE && j < m->rd / 2; j++) {
			int p1 = m->pairing == PAIR_HALF ? j : 2 * j, p2 = m->pairing == PAIR_HALF ? j + m->rd / 2 : 2 * j + 1;
			double a = 0.9 * (t + 1) * (j + 1);
			for (int h = 0; h < H; h++)
				rotate(q[t] + h * hd, p1, p2, a);
			for (int g = 0; g < G; g++)
				rotate(k[t] + g * hd, p1, p2, a);
		}
	}
	for (int t = 0; t < T; t++) {
		double complex a[MAXQ] = { 0 };
		for (int h = 0; h < H; h++) {
			int g = h / r;
			double complex s[MAXT], mx = -1e300, z = 0;
			for (int u = 0; u <= t; u++) {
				s[u] = 0;
				for (int i = 0; i < hd; i++)
					s[u] += q[t][h * hd + i] * k[u][g * hd + i];
				s[u] /= sqrt((double)hd);
				if (creal(s[u]) > creal(mx))
					mx = s[u];
			}
			for (int u = 0; u <= t; u++) {
				s[u] = cexp(s[u] - creal(mx));
				z += s[u];
			}
			for (int u = 0; u <= t; u++)
				for (int i = 0; i < hd; i++)
					a[h * hd + i] += s[u] / z * v[u][g * hd + i];
		}
		for (int o = 0; o < d; o++) {
			double complex y = 0;
			for (int i = 0; i < qd; i++)
				y += th[m->oo + o * qd + i] * a[i];
			L += m->Wl[t * d + o] * y + 0.5 * y * y;
		}
	}
	for (int t = 0; t < T && m->dff; t++) {
		const double *x = m->X + t * d;
		double complex hmid[64];
		for (int i = 0; i < m->dff; i++) {
			double complex gt = 0, up = m->upbias ? th[m->obu + i] : 0;
			for (int c = 0; c < d; c++) {
				gt += th[m->og + i * d + c] * x[c];
				up += th[m->ou + i * d + c] * x[c];
			}
			hmid[i] = gt / (1 + cexp(-gt)) * up;
		}
		for (int o = 0; o < d; o++) {
			double complex y = 0;
			for (int i = 0; i < m->dff; i++)
				y += th[m->odn + o * m->dff + i] * hmid[i];
			L += m->Wm[t * d + o] * y + 0.5 * y * y;
		}
	}
	return L;
}

/* exact gradient by the complex step: Im L(θ + i h e_j) / h */
static void tm_grad(const struct tm *m, const double *th, double *g)
{
	double complex *c = malloc((size_t)m->D * sizeof *c);
	for (int j = 0; j < m->D; j++)
		c[j] = th[j];
	for (int j = 0; j < m->D; j++) {
		c[j] = th[j] + 1e-30 * I;
		g[j] = cimag(tm_loss(m, c)) / 1e-30;
		c[j] = th[j];
	}
	free(c);
}

/* Writes θ as a checkpoint with Hugging Face names (GPT-2's Conv1D layout and
 * fused c_attn when m->gpt2). */
static int tm_write(const struct tm *m, const double *th, const char *path, enum st_dtype dt, int step)
{
	int d = m->d, qd = m->H * m->hd, kd = m->G * m->hd, n = 0;
	struct st_out t[16];
	long sh[16][2];
	double *fused = NULL, *ft = NULL, *fb = NULL;
#define ADD(nm, off, r, c) (t[n].name = (nm), t[n].ndim = (c) ? 2 : 1, sh[n][0] = (r), sh[n][1] = (c), t[n].shape = sh[n], \
                            t[n].data = th + (off), n++)
	if (m->gpt2) {
		int w = qd + 2 * kd;
		fused = malloc((size_t)d * w * sizeof *fused);
		ft = malloc((size_t)qd * d * sizeof *ft);
		fb = malloc((size_t)w * sizeof *fb);
		for (int c = 0; c < d; c++)
			for (int j = 0; j < w; j++) {
				int off = j < qd ? m->oq + j * d : j < qd + kd ? m->ok + (j - qd) * d : m->ov + (j - qd - kd) * d;
				fused[c * w + j] = th[off + c];
			}
		for (int j = 0; j < w; j++)
			fb[j] = th[j < qd ? m->obq + j : j < qd + kd ? m->obk + j - qd : m->obv + j - qd - kd];
		for (int i = 0; i < qd; i++)
			for (int o = 0; o < d; o++)
				ft[i * d + o] = th[m->oo + o * qd + i];
		static long s1[2], s2[1], s3[2];
		s1[0] = d; s1[1] = w; s2[0] = w; s3[0] = qd; s3[1] = d;
		t[n++] = (struct st_out){ "h.0.attn.c_attn.weight", 2, s1, fused };
		t[n++] = (struct st_out){ "h.0.attn.c_attn.bias", 1, s2, fb };
		t[n++] = (struct st_out){ "h.0.attn.c_proj.weight", 2, s3, ft };
		/* a GELU MLP: no law, listed as a note */
		static long s4[2], s5[2];
		s4[0] = d; s4[1] = 2; s5[0] = 2; s5[1] = d;
		t[n++] = (struct st_out){ "h.0.mlp.c_fc.weight", 2, s4, th };
		t[n++] = (struct st_out){ "h.0.mlp.c_proj.weight", 2, s5, th };
	} else if (m->phi3) {   /* fused qkv_proj (rows q|k|v) and gate_up_proj (rows gate|up), Linear layout */
		int w = qd + 2 * kd;
		fused = malloc((size_t)w * d * sizeof *fused);
		ft = malloc((size_t)2 * m->dff * d * sizeof *ft);
		memcpy(fused, th + m->oq, (size_t)qd * d * sizeof *fused);
		memcpy(fused + (size_t)qd * d, th + m->ok, (size_t)kd * d * sizeof *fused);
		memcpy(fused + (size_t)(qd + kd) * d, th + m->ov, (size_t)kd * d * sizeof *fused);
		memcpy(ft, th + m->og, (size_t)m->dff * d * sizeof *ft);
		memcpy(ft + (size_t)m->dff * d, th + m->ou, (size_t)m->dff * d * sizeof *ft);
		static long s1[2], s2[2];
		s1[0] = w; s1[1] = d; s2[0] = 2 * m->dff; s2[1] = d;
		t[n++] = (struct st_out){ "model.layers.0.self_attn.qkv_proj.weight", 2, s1, fused };
		ADD("model.layers.0.self_attn.o_proj.weight", m->oo, d, qd);
		t[n++] = (struct st_out){ "model.layers.0.mlp.gate_up_proj.weight", 2, s2, ft };
		ADD("model.layers.0.mlp.down_proj.weight", m->odn, d, m->dff);
	} else {
		ADD("model.layers.0.self_attn.q_proj.weight", m->oq, qd, d);
		ADD("model.layers.0.self_attn.k_proj.weight", m->ok, kd, d);
		ADD("model.layers.0.self_attn.v_proj.weight", m->ov, kd, d);
		ADD("model.layers.0.self_attn.o_proj.weight", m->oo, d, qd);
		if (m->bias) {
			ADD("model.layers.0.self_attn.q_proj.bias", m->obq, qd, 0);
			ADD("model.layers.0.self_attn.k_proj.bias", m->obk, kd, 0);
			ADD("model.layers.0.self_attn.v_proj.bias", m->obv, kd, 0);
		}
		if (m->dff && m->mixtral) {
			ADD("model.layers.0.block_sparse_moe.experts.0.w1.weight", m->og, m->dff, d);
			ADD("model.layers.0.block_sparse_moe.experts.0.w3.weight", m->ou, m->dff, d);
			ADD("model.layers.0.block_sparse_moe.experts.0.w2.weight", m->odn, d, m->dff);
		} else if (m->dff) {
			ADD("model.layers.0.mlp.gate_proj.weight", m->og, m->dff, d);
			ADD("model.layers.0.mlp.up_proj.weight", m->ou, m->dff, d);
			ADD("model.layers.0.mlp.down_proj.weight", m->odn, d, m->dff);
			if (m->upbias)
				ADD("model.layers.0.mlp.up_proj.bias", m->obu, m->dff, 0);
		}
	}
#undef ADD
	char stp[32], err[512];
	snprintf(stp, sizeof stp, "%d", step);
	const char *meta[] = { "step", stp };
	int rc = st_write(path, t, n, meta, 1, dt, err, sizeof err);
	if (rc)
		printf("  %s\n", err);
	free(fused);
	free(ft);
	free(fb);
	return rc;
}

static void tm_config(const struct tm *m, const char *dir)
{
	char p[300], js[600];
	snprintf(p, sizeof p, "%s/config.json", dir);
	if (m->gpt2)
		snprintf(js, sizeof js, "{\"model_type\": \"gpt2\", \"n_head\": %d, \"n_embd\": %d}", m->H, m->d);
	else
		snprintf(js, sizeof js, "{\"model_type\": \"qwen2\", \"num_attention_heads\": %d, \"num_key_value_heads\": %d, "
		         "\"head_dim\": %d, \"hidden_size\": %d, \"rope_pairing\": \"%s\", \"rotary_dim\": %d}", m->H, m->G, m->hd, m->d,
		         m->pairing == PAIR_HALF ? "half" : m->pairing == PAIR_INTERLEAVED ? "interleaved" : "none", m->rd);
	write_text(p, js);
}

/* ------------------------------------------------------------ the laws */

/* The per-head law an MHA reading would give, Σ over the first plane of
 * head h: ||Q_h[p1,p2 rows]||² − ||K_g[p1,p2 rows]||² (biases joined). */
static double per_head_plane(const struct tm *m, const double *th, int h)
{
	int g = h / (m->H / m->G), p1 = m->pairing == PAIR_HALF ? 0 : 0, p2 = m->pairing == PAIR_HALF ? m->rd / 2 : 1, d = m->d;
	double x = 0, y = 0;
	int rows[2] = { p1, p2 };
	for (int k = 0; k < 2; k++) {
		int rq = h * m->hd + rows[k], rk = g * m->hd + rows[k];
		for (int c = 0; c < d; c++) {
			x += th[m->oq + rq * d + c] * th[m->oq + rq * d + c];
			y += th[m->ok + rk * d + c] * th[m->ok + rk * d + c];
		}
		x += m->bias ? th[m->obq + rq] * th[m->obq + rq] : 0;
		y += m->bias ? th[m->obk + rk] * th[m->obk + rk] : 0;
	}
	return x - y;
}

static void rate_case(const char *what, struct tm *m, int nlaw_fams_want)
{
	tm_layout(m);
	double *th = malloc((size_t)m->D * sizeof *th), *g = malloc((size_t)m->D * sizeof *g);
	double *a = malloc((size_t)m->D * sizeof *a), *z = malloc((size_t)m->D * sizeof *z);
	for (int j = 0; j < m->D; j++)
		th[j] = nrand() / sqrt((double)m->d);
	tm_grad(m, th, g);
	double gn = 0, tn = 0;
	for (int j = 0; j < m->D; j++) {
		gn += g[j] * g[j];
		tn += th[j] * th[j];
	}
	double eps = 1e-3 * sqrt(tn / gn);
	for (int j = 0; j < m->D; j++) {
		a[j] = th[j] - eps * g[j];
		z[j] = th[j] + eps * g[j];
	}
	char *dir = tmpdir(), p[300], err[1024];
	snprintf(p, sizeof p, "%s/step_1.safetensors", dir);
	tm_write(m, a, p, ST_F64, 1);
	snprintf(p, sizeof p, "%s/step_2.safetensors", dir);
	tm_write(m, z, p, ST_F64, 2);
	tm_config(m, dir);
	struct bridge *b = series(dir, NULL, err, sizeof err);
	CHECK(b != NULL, what);
	if (!b) {
		printf("  %s: %s\n", what, err);
		goto out;
	}
	double lawmax = 0, termmin = 1e300;
	int nlaw = 0, nna = 0;
	for (int fi = 0; fi < bridge_nfam(b); fi++) {
		const struct bridge_fam *f = bridge_fam(b, fi);
		for (int i = 0; f->role != BQ_NA && i < f->n; i++) {
			if (f->role == BQ_LAW && f->rel[i] > lawmax)
				lawmax = f->rel[i];
			if (f->role == BQ_CONTRAST && f->rel[i] < termmin)
				termmin = f->rel[i];
		}
		nlaw += f->role == BQ_LAW;
		nna += f->role == BQ_NA;
	}
	printf("  %s: law families %d; largest law change %.2e, smallest term change %.2e (2ε<∇h,∇L> over the magnitude)\n",
	       what, nlaw, lawmax, termmin);
	CHECK(nlaw == nlaw_fams_want && nna == 0, "every law family found and applicable");
	CHECK(lawmax < 1e-11, "laws: <∇h, ∇L> = 0 to rounding (complex-step gradient of an independent forward pass)");
	CHECK(termmin > 1e-8, "each term of each law moves on its own (the check can fail)");
	if (m->pairing != PAIR_NONE && m->G < m->H) {
		double ph = fabs(per_head_plane(m, z, 0) - per_head_plane(m, a, 0)), mag = 0;
		for (int j = 0; j < m->D; j++)
			mag += a[j] * a[j];
		printf("  %s: per-head (MHA) plane law change %.2e (relative to |θ|²)\n", what, ph / mag);
		CHECK(ph / mag > 1e-8, "the per-head law Q_hᵀQ_h − K_gᵀK_g is not conserved under GQA");
		/* the bridge's value of group 0, plane 0 recomputed from the raw tensors */
		int fi = findfam(b, "layer0.attn", "qk.plane");
		if (fi >= 0) {
			double want = 0;
			for (int h = 0; h < m->H / m->G; h++)
				want += per_head_plane(m, a, h);
			/* per_head_plane subtracts K once per head: put back all but one */
			int p1 = 0, p2 = m->pairing == PAIR_HALF ? m->rd / 2 : 1, rows[2] = { p1, p2 };
			for (int k = 0; k < 2; k++) {
				for (int c = 0; c < m->d; c++)
					want += (m->H / m->G - 1) * a[m->ok + rows[k] * m->d + c] * a[m->ok + rows[k] * m->d + c];
				want += m->bias ? (m->H / m->G - 1) * a[m->obk + rows[k]] * a[m->obk + rows[k]] : 0;
			}
			CHECK_NEAR(bridge_fam(b, fi)->h0[0], want, 1e-12, "group law value = Σ_h ||Q_h plane||² − ||K_g plane||²");
		}
	}
	bridge_free(b);
out:
	rm_rf(dir);
	free(th);
	free(g);
	free(a);
	free(z);
}

static void test_rates(void)
{
	struct tm m;
	/* Qwen2-like: GQA 4 heads / 2 groups, RoPE half, q/k/v bias, SwiGLU with up bias */
	memset(&m, 0, sizeof m);
	m = (struct tm){ .d = 6, .H = 4, .G = 2, .hd = 4, .rd = 4, .dff = 5, .T = 5, .pairing = PAIR_HALF, .bias = 1, .upbias = 1 };
	rate_case("GQA, RoPE half, biases", &m, 3);
	/* MQA with interleaved pairs on part of the head (rope_dims 4 of 6) */
	m = (struct tm){ .d = 5, .H = 3, .G = 1, .hd = 6, .rd = 4, .dff = 4, .T = 4, .pairing = PAIR_INTERLEAVED };
	rate_case("MQA, RoPE interleaved on 4 of 6 dims", &m, 4);
	/* GPT-2: fused Conv1D c_attn with bias, no RoPE: the full matrix laws */
	m = (struct tm){ .d = 6, .H = 2, .G = 2, .hd = 3, .T = 5, .pairing = PAIR_NONE, .bias = 1, .gpt2 = 1 };
	rate_case("GPT-2 Conv1D fused qkv", &m, 2);
	/* Phi-3: fused qkv_proj and gate_up_proj in the Linear layout, GQA */
	m = (struct tm){ .d = 6, .H = 4, .G = 2, .hd = 4, .rd = 4, .dff = 5, .T = 4, .pairing = PAIR_HALF, .phi3 = 1 };
	rate_case("Phi-3 fused qkv_proj, gate_up_proj", &m, 3);
	/* Mixtral: an expert's w1/w3/w2 is a gated MLP */
	m = (struct tm){ .d = 5, .H = 2, .G = 1, .hd = 4, .rd = 4, .dff = 6, .T = 4, .pairing = PAIR_HALF, .mixtral = 1 };
	rate_case("Mixtral expert w1/w3/w2", &m, 3);
}

/* ------------------------------------------------------------ floor */

static void test_floor(void)
{
	struct tm m = { .d = 8, .H = 4, .G = 2, .hd = 8, .rd = 8, .dff = 48, .T = 1, .pairing = PAIR_HALF };
	tm_layout(&m);
	double *a = malloc((size_t)m.D * sizeof *a), *z = malloc((size_t)m.D * sizeof *z);
	for (int j = 0; j < m.D; j++)
		a[j] = nrand() / sqrt(8.0);
	/* a random rotation R of the d-dim residual basis (Householder products) */
	double R[64];
	for (int i = 0; i < 64; i++)
		R[i] = i % 9 == 0;
	for (int k = 0; k < 6; k++) {
		double v[8], n = 0;
		for (int i = 0; i < 8; i++) {
			v[i] = nrand();
			n += v[i] * v[i];
		}
		for (int c = 0; c < 8; c++) {
			double s = 0;
			for (int i = 0; i < 8; i++)
				s += v[i] * R[i * 8 + c];
			for (int i = 0; i < 8; i++)
				R[i * 8 + c] -= 2 * v[i] * s / n;
		}
	}
	memcpy(z, a, (size_t)m.D * sizeof *z);
	int qd = m.H * m.hd, kd = m.G * m.hd;
	/* W (rows × d) → W R; O (d × cols) → Rᵀ O */
	struct { int off, rows; } right[] = { { m.oq, qd }, { m.ok, kd }, { m.ov, kd }, { m.og, m.dff }, { m.ou, m.dff } };
	for (size_t w = 0; w < sizeof right / sizeof *right; w++)
		for (int r = 0; r < right[w].rows; r++)
			for (int c = 0; c < 8; c++) {
				double s = 0;
				for (int k = 0; k < 8; k++)
					s += a[right[w].off + r * 8 + k] * R[k * 8 + c];
				z[right[w].off + r * 8 + c] = s;
			}
	struct { int off, cols; } left[] = { { m.oo, qd }, { m.odn, m.dff } };
	for (size_t w = 0; w < sizeof left / sizeof *left; w++)
		for (int r = 0; r < 8; r++)
			for (int c = 0; c < left[w].cols; c++) {
				double s = 0;
				for (int k = 0; k < 8; k++)
					s += R[k * 8 + r] * a[left[w].off + k * left[w].cols + c];
				z[left[w].off + r * left[w].cols + c] = s;
			}
	char *dir = tmpdir(), p[300], err[1024];
	snprintf(p, sizeof p, "%s/step_1.safetensors", dir);
	tm_write(&m, a, p, ST_BF16, 1);
	snprintf(p, sizeof p, "%s/step_2.safetensors", dir);
	tm_write(&m, z, p, ST_BF16, 2);
	tm_config(&m, dir);
	struct bridge *b = series(dir, NULL, err, sizeof err);
	CHECK(b != NULL, "rotated bf16 pair read");
	if (b) {
		double s2 = 0, s2l = 0, s2m = 0;
		int n = 0, nl = 0, nm = 0;
		for (int fi = 0; fi < bridge_nfam(b); fi++) {
			const struct bridge_fam *f = bridge_fam(b, fi);
			for (int i = 0; f->role != BQ_NA && i < f->n; i++) {
				double q = f->rel[i] / f->floor[i];
				s2 += q * q;
				n++;
				if (f->role == BQ_LAW) {
					s2l += q * q;
					nl++;
				}
				if (f->ncomp > 1) {
					s2m += q * q;
					nm++;
				}
			}
		}
		double all = sqrt(s2 / n), law = sqrt(s2l / nl), mat = sqrt(s2m / nm);
		printf("  floor: rms(drift/floor) %.3f over %d quantities (laws %.3f over %d, matrix ones %.3f over %d)\n", all, n, law, nl,
		       mat, nm);
		CHECK(n > 150 && all > 0.8 && all < 1.25, "rounding floor predicts the drift that bf16 storage alone causes");
		CHECK(nm >= 6 && mat > 0.6 && mat < 1.6, "... also for matrix laws and terms (Frobenius norm)");
		bridge_free(b);
	}
	rm_rf(dir);
	free(a);
	free(z);
}

/* -------------------------------------------------- the committed series */

static void test_gqa_series(void)
{
	char err[1024];
	struct bridge *b = series("tests/bridge/gqa", NULL, err, sizeof err);
	CHECK(b != NULL, "GQA series (checkpoint-N folders, 2 shards each, bf16) read");
	if (!b) {
		printf("  %s\n", err);
		return;
	}
	int n = bridge_nck(b), last = n - 1;
	CHECK(n >= 10 && bridge_ck(b, 0)->step == 0 && bridge_ck(b, last)->step == 600 && bridge_ck(b, 1)->step == 60,
	      "about ten checkpoints, in step order (natural sort), steps from the metadata");
	CHECK(bridge_ck(b, 0)->nfiles == 2 && !strcmp(bridge_ck(b, 0)->dtype, "BF16"), "2 shards each, BF16");
	const char *map = bridge_map_text(b);
	CHECK(map && strstr(map, "heads=8 kv_heads=2 head_dim=8 rope=half layers=0-3") && strstr(map, "q_bias=model.layers.{i}"),
	      "inferred map: GQA from config.json, biases joined, layers grouped");
	int law_attn = 0, law_mlp = 0;
	for (int i = 0; i < bridge_nfam(b); i++) {
		const struct bridge_fam *f = bridge_fam(b, i);
		law_attn += f->role == BQ_LAW && (f->group == BG_QK || f->group == BG_VO);
		law_mlp += f->role == BQ_LAW && f->group == BG_MLP;
	}
	CHECK(bridge_na_count(b) == 0 && law_attn == 8 && law_mlp == 4, "every attention and MLP law evaluated, none not applicable");
	const struct bridge_ck *ck = bridge_ck(b, last);
	printf("  GQA series: largest law drift %.3e, median contrast change %.3e (ratio %.3f), floor up to %.2e; "
	       "peak %.0f kB, largest tensor in double %.0f kB\n", ck->law_max, ck->contrast_median, ck->law_max / ck->contrast_median,
	       ck->floor_max, bridge_peak_bytes(b) / 1e3, bridge_largest_tensor_bytes(b) / 1e3);
	CHECK(ck->law_max <= ck->contrast_median / 5, "largest law drift <= 1/5 of the median contrast change");
	CHECK(bridge_peak_bytes(b) > 0 && bridge_peak_bytes(b) <= 3 * bridge_largest_tensor_bytes(b) + (16 << 20),
	      "peak memory measured, <= 3 × largest tensor (double) + 16 MB");
	/* the printed map read back as a map file gives the same numbers */
	write_text("test_bridge.tmp.map", map);
	struct bridge *c = series("tests/bridge/gqa", "test_bridge.tmp.map", err, sizeof err);
	remove("test_bridge.tmp.map");
	CHECK(c && bridge_nfam(c) == bridge_nfam(b), "printed map parses back");
	if (c) {
		int same = 1;
		for (int i = 0; i < bridge_nfam(b); i++)
			for (int j = 0; bridge_fam(b, i)->role != BQ_NA && j < bridge_fam(b, i)->n; j++)
				same &= bridge_fam(b, i)->rel[j] == bridge_fam(c, i)->rel[j];
		CHECK(same, "... with the same drifts");
		bridge_free(c);
	}
	bridge_free(b);
	b = series("tests/bridge/gqa_interleaved", NULL, err, sizeof err);
	CHECK(b && bridge_map_text(b) && strstr(bridge_map_text(b), "rope=interleaved") && bridge_na_count(b) == 0,
	      "interleaved-RoPE series read, map says so");
	if (b) {
		ck = bridge_ck(b, bridge_nck(b) - 1);
		printf("  interleaved: largest law drift %.3e, median contrast %.3e\n", ck->law_max, ck->contrast_median);
		CHECK(ck->law_max <= ck->contrast_median / 5, "interleaved: laws stay below 1/5 of the contrasts");
		bridge_free(b);
	}
}

static void test_tiny_series(void)
{
	char err[1024];
	struct bridge *s = series("tests/bridge/sgd", MAP, err, sizeof err);
	struct bridge *a = series("tests/bridge/adam/*.safetensors", MAP, err, sizeof err);
	CHECK(s && a, "both tiny series read (F64 and F32 files, map file)");
	if (!s || !a) {
		printf("  %s\n", err);
		bridge_free(s);
		bridge_free(a);
		return;
	}
	CHECK(bridge_nck(s) == 5 && bridge_nck(a) == 5 && bridge_ck(s, 4)->step == 1000, "5 checkpoints each, steps from metadata");
	for (int blk = 0; blk < 2; blk++) {
		double sl = bridge_group_max(s, -1, blk, 4), al = bridge_group_max(a, -1, blk, 4);
		printf("  %s: SGD law max %.3e; Adam law max %.3e\n", bridge_block_name(s, blk), sl, al);
		CHECK(sl < 5e-3, "SGD: laws nearly flat");
		CHECK(al > 0.3, "Adam: laws drift");
	}
	CHECK(bridge_ck(s, 4)->contrast_median > 5 * bridge_ck(s, 4)->law_max, "SGD: contrasts move more than the laws");
	/* the value of one law, recomputed from the raw tensors */
	struct st_file *f;
	CHECK(st_read("tests/bridge/sgd/step_000000.safetensors", &f, err, sizeof err) == 0, "read raw");
	double q[32 * 8], k[32 * 8], up[12 * 8], down[8 * 12];
	st_get(f, st_find(f, "model.layers.0.self_attn.q_proj.weight"), q);
	st_get(f, st_find(f, "model.layers.0.self_attn.k_proj.weight"), k);
	st_get(f, st_find(f, "model.layers.0.mlp.up_proj.weight"), up);
	st_get(f, st_find(f, "model.layers.0.mlp.down_proj.weight"), down);
	st_free(f);
	double want = 0; /* head 1, plane 1, rotate-half pairing: rows 4+1 and 4+3 */
	for (int c = 0; c < 8; c++)
		want += q[5 * 8 + c] * q[5 * 8 + c] + q[7 * 8 + c] * q[7 * 8 + c] - k[5 * 8 + c] * k[5 * 8 + c] - k[7 * 8 + c] * k[7 * 8 + c];
	int fi = findfam(s, "layer0.attn", "qk.plane");
	char nm[200] = "";
	if (fi >= 0)
		bridge_member_name(s, fi, 3, nm, sizeof nm);
	CHECK(fi >= 0 && !strcmp(nm, "layer0.attn.h1.plane1"), "member naming (MHA: h = head)");
	if (fi >= 0)
		CHECK_NEAR(bridge_fam(s, fi)->h0[3], want, 1e-14, "plane law value = ||Q plane||² − ||K plane||²");
	want = 0; /* neuron 3 */
	for (int r = 0; r < 8; r++)
		want += down[r * 12 + 3] * down[r * 12 + 3] - up[3 * 8 + r] * up[3 * 8 + r];
	fi = findfam(s, "layer0.mlp", "neuron");
	if (fi >= 0)
		CHECK_NEAR(bridge_fam(s, fi)->h0[3], want, 1e-14, "SwiGLU law value");
	CHECK(findfam(s, "layer0.attn", "qk(full, RoPE)") >= 0 && bridge_fam(s, findfam(s, "layer0.attn", "qk(full, RoPE)"))->role == BQ_CONTRAST,
	      "with RoPE the full QᵀQ − KᵀK is a contrast");
	char *row = bridge_csv_row(s, 1), *hdr = bridge_csv_header(s, 1);
	CHECK(!strncmp(hdr, "step,file,law_max,", 18) && strstr(hdr, ",law:layer0.attn.h0.plane0,") && !strncmp(row, "1000,", 5),
	      "CSV header and row");
	free(row);
	free(hdr);
	bridge_free(s);
	bridge_free(a);
}

/* ------------------------------------------------------ maps and errors */

static int map_fails(const char *text, const char *needle)
{
	write_text("test_bridge.tmp.map", text);
	char err[1024] = "";
	struct bridge *b = series("tests/bridge/sgd", "test_bridge.tmp.map", err, sizeof err);
	remove("test_bridge.tmp.map");
	int ok = !b && strstr(err, needle);
	if (!ok)
		printf("  map '%s' -> '%s' (wanted '%s')\n", text, err, needle);
	bridge_free(b);
	return ok;
}

#define ATT "attention a q=model.layers.0.self_attn.q_proj.weight k=model.layers.0.self_attn.k_proj.weight " \
            "v=model.layers.0.self_attn.v_proj.weight o=model.layers.0.self_attn.o_proj.weight head_dim=4 "

static void test_maps(void)
{
	char err[1024];
	write_text("test_bridge.tmp.map", ATT "heads=2 rope=none qk_norm=yes\n");
	struct bridge *b = series("tests/bridge/sgd", "test_bridge.tmp.map", err, sizeof err);
	remove("test_bridge.tmp.map");
	int fi = b ? findfam(b, "a", "qk") : -1;
	CHECK(fi >= 0 && bridge_fam(b, fi)->role == BQ_NA && strstr(bridge_fam(b, fi)->why, "QK-norm"), "QK-norm: Q/K law not applicable, reason");
	CHECK(b && bridge_fam(b, findfam(b, "a", "vo"))->role == BQ_LAW && bridge_na_count(b) == 2, "V/O law still applies");
	bridge_free(b);
	write_text("test_bridge.tmp.map", ATT "heads=2 rope=half tied=model.layers.0.self_attn.v_proj.weight\n");
	b = series("tests/bridge/sgd", "test_bridge.tmp.map", err, sizeof err);
	remove("test_bridge.tmp.map");
	fi = b ? findfam(b, "a", "vo") : -1;
	CHECK(fi >= 0 && bridge_fam(b, fi)->role == BQ_NA && strstr(bridge_fam(b, fi)->why, "tied"), "tied tensor: its law not applicable");
	bridge_free(b);
	CHECK(map_fails(ATT "heads=2 kv_heads=1 rope=half\n", "the map needs [4,8]"), "kv_heads vs file shape: tensor named");
	CHECK(map_fails(ATT "heads=2 rope=sideways\n", ":1: bad or unknown option 'rope=sideways'"), "bad option, line named");
	CHECK(map_fails("# c\nmlp x gate=a up=b down=c\n", ":2: unknown block 'mlp'"), "unknown block");
	CHECK(map_fails("swiglu m gate=model.layers.0.mlp.gate_proj.weight up=nope down=model.layers.0.mlp.down_proj.weight\n",
	                "no tensor 'nope'"), "missing tensor named");
	CHECK(map_fails("attention a q=x heads=2 head_dim=4 rope=none\n", "needs q=, k= and v="), "incomplete block");
	CHECK(map_fails(ATT "heads=2 rope=half q_bias=model.layers.0.self_attn.q_proj.bias\n", "no tensor 'model.layers.0.self_attn.q_proj.bias'"),
	      "a bias the file lacks is named");
	CHECK(map_fails(ATT "heads=3 rope=half\n", "[12,8]"), "heads × head_dim against the shape");
	CHECK(map_fails(ATT "heads=2 rope=half rope_dims=3\n", "even rope_dims"), "odd rope_dims");
	CHECK(map_fails("", "no blocks"), "empty map");
	CHECK(mkfifo("test_bridge.tmp.fifo", 0600) == 0, "make a FIFO");
	b = series("tests/bridge/sgd", "test_bridge.tmp.fifo", err, sizeof err);
	CHECK(!b && strstr(err, "not a regular file"), "a FIFO as map is refused, not waited on");
	remove("test_bridge.tmp.fifo");
	b = series("tests/bridge/sgd", "tests/bridge", err, sizeof err);
	CHECK(!b && strstr(err, "not a regular file"), "a directory as map is refused");
	CHECK(map_fails(ATT "heads=2 rope=half layers=3-1\n", "layers=A-B"), "bad layer range");
	/* without heads: whole-layer trace laws (true for any head split) */
	write_text("test_bridge.tmp.map", "attention a q=model.layers.0.self_attn.q_proj.weight k=model.layers.0.self_attn.k_proj.weight "
	           "v=model.layers.0.self_attn.v_proj.weight o=model.layers.0.self_attn.o_proj.weight\n");
	b = series("tests/bridge/sgd", "test_bridge.tmp.map", err, sizeof err);
	remove("test_bridge.tmp.map");
	CHECK(map_fails("attention a q=model.layers.0.self_attn.q_proj.weight k=model.layers.0.self_attn.k_proj.weight "
	                "v=model.layers.0.self_attn.v_proj.weight o=model.layers.0.self_attn.o_proj.weight heads=2\n",
	                "give heads= and head_dim= together"), "heads without head_dim");
	CHECK(b && findfam(b, "a", "qk.trace") >= 0 && bridge_group_max(b, BG_QK, 0, 4) < 5e-3, "trace laws without heads");
	bridge_free(b);
}

static void copy_file(const char *from, const char *to, long nbytes)
{
	FILE *i = fopen(from, "rb"), *o = fopen(to, "wb");
	char buf[65536];
	size_t n;
	long done = 0;
	while (i && o && (n = fread(buf, 1, sizeof buf, i)) > 0 && (nbytes < 0 || done < nbytes)) {
		if (nbytes >= 0 && done + (long)n > nbytes)
			n = (size_t)(nbytes - done);
		fwrite(buf, 1, n, o);
		done += (long)n;
	}
	if (i) fclose(i);
	if (o) fclose(o);
}

static void test_layouts(void)
{
	char err[1024], p[400], q[400];
	/* shards without an index, one missing */
	char *d = tmpdir();
	snprintf(p, sizeof p, "%s/model-00001-of-00002.safetensors", d);
	copy_file("tests/bridge/gqa/checkpoint-0/model-00001-of-00002.safetensors", p, -1);
	struct bridge *b = series(d, NULL, err, sizeof err);
	CHECK(!b && strstr(err, "1 of 2 shards"), "a missing shard is named");
	snprintf(q, sizeof q, "%s/model-00002-of-00002.safetensors", d);
	copy_file("tests/bridge/gqa/checkpoint-0/model-00002-of-00002.safetensors", q, -1);
	snprintf(p, sizeof p, "%s/config.json", d);
	write_text(p, "{\"num_attention_heads\": 4, \"num_key_value_heads\": 4, \"head_dim\": 8}");
	b = series(d, NULL, err, sizeof err);
	CHECK(b && strstr(bridge_map_text(b), "heads 4, kv heads 4, head_dim 8 do not fit") && findfam(b, "layer0.attn", "qk.trace") >= 0,
	      "a config.json that does not fit the shapes: said, trace laws");
	bridge_free(b);
	remove(p);
	b = series(d, NULL, err, sizeof err);
	CHECK(b && bridge_nck(b) == 1 && bridge_ck(b, 0)->nfiles == 2 && strstr(bridge_map_text(b), "heads unknown")
	      && findfam(b, "layer3.attn", "qk.trace") >= 0 && bridge_na_count(b) == 0,
	      "shards without index or config.json: read; heads unknown, whole-layer trace laws");
	bridge_free(b);
	rm_rf(d);
	/* single files and an index side by side in one folder; glob; one file */
	d = tmpdir();
	snprintf(p, sizeof p, "%s/run_step10.safetensors", d);
	copy_file("tests/bridge/sgd/step_000250.safetensors", p, -1);
	snprintf(p, sizeof p, "%s/run_step9.safetensors", d);
	copy_file("tests/bridge/sgd/step_000000.safetensors", p, -1);
	b = series(d, MAP, err, sizeof err);
	CHECK(b && bridge_nck(b) == 2 && bridge_ck(b, 0)->step == 0 && strstr(bridge_ck(b, 0)->name, "run_step9"),
	      "natural order (step9 before step10), step from metadata");
	bridge_free(b);
	snprintf(p, sizeof p, "%s/run_step9.safetensors", d);
	b = series(p, MAP, err, sizeof err);
	CHECK(b && bridge_nck(b) == 1, "one file");
	bridge_free(b);
	rm_rf(d);
	/* an index naming a tensor its shard does not have */
	d = tmpdir();
	snprintf(p, sizeof p, "%s/x.safetensors", d);
	copy_file("tests/bridge/sgd/step_000000.safetensors", p, -1);
	snprintf(p, sizeof p, "%s/x.safetensors.index.json", d);
	write_text(p, "{\"weight_map\": {\"model.layers.0.mlp.up_proj.weight\": \"x.safetensors\", \"ghost\": \"x.safetensors\"}}");
	b = series(d, MAP, err, sizeof err);
	CHECK(!b && strstr(err, "'ghost'") && strstr(err, "no shard has it"), "index entry without its tensor: named");
	write_text(p, "{\"weight_map\": {\"a\": \"../x.safetensors\"}}");
	b = series(d, MAP, err, sizeof err);
	CHECK(!b && strstr(err, "beside the index"), "index pointing outside its folder refused");
	write_text(p, "{\"weight_map\": {\"a\": \"x.safetensors\",}}");
	b = series(d, MAP, err, sizeof err);
	CHECK(!b && strstr(err, "bad JSON at byte"), "garbled index: byte named");
	rm_rf(d);
	/* refusals with the file and the offset */
	b = series("tests/bridge/bad/truncated.safetensors", MAP, err, sizeof err);
	CHECK(!b && strstr(err, "truncated.safetensors") && strstr(err, "file offset"), "truncated checkpoint: file and offset named");
	b = series("tests/bridge/bad/garbled.safetensors", MAP, err, sizeof err);
	CHECK(!b && strstr(err, "garbled.safetensors") && strstr(err, "at byte"), "garbled header: file and byte named");
	b = series("tests/bridge/none-such/*.safetensors", MAP, err, sizeof err);
	CHECK(!b && strstr(err, "no checkpoints match"), "empty glob refused");
	b = series("tests/bridge", MAP, err, sizeof err);
	CHECK(!b, "a folder of series (several models per sub-folder) is not silently mixed");
	/* a later checkpoint with other shapes is refused, the series kept */
	d = tmpdir();
	snprintf(p, sizeof p, "%s/a1.safetensors", d);
	copy_file("tests/bridge/sgd/step_000000.safetensors", p, -1);
	snprintf(p, sizeof p, "%s/a2.safetensors", d);
	copy_file("tests/bridge/gqa_interleaved/checkpoint-0/model.safetensors", p, -1);
	b = series(d, MAP, err, sizeof err);
	CHECK(!b && strstr(err, "a2.safetensors") && strstr(err, "shape"), "other shapes later: refused, file and tensor named");
	rm_rf(d);
}

static void test_follow(void)
{
	char err[1024], p[400];
	char *d = tmpdir();
	struct bridge *b;
	struct bridge_opts o = { MAP, 1, 0.5 };
	CHECK(bridge_open(&b, d, &o, err, sizeof err) == 0, "follow an empty folder");
	if (!b) {
		rm_rf(d);
		return;
	}
	CHECK(bridge_work(b, 1 << 20, err, sizeof err) == BRIDGE_IDLE && bridge_nck(b) == 0, "nothing yet");
	snprintf(p, sizeof p, "%s/step_1.safetensors", d);
	copy_file("tests/bridge/sgd/step_000000.safetensors", p, -1);
	CHECK(bridge_scan(b, err, sizeof err) == 1, "a new checkpoint found");
	int w;
	while ((w = bridge_work(b, 1 << 20, err, sizeof err)) == BRIDGE_BUSY)
		;
	CHECK(w == BRIDGE_ADDED && bridge_nck(b) == 1, "... and read");
	/* written in two goes: half a file first (it is young: waited for) */
	snprintf(p, sizeof p, "%s/step_2.safetensors", d);
	copy_file("tests/bridge/sgd/step_000250.safetensors", p, 3000);
	CHECK(bridge_scan(b, err, sizeof err) == 1, "half-written checkpoint seen");
	w = bridge_work(b, 1 << 20, err, sizeof err);
	CHECK(w == BRIDGE_IDLE && bridge_nck(b) == 1 && bridge_pending(b) == 1, "half a file is waited for, not refused");
	copy_file("tests/bridge/sgd/step_000250.safetensors", p, -1);
	while ((w = bridge_work(b, 1 << 20, err, sizeof err)) == BRIDGE_BUSY)
		;
	CHECK(w == BRIDGE_ADDED && bridge_nck(b) == 2 && bridge_ck(b, 1)->step == 250, "completed file read");
	/* a truncated file that stays so (old) is refused after the settle time */
	snprintf(p, sizeof p, "%s/step_3.safetensors", d);
	copy_file("tests/bridge/sgd/step_000500.safetensors", p, 3000);
	struct timeval tv[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	utimes(p, tv);
	bridge_scan(b, err, sizeof err);
	w = bridge_work(b, 1 << 20, err, sizeof err);
	usleep(600000);
	w = bridge_work(b, 1 << 20, err, sizeof err);
	CHECK(w < 0 && strstr(err, "step_3.safetensors") && bridge_pending(b) == 0, "a file that stays truncated is refused, named");
	bridge_free(b);
	rm_rf(d);
}

int main(void)
{
	test_rates();
	test_floor();
	test_gqa_series();
	test_tiny_series();
	test_maps();
	test_layouts();
	test_follow();
	return test_summary("test_bridge");
}
