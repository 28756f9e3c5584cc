"""bench.lockstep: what a warp's lanes pay for phase 2's chain walk, counted on the CPU."""

import numpy as np

from bench.lockstep import count_links, lane_steps, main
from bench.phase2_work import GPU_HASH_LOG

PAGE = 4096
POSITIONS = PAGE - 12  # LZ4's match starts


def test_a_warp_pays_its_slowest_lane_at_every_step():
    counts = np.zeros((1, 64), np.int64)
    counts[0, 0] = counts[0, 1] = 3
    # lanes take one position each: two warps, the first one pays 3 for all 32 lanes
    assert lane_steps(counts, 1).tolist() == [96]
    # lanes take two each (one warp): lane 0's two positions are two steps of 3
    assert lane_steps(counts, 2).tolist() == [192]
    counts[0, 2] = 3  # lane 1's first position, in step with lane 0's first
    assert lane_steps(counts, 2).tolist() == [192]
    # a partial last warp pays as a whole one
    assert lane_steps(np.ones((2, 33), np.int64), 1).tolist() == [64, 64]


def test_a_zero_page_follows_one_link_a_position():
    c = count_links(np.zeros((1, PAGE), np.uint8), "lz4")
    # every position but the first links to the one before, which matches to the cap
    assert c["links"].tolist() == [POSITIONS - 1]
    assert c["longest_walk"].tolist() == [1]
    assert c["by_positions"].tolist() == [32 * -(-POSITIONS // 32)]
    assert c["exact_relink"].tolist() == [0]
    # bytes compared: from the key to the cap (64) or to the end limit (4091), at every
    # position by positions, and by segments only at each segment's first (top) one:
    # the others carry the length from the position above
    def compared(i):
        return min(64, PAGE - 5 - i) - 4

    assert c["compared"].tolist() == [sum(compared(i) for i in range(1, POSITIONS))]
    # four bytes a step, the last one partial where the end limit cuts it
    assert c["word_steps"].tolist() == [sum(-(-compared(i) // 4) for i in range(1, POSITIONS))]
    assert c["word_steps_by_positions"].tolist() == [
        32 * sum(max(-(-compared(i) // 4) for i in range(base, min(base + 32, POSITIONS)))
                 for base in range(0, POSITIONS, 32))]
    tops = [min(start + 16, POSITIONS - 1) for start in range(0, POSITIONS, 17)]
    assert c["compared_segments"].tolist() == [sum(compared(i) for i in tops)]


def hash12(window):
    """lz4.link_positions's hash of a 4-byte window, with the GPU's 12 bits."""
    key = int.from_bytes(bytes(window), "little")
    return (key * 2654435761 & 0xFFFFFFFF) >> (32 - GPU_HASH_LOG)


def zeros_and_a_colliding_key(at):
    """A zero page but for the 4 bytes at ``at``, whose key has the hash of the zero key;
    the keys that overlap them have other hashes."""
    inverse = pow(2654435761, -1, 1 << 32)
    for product in range(1, 1 << (32 - GPU_HASH_LOG)):
        page = np.zeros(PAGE, np.uint8)
        page[at:at + 4] = np.frombuffer((product * inverse % (1 << 32)).to_bytes(4, "little"),
                                        np.uint8)
        overlapping = [hash12(page[i:i + 4]) for i in range(at - 3, at + 4) if i != at]
        if 0 not in overlapping:
            return page[None, :]
    raise AssertionError("no such key")


def test_a_collision_with_a_common_key_walks_its_whole_chain():
    page = zeros_and_a_colliding_key(4000)
    c = count_links(page, "lz4")
    # position 4000 skips every earlier zero key (positions 0..3996) and finds nothing
    assert c["longest_walk"].tolist() == [3997]
    assert c["exact_relink"][0] >= 32 * 3997
    # 128 warp steps of 32 positions.  In each, zero keys link to the one before, which
    # matches to the cap, except in the last 60 before the key (3937 to 3996, steps
    # 123 and 124): their candidates stop short of the cap, all alike, so they walk 4.
    # Step 125 holds the walk of 3997 (and position 4004's 5, past the key).
    assert c["by_positions"].tolist() == [32 * (125 + 4 + 4 + 3997)]
    assert c["exact_chain"][0] < 32 * 128 * 4
    # in two passes step 125 pays 4 links, then 4000 and 4004 are walked again together
    assert c["two_passes_links"].tolist() == [32 * (125 + 4 + 4 + 4 + 3997)]
    assert c["two_passes_listed"].tolist() == [2]


def test_the_bench_prints_a_row_per_source_and_format(tmp_path, capsys):
    rng = np.random.default_rng(3)
    pages = np.repeat(rng.integers(0, 4, (2, PAGE // 8), dtype=np.uint8), 8, axis=1)
    path = tmp_path / "runs.pages"
    pages.tofile(path)
    assert main(["--corpus", str(path)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "runs.pages" in line]
    assert [row.split("|")[2].strip() for row in rows] == ["lz4", "deflate"]
    assert main(["--corpus", str(path), "--candidates", "1", "16", "--budget", "2"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "runs.pages" in line]
    assert [row.split("|")[3].strip() for row in rows] == ["1", "16", "1", "16"]
