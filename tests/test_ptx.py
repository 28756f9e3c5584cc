"""Every CUDA kernel compiles for a Hopper GPU within a block's static shared memory:
what the CUDA simulator cannot check (it runs kernels as Python).  Needs no GPU, only
NVVM (the ``ptx`` extra); skips without it."""

import pytest

from bench import ptx_check

REASON = ptx_check.unavailable_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def rows():
    return ptx_check.check((9, 0))  # compiles every kernel: about 40 s


def test_every_kernel_compiles_for_hopper(rows):
    errors = [f"{row['kernel']}: {row['error']}" for row in rows if "error" in row]
    assert not errors, "\n".join(errors)
    assert {row["kernel"] for row in rows} >= {
        "lz4 compress (block per page)", "deflate fixed (block per page)", "inflate"}
    for row in rows:
        if "shared_bytes" in row:  # ptxas is there to report it
            assert row["shared_bytes"] <= ptx_check.STATIC_SHARED_LIMIT, row


def test_no_kernel_scans_bits_of_64_bit_words(rows):
    """A lane mask that numba's arithmetic widened to 64 bits has 32 leading zeros more
    than the simulator counts: the chain by rows linked wrong lanes on an H100 that way
    (2026-11-27) and passed every simulator test."""
    wide = {row["kernel"]: row["wide_bit_scans"] for row in rows if row.get("wide_bit_scans")}
    assert not wide, f"clz/brev of 64-bit operands (use kernels/bits.py): {wide}"


def test_resident_blocks_follow_the_occupancy_rules():
    # Worked by hand from the rules in ptx_check.SM_LIMITS' comment.
    assert ptx_check.blocks_per_sm(40, 25360, 256, (9, 0)) == (6, "registers")
    assert ptx_check.blocks_per_sm(40, 41744, 256, (9, 0)) == (5, "shared memory")
    assert ptx_check.blocks_per_sm(53, 0, 256, (9, 0)) == (4, "registers")  # as 56 each
    assert ptx_check.blocks_per_sm(16, 0, 32, (9, 0)) == (32, "blocks")
    assert ptx_check.blocks_per_sm(16, 0, 512, (9, 0)) == (4, "threads")
    assert ptx_check.blocks_per_sm(40, 0, 256, (7, 5)) is None


def test_block_kernels_leave_room_for_several_pages_per_sm(rows):
    """While a block's serial phases idle its other warps, other pages keep the SM busy:
    keep the 6 LZ4 pages and 5 deflate pages an SM holds now (2026-11-26)."""
    by_name = {row["kernel"]: row for row in rows}
    for kernel, least in (("lz4 compress (block per page)", 6),
                          ("deflate fixed (block per page)", 5)):
        if "blocks_per_sm" not in by_name[kernel]:
            pytest.skip("no ptxas to report the kernels' resources")
        assert by_name[kernel]["blocks_per_sm"] >= least, by_name[kernel]
