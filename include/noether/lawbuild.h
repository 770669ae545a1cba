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
 *     component per index of the other axis.
 *   - its ports: the slices through which it reads its input features linearly
 *     (law_read: y depends on x only through W x, W's input axis) and writes its
 *     output features linearly (law_write: y = W … + b, the output axis).
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
};

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
	struct law_decl read, write;   /* ports: parts only (coef unused) */
	const char *write_name;        /* suffix of the law with the next block ("balance") */
	/* set by the builder for a composite block with PASS_SKIP: its inner chain's
	 * first read port and last write port */
	struct law_decl skip_read, skip_write;
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
