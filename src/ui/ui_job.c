/* ui_job.c — a long command (laws count, laws find, laws checkpoints, sweep,
 * load params) on a worker thread, so the screen keeps answering keys.
 *
 * While the job runs the worker owns the command context and the experiment:
 * the loop draws only the status, message and input lines (with the job's
 * progress) over the last frame, and takes no command but cancel (the
 * interrupt flag) and quit. The job's output and messages go into buffers of
 * its own; when it ends (a byte on a pipe wakes the loop) ui_job_finish joins
 * the thread, gives the context back and replays the output into the screen's
 * sinks in order, as if the command had run in the loop.
 *
 * Invariants: at most one job at a time; between ui_job_start and
 * ui_job_finish the loop touches neither ctx nor the experiment; the worker
 * blocks every signal (they reach the loop's thread). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "noether/util.h"
#include "ui_screen.h"

struct ui_job {
	pthread_t th;
	struct cmd_ctx *ctx;
	char line[4096];
	int rc;
	int pipe[2];
	/* output and messages in order: records "o"/"m" + text + NUL */
	char *rec;
	size_t len, cap;
	/* progress, written by the worker, read by the loop */
	pthread_mutex_t lock;
	double frac;
	char stage[96];
	/* the context's front-end fields while the job runs */
	cmd_sink out, msg;
	void *user;
	const struct nt_progress *progress;
	int (*screen_op)(struct cmd_ctx *, enum cmd_screen_op, int, char **);
	struct nt_progress prog;
};

static void job_record(struct ui_job *j, char kind, const char *text)
{
	size_t n = strlen(text);
	if (j->len + n + 2 > j->cap) {
		size_t cap = j->cap ? j->cap : 4096;
		while (cap < j->len + n + 2)
			cap *= 2;
		if (cap > (1u << 22))
			return;              /* as the screen's own output: 4 MiB is enough */
		j->rec = xrealloc(j->rec, cap);
		j->cap = cap;
	}
	j->rec[j->len++] = kind;
	memcpy(j->rec + j->len, text, n + 1);
	j->len += n + 1;
}

static void job_out(void *user, const char *text) { job_record(user, 'o', text); }
static void job_msg(void *user, const char *text) { job_record(user, 'm', text); }

static void job_progress(void *user, double frac, const char *stage)
{
	struct ui_job *j = user;
	pthread_mutex_lock(&j->lock);
	j->frac = frac;
	str_copy(j->stage, stage ? stage : "", sizeof j->stage);
	pthread_mutex_unlock(&j->lock);
}

static void *job_main(void *arg)
{
	struct ui_job *j = arg;
	j->rc = cmd_exec_line(j->ctx, j->line);
	char b = 1;
	ssize_t w;
	do
		w = write(j->pipe[1], &b, 1);
	while (w < 0 && errno == EINTR);
	return NULL;
}

int ui_job_start(struct ui *u, const char *line)
{
	struct ui_job *j = xcalloc(1, sizeof *j);
	struct cmd_ctx *c = u->ctx;
	if (pipe(j->pipe)) {
		free(j);
		return -1;
	}
	fcntl(j->pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(j->pipe[1], F_SETFD, FD_CLOEXEC);
	pthread_mutex_init(&j->lock, NULL);
	j->ctx = c;
	j->frac = -1;
	str_copy(j->line, line, sizeof j->line);
	j->out = c->out;
	j->msg = c->msg;
	j->user = c->user;
	j->progress = c->progress;
	j->screen_op = c->screen_op;
	j->prog.fn = job_progress;
	j->prog.user = j;
	c->out = job_out;
	c->msg = job_msg;
	c->user = j;
	c->progress = &j->prog;
	c->screen_op = NULL;         /* no screen operation from the worker */
	/* every signal goes to the loop's thread */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&j->th, NULL, job_main, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		c->out = j->out;
		c->msg = j->msg;
		c->user = j->user;
		c->progress = j->progress;
		c->screen_op = j->screen_op;
		close(j->pipe[0]);
		close(j->pipe[1]);
		pthread_mutex_destroy(&j->lock);
		free(j);
		return -1;
	}
	u->job = j;
	return 0;
}

int ui_job_fd(const struct ui *u)
{
	return u->job ? u->job->pipe[0] : -1;
}

void ui_job_progress(struct ui *u, double *frac, char *stage, size_t len)
{
	struct ui_job *j = u->job;
	*frac = -1;
	if (len)
		stage[0] = '\0';
	if (!j)
		return;
	pthread_mutex_lock(&j->lock);
	*frac = j->frac;
	str_copy(stage, j->stage, len);
	pthread_mutex_unlock(&j->lock);
}

int ui_job_finish(struct ui *u)
{
	struct ui_job *j = u->job;
	if (!j)
		return 0;
	pthread_join(j->th, NULL);
	struct cmd_ctx *c = u->ctx;
	c->out = j->out;
	c->msg = j->msg;
	c->user = j->user;
	c->progress = j->progress;
	c->screen_op = j->screen_op;
	u->job = NULL;
	for (size_t o = 0; o < j->len;) {
		char kind = j->rec[o++];
		const char *text = j->rec + o;
		if (kind == 'o')
			c->out(c->user, text);
		else
			c->msg(c->user, text);
		o += strlen(text) + 1;
	}
	int rc = j->rc;
	close(j->pipe[0]);
	close(j->pipe[1]);
	pthread_mutex_destroy(&j->lock);
	free(j->rec);
	free(j);
	return rc;
}
