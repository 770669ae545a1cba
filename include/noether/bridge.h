/* bridge.h — conservation laws over a series of safetensors checkpoints from
 * an outside training run (e.g. PyTorch, DDP/FSDP), so the catalogue's laws
 * are checked on models trained elsewhere, also while the run still trains.
 *
 * The series: a run directory holding checkpoints as single files
 * (step_100.safetensors), sharded checkpoints (model-00001-of-00002.safetensors
 * with model.safetensors.index.json), or the checkpoint-N/ folders training
 * frameworks write; or a glob, one file, one index. Steps come from the
 * "step" metadata, else the number in the checkpoint's name.
 * Files are mapped and streamed: tensors are converted to double a row block
 * at a time and their pages given back, so memory stays bounded by a small
 * multiple of the largest tensor (measured: bridge_peak_bytes).
 *
 * The map says which tensors play which part of which block. It is inferred
 * from Llama/Qwen/Mistral-style names (self_attn.q_proj, mlp.gate_proj ...,
 * fused qkv_proj/gate_up_proj, Mixtral experts w1/w2/w3) and GPT-2-style names
 * (attn.c_attn, Conv1D layout) with config.json when present (heads, kv heads,
 * head dim, RoPE, partial rotary), or read from a map file, one block a line:
 *   attention NAME (q=T k=T v=T | qkv=T) o=T [heads=H [kv_heads=G] head_dim=N
 *             rope=none|half|interleaved [rope_dims=R]] [q_bias=T k_bias=T
 *             v_bias=T | qkv_bias=T] [qk_norm=yes|no] [layout=linear|conv1d]
 *             [tied=T1,T2,...]
 *   swiglu NAME (gate=T up=T | gate_up=T) down=T [up_bias=T] [gate_bias=T]
 *             [down_bias=T] [layout=linear|conv1d] [tied=T1,...]
 *   ... layers=A-B   repeats the line with {i} replaced by A..B
 * layout=linear: PyTorch Linear weights (out_features, in_features): q/k/v are
 * (heads·head_dim, d) with head h in rows h·head_dim.., o is (d, heads·head_dim);
 * conv1d: the transpose (GPT-2). Fused qkv stacks q, k, v along the output
 * axis, gate_up stacks gate then up. RoPE pairs over the first rope_dims
 * (default head_dim) dimensions of a head: half = (j, j+rope_dims/2) (Hugging
 * Face rotate_half), interleaved = (2j, 2j+1).
 *
 * Laws (GQA: kv_heads G ≤ heads H, group g = the H/G query heads sharing K_g,
 * V_g; Q_h the (d, head_dim) query map of head h, biases joined as an extra
 * row): without RoPE  Σ_{h∈g} Q_hᵀQ_h − K_gᵀK_g;  with RoPE, per plane j,
 * Σ_{h∈g} ||Q_h[:,plane j]||² − ||K_g[:,plane j]||² (the full matrix becomes a
 * contrast), and on the dimensions RoPE leaves alone (rope_dims < head_dim)
 * the matrix law of that sub-block;  V_gᵀV_g − Σ_{h∈g} O_hᵀO_h.  Without
 * heads/head_dim the whole-layer traces ||Wq||² − ||Wk||² and ||Wv||² − ||Wo||²
 * (true for any head split). Gated MLP (any gate activation) per neuron i:
 * ||down[:,i]||² − ||up[i,:]||² − up_bias_i². QK-norm breaks the Q/K laws; a
 * tied tensor breaks the laws it is in: those are "not applicable" with the
 * reason, never a value.
 *
 * Drift of a law from the first checkpoint is relative to its magnitude, the
 * sum of its terms' sizes (squared norms; Frobenius norms of Gram terms). With
 * F16/BF16/F32 storage each law also gets its rounding floor: the rms drift
 * that rounding the stored values alone causes (each value off by up to half
 * an ulp, uniformly: variance ulp²/12, propagated to first order). */
#ifndef NOETHER_BRIDGE_H
#define NOETHER_BRIDGE_H
#include <stddef.h>

enum bq_role { BQ_LAW, BQ_CONTRAST, BQ_NA };
/* law families for summaries and the screen: Q/K, V/O, MLP */
enum bridge_group { BG_QK, BG_VO, BG_MLP, BG_COUNT };
enum { BRIDGE_IDLE = 0, BRIDGE_BUSY = 1, BRIDGE_ADDED = 2 };

struct bridge;

/* One family of quantities in one block (e.g. layer2.attn's RoPE plane laws).
 * Read-only for clients; values are those of the latest checkpoint read. */
struct bridge_fam {
	int block;
	char name[32];            /* laws "qk.plane", "qk", "qk.nope", "vo", "neuron" ...; contrasts: a law's
	                           * single terms "vo[VtV]", "vo[OtO]" ..., and "qk(full, RoPE)" */
	enum bq_role role;
	int group;                /* enum bridge_group for laws and not-applicable laws, -1 for contrasts */
	char why[200];            /* BQ_NA: the reason */
	int n, ncomp;             /* members; values per member (r×r for matrix laws) */
	double *h0;               /* [n*ncomp] values at the first checkpoint (NULL for BQ_NA) */
	double *hk;               /* [n] latest value (ncomp 1) or Frobenius norm */
	double *rel;              /* [n] latest relative drift from the first checkpoint */
	double *floor;            /* [n] latest rounding floor (relative, rms) */
	double *mag0;             /* [n] magnitude at the first checkpoint */
	double *var0;             /* [n] rounding variance at the first checkpoint */
	double *hist_max, *hist_mean, *hist_floor;   /* [checkpoint]: over members */
	int kind, part, argmax;   /* private: evaluation; law or one of its terms; member of the latest max */
};

/* One checkpoint read. */
struct bridge_ck {
	long step;                /* "step" metadata, else the number in the name, else the index */
	char name[512];           /* file, index or folder */
	int nfiles;
	double bytes;             /* bytes of the checkpoint's files */
	char dtype[8];            /* of the tensors read ("mixed" if several) */
	double seconds;           /* reading and evaluating */
	double law_max, law_mean, contrast_median, floor_max;
	int law_argmax_fam, law_argmax_member;
};

struct bridge_opts {
	const char *map;          /* map file, or NULL: infer from names, shapes and config.json */
	int follow;               /* keep looking for new checkpoints (bridge_scan) */
	double settle;            /* follow: seconds a checkpoint that does not read yet may still be being written */
};

/* Opens a series: DIR, a glob, a .safetensors file or an index. Parses the map
 * file if given; finds the checkpoints present (none is fine with follow).
 * Returns 0 and *out (free with bridge_free) or NT_* with a message. */
int bridge_open(struct bridge **out, const char *spec, const struct bridge_opts *o, char *err, size_t errlen);
void bridge_free(struct bridge *b);
/* Looks again for checkpoints (follow). Returns the number of new ones (>= 0)
 * or NT_* with a message. */
int bridge_scan(struct bridge *b, char *err, size_t errlen);
/* Reads at most about `budget` bytes of tensor data (at least one row block)
 * of the next checkpoint. Returns BRIDGE_ADDED when a checkpoint was completed,
 * BRIDGE_BUSY when one is under way, BRIDGE_IDLE when nothing is to be read
 * (with follow: a checkpoint that does not read yet is waited for while its
 * files are younger than opts.settle seconds), or NT_* with a message naming
 * the file (and byte offset or tensor); after an error that checkpoint is
 * skipped and the series is unchanged. */
int bridge_work(struct bridge *b, size_t budget, char *err, size_t errlen);
/* Checkpoints found and not yet read (or being read). */
int bridge_pending(const struct bridge *b);
/* Fraction of the current checkpoint read, 0 when none is under way. */
double bridge_progress(const struct bridge *b);

int bridge_nblocks(const struct bridge *b);
const char *bridge_block_name(const struct bridge *b, int i);
int bridge_nfam(const struct bridge *b);
const struct bridge_fam *bridge_fam(const struct bridge *b, int i);
int bridge_nck(const struct bridge *b);
const struct bridge_ck *bridge_ck(const struct bridge *b, int k);
/* Name of member i of family f ("layer0.attn.g1.plane2"). */
void bridge_member_name(const struct bridge *b, int f, int i, char *buf, size_t len);
/* At checkpoint k: largest law drift in group g (g < 0: all laws) of block
 * (block < 0: all blocks); ε of a block (mean law drift). NAN if none. */
double bridge_group_max(const struct bridge *b, int group, int block, int k);
double bridge_block_eps(const struct bridge *b, int block, int k);
/* Number of not-applicable laws (members). */
int bridge_na_count(const struct bridge *b);
/* The map in use, in map-file syntax (layers=A-B where lines repeat), with
 * '#' notes on what was assumed or has no law. NULL before the map is known.
 * Owned by the bridge. */
const char *bridge_map_text(const struct bridge *b);
/* Peak resident memory above the level at bridge_open, bytes, measured
 * while reading; and the largest tensor read, in double precision, bytes. */
double bridge_peak_bytes(const struct bridge *b);
double bridge_largest_tensor_bytes(const struct bridge *b);
/* CSV of the latest checkpoint: header / row line (malloc'd, no newline).
 * Columns: step,file,law_max,law_mean,contrast_median,floor_max, then the
 * largest drift per group (qk,vo,mlp) and ε per block; with per_law also every
 * applicable quantity (law:NAME / q:NAME, matrix laws in Frobenius norm). */
char *bridge_csv_header(const struct bridge *b, int per_law);
char *bridge_csv_row(const struct bridge *b, int per_law);
/* '#' metadata lines for a CSV (version, map, not-applicable laws), malloc'd. */
char *bridge_csv_meta(const struct bridge *b, const char *command);
#endif
