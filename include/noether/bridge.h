/* bridge.h — conservation laws over a series of safetensors checkpoints from
 * an outside training run (e.g. PyTorch), so the catalogue's laws can be
 * checked on models trained elsewhere.
 *
 * A map file names the blocks and which tensors play which part (one block a
 * line; '#' comments):
 *   attention NAME q=T k=T v=T o=T heads=H [kv_heads=H] head_dim=N
 *             rope=none|half|interleaved [q_bias=T] [k_bias=T] [v_bias=T]
 *             [qk_norm=yes|no] [tied=T1,T2,...]
 *   swiglu NAME gate=T up=T down=T [up_bias=T] [down_bias=T] [tied=T1,...]
 *   ... layers=A-B   repeats the line with {i} replaced by A..B
 * Weights are PyTorch Linear weights (out_features, in_features): q/k/v are
 * (heads·head_dim, d) with head h in rows h·head_dim.., o is (d, heads·head_dim),
 * gate/up (d_ff, d), down (d, d_ff). RoPE pairs: half = (j, j+head_dim/2)
 * (Hugging Face rotate_half), interleaved = (2j, 2j+1).
 *
 * Laws (per head): V^TV - O^TO = Wv_h Wv_h^T - O_h^T O_h; without RoPE
 * Q^TQ - K^TK; with RoPE per plane ||Q plane||² - ||K plane||² (the full
 * Q^TQ - K^TK becomes a contrast). SwiGLU per neuron i:
 * ||down[:,i]||² - ||up[i,:]||². A declared feature that breaks a law (q/k
 * bias or QK-norm for the Q/K laws, v bias for V/O, kv_heads < heads, bias on
 * up/down, a tied tensor) makes that law "not applicable" with the reason,
 * never a reported value. */
#ifndef NOETHER_BRIDGE_H
#define NOETHER_BRIDGE_H
#include <stddef.h>

enum bq_role { BQ_LAW, BQ_CONTRAST, BQ_NA };

struct bridge_q {
	char name[128];          /* "layer0.attn.h1.plane0" */
	int block;               /* index into the map's blocks */
	enum bq_role role;
	char why[160];           /* BQ_NA: the reason */
	int ncomp;               /* values per checkpoint (matrix laws: r*r) */
	double *val;             /* [ckpt][ncomp] */
	double *mag;             /* [ckpt] magnitude (sum of the squared norms involved) */
	double *rel;             /* [ckpt] relative drift from checkpoint 0 */
	int eval, i0, i1;        /* private: what to evaluate (kind, head/neuron, plane) */
};

struct bridge {
	int nblocks;
	char block_name[64][64];
	int nq;
	struct bridge_q *q;
	int nck;                 /* checkpoints evaluated */
	char (*ck_file)[512];
	long *ck_step;           /* "step" metadata, else the index */
	/* private: parsed map */
	void *map;
};

/* Parses a map file. Returns NULL with "FILE:LINE: message" in err. */
struct bridge *bridge_new(const char *map_path, char *err, size_t errlen);
void bridge_free(struct bridge *b);
/* Expands DIR (→ DIR/ *.safetensors) or a glob pattern into sorted paths.
 * Returns the count (>0) and a malloc'd array of malloc'd strings in *out,
 * or a negative code with a message. */
int bridge_list(const char *dir_or_glob, char ***out, char *err, size_t errlen);
/* Reads one checkpoint and evaluates every quantity. Tensors are checked
 * against the map (present, 2-d, shapes consistent with heads/head_dim and with
 * the first checkpoint); errors name the file and tensor. */
int bridge_add(struct bridge *b, const char *path, char *err, size_t errlen);
/* Over blocks (block < 0: all): max relative drift of applicable laws at
 * checkpoint k, mean of the same (ε), min/max over contrasts. NAN if none. */
double bridge_law_max(const struct bridge *b, int block, int k);
double bridge_law_mean(const struct bridge *b, int block, int k);
double bridge_contrast_min(const struct bridge *b, int block, int k);
/* CSV (temp + rename): '#' metadata (version, map, files, command, laws not
 * applicable with reasons), header step,file,law:NAME...,q:NAME..., one row per
 * checkpoint of relative drift from the first (matrix laws: Frobenius). */
int bridge_export_csv(const struct bridge *b, const char *path, const char *command, const char *map_path,
                      char *err, size_t errlen);
#endif
