"""The Pythonic core: ``Compressor(...).compress(pages) -> PageBatch`` and back."""

import errno
from concurrent.futures import Future

import numpy as np

from gpuacomp.batch import PageBatch
from gpuacomp.engine.accelerator import DEFAULT_QUEUE_DEPTH, Accelerator
from gpuacomp.engine.descriptor import COMPRESS, DECOMPRESS, Descriptor
from gpuacomp.inputs import (as_pages, check_block_table, check_count, check_page_size,
                             is_device_array, pack_blocks)
from gpuacomp.kernels.lz4 import DEFAULT_CANDIDATES, DEFAULT_LAZY


# Pages per chunk of compress_stream: 32 MiB of 4 KiB pages in, about 38 MiB out.
STREAM_CHUNK_PAGES = 8192


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
        An algorithm name (``"lz4"``, ``"deflate"``) or a driver name
        (``"lz4-gpuacomp"``, ``"deflate-iaa"``, ``"deflate-iaa-dynamic"``, ``"lz4-generic"``,
        ``"deflate-generic"``); see ``gpuacomp.available_algorithms()``.
    device : {"auto", "gpu", "cpu"}, optional
        Where batches run; default ``$GPUACOMP_DEVICE`` or ``"auto"``.  ``auto`` falls
        back to the CPU and records why in ``backend_reason``.
    page_size : int
        Bytes per page, 0..65536 (default 4096).
    candidates : int
        Earlier positions tried per match (1..256, default 4): more is slower and
        compresses better.  Part of the format definition: equal settings give equal bytes.
    lazy : bool
        The parse's lazy step (default off): a position whose match is shorter than the
        next position's is left a literal.  On memory pages it compresses 1-4% better
        and the CPU compresses about a quarter slower; on a GPU it is one more pass over
        each page (``python -m bench --only levels`` measures both).  Part of the format
        definition, as ``candidates``.
    threads : int, optional
        CPU threads (default: all cores); 1 is the sequential mode.
    verify : bool
        Decode every compressed page on the device and compare it with its source; a page
        that does not match gets status -EINVAL (the accelerator's ``verify_compress``).
        Off by default here, where the bytes come from the codec with nothing in between.
    queue_depth : int
        Batches that may wait in the work queue (default 128); more wait in a backlog.

    Notes
    -----
    ``compress`` is logically equivalent to compressing each page alone: a page's bytes
    do not depend on the batch, its position, the backend or the thread count.
    Batches go through the emulated accelerator (``self.accelerator``): a work queue,
    one backend call per batch, completions in submission order.
    """

    def __init__(self, algorithm="lz4", *, device=None, page_size=4096,
                 candidates=DEFAULT_CANDIDATES, lazy=DEFAULT_LAZY, threads=None, verify=False,
                 queue_depth=DEFAULT_QUEUE_DEPTH):
        self.page_size = check_page_size(page_size)
        self.accelerator = Accelerator(algorithm, device=device, page_size=self.page_size,
                                       candidates=candidates, lazy=lazy, threads=threads,
                                       queue_depth=queue_depth, verify_compress=verify)
        self.candidates = self.accelerator.candidates
        self.lazy = self.accelerator.lazy
        self.algorithm = self.accelerator.algorithm
        self.backend_reason = self.accelerator.backend_reason
        self._queue = self.accelerator.assign_queue()
        self._slot = self.algorithm.bound(self.page_size)

    def __repr__(self):
        return (f"Compressor({self.algorithm.driver!r}, backend={self.backend!r}, "
                f"page_size={self.page_size}, candidates={self.candidates}, lazy={self.lazy})")

    @property
    def backend(self):
        """Where batches run now: ``"gpu"``, ``"gpu-sim"`` or ``"cpu"``."""
        return self.accelerator.backend

    @property
    def verify(self):
        return self.accelerator.verify_compress

    def compress(self, pages):
        """Compress a batch of pages (n, page_size) uint8, or one bytes-like page.

        Returns a ``PageBatch`` in the input's array library (numpy or CuPy).
        """
        future = self._submit_pages(pages, waiter=True)
        if future._descriptor is not None:
            self.accelerator.wait([future._descriptor])
        return future.result()

    def compress_stream(self, pages, chunk_pages=STREAM_CHUNK_PAGES):
        """Compress ``pages`` (n, page_size) ``chunk_pages`` at a time, in order.

        Yields ``(first, batch)``: the PageBatch of pages ``first`` to
        ``first + len(batch) - 1``.  One chunk's output is in memory at a time (plus what
        the caller keeps), and chunks are read from ``pages`` as they are compressed, so a
        memory-mapped file of any size compresses in bounded memory::

            pages = np.memmap(path, np.uint8, mode="r").reshape(-1, 4096)
            for first, batch in Compressor("lz4").compress_stream(pages):
                ...
        """
        chunk_pages = check_count("chunk_pages", chunk_pages, 1, 1 << 20)
        if getattr(pages, "ndim", None) != 2:
            raise ValueError("compress_stream: pages must be a 2-D (n, page_size) array, "
                             f"got {type(pages).__name__} of shape {getattr(pages, 'shape', '?')}")
        for first in range(0, len(pages), chunk_pages):
            yield first, self.compress(pages[first:first + chunk_pages])

    def submit(self, pages):
        """Compress asynchronously; returns a ``concurrent.futures.Future`` of a PageBatch.

        Batches submitted to one Compressor complete in submission order.  Bad input
        is reported through the Future.
        """
        return self._submit_pages(pages, waiter=False)

    def _submit_pages(self, pages, waiter):
        future = Future()
        future._descriptor = None
        try:
            pages = as_pages(pages, self.page_size)
        except (TypeError, ValueError) as exc:
            future.set_exception(exc)
            return future
        on_device = is_device_array(pages)

        def resolve(d):
            if d.error is not None:
                future.set_exception(d.error)
                return
            data, offsets = d.output  # offsets into a buffer the batch may share
            xp = _array_module(data)
            batch = PageBatch(data, xp.asarray(offsets, dtype=np.int64),
                              xp.asarray(d.output_size, dtype=np.int64),
                              xp.asarray(d.status, dtype=np.int32), self.page_size,
                              self.algorithm.driver, d.backend)
            future.set_result(self._match_library(batch, on_device))

        self._submit(Descriptor(COMPRESS, pages=pages, capacity=self._slot, on_done=resolve),
                     future, waiter)
        return future

    def decompress_batch(self, compressed, page_size=None):
        """Decode a ``PageBatch`` or a sequence of compressed pages, page by page.

        Returns ``(pages, status)``: ``status[i]`` is 0, or a negative errno when page
        ``i`` failed (its row of ``pages`` is then undefined).  Never raises for bad data.
        """
        data, offsets, lengths, page_size, on_device = self._unpack(compressed, page_size)
        future = Future()

        def resolve(d):
            if d.error is not None:
                future.set_exception(d.error)
                return
            xp = _array_module(d.output)
            status, sizes = xp.asarray(d.status), xp.asarray(d.output_size)
            status = xp.where(sizes == page_size, status,
                              xp.where(status < 0, status, -errno.EINVAL)).astype(np.int32)
            future.set_result((_to_library(d.output, on_device), _to_library(status, on_device)))

        self._submit(Descriptor(DECOMPRESS, data=data, offsets=offsets, lengths=lengths,
                                capacity=page_size, on_done=resolve), future, waiter=True)
        self.accelerator.wait([future._descriptor])
        return future.result()

    def decompress(self, compressed, page_size=None):
        """Decode every page; raise ``DecompressionError`` naming the first page that fails."""
        out, status = self.decompress_batch(compressed, page_size)
        failed = (status != 0).nonzero()[0]
        if len(failed):
            i = int(failed[0])
            code = int(status[i])
            size = self._page_size_of(compressed, page_size)
            raise DecompressionError(
                i, code, f"page {i}: not a valid {self.algorithm.format} of {size} bytes "
                f"({_errno_name(code)});"
                f" {len(failed)} of {len(status)} pages failed")
        return out

    def close(self):
        """Wait for submitted batches (the Compressor stays usable)."""
        self.accelerator.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _submit(self, descriptor, future, waiter):
        future._descriptor = descriptor
        self.accelerator.submit(descriptor, self._queue, may_backlog=True, waiter=waiter)

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
        return data, offsets, lengths, page_size, on_device

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
