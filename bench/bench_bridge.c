/* bench_bridge.c — `laws checkpoints` on a 1 GB sharded checkpoint series:
 * writes, in a fresh temporary directory, 4 checkpoint-N/ folders of a
 * 12-layer Llama-style model (d 1024, 16 heads in 4 KV groups of head_dim 64,
 * RoPE, SwiGLU 2816; bf16; 2 shards with an index and config.json each; random
 * weights, ≈ 268 MB a checkpoint), runs the noether binary on it as a child
 * process, and reports its wall time per GB, its own measured peak memory
 * above its start, the child's peak resident set (getrusage, independent of
 * the program's figure) against the same for a run that reads nothing, and
 * the bound 3 × the largest tensor in double. Deletes the directory.
 * Usage: bench_bridge [NOETHER_BINARY]   (default ./noether)
 * The page cache is warm (the files were just written): the time is that of
 * mapping, converting and reducing, not of the disk. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LAYERS 12
#define D 1024
#define HEADS 16
#define KV 4
#define HD 64
#define DFF 2816
#define NCK 4

static uint64_t rng = 88172645463325252ull;

/* bf16 bits of a rough N(0, 1/sqrt(in)) value (sum of uniforms), fast */
static uint16_t sample(float scale)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	float u = (float)((rng & 0xffffff) + ((rng >> 24) & 0xffffff) + ((rng >> 48) & 0xffff) * 256.0) / 16777216.0f - 1.5f;
	float v = u * 2 * scale;
	uint32_t b;
	memcpy(&b, &v, 4);
	return (uint16_t)(b >> 16);
}

struct tensor { char name[128]; long r, c; };

static int ntensors(struct tensor *t)
{
	int n = 0;
	for (int l = 0; l < LAYERS; l++) {
		static const char *const a[] = { "q_proj", "k_proj", "v_proj", "o_proj" };
		long rows[] = { HEADS * HD, KV * HD, KV * HD, D }, cols[] = { D, D, D, HEADS * HD };
		for (int i = 0; i < 4; i++) {
			snprintf(t[n].name, sizeof t[n].name, "model.layers.%d.self_attn.%s.weight", l, a[i]);
			t[n].r = rows[i];
			t[n++].c = cols[i];
		}
		static const char *const m[] = { "gate_proj", "up_proj", "down_proj" };
		long mr[] = { DFF, DFF, D }, mc[] = { D, D, DFF };
		for (int i = 0; i < 3; i++) {
			snprintf(t[n].name, sizeof t[n].name, "model.layers.%d.mlp.%s.weight", l, m[i]);
			t[n].r = mr[i];
			t[n++].c = mc[i];
		}
	}
	return n;
}

static int write_shard(const char *path, const struct tensor *t, int a, int b, int step)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	char *h = malloc(65536);
	size_t n = (size_t)snprintf(h, 65536, "{\"__metadata__\":{\"format\":\"pt\",\"step\":\"%d\"}", step);
	size_t off = 0;
	for (int i = a; i < b; i++) {
		size_t bytes = (size_t)t[i].r * (size_t)t[i].c * 2;
		n += (size_t)snprintf(h + n, 65536 - n, ",\"%s\":{\"dtype\":\"BF16\",\"shape\":[%ld,%ld],\"data_offsets\":[%zu,%zu]}",
		                      t[i].name, t[i].r, t[i].c, off, off + bytes);
		off += bytes;
	}
	h[n++] = '}';
	while ((n + 8) % 8)
		h[n++] = ' ';
	uint64_t hl = n;
	unsigned char lb[8];
	for (int i = 0; i < 8; i++)
		lb[i] = (unsigned char)(hl >> (8 * i));
	int rc = fwrite(lb, 1, 8, f) != 8 || fwrite(h, 1, n, f) != n;
	free(h);
	uint16_t *buf = malloc((size_t)DFF * sizeof *buf);
	for (int i = a; i < b && !rc; i++) {
		float scale = 1.0f / sqrtf((float)t[i].c);
		for (long r = 0; r < t[i].r && !rc; r++) {
			for (long c = 0; c < t[i].c; c++)
				buf[c] = sample(scale);
			rc = fwrite(buf, 2, (size_t)t[i].c, f) != (size_t)t[i].c;
		}
	}
	free(buf);
	return fclose(f) || rc ? -1 : 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs BIN -e CMD, output into out (up to len); returns the child's max RSS (bytes) and wall time. */
static int run(const char *bin, const char *cmd, char *out, size_t len, double *rss, double *secs)
{
	int p[2];
	if (pipe(p))
		return -1;
	double t0 = now();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execl(bin, bin, "-e", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	ssize_t k;
	while ((k = read(p[0], out + got, len - 1 - got)) > 0 && got + (size_t)k < len - 1)
		got += (size_t)k;
	while (k > 0) {
		char sink[4096];
		k = read(p[0], sink, sizeof sink);
	}
	out[got] = 0;
	close(p[0]);
	int st;
	struct rusage ru;
	wait4(pid, &st, 0, &ru);
	*secs = now() - t0;
	*rss = (double)ru.ru_maxrss * 1024;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(int argc, char **argv)
{
	const char *bin = argc > 1 ? argv[1] : "./noether";
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[512];
	snprintf(dir, sizeof dir, "%s/noether-bench-bridge.XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		fprintf(stderr, "bench_bridge: cannot make a directory in %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	struct tensor *t = calloc(LAYERS * 7, sizeof *t);
	int n = ntensors(t), half = n / 2, rc = 0;
	double total = 0;
	double t0 = now();
	for (int k = 0; k < NCK && !rc; k++) {
		char ck[600], p[700];
		int step = 1000 * k;
		snprintf(ck, sizeof ck, "%s/checkpoint-%d", dir, step);
		mkdir(ck, 0755);
		snprintf(p, sizeof p, "%s/model-00001-of-00002.safetensors", ck);
		rc |= write_shard(p, t, 0, half, step);
		snprintf(p, sizeof p, "%s/model-00002-of-00002.safetensors", ck);
		rc |= write_shard(p, t, half, n, step);
		snprintf(p, sizeof p, "%s/model.safetensors.index.json", ck);
		FILE *f = fopen(p, "w");
		if (!f) {
			rc = 1;
			break;
		}
		fprintf(f, "{\"metadata\": {}, \"weight_map\": {");
		for (int i = 0; i < n; i++)
			fprintf(f, "%s\"%s\": \"model-0000%d-of-00002.safetensors\"", i ? ", " : "", t[i].name, i < half ? 1 : 2);
		fprintf(f, "}}\n");
		fclose(f);
		snprintf(p, sizeof p, "%s/config.json", ck);
		f = fopen(p, "w");
		if (f) {
			fprintf(f, "{\"model_type\": \"llama\", \"hidden_size\": %d, \"num_attention_heads\": %d, \"num_key_value_heads\": %d, "
			        "\"head_dim\": %d, \"intermediate_size\": %d, \"rope_theta\": 10000.0}\n", D, HEADS, KV, HD, DFF);
			fclose(f);
		}
		for (int i = 0; i < n; i++)
			total += (double)t[i].r * (double)t[i].c * 2;
	}
	double gen = now() - t0;
	char *out = malloc(1 << 20), cmd[700], line[256] = "";
	double rss, secs, rss0 = 0, secs0;
	if (!rc) {
		run(bin, "echo", out, 1 << 20, &rss0, &secs0);
		snprintf(cmd, sizeof cmd, "laws checkpoints %s na=0", dir);
		rc = run(bin, cmd, out, 1 << 20, &rss, &secs);
	}
	char rm[600];
	snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
	if (system(rm))
		fprintf(stderr, "bench_bridge: could not remove %s\n", dir);
	if (rc) {
		fprintf(stderr, "bench_bridge: failed (%d):\n%s\n", rc, out);
		return 1;
	}
	double largest = (double)DFF * D * 8;
	char *p = strstr(out, "checkpoints (");
	if (p) {
		while (p > out && p[-1] != '\n')
			p--;
		sscanf(p, "%255[^\n]", line);
	}
	printf("series: %d checkpoints x 2 bf16 shards, %.2f GB, %d layers d=%d heads=%d kv=%d hd=%d dff=%d (written in %.1f s)\n",
	       NCK, total / 1e9, LAYERS, D, HEADS, KV, HD, DFF, gen);
	printf("noether says: %s\n", line);
	printf("bridge gb=%.3f seconds=%.2f s_per_gb=%.2f child_maxrss_mb=%.1f idle_maxrss_mb=%.1f above_idle_mb=%.1f "
	       "largest_tensor_double_mb=%.1f bound_3x_mb=%.1f %s\n", total / 1e9, secs, secs / (total / 1e9), rss / 1e6, rss0 / 1e6,
	       (rss - rss0) / 1e6, largest / 1e6, 3 * largest / 1e6, rss - rss0 <= 3 * largest ? "PASS" : "MISS");
	free(out);
	free(t);
	return 0;
}
