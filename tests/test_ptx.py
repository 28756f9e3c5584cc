"""Every CUDA kernel compiles for a Hopper GPU within a block's static shared memory:
what the CUDA simulator cannot check (it runs kernels as Python).  Needs no GPU, only
NVVM (the ``ptx`` extra); skips without it."""

import pytest

from bench import ptx_check

REASON = ptx_check.unavailable_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def test_every_kernel_compiles_for_hopper():
    rows = ptx_check.check((9, 0))
    errors = [f"{row['kernel']}: {row['error']}" for row in rows if "error" in row]
    assert not errors, "\n".join(errors)
    assert {row["kernel"] for row in rows} >= {
        "lz4 compress (block per page)", "deflate fixed (block per page)", "inflate"}
    for row in rows:
        if "shared_bytes" in row:  # ptxas is there to report it
            assert row["shared_bytes"] <= ptx_check.STATIC_SHARED_LIMIT, row
