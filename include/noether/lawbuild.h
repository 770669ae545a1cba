/* lawbuild.h — conservation laws as declarations, and the few builders that turn
 * declarations into quantities (quantity.h).
 *
 * A block kind writes no quantity. Its declare hook says, in terms of its own
 * tensors, which transformations leave its function unchanged:
 *   - units (law_units): N units, each a slice of some tensors — the entries
 *     whose index on a given axis belongs to the unit — scaled by λ on the parts
 *     of positive coefficient and by λ^-p on the others (a hidden neuron, a
 *     channel, a SwiGLU unit, a RoPE plane, or a whole tensor). Per unit:
 *         Σ_parts coef · ||slice||²            (sym_p = p; the two sides as contrasts)
 *   - a Gram law (law_gram): factors of a product over one shared axis that a
 *     change of basis G of that axis leaves unchanged (Q→QG, K→KG^-T):
 *         Σ_parts coef · Gram_axis(T)         (r×r, upper triangle, weight 2 off it)
 *     where Gram_axis(T)[i,j] sums T[..i..]·T[..j..] over the other indices.
 *   - a linear sum (law_sum): a tensor whose entries along an axis may all shift
 *     by one amount (softmax logits, gating logits): Σ over that axis, one
 *     component per index of the other axes (axis -1: no sum, every entry is a
 *     component — parameters the function does not depend on).
 *   - its ports: the slices through which it reads its input features linearly
 *     (law_read: y depends on x only through W x, W's input axis) and writes its
 *     output features linearly (law_write: y = W … + b, the output axis;
 *     law_write_bias for a part that adds a constant, b), or writes each output
 *     feature through its own slices only (law_write_diag: y_j = g_j x̂_j + b_j,
 *     the gain and shift of a normalization layer);
 *   - what it absorbs of its input (a normalization layer): a positive rescaling
 *     of every feature of a row by one λ (in_scale = IN_SCALE_ALL) or of each
 *     feature by its own (IN_SCALE_EACH), shifts (in_shift), and whether its
 *     output rows always sum to zero (out_zero_sum).
 *
 * Laws between neighbours come from ports and from how a block passes its input
 * features on (block_kind.pass), never from which kinds they are:
 *   - writer → elementwise σ with σ(λz) = λ^p σ(z) → reader: per feature j,
 *     ||write slices j||² − p ||read slices j||² (lawbuild_model);
 *   - writer → reader, possibly through blocks that pass the features on
 *     linearly (PASS_LINEAR: mean pooling) or add to them (PASS_SKIP: residual
 *     x + g(x), whose inner chain must read and write the stream linearly): a
 *     change of basis G of that stream, x → Gx, is a symmetry of the whole
 *     model, so Σ writers' Gram − Σ readers' Gram over the stream is a law
 *     (the deep linear law, attention's read-out law, the residual-stream law,
 *     the law between stacked attention layers).
 *   - the same stream, when some of its maps allow less than every G: a
 *     diagonal writer or an IN_SCALE_EACH reader leaves the positive diagonal
 *     G (per feature j: Σ writers' ||slice j||² − Σ linear readers' ||slice j||²,
 *     the gain law, batchnorm's per-channel law), an IN_SCALE_ALL reader only
 *     G = λI (one law Σ writers' ||·||² − Σ linear readers' ||·||²: the scale
 *     law of the weights feeding rmsnorm and layernorm, and of a whole pre-norm
 *     residual stream). A reader inside a residual block (its inner chain's
 *     first block) counts like a reader outside.
 *     When every normalization on the stream absorbs row shifts (layernorm)
 *     and linear readers undo the rest, G = I + t·11^T is a symmetry too: the
 *     law 1^T M 1 of the stream's Gram matrix M (name "stream-sum").
 *   - shifts every reader after a write part absorbs: IN_SHIFT_ROW (x + c(x)·1)
 *     makes the sum over the output axis of a linear write part a linear law
 *     (the column sums of the layer before a layernorm), IN_SHIFT_EACH (x + c)
 *     each entry of a bias part (before a batchnorm: ∂L/∂b = 0), IN_SHIFT_CONST
 *     (x + c·1) the sum of a bias part. A linear reader absorbs none.
 *   - out_zero_sum: the sum over the input axis of each read part of the next
 *     reader is a linear law (W_next 1 after a layernorm without affine).
 *
 * Every quantity built is a candidate (QR_CANDIDATE) or a contrast: the
 * session's rate check decides what is shown as conserved. */
#ifndef NOETHER_LAWBUILD_H
#define NOETHER_LAWBUILD_H
#include <stddef.h>

struct tensor_view;
struct model;
struct qset;

/* One tensor taking part in a law: its entries with index `axis` equal to a unit
 * (or stream) index; axis -1: every entry (the whole tensor is one unit). base is
 * added to the view's offset (inner models of composite blocks). */
struct law_part {
	const struct tensor_view *t;
	int axis;
	double coef;
	size_t base;
	const char *label;    /* formula text for the run of parts with this label (NULL: from t) */
	const char *who;      /* name of the declaring block (formulas name other blocks' labels) */
	unsigned flags;       /* ports: LP_BIAS (adds a constant), LP_DIAG (writes feature j alone) */
};
enum { LP_BIAS = 1, LP_DIAG = 2 };

/* What a block absorbs of its input features (law_decls.in_scale, in_shift). */
enum { IN_SCALE_NONE, IN_SCALE_ALL, IN_SCALE_EACH };
enum { IN_SHIFT_CONST = 1,   /* x + c·1, c a constant */
       IN_SHIFT_EACH = 2,    /* x + c, c a constant vector */
       IN_SHIFT_ROW = 4 };   /* x + c(x)·1, one amount per row */

enum law_form { LAW_UNITS, LAW_GRAM, LAW_SUM };

struct law_decl {
	enum law_form form;
	char name[48];        /* after "BLOCK.": units append the unit index ("n" → n3) */
	int units;            /* LAW_UNITS: number of units */
	int width;            /* LAW_UNITS: indices per unit along the axis (RoPE plane: 2) */
	double p;             /* LAW_UNITS: degree on the out side (sym_p of the laws) */
	const char *in_label, *out_label;   /* LAW_UNITS contrasts "NAME.in" / "NAME.out" (NULL: none);
	                                     * LAW_SUM: in_label names the first term's contrast */
	int watch;            /* LAW_UNITS: unit whose contrasts are on screen (-1: none) */
	const char *note;     /* formula: LAW_UNITS "(note j)"; LAW_GRAM replaces ", upper triangle";
	                       * LAW_SUM after the size */
	int nparts, cap;
	struct law_part *part;
};

/* A block's declarations, filled by its declare hook. */
struct law_decls {
	size_t base;          /* added to every part declared (set by the builder) */
	const char *who;      /* the declaring block's name (set by the builder) */
	int n, cap;
	struct law_decl *decl;
	struct law_decl read, write;   /* ports: parts only (coef unused); write also holds
	                                * the diagonal parts (LP_DIAG) */
	const char *write_name;        /* suffix of the law with the next block ("balance") */
	int in_scale;                  /* IN_SCALE_*: rescalings of the input the output ignores */
	unsigned in_shift;             /* IN_SHIFT_* bits: shifts of the input the output ignores */
	int out_zero_sum;              /* every output row sums to zero */
	/* set by the builder for a composite block with PASS_SKIP: its inner chain's
	 * first read port (or, for a first block that reads nothing linearly, its
	 * in_scale and in_shift) and last write port */
	struct law_decl skip_read, skip_write;
	int skip_in_scale;
	unsigned skip_in_shift;
};

/* Declaring (block kinds' declare hooks). The returned pointer is valid until
 * the next declaration. */
struct law_decl *law_units(struct law_decls *d, const char *name, int units, double p);
struct law_decl *law_gram(struct law_decls *d, const char *name);
struct law_decl *law_sum(struct law_decls *d, const char *name);
void law_add_part(struct law_decls *d, struct law_decl *l, const struct tensor_view *t, int axis, double coef);
/* Ports: t's entries along axis are the block's input (read) or output (write) features. */
void law_read(struct law_decls *d, const struct tensor_view *t, int axis);
void law_write(struct law_decls *d, const struct tensor_view *t, int axis);
/* A write part that adds a constant to output feature j (a bias). */
void law_write_bias(struct law_decls *d, const struct tensor_view *t, int axis);
/* A write part through which output feature j depends on slice j alone
 * (y_j = g_j x̂_j + b_j): a positive rescaling of feature j passes, a change of
 * basis does not. bias: the part adds a constant (b). */
void law_write_diag(struct law_decls *d, const struct tensor_view *t, int axis, int bias);
/* Gives the parts of l declared so far the formula label text (e.g. every head's
 * O of an attention block: "sum_h O_h O_h^T"); a run of parts with one label is
 * written once. Pass &d->read or &d->write for a port. */
void law_label_parts(struct law_decl *l, const char *label);

/* Frees what a law_decls holds (not d itself) and empties it. */
void law_decls_clear(struct law_decls *d);

/* Builders: append the quantities of one declaration, named "PREFIX.name…",
 * owned by block `block` (role QR_CANDIDATE; contrasts QR_CONTRAST). Return
 * the number of candidate laws appended. */
int law_build(const struct law_decl *l, const char *prefix, int block, struct qset *out);

/* Every catalogue law of model m (terms shifted by base, every quantity owned by
 * block `block` when block >= 0, else by the block that declares it): each
 * block's own declarations, then the laws between neighbours derived from
 * ports and passes (see the top). Composite blocks (block_kind.inner) are built
 * recursively. Returns the number of candidate laws appended. */
int lawbuild_model(const struct model *m, size_t base, int block, struct qset *out);
#endif
