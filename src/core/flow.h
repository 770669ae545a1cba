/* flow.h — private to src/core: the gradient-flow integrator behind
 * `opt flow` and `opt flow+momentum` (see flow.c for the equations). */
#ifndef NOETHER_FLOW_H
#define NOETHER_FLOW_H
#include <stddef.h>
#include "noether/session.h"

/* Doubles of workspace the integrator needs for session s (0 when the
 * optimizer is not a flow kind). Allocated by session_prepare. */
size_t flow_workspace_size(const struct session *s);

/* One accepted step of the adaptive integrator from s->theta (and s->mom for
 * flow+momentum), trial step at most hmax. Updates θ (and v), s->t, s->Lambda,
 * s->flow_h, s->grad_norm; *loss gets L at the starting point. Returns 0, or
 * NT_EDIVERGED / NT_ERANGE (step size underflow) with s->err set. Never
 * allocates. */
int flow_advance(struct session *s, double hmax, double *loss);
#endif
