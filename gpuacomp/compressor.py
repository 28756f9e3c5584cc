"""The Pythonic core: ``Compressor(...).compress(pages) -> PageBatch`` and back."""

import errno
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from gpuacomp import backends, device as device_switch
from gpuacomp.algorithms import lookup
from gpuacomp.batch import PageBatch
from gpuacomp.inputs import (as_pages, check_block_table, check_count, check_page_size,
                             is_device_array, pack_blocks)
from gpuacomp.kernels.lz4 import DEFAULT_CANDIDATES, compress_bound

MAX_CANDIDATES = 256


class DecompressionError(ValueError):
    """A page failed to decode; ``page`` is its index, ``status`` its negative errno."""

    def __init__(self, page, status, message):
        super().__init__(message)
        self.page = page
        self.status = status


class Compressor:
    """Compress and decompress batches of pages with one algorithm on one backend.

    Parameters
    ----------
    algorithm : str
        An algorithm name (``"lz4"``) or a driver name (``"lz4-gpuacomp"``); see
        ``gpuacomp.available_algorithms()``.
    device : {"auto", "gpu", "cpu"}, optional
        Where batches run; default ``$GPUACOMP_DEVICE`` or ``"auto"``.  ``auto`` falls
        back to the CPU and records why in ``backend_reason``.
    page_size : int
        Bytes per page, 0..65536 (default 4096).
    candidates : int
        Earlier positions tried per match (1..256, default 4): more is slower and
        compresses better.  Part of the format definition: equal settings give equal bytes.
    threads : int, optional
        CPU threads (default: all cores); 1 is the sequential mode.

    Notes
    -----
    ``compress`` is logically equivalent to compressing each page alone: a page's bytes
    do not depend on the batch, its position, the backend or the thread count.
    """

    def __init__(self, algorithm="lz4", *, device=None, page_size=4096,
                 candidates=DEFAULT_CANDIDATES, threads=None):
        self.algorithm = lookup(algorithm)
        self.page_size = check_page_size(page_size)
        self.candidates = check_count("candidates", candidates, 1, MAX_CANDIDATES)
        choice = device_switch.resolve(device, self.page_size)
        self.backend = choice.name
        self.backend_reason = choice.reason
        self._engine = backends.load(choice.name, threads)
        self._slot = compress_bound(self.page_size)
        self._executor = None
        self._executor_lock = threading.Lock()

    def __repr__(self):
        return (f"Compressor({self.algorithm.driver!r}, backend={self.backend!r}, "
                f"page_size={self.page_size}, candidates={self.candidates})")

    def compress(self, pages):
        """Compress a batch of pages (n, page_size) uint8, or one bytes-like page.

        Returns a ``PageBatch`` in the input's array library (numpy or CuPy).
        """
        pages = as_pages(pages, self.page_size)
        on_device = is_device_array(pages)
        data, lengths = self._engine.compress(self._engine_input(pages), self._slot,
                                              self.candidates)
        xp = _array_module(data)
        status = xp.minimum(lengths, 0).astype(np.int32)
        lengths = xp.maximum(lengths, 0).astype(np.int64)
        offsets = xp.arange(len(lengths), dtype=np.int64) * self._slot
        batch = PageBatch(data, offsets, lengths, status, self.page_size,
                          self.algorithm.driver, self.backend)
        return self._match_library(batch, on_device)

    def decompress_batch(self, compressed, page_size=None):
        """Decode a ``PageBatch`` or a sequence of compressed pages, page by page.

        Returns ``(pages, status)``: ``status[i]`` is 0, or a negative errno when page
        ``i`` failed (its row of ``pages`` is then undefined).  Never raises for bad data.
        """
        data, offsets, lengths, page_size, on_device = self._unpack(compressed, page_size)
        out, produced = self._engine.decompress(data, offsets, lengths, page_size)
        xp = _array_module(produced)
        status = xp.where(produced == page_size, 0,
                          xp.where(produced < 0, produced, -errno.EINVAL)).astype(np.int32)
        if on_device != is_device_array(out):
            out, status = _to_library(out, on_device), _to_library(status, on_device)
        return out, status

    def decompress(self, compressed, page_size=None):
        """Decode every page; raise ``DecompressionError`` naming the first page that fails."""
        out, status = self.decompress_batch(compressed, page_size)
        failed = (status != 0).nonzero()[0]
        if len(failed):
            i = int(failed[0])
            code = int(status[i])
            size = self._page_size_of(compressed, page_size)
            raise DecompressionError(
                i, code, f"page {i}: not a valid LZ4 block of {size} bytes ({_errno_name(code)});"
                f" {len(failed)} of {len(status)} pages failed")
        return out

    def submit(self, pages):
        """Compress asynchronously; returns a ``concurrent.futures.Future`` of a PageBatch.

        Batches submitted to one Compressor run one at a time, in submission order.
        """
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="gpuacomp")
        return self._executor.submit(self.compress, pages)

    def close(self):
        """Wait for submitted batches and release the worker thread."""
        with self._executor_lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _page_size_of(self, compressed, page_size):
        if isinstance(compressed, PageBatch):
            return compressed.page_size
        return self.page_size if page_size is None else page_size

    def _unpack(self, compressed, page_size):
        if isinstance(compressed, PageBatch) and page_size is not None \
                and page_size != compressed.page_size:
            raise ValueError(f"page_size {page_size} differs from the batch's "
                             f"{compressed.page_size}")
        page_size = check_page_size(self._page_size_of(compressed, page_size))
        if isinstance(compressed, PageBatch):
            data, offsets, lengths = compressed.data, compressed.offsets, compressed.lengths
            on_device = is_device_array(data)
        else:
            data, offsets, lengths = pack_blocks(compressed)
            on_device = False
        check_block_table(data, offsets, lengths)
        return (self._engine_input(data), self._engine_input(offsets),
                self._engine_input(lengths), page_size, on_device)

    def _engine_input(self, array):
        # The CPU backend reads host memory; the GPU backend takes either.
        if self.backend == "cpu" and is_device_array(array):
            return array.get()
        return array

    def _match_library(self, batch, on_device):
        if on_device == is_device_array(batch.data):
            return batch
        return PageBatch(*(_to_library(a, on_device) for a in
                           (batch.data, batch.offsets, batch.lengths, batch.status)),
                         batch.page_size, batch.algorithm, batch.backend)


def _array_module(array):
    if is_device_array(array):
        import cupy
        return cupy
    return np


def _to_library(array, on_device):
    if on_device:
        import cupy
        return cupy.asarray(array)
    return array.get() if is_device_array(array) else array


def _errno_name(code):
    return errno.errorcode.get(-code, str(code))
