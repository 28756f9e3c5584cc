"""The public API of DESIGN.md and its input rules (contracts 4 and 5), on the CPU."""

import errno
import os
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import Future

import numpy as np
import pytest

import gpuacomp
from gpuacomp.kernels.lz4 import compress_bound

PAGE = 4096


def some_pages(n, seed=0):
    rng = np.random.default_rng(seed)
    pages = np.resize(np.arange(256, dtype=np.uint8), (n, PAGE)).copy()
    pages[:, ::3] = rng.integers(0, 8, (n, len(range(0, PAGE, 3))), dtype=np.uint8)
    return pages


def blocks_of(batch):
    return [batch.page(i) for i in range(len(batch))]


# --- algorithms ----------------------------------------------------------------------

def test_available_algorithms_lists_lz4_driver():
    algorithms = gpuacomp.available_algorithms()
    lz4 = [a for a in algorithms if a.name == "lz4"]
    assert lz4, algorithms
    ours = [a for a in lz4 if a.driver == "lz4-gpuacomp"]
    assert len(ours) == 1
    assert ours[0].priority == 300
    assert "cpu" in ours[0].backends and "gpu" in ours[0].backends
    # Highest priority first for each name: a lookup by name gets the accelerator.
    assert lz4[0].priority == max(a.priority for a in lz4)
    assert isinstance(ours[0], gpuacomp.Algorithm)


@pytest.mark.parametrize("name", ["lz4", "lz4-gpuacomp"])
def test_compressor_by_algorithm_or_driver_name(name):
    c = gpuacomp.Compressor(name, device="cpu")
    assert c.algorithm.driver == "lz4-gpuacomp"
    batch = c.compress(some_pages(2))
    assert batch.algorithm == "lz4-gpuacomp"
    np.testing.assert_array_equal(c.decompress(batch), some_pages(2))


def test_unknown_algorithm_lists_the_available_names():
    with pytest.raises(ValueError) as info:
        gpuacomp.Compressor("zlib-fancy", device="cpu")
    message = str(info.value)
    assert "zlib-fancy" in message
    for algorithm in gpuacomp.available_algorithms():
        assert algorithm.name in message and algorithm.driver in message


def test_algorithm_must_be_a_string():
    with pytest.raises(TypeError, match="algorithm"):
        gpuacomp.Compressor(4, device="cpu")


# --- backends ------------------------------------------------------------------------

def test_cpu_device_gives_cpu_backend(cpu):
    assert cpu.backend == "cpu"
    assert cpu.backend_reason == ""
    assert cpu.compress(some_pages(1)).backend == "cpu"


def test_bogus_device():
    with pytest.raises(ValueError, match="bogus") as info:
        gpuacomp.Compressor(device="bogus")
    for name in ("auto", "gpu", "cpu"):
        assert name in str(info.value)


def test_env_var_sets_the_default_device(monkeypatch):
    monkeypatch.setenv("GPUACOMP_DEVICE", "cpu")
    c = gpuacomp.Compressor()
    assert c.backend == "cpu" and c.backend_reason == ""
    monkeypatch.setenv("GPUACOMP_DEVICE", "bogus")
    with pytest.raises(ValueError, match="bogus"):
        gpuacomp.Compressor()
    # An explicit device wins over the environment.
    assert gpuacomp.Compressor(device="cpu").backend == "cpu"


@pytest.fixture
def no_gpu(monkeypatch):
    """Skip where a GPU path exists (CuPy installed, or the simulator is on); otherwise
    forget any cached GPU verdict, which another test may have taken under the simulator."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "") not in ("", "0"):
        pytest.skip("under NUMBA_ENABLE_CUDASIM the simulator counts as a GPU")
    try:
        import cupy  # noqa: F401
        pytest.skip("CuPy is installed: a GPU may be usable here")
    except ImportError:
        pass
    from gpuacomp import device
    device.gpu_unavailable_reason.cache_clear()
    monkeypatch.delenv("GPUACOMP_DEVICE", raising=False)
    yield
    device.gpu_unavailable_reason.cache_clear()


def test_auto_falls_back_to_cpu_and_says_why(no_gpu):
    for c in (gpuacomp.Compressor(device="auto"), gpuacomp.Compressor()):
        assert c.backend == "cpu"
        assert c.backend_reason, "auto fell back without saying why"
        batch = c.compress(some_pages(3))
        assert batch.backend == "cpu"
        assert blocks_of(batch) == blocks_of(
            gpuacomp.Compressor(device="cpu").compress(some_pages(3)))


def test_gpu_without_a_gpu_raises(no_gpu, monkeypatch):
    with pytest.raises(gpuacomp.GPUUnavailableError) as info:
        gpuacomp.Compressor(device="gpu")
    assert isinstance(info.value, RuntimeError) and str(info.value)
    monkeypatch.setenv("GPUACOMP_DEVICE", "gpu")
    with pytest.raises(gpuacomp.GPUUnavailableError):
        gpuacomp.Compressor()


# --- PageBatch -----------------------------------------------------------------------

def test_page_batch_fields(cpu):
    pages = some_pages(5)
    pages[2] = 0
    batch = cpu.compress(pages)
    assert isinstance(batch, gpuacomp.PageBatch)
    assert len(batch) == 5 and batch.page_size == PAGE
    assert batch.lengths.shape == (5,) and batch.status.shape == (5,)
    assert np.issubdtype(batch.lengths.dtype, np.integer)
    assert np.issubdtype(batch.status.dtype, np.integer)
    assert (batch.status == 0).all() and batch.ok
    assert batch.backend == "cpu"
    assert (batch.lengths > 0).all() and (batch.lengths <= compress_bound(PAGE)).all()
    assert batch.lengths[2] < 64  # a zero page compresses to a few bytes
    # .data/.offsets: page i is data[offsets[i]:offsets[i] + lengths[i]].
    assert batch.offsets.shape == (5,)
    for i in range(5):
        start = int(batch.offsets[i])
        assert batch.page(i) == bytes(batch.data[start:start + int(batch.lengths[i])])
        assert batch.page(i - 5) == batch.page(i)
    assert batch.compressed_size == int(batch.lengths.sum())
    assert batch.ratio == pytest.approx(5 * PAGE / batch.compressed_size)
    assert batch.ratio > 1
    assert batch.to_host() is batch  # numpy in, numpy out


def test_page_out_of_range(cpu):
    batch = cpu.compress(some_pages(3))
    for i in (3, 4, -4, 100):
        with pytest.raises(IndexError, match=str(i)):
            batch.page(i)


def test_empty_batch_ratio(cpu):
    batch = cpu.compress(np.empty((0, PAGE), np.uint8))
    assert len(batch) == 0 and batch.ok
    assert batch.ratio == float("inf") and batch.compressed_size == 0


def test_page_of_a_failed_entry_raises(cpu):
    batch = cpu.compress(some_pages(2))
    failed = gpuacomp.PageBatch(batch.data, batch.offsets, np.array([batch.lengths[0], 0]),
                                np.array([0, -errno.E2BIG], np.int32), PAGE,
                                batch.algorithm, batch.backend)
    assert not failed.ok
    assert failed.page(0) == batch.page(0)
    with pytest.raises(ValueError, match="page 1"):
        failed.page(1)


def test_page_batch_rejects_mismatched_tables():
    with pytest.raises(ValueError):
        gpuacomp.PageBatch(np.zeros(10, np.uint8), np.zeros(2, np.int64),
                           np.zeros(3, np.int64), np.zeros(3, np.int32), PAGE,
                           "lz4-gpuacomp", "cpu")


# --- input rules ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.float32, np.int64])
def test_wrong_dtype(cpu, dtype):
    with pytest.raises(TypeError) as info:
        cpu.compress(np.zeros((2, PAGE), dtype))
    assert "dtype" in str(info.value) and np.dtype(dtype).name in str(info.value)


def test_not_an_array(cpu):
    with pytest.raises(TypeError, match="pages"):
        cpu.compress([[0] * PAGE])
    with pytest.raises(TypeError, match="pages"):
        cpu.compress(None)


def test_three_dimensional(cpu):
    with pytest.raises(ValueError, match="2-D"):
        cpu.compress(np.zeros((2, 2, PAGE), np.uint8))


@pytest.mark.parametrize("width", [PAGE - 1, PAGE + 1, 2 * PAGE, 1])
def test_wrong_page_width(cpu, width):
    with pytest.raises(ValueError) as info:
        cpu.compress(np.zeros((3, width), np.uint8))
    assert "page_size" in str(info.value) and str(PAGE) in str(info.value)


def test_non_contiguous_input(cpu):
    pages = some_pages(6)
    expected = blocks_of(cpu.compress(pages))
    wide = np.zeros((6, 2 * PAGE), np.uint8)
    wide[:, :PAGE] = pages
    assert not wide[:, :PAGE].flags.c_contiguous
    assert blocks_of(cpu.compress(wide[:, :PAGE])) == expected
    every_other = np.zeros((12, PAGE), np.uint8)
    every_other[::2] = pages
    assert blocks_of(cpu.compress(every_other[::2])) == expected
    fortran = np.asfortranarray(pages)
    assert not fortran.flags.c_contiguous
    assert blocks_of(cpu.compress(fortran)) == expected
    transposed = np.ascontiguousarray(pages.T).T
    assert blocks_of(cpu.compress(transposed)) == expected
    reversed_ = pages[::-1][::-1]
    assert blocks_of(cpu.compress(reversed_)) == expected
    assert blocks_of(cpu.compress(pages[::-1])) == expected[::-1]
    read_only = pages.copy()
    read_only.flags.writeable = False
    assert blocks_of(cpu.compress(read_only)) == expected


def test_zero_pages(cpu):
    batch = cpu.compress(np.empty((0, PAGE), np.uint8))
    assert len(batch) == 0 and batch.lengths.shape == (0,)
    out = cpu.decompress(batch)
    assert out.shape == (0, PAGE) and out.dtype == np.uint8
    out = cpu.decompress([], page_size=PAGE)
    assert out.shape == (0, PAGE)
    out, status = cpu.decompress_batch([])
    assert out.shape == (0, PAGE) and status.shape == (0,)


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_single_bytes_page(cpu, kind):
    page = some_pages(1)[0]
    batch = cpu.compress(kind(page.tobytes()))
    assert len(batch) == 1
    assert batch.page(0) == cpu.compress(page[None, :]).page(0)
    np.testing.assert_array_equal(cpu.decompress(batch), page[None, :])


def test_single_one_dimensional_array_page(cpu):
    page = some_pages(1)[0]
    assert blocks_of(cpu.compress(page)) == blocks_of(cpu.compress(page[None, :]))


@pytest.mark.parametrize("length", [0, 1, PAGE - 1, PAGE + 1, 2 * PAGE])
def test_bytes_of_wrong_length(cpu, length):
    with pytest.raises(ValueError) as info:
        cpu.compress(b"\x00" * length)
    assert "page_size" in str(info.value) and str(length) in str(info.value)


@pytest.mark.parametrize("page_size,error", [(-1, ValueError), (65537, ValueError),
                                             (4096.0, TypeError), ("4096", TypeError),
                                             (True, TypeError), (None, TypeError)])
def test_page_size_out_of_range(page_size, error):
    with pytest.raises(error, match="page_size"):
        gpuacomp.Compressor(device="cpu", page_size=page_size)


def test_page_size_range_ends():
    for page_size in (0, 65536, np.int64(512)):
        c = gpuacomp.Compressor(device="cpu", page_size=page_size)
        assert c.page_size == int(page_size)
        pages = np.arange(2 * int(page_size), dtype=np.uint64).astype(np.uint8)
        pages = pages.reshape(2, int(page_size))
        np.testing.assert_array_equal(c.decompress(c.compress(pages)), pages)


@pytest.mark.parametrize("candidates", [0, 257, -1, 4.0, True, "4"])
def test_candidates_out_of_range(candidates):
    with pytest.raises(ValueError, match="candidates"):
        gpuacomp.Compressor(device="cpu", candidates=candidates)


@pytest.mark.parametrize("candidates", [1, 256])
def test_candidates_range_ends(candidates):
    c = gpuacomp.Compressor(device="cpu", candidates=candidates)
    pages = some_pages(3)
    np.testing.assert_array_equal(c.decompress(c.compress(pages)), pages)


@pytest.mark.parametrize("lazy", [1, "yes", None])
def test_lazy_must_be_a_bool(lazy):
    with pytest.raises(TypeError, match="lazy must be a bool"):
        gpuacomp.Compressor(device="cpu", lazy=lazy)


def test_lazy_is_an_option_of_the_format():
    greedy, lazy = (gpuacomp.Compressor(device="cpu", lazy=flag) for flag in (False, True))
    assert "lazy=True" in repr(lazy) and lazy.lazy and not greedy.lazy
    # At 300 a match of 6 bytes (to 100), at 301 one of 11 (to 200): greedy takes the
    # 6 and then 6 more to 205, lazy leaves "Q" a literal and takes the 11.
    page = np.random.default_rng(9).integers(0, 256, (1, PAGE), dtype=np.uint8)
    for at, text in ((100, b"Qabcde"), (200, b"abcdefghijk"), (300, b"Qabcdefghijk")):
        page[0, at:at + len(text)] = np.frombuffer(text, np.uint8)
    a, b = greedy.compress(page), lazy.compress(page)
    assert b.lengths[0] < a.lengths[0]
    for c, batch in ((greedy, b), (lazy, a)):  # either decodes the other's
        np.testing.assert_array_equal(c.decompress(batch), page)


def test_threads_must_be_positive():
    with pytest.raises(ValueError, match="threads"):
        gpuacomp.Compressor(device="cpu", threads=0)


def test_decompress_blocks_with_a_non_bytes_element(cpu):
    good = cpu.compress(some_pages(1)).page(0)
    for bad in (None, 17, "text", [1, 2]):
        with pytest.raises(TypeError) as info:
            cpu.decompress([good, good, bad], page_size=PAGE)
        assert "blocks[2]" in str(info.value)


def test_decompress_blocks_not_a_sequence(cpu):
    good = cpu.compress(some_pages(1)).page(0)
    for bad in (good, "text", 5):
        with pytest.raises(TypeError, match="blocks"):
            cpu.decompress(bad, page_size=PAGE)


def test_decompress_bytes_like_blocks(cpu):
    pages = some_pages(3)
    blocks = blocks_of(cpu.compress(pages))
    mixed = [blocks[0], bytearray(blocks[1]), np.frombuffer(blocks[2], np.uint8)]
    np.testing.assert_array_equal(cpu.decompress(mixed, page_size=PAGE), pages)
    np.testing.assert_array_equal(cpu.decompress(tuple(blocks)), pages)  # default page_size


def test_decompress_batch_uses_its_own_page_size(cpu):
    batch = cpu.compress(some_pages(2))
    np.testing.assert_array_equal(cpu.decompress(batch, page_size=PAGE), some_pages(2))
    # A batch carries its page size: another Compressor decodes it with it.
    small = gpuacomp.Compressor(device="cpu", page_size=512)
    np.testing.assert_array_equal(small.decompress(batch), some_pages(2))


@pytest.mark.parametrize("page_size", [PAGE // 2, PAGE + 1, 0])
def test_decompress_batch_with_page_size_mismatch(cpu, page_size):
    # A page_size that contradicts the batch's own must raise, not be ignored.
    batch = cpu.compress(some_pages(2))
    with pytest.raises(ValueError, match="page_size"):
        cpu.decompress(batch, page_size=page_size)
    with pytest.raises(ValueError, match="page_size"):
        cpu.decompress_batch(batch, page_size=page_size)


def test_decompress_batch_with_a_table_outside_its_data(cpu):
    batch = cpu.compress(some_pages(3))
    lengths = batch.lengths.copy()
    lengths[1] = len(batch.data)  # runs past the end of data
    bad = gpuacomp.PageBatch(batch.data, batch.offsets, lengths, batch.status, PAGE,
                             batch.algorithm, batch.backend)
    with pytest.raises(ValueError, match="page 1"):
        cpu.decompress_batch(bad)
    offsets = batch.offsets.copy()
    offsets[2] = -1
    bad = gpuacomp.PageBatch(batch.data, offsets, batch.lengths, batch.status, PAGE,
                             batch.algorithm, batch.backend)
    with pytest.raises(ValueError, match="page 2"):
        cpu.decompress(bad)


def test_decompress_batch_returns_status(cpu):
    blocks = blocks_of(cpu.compress(some_pages(3)))
    out, status = cpu.decompress_batch([blocks[0], b"\x00", blocks[2]])
    assert status.tolist() == [0, -errno.EINVAL, 0]
    np.testing.assert_array_equal(out[[0, 2]], some_pages(3)[[0, 2]])


# --- submit and the context manager --------------------------------------------------

def test_submit_returns_a_future_of_the_batch(cpu):
    pages = some_pages(7)
    future = cpu.submit(pages)
    assert isinstance(future, Future)
    batch = future.result(timeout=60)
    assert future.done()
    assert blocks_of(batch) == blocks_of(cpu.compress(pages))
    assert batch.backend == "cpu"


def test_submits_complete_in_order_exactly_once(cpu):
    inputs = [some_pages(1 + i % 5, seed=i) for i in range(24)]
    finished = []
    lock = threading.Lock()

    def record(i):
        def callback(future):
            with lock:
                finished.append(i)
        return callback

    futures = []
    for i, pages in enumerate(inputs):
        future = cpu.submit(pages)
        future.add_done_callback(record(i))
        futures.append(future)
    results = [f.result(timeout=60) for f in futures]
    assert sorted(finished) == list(range(24)), "a batch completed twice or never"
    assert finished == list(range(24)), "batches completed out of submission order"
    for pages, batch in zip(inputs, results):
        assert blocks_of(batch) == blocks_of(cpu.compress(pages))


def test_submit_reports_bad_input_through_the_future(cpu):
    future = cpu.submit(np.zeros((2, PAGE), np.int16))
    with pytest.raises(TypeError, match="dtype"):
        future.result(timeout=60)


def test_context_manager_closes_and_waits():
    pages = some_pages(4)
    with gpuacomp.Compressor(device="cpu") as c:
        assert isinstance(c, gpuacomp.Compressor)
        futures = [c.submit(pages) for _ in range(3)]
    assert all(f.done() for f in futures), "leaving the with block must wait for submits"
    assert all(blocks_of(f.result()) == blocks_of(futures[0].result()) for f in futures)
    # Closed is not broken: it still compresses, and can submit again.
    assert blocks_of(c.submit(pages).result(timeout=60)) == blocks_of(c.compress(pages))
    c.close()
    c.close()


def test_repr_names_driver_and_backend(cpu):
    assert "lz4-gpuacomp" in repr(cpu) and "cpu" in repr(cpu)


def test_compress_while_a_submit_runs_under_any_threading_layer():
    # submit() runs batches on a worker thread while compress() may run on the caller's;
    # under numba's "workqueue" threading layer (its fallback without OpenMP or TBB)
    # two concurrent parallel calls would abort the process.  Contracts 3 and 4: every
    # request completes, never a crash.
    script = textwrap.dedent("""
        import numpy as np, gpuacomp
        c = gpuacomp.Compressor(device="cpu")
        pages = np.random.default_rng(0).integers(0, 4, (1000, 4096), dtype=np.uint8)
        futures = [c.submit(pages) for _ in range(4)]
        batches = [c.compress(pages) for _ in range(4)]
        assert all(f.result().ok for f in futures) and all(b.ok for b in batches)
        print("ok")
    """)
    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-2000:]
