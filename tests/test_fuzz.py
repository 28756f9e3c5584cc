"""The differential fuzzers' short mode (the long one: ``python -m bench.fuzz``), and the
inputs they found, kept as regression tests."""

import errno
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.fuzz import lz4 as lz4_fuzz
from bench.fuzz import run
from gpuacomp.device import gpu_unavailable_reason

# Cases the simulator decodes with each GPU decoder: seconds of Python for these (the LZ4
# lanes' barriers cost most).
SIM_FUZZ_CASES = {"lz4": 40, "deflate": 200}

pytest.importorskip("lz4")

# (block, capacity, what liblz4 1.9.4 makes of it: bytes, or None for an error)
LIBLZ4_CASES = [
    # A short sequence near the input's end that liblz4's shortcut takes without its end
    # checks (bench.fuzz --codec lz4, seed 1, case 4139, before we followed its loop).
    (bytes.fromhex("ff003b13e3c3b39098585acd1033bfc6db020000e7d45dbae7bdcf3c04c3f2e080b9"
                   "29020000"), 4096, 59),
    # Into no room liblz4 decodes only the one-byte empty block (seed 1, case 9046).
    (bytes.fromhex("0d"), 0, None),
    (bytes.fromhex("00"), 0, 0),
    # Literals that must be the last but are not: the input has no room for more.
    (bytes.fromhex("50616263646500000000"), 4096, None),
    # A match ending within the capacity's last 5 bytes, checked in the careful loop:
    # 8 literals, then 8 bytes of match from offset 8, then 5 literals; room for 20.
    (bytes.fromhex("8461626364656667680800") + bytes.fromhex("506162636465"), 20, None),
    (bytes.fromhex("8461626364656667680800") + bytes.fromhex("506162636465"), 21, 21),
]


@pytest.mark.parametrize("block, capacity, expected", LIBLZ4_CASES)
def test_we_accept_what_liblz4_accepts(block, capacity, expected):
    reference = lz4_fuzz.verdict(block, capacity)
    assert (reference is None) == (expected is None)
    if expected is not None:
        assert len(reference) == expected
    ours = lz4_fuzz.ours(block, capacity)
    assert ours == reference if reference is not None else ours < 0


def test_a_zero_offset_is_our_one_difference():
    # liblz4 copies output it has not written; the format forbids offset 0 (seed 2026).
    block = bytes.fromhex("e05e41a3d46e200c77ee06aa5b22ad000000")
    assert lz4_fuzz.verdict(block, 37) is not None
    assert lz4_fuzz.ours(block, 37) == -errno.EINVAL
    assert lz4_fuzz.zero_offset_before_end(block)
    assert not lz4_fuzz.zero_offset_before_end(bytes.fromhex("8461626364656667680800"
                                                             "506162636465"))


def test_a_valid_block_into_too_little_room_overflows():
    block = bytes.fromhex("8461626364656667680800506162636465")  # 21 bytes decoded
    for capacity in (1, 8, 9, 12, 16, 20):
        assert lz4_fuzz.ours(block, capacity) == -errno.EOVERFLOW, capacity


@pytest.mark.parametrize("codec", ["lz4", "deflate"])
def test_short_fuzz_agrees(codec):
    assert run(codec, 3000, seed=11) is None


@pytest.mark.parametrize("codec", ["lz4", "deflate"])
def test_short_fuzz_stays_in_bounds(codec, memory_path_or_none):
    """The short fuzz again, our codecs compiled with numba's bounds checks (``--boundscheck``,
    a fresh interpreter): an index outside an array raises there, where the usual builds
    read or write past it.  The DEFLATE cases start from our own streams of real memory
    when the corpus is there, and always from ``wide_header_page``'s."""
    command = [sys.executable, "-m", "bench.fuzz", "--codec", codec, "--cases", "2000",
               "--seed", "5", "--boundscheck"]
    if memory_path_or_none is not None:
        command += ["--corpus", str(memory_path_or_none)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "agree on every one" in result.stdout


@pytest.mark.sim
@pytest.mark.skipif(gpu_unavailable_reason() is not None,
                    reason="no GPU path; run with NUMBA_ENABLE_CUDASIM=1")
def test_the_gpu_decoder_answers_as_the_cpus():
    import gpuacomp

    blocks = [block for block, _, _ in LIBLZ4_CASES] + [
        bytes.fromhex("e05e41a3d46e200c77ee06aa5b22ad000000")]
    for page_size in (21, 4096):
        g_out, g_status = gpuacomp.Compressor(device="gpu", page_size=page_size) \
            .decompress_batch(blocks, page_size=page_size)
        c_out, c_status = gpuacomp.Compressor(device="cpu", page_size=page_size) \
            .decompress_batch(blocks, page_size=page_size)
        np.testing.assert_array_equal(np.asarray(g_status), c_status)
        ok = c_status == 0
        np.testing.assert_array_equal(np.asarray(g_out)[ok], c_out[ok])


@pytest.mark.sim
@pytest.mark.skipif(gpu_unavailable_reason() is not None,
                    reason="no GPU path; run with NUMBA_ENABLE_CUDASIM=1")
@pytest.mark.parametrize("codec", ["lz4", "deflate"])
def test_the_gpu_decoders_answer_fuzz_cases_as_the_cpus(codec):
    """The first fuzz cases, decoded by each GPU decoder in the simulator, which checks
    every index: the CPU decoder's status and bytes, into a page and into less.  (The
    kernels are called directly: a ``Compressor`` would retry on the CPU a page the
    device fails.)"""
    import itertools
    import random

    from bench.fuzz import codec_module, start_pages
    from gpuacomp.backends.gpu import DeflateKernels, GPUBackend, LZ4Kernels
    from gpuacomp.kernels import lz4_cuda

    module = codec_module(codec)
    cases = module.cases(random.Random(23), start_pages(23))
    blocks = [block for block, _ in itertools.islice(cases, SIM_FUZZ_CASES[codec])]
    if codec == "lz4":
        decoders = {"a thread a page": LZ4Kernels(32, warp_decoder=False),
                    "the backend's lanes": LZ4Kernels(32, warp_decoder=lz4_cuda.DECODER)}
    else:
        decoders = {"a thread a page": DeflateKernels("fixed", 32)}
    lengths = np.array([len(b) for b in blocks], np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    data = np.frombuffer(b"".join(blocks) or b"\0", np.uint8).copy()
    for capacity in (4096, 1000):
        expected = [module.ours(block, capacity) for block in blocks]
        for name, kernels in decoders.items():
            out, produced = GPUBackend(simulator=True, kernels=kernels).decompress(
                data, offsets, lengths, capacity)
            for i, want in enumerate(expected):
                got = out[i, :produced[i]].tobytes() if produced[i] >= 0 else produced[i]
                assert got == want, (name, capacity, i, blocks[i].hex())
