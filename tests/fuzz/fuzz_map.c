/* fuzz_map.c — the bridge's map files (`laws checkpoints ... map=FILE`): the
 * input is the map of a series opened on the test checkpoints
 * (tests/bridge/sgd, when run from the repository root); an accepted map is
 * applied to the first two checkpoints, so tensor names, heads, head_dim,
 * kv_heads, RoPE, fused tensors, layouts and layer ranges from the map meet
 * real tensors, then the summaries, the map's text and the CSV lines are
 * read back. */
#include "common.h"
#include "noether/bridge.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return -1;
	const char *path = fuzz_write_file(data, size, ".map");
	if (!path)
		return 0;
	char err[600];
	struct bridge_opts o = { .map = path };
	struct bridge *b = NULL;
	if (bridge_open(&b, "tests/bridge/sgd", &o, err, sizeof err))
		return 0;
	for (int i = 0; i < 256 && bridge_nck(b) < 2; i++) {
		int rc = bridge_work(b, 4096, err, sizeof err);
		if (rc < 0 || rc == BRIDGE_IDLE)
			break;
	}
	for (int k = 0; k < bridge_nck(b); k++) {
		for (int g = -1; g < BG_COUNT; g++)
			(void)bridge_group_max(b, g, -1, k);
		for (int blk = 0; blk < bridge_nblocks(b); blk++)
			(void)bridge_block_eps(b, blk, k);
	}
	char name[128];
	for (int f = 0; f < bridge_nfam(b); f++)
		if (bridge_fam(b, f)->n > 0)
			bridge_member_name(b, f, 0, name, sizeof name);
	(void)bridge_map_text(b);
	(void)bridge_na_count(b);
	free(bridge_csv_header(b, 1));
	free(bridge_csv_row(b, 1));
	free(bridge_csv_meta(b, "fuzz"));
	bridge_free(b);
	return 0;
}
