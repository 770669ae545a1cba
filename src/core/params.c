/* params.c — `save params` and `load params`: θ of run A as safetensors under
 * the model's tensor names (layer1.dense.W ...), F64, with the command script
 * and the step as metadata; loading checks every name, shape and value before
 * anything changes, then makes the file's parameters θ0 (and θ) of every run. */
#include "exp_impl.h"
#include "noether/safetensors.h"
#include "noether/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int experiment_save_params(struct experiment *s, const char *path)
{
	int rc = experiment_prepare(s);
	if (rc)
		return rc;
	const struct model *m = s->model;
	int n = 0;
	for (int b = 0; b < m->nblocks; b++)
		n += m->blocks[b].ntensors;
	struct st_out *t = xcalloc((size_t)n + 1, sizeof *t);
	long (*shapes)[3] = xcalloc((size_t)n + 1, sizeof *shapes);
	n = 0;
	for (int b = 0; b < m->nblocks; b++)
		for (int i = 0; i < m->blocks[b].ntensors; i++) {
			const struct tensor_view *v = &m->blocks[b].tensors[i];
			for (int d = 0; d < v->ndim; d++)
				shapes[n][d] = v->dim[d];
			t[n].name = v->name;
			t[n].ndim = v->ndim;
			t[n].shape = shapes[n];
			t[n].data = s->runs[0]->theta + v->off;
			n++;
		}
	size_t sl = 1;
	for (int i = 0; i < s->nhistory; i++)
		sl += strlen(s->history[i]) + 1;
	char *script = xmalloc(sl), *p = script;
	*p = 0;
	for (int i = 0; i < s->nhistory; i++)
		p += sprintf(p, "%s\n", s->history[i]);
	char step[32];
	snprintf(step, sizeof step, "%ld", s->runs[0]->step);
	const char *meta[] = { "format", "noether", "script", script, "step", step };
	rc = st_write(path, t, n, meta, 3, 0, s->err, sizeof s->err);
	free(script);
	free(shapes);
	free(t);
	return rc;
}

int experiment_load_params(struct experiment *s, const char *path)
{
	int rc = experiment_prepare(s);
	if (rc)
		return rc;
	struct st_file *f;
	char err[1024];
	if ((rc = st_read(path, &f, err, sizeof err)))
		return nt_err(s->err, sizeof s->err, rc, "load: %s", err);
	const struct model *m = s->model;
	double *th = xcalloc(s->D + 1, sizeof *th);
	int used = 0;
	for (int b = 0; b < m->nblocks && !rc; b++)
		for (int i = 0; i < m->blocks[b].ntensors && !rc; i++) {
			const struct tensor_view *v = &m->blocks[b].tensors[i];
			const struct st_tensor *t = st_find(f, v->name);
			if (!t) {
				rc = nt_err(s->err, sizeof s->err, NT_EINVAL, "load: %s has no tensor '%s' (the model needs it)", path, v->name);
				break;
			}
			int same = t->ndim == v->ndim;
			for (int d = 0; same && d < v->ndim; d++)
				same = t->shape[d] == v->dim[d];
			if (!same) {
				char a[96] = "", bb[96] = "";
				for (int d = 0; d < t->ndim; d++)
					snprintf(a + strlen(a), sizeof a - strlen(a), "%s%ld", d ? "," : "", t->shape[d]);
				for (int d = 0; d < v->ndim; d++)
					snprintf(bb + strlen(bb), sizeof bb - strlen(bb), "%s%d", d ? "," : "", v->dim[d]);
				rc = nt_err(s->err, sizeof s->err, NT_EINVAL, "load: tensor '%s' has shape [%s] in %s, the model needs [%s]",
				            v->name, a, path, bb);
				break;
			}
			st_get(f, t, th + v->off);
			for (size_t k = 0; k < t->nelem; k++)
				if (!isfinite(th[v->off + k])) {
					rc = nt_err(s->err, sizeof s->err, NT_EINVAL, "load: tensor '%s' in %s holds NaN/Inf", v->name, path);
					break;
				}
			used++;
		}
	if (!rc && used != f->n)
		for (int i = 0; i < f->n; i++)
			if (!model_find_tensor(m, f->t[i].name)) {
				rc = nt_err(s->err, sizeof s->err, NT_EINVAL, "load: %s has a tensor '%s' the model does not have", path, f->t[i].name);
				break;
			}
	st_free(f);
	if (!rc)
		rc = experiment_set_theta0(s, th);
	free(th);
	return rc;
}
