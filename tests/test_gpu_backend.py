"""GPU backend: the CUDA kernels against the CPU path, byte for byte.

Two tiers (STYLE.md): ``sim`` runs the real kernels in numba's CUDA simulator on a
handful of pages (``NUMBA_ENABLE_CUDASIM=1 python -m pytest -m sim``; CI does this),
``gpu`` needs a CUDA device and runs 2^16+ pages.  Without either they skip.
"""

import errno
import os

import numpy as np
import pytest

from gpuacomp import device

SIM = device.simulator_enabled()
GPU_REASON = device.gpu_unavailable_reason()

needs_gpu_path = pytest.mark.skipif(
    GPU_REASON is not None,
    reason=f"no GPU path ({GPU_REASON}); run with NUMBA_ENABLE_CUDASIM=1 for the simulator")
needs_real_gpu = pytest.mark.skipif(GPU_REASON is not None or SIM, reason="needs a real CUDA GPU")

CORPUS = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "shared", "corpus")


def edge_pages():
    """One page of each kind the kernels must agree on (4096 bytes each)."""
    rng = np.random.default_rng(3)
    text = (b"the quick brown fox jumps over the lazy dog; " * 100)[:4096]
    heap = np.zeros(4096, np.uint8)
    heap[::8] = rng.integers(0, 256, 512)  # pointer-like words with a shared high part
    heap[5::8] = 0x7F
    kinds = [np.zeros(4096, np.uint8), np.full(4096, 0xA5, np.uint8),
             np.frombuffer(text, np.uint8), heap, rng.integers(0, 256, 4096, dtype=np.uint8)]
    memory = os.path.join(CORPUS, "memory", "python-heap.pages")
    if os.path.exists(memory):
        real = np.fromfile(memory, np.uint8, count=4096 * 64).reshape(-1, 4096)
        kinds += [real[3], real[40]]
    return np.stack(kinds)


@pytest.fixture(scope="module")
def compressors():
    import gpuacomp

    return gpuacomp.Compressor(device="gpu"), gpuacomp.Compressor(device="cpu")


def assert_same_batches(g, c):
    assert np.array_equal(g.status, c.status)
    assert np.array_equal(g.lengths, c.lengths)
    for i in range(len(c)):
        if c.status[i] == 0:
            assert g.page(i) == c.page(i), f"page {i} differs"


def assert_backend_writes(backend, pages, cpu, expected, what):
    """``backend`` compresses ``pages`` into the CPU Compressor's slots and bytes
    (``expected``, its batch of them)."""
    data, lengths = backend.compress(pages, cpu._slot, cpu.candidates)
    data, lengths = _host(data), _host(lengths)
    assert np.array_equal(lengths, expected.lengths), what
    for i in range(len(pages)):
        start = int(expected.offsets[i])
        assert bytes(data[start:start + lengths[i]]) == expected.page(i), (what, i)


@pytest.mark.sim
@needs_gpu_path
def test_backend_is_reported(compressors):
    gpu, _ = compressors
    assert gpu.backend == ("gpu-sim" if SIM else "gpu")
    assert gpu.compress(edge_pages()[:1]).backend == gpu.backend


@pytest.mark.sim
@needs_gpu_path
def test_gpu_bytes_equal_cpu_bytes(compressors):
    gpu, cpu = compressors
    pages = edge_pages()
    g, c = gpu.compress(pages), cpu.compress(pages)
    assert_same_batches(g, c)
    assert np.array_equal(gpu.decompress(g), pages)


@pytest.mark.sim
@needs_gpu_path
@pytest.mark.parametrize("page_size", [1, 13, 100, 4095])
def test_small_pages_equal_cpu(page_size):
    import gpuacomp

    rng = np.random.default_rng(page_size)
    pages = np.stack([np.zeros(page_size, np.uint8),
                      np.resize(np.frombuffer(b"abcabcabd", np.uint8), page_size),
                      rng.integers(0, 256, page_size, dtype=np.uint8)])
    gpu = gpuacomp.Compressor(device="gpu", page_size=page_size)
    cpu = gpuacomp.Compressor(device="cpu", page_size=page_size)
    g = gpu.compress(pages)  # (once: a simulated page takes seconds)
    assert_same_batches(g, cpu.compress(pages))
    assert np.array_equal(gpu.decompress(g), pages)


@pytest.mark.sim
@needs_gpu_path
def test_kernel_options_do_not_change_bytes(compressors):
    from gpuacomp.backends.gpu import GPUBackend, LZ4Kernels

    _, cpu = compressors
    pages = edge_pages()[[2, 3]]
    expected = cpu.compress(pages)
    # against the default (32 threads in the simulator): 64 threads, phase 2 by segments
    # and the chain by rows, the chain's 13-bit hash, its links tagged,
    # lz4.best_match's search, bytes compared one at a time
    for options in (dict(threads_per_block=64, segments=True, parallel_chain=True),
                    dict(threads_per_block=32, hash_bits=13),
                    dict(threads_per_block=32, tagged_links=True),
                    dict(threads_per_block=32, tight_links=False),
                    dict(threads_per_block=32, word_compare=False)):
        backend = GPUBackend(simulator=SIM, kernels=LZ4Kernels(**options))
        assert_backend_writes(backend, pages, cpu, expected, options)


@pytest.mark.sim
@needs_gpu_path
@pytest.mark.parametrize("codec", ["lz4", "deflate-iaa"])
def test_few_pages_get_more_threads_and_the_same_bytes(codec):
    """A batch of at most ``few_pages[1]`` pages is compressed by blocks of
    ``few_pages[0]`` threads, a larger one by the kernel set's own; both give the CPU's
    bytes.  (64 threads here: the GPU's 512 or 1024 cost the simulator minutes a page;
    the GPU tier's small batches take them.)"""
    import gpuacomp
    from gpuacomp.backends.gpu import DeflateKernels, GPUBackend, LZ4Kernels

    class Recorded(DeflateKernels if codec != "lz4" else LZ4Kernels):
        def compress_launch(self, *args):
            self.threads_asked.append(args[-1])
            return super().compress_launch(*args)

    kernels = Recorded("fixed", 32, per_page_threads=False) if codec != "lz4" else Recorded(32)
    kernels.threads_asked = []
    backend = GPUBackend(simulator=SIM, kernels=kernels, few_pages=(64, 1))
    cpu = gpuacomp.Compressor(codec, device="cpu")
    pages = edge_pages()[[2, 3]]
    for count in (1, 2):
        assert_backend_writes(backend, pages[:count], cpu, cpu.compress(pages[:count]), count)
    assert kernels.threads_asked == [64, None]


@pytest.mark.sim
@needs_gpu_path
def test_lazy_parse_bytes_equal_cpu_bytes():
    """The lazy step (the block drops the bits of shorter matches before the walk)
    gives the CPU's lazy bytes, which differ from the greedy ones on these pages."""
    import gpuacomp

    pages = edge_pages()[[2, 3, -1]]  # text, heap-like, a real page where the corpus is
    cpu = gpuacomp.Compressor(device="cpu", lazy=True)
    expected = cpu.compress(pages)
    greedy = gpuacomp.Compressor(device="cpu").compress(pages)
    assert any(expected.page(i) != greedy.page(i) for i in range(len(pages)))
    got = gpuacomp.Compressor(device="gpu", lazy=True).compress(pages)
    assert_same_batches(got, expected)


@pytest.mark.sim
@needs_gpu_path
def test_gpu_decodes_liblz4_blocks(compressors):
    lz4_block = pytest.importorskip("lz4.block")
    gpu, _ = compressors
    pages = edge_pages()
    blocks = [lz4_block.compress(p.tobytes(), store_size=False) for p in pages]
    blocks += [lz4_block.compress(p.tobytes(), mode="high_compression", compression=9,
                                  store_size=False) for p in pages[:3]]
    out = gpu.decompress(blocks, page_size=4096)
    assert np.array_equal(out, np.concatenate([pages, pages[:3]]))


@pytest.mark.sim
@needs_gpu_path
def test_gpu_malformed_blocks_get_error_status(compressors):
    gpu, cpu = compressors
    good = cpu.compress(edge_pages()[2:3]).page(0)
    blocks = [b"", b"\xf0", good[:-3], b"\x10a\x00\x00", b"\x10a\x05\x00",
              good + b"\x00", b"\x1f" + b"a" + b"\x01\x00" + b"\xff" * 20]
    _, status = gpu.decompress_batch(blocks, page_size=4096)
    status = _host(status)
    assert (status < 0).all(), status
    assert set(status.tolist()) <= {-errno.EINVAL, -errno.EOVERFLOW}


@pytest.mark.sim
@needs_gpu_path
@pytest.mark.parametrize("page_size, options", [
    (4096, True), (40, True), (4096, dict(lean=False, stage_input=False)),
    (4096, "backend's"), (40, "backend's"),
    (4096, dict(lanes=4, warps=1, shared_output=False)), (40, dict(lanes=16, warps=2)),
    (4096, dict(lanes=1, shared_output=False, stage_input=False)), (4096, False)])
def test_warp_decoder_equals_the_cpu_decoder(compressors, page_size, options):
    """Lanes of a warp per page decode what the CPU decodes, to the byte, and fail where
    it fails, with the same status: our blocks, liblz4's (its high-compression mode
    makes long overlapping matches), malformed and truncated ones, blocks of pages
    larger than the capacity, and a block too long to stage in shared memory.  With
    ``build_warp_decoder``'s defaults (a warp, into shared memory), with
    ``parse_sequence`` alone reading global memory, with the backend's decoder (8 lanes
    a page, into global memory) and other lanes, with a thread a page reading with
    ``next_sequence``, and with ``decompress_pages`` (False): options change no
    result."""
    from gpuacomp.backends.cpu import decode_block
    from gpuacomp.backends.gpu import GPUBackend, LZ4Kernels
    from gpuacomp.kernels import lz4_cuda

    if options == "backend's":
        options = lz4_cuda.DECODER
    _, cpu = compressors
    pages = edge_pages()[:5]
    blocks = [cpu.compress(pages).page(i) for i in range(len(pages))]
    lz4_block = pytest.importorskip("lz4.block")
    blocks += [lz4_block.compress(p.tobytes(), mode="high_compression", compression=9,
                                  store_size=False) for p in pages[:4]]
    blocks += [b"", b"\xf0", blocks[2][:-3], b"\x10a\x00\x00", b"\x10a\x05\x00",
               blocks[2] + b"\x00", b"\x1f" + b"a" + b"\x01\x00" + b"\xff" * 20,
               b"\xf0" + b"\xff" * 16 + b"\x10" + b"z" * 4111]
    offsets = np.cumsum([0] + [len(b) for b in blocks[:-1]]).astype(np.int64)
    lengths = np.array([len(b) for b in blocks], np.int64)
    data = np.frombuffer(b"".join(blocks), np.uint8).copy()
    backend = GPUBackend(simulator=SIM, kernels=LZ4Kernels(32, warp_decoder=options))
    out, produced = backend.decompress(data, offsets, lengths, page_size)
    out, produced = _host(out), _host(produced)
    for i, block in enumerate(blocks):
        expected = np.zeros(page_size, np.uint8)
        status = decode_block(np.frombuffer(block, np.uint8), len(block), expected, page_size)
        assert produced[i] == status, f"block {i}"
        if status >= 0:
            assert np.array_equal(out[i, :status], expected[:status]), f"block {i}"


@pytest.mark.sim
@needs_gpu_path
@pytest.mark.parametrize("options", [dict(lanes=8), dict(lanes=4, shared_output=False),
                                     dict(lanes=3)])
def test_warp_decoder_options_that_cannot_build_say_why(options):
    """Pages a block whose shared memory exceeds what a kernel may declare (a GPU's
    limit, checked under the simulator too), or lanes that do not divide a warp."""
    from gpuacomp.kernels import lz4_cuda

    with pytest.raises(ValueError, match="shared memory|lanes must be"):
        lz4_cuda.build_warp_decoder(**options)


@pytest.mark.gpu
@needs_real_gpu
def test_large_batches_equal_cpu(compressors):
    import cupy

    import gpuacomp

    gpu, cpu = compressors
    rng = np.random.default_rng(11)
    memory = os.path.join(CORPUS, "memory", "python-heap.pages")
    if os.path.exists(memory):
        real = np.fromfile(memory, np.uint8).reshape(-1, 4096)
    else:
        from gpuacomp.sources import synthetic_pages
        real = synthetic_pages(4096, seed=5).pages
    pages = np.tile(real, (-(-(1 << 16) // len(real)), 1))[:1 << 16]
    pages[::9] = rng.integers(0, 256, (len(pages[::9]), 4096), dtype=np.uint8)
    c = cpu.compress(pages)
    assert_same_batches(gpu.compress(pages).to_host(), c)
    assert_same_batches(gpu.compress(cupy.asarray(pages)).to_host(), c)
    assert np.array_equal(gpu.decompress(c), pages)
    lazy = gpuacomp.Compressor(device="cpu", lazy=True).compress(pages)
    gpu_lazy = gpuacomp.Compressor(device="gpu", lazy=True)
    assert_same_batches(gpu_lazy.compress(cupy.asarray(pages)).to_host(), lazy)


@pytest.mark.gpu
@needs_real_gpu
def test_prepared_launches_write_the_cpu_bytes(compressors):
    from gpuacomp.backends.gpu import GPUBackend

    _, cpu = compressors
    backend = GPUBackend(prepared_launches=True)
    pages = edge_pages()
    for n in (1, len(pages), 1, len(pages)):  # the second time reuses the marshalling
        assert_backend_writes(backend, pages[:n], cpu, cpu.compress(pages[:n]), n)
    assert any(held[0] is not None for held in backend._prepared.values()), \
        "numba's internals differ: no launch was prepared"


def _host(array):
    return array.get() if hasattr(array, "get") and not isinstance(array, np.ndarray) else array
