"""GPU backend: the CUDA kernels of one codec (``kernels/lz4_cuda.py`` or
``kernels/deflate_cuda.py``), CuPy memory and streams.

Device-resident input (CuPy) stays on the device: one launch, results as CuPy arrays
on CuPy's current stream, no synchronisation.  Host input goes through pinned staging
in chunks over two streams, so the copy of one chunk overlaps the kernel and the copy
back of the other; the compressed data lands directly in a pinned numpy array that is
handed to the caller.  Under numba's CUDA simulator the same kernels run on numpy
arrays (tiny batches only: the simulator runs one OS thread per CUDA thread).
"""

import functools

import numpy as np

# numba-cuda (0.30 and earlier) registers an overload for np.row_stack when it builds its
# typing context; NumPy 2.5 removed that alias, which breaks every kernel compile.
if not hasattr(np, "row_stack"):
    np.row_stack = np.vstack

from gpuacomp.backends import prepared_launch  # noqa: E402
from gpuacomp.engine.faults import DeviceLost  # noqa: E402
from gpuacomp.inputs import is_device_array  # noqa: E402
from gpuacomp.kernels import lz4_cuda  # noqa: E402
from gpuacomp.kernels.lz4 import GPU_MAX_PAGE_SIZE  # noqa: E402

DEFAULT_CHUNK_PAGES = 8192  # 32 MiB of 4 KiB pages per host chunk: long enough to hide launches
PARALLEL_COPY_PAGES = 256
# Threads a page for a batch that leaves SMs idle (GPUBackend's ``few_pages``), twice a
# batch's own 256: an 8-page batch took 122 us on an H100 at 512, 143 at 256 and at 1024
# (run 14; CUDA events around the launch, the chain by rows).
FEW_PAGES_THREADS = 512
ALL_PHASES = 4  # compress_pages runs every phase (fewer: timing experiments only)


def copy_pages(dst, src):
    """Copy host pages into pinned staging; large copies use every core.

    One thread copies at about 10 GB/s (measured on the H200 machine), a fifth of what
    the PCIe link takes, so host-to-host batches would wait on the copy.
    """
    if src.shape[0] < PARALLEL_COPY_PAGES:
        np.copyto(dst, src)
    else:
        from gpuacomp.backends.parallel import copy_rows
        copy_rows(dst, src)


def _writable(array):
    # The simulator copies every kernel argument back to the host after a launch, which
    # fails on read-only inputs (a page source's memory map, say).
    return array if array.flags.writeable else array.copy()


class GPUBatchError(DeviceLost):
    """A CUDA call failed while a batch was on the device (the engine stops using it)."""


def _configured(kernel, grid, block, stream):
    return kernel[grid, block] if stream is None else kernel[grid, block, stream]


class LZ4Kernels:
    """The LZ4 kernels: a block of ``threads_per_block`` threads per page to compress
    (or of the ``threads`` a launch asks for); to decompress, ``warp_decoder``'s lanes
    of a warp per page (``lz4_cuda.build_warp_decoder``'s options; True: its defaults;
    by default ``lz4_cuda.DECODER``, 8 lanes a page), or with False a thread per page.
    ``max_registers``, ``segments``, ``word_compare``, ``hash_bits``, ``tight_links``,
    ``parallel_chain`` and ``tagged_links``: the compress kernel's register cap (None:
    the compiler's choice), its phase 2 by stretches of positions, its bytes compared
    four at a time, its chain's hash (None: the default), its search, its chain linked
    by the whole block, its links tagged with their keys (``lz4_cuda.build``).  None of
    these change the bytes."""

    def __init__(self, threads_per_block, max_registers=lz4_cuda.COMPRESS_REGISTERS,
                 segments=False, warp_decoder=lz4_cuda.DECODER, word_compare=True,
                 hash_bits=None, tight_links=True, parallel_chain=False, tagged_links=False):
        self.threads_per_block = threads_per_block
        self._options = dict(max_registers=max_registers, segments=segments,
                             word_compare=word_compare, tight_links=tight_links,
                             parallel_chain=parallel_chain, tagged_links=tagged_links)
        if hash_bits is not None:
            self._options["hash_bits"] = hash_bits
        self.compress_kernel, self.decompress_kernel = lz4_cuda.build(threads_per_block,
                                                                      **self._options)
        self._decode_blocks = None  # a thread per page
        if warp_decoder is not False:
            options = {} if warp_decoder is True else warp_decoder
            self.decompress_kernel, *self._decode_blocks = lz4_cuda.build_warp_decoder(
                **options)

    def compress_kernel_for(self, threads):
        """The compress kernel for blocks of ``threads`` (None: ``threads_per_block``)."""
        if threads is None or threads == self.threads_per_block:
            return self.compress_kernel, self.threads_per_block
        return lz4_cuda.build(threads, **self._options)[0], threads  # (compiled once)

    def compress_launch(self, pages, page_size, data, slot, lengths, max_candidates, lazy,
                        threads=None):
        """``(kernel, grid, block, arguments)`` of the launch that compresses ``pages``."""
        kernel, threads = self.compress_kernel_for(threads)
        return kernel, pages.shape[0], threads, (pages, page_size, data, slot, lengths,
                                                 max_candidates, lazy, ALL_PHASES)

    def decompress(self, stream, data, offsets, lengths, out, produced):
        if self._decode_blocks:
            per_block, block = self._decode_blocks
            grid = -(-out.shape[0] // per_block)
        else:
            grid, block = -(-out.shape[0] // lz4_cuda.DECODE_THREADS), lz4_cuda.DECODE_THREADS
        _configured(self.decompress_kernel, grid, block, stream)(
            data, offsets, lengths, out, produced)


class DeflateKernels:
    """The IAA-compatible deflate kernels (``mode`` "fixed" or "dynamic"), a thread per
    page to decompress.  To compress, ``per_page_threads`` picks the encoder: a block of
    ``threads_per_block`` threads per page (False; or of the ``threads`` a launch asks
    for) or one thread per page (True); by default each mode takes the one that
    measured faster on an H100 (bench/RESULTS.md): the block for the fixed codes, the
    thread for the dynamic ones, whose per-page code construction is serial either way
    and in a block runs on one thread of 256.  ``segments`` and ``word_compare``: the
    block kernel's phase 2 by stretches of positions, and its bytes compared four at a
    time (same bytes)."""

    def __init__(self, mode, threads_per_block, per_page_threads=None, segments=False,
                 word_compare=True):
        from gpuacomp.kernels import deflate_cuda, deflate_encode

        self.mode = deflate_encode.MODES[mode]
        self.threads_per_block = threads_per_block
        if per_page_threads is None:
            per_page_threads = self.mode == deflate_encode.DYNAMIC
        self.per_page_threads = per_page_threads
        per_page_kernel, self.decompress_kernel = deflate_cuda.build()
        self._build_block = functools.partial(deflate_cuda.build_block, self.mode,
                                              segments=segments, word_compare=word_compare)
        if per_page_threads:
            self.compress_kernel = per_page_kernel
        else:
            self.compress_kernel = self._build_block(threads_per_block)
        self._per_page = deflate_cuda.THREADS

    def compress_kernel_for(self, threads):
        """The block kernel for blocks of ``threads`` (None: ``threads_per_block``)."""
        if threads is None or threads == self.threads_per_block:
            return self._build_block(self.threads_per_block), self.threads_per_block
        return self._build_block(threads), threads  # (compiled once)

    def compress_launch(self, pages, page_size, data, slot, lengths, max_candidates, lazy,
                        threads=None):
        """``(kernel, grid, block, arguments)`` of the launch that compresses ``pages``."""
        n = pages.shape[0]
        if self.per_page_threads:  # (a thread a page: ``threads`` does not apply)
            return self.compress_kernel, -(-n // self._per_page), self._per_page, (
                pages, page_size, data, slot, lengths, max_candidates, lazy, self.mode)
        kernel, threads = self.compress_kernel_for(threads)
        return kernel, n, threads, (pages, page_size, data, slot, lengths, max_candidates,
                                    lazy, ALL_PHASES)

    def decompress(self, stream, data, offsets, lengths, out, produced):
        grid = -(-out.shape[0] // self._per_page)
        _configured(self.decompress_kernel, grid, self._per_page, stream)(
            data, offsets, lengths, out, produced)


def default_threads(simulator):
    """Threads per page of the block-per-page kernels: the simulator pays an OS thread
    per CUDA thread, and the bytes do not depend on the count."""
    return 32 if simulator else 256


def default_decoder(simulator):
    """The LZ4 decoder (``LZ4Kernels``' ``warp_decoder``): 8 lanes a page on a GPU; a
    thread per page in the simulator, whose stand-in for the lanes' barrier at every
    sequence holds a whole block (it added 1.5 minutes to CI's simulator tier).  Both
    give ``decode_block``'s results (``tests/test_gpu_backend.py`` checks each)."""
    return False if simulator else lz4_cuda.DECODER


class GPUBackend:
    """Runs batches with the CUDA kernels (``simulator=True``: numba's CUDA simulator).

    ``kernels`` is the codec's kernel set (default: LZ4 with ``threads_per_block``
    threads per page and at most ``max_registers`` registers per thread, by default
    ``lz4_cuda.COMPRESS_REGISTERS``, and ``default_decoder``).

    ``few_pages`` is ``(threads, pages)``: a batch of at most ``pages`` pages gets blocks
    of ``threads`` threads to compress.  Such a batch leaves each of its pages alone on
    an SM, where a block of 256 threads has an eighth of the SM's threads; more threads a
    page shorten the parallel phases (the match search, the writes).  By default
    ``FEW_PAGES_THREADS`` threads for a batch of no more pages than the GPU has SMs; none
    in the simulator (it pays an OS thread per thread).  The bytes do not change.

    ``prepared_launches``: a batch from the host launches its kernel on the backend's
    own staging buffers, with arguments marshalled once (``prepared_launch``) instead of
    by numba at every launch: on an H100 (run 14) 11 us a launch against 39, and an
    8-page batch from the host 218 us against 304 (the backend, p50).
    """

    def __init__(self, simulator=False, threads_per_block=None, max_registers=None,
                 chunk_pages=DEFAULT_CHUNK_PAGES, kernels=None, few_pages=None,
                 prepared_launches=True):
        from numba import cuda

        self._cuda = cuda
        self.simulator = simulator
        self.name = "gpu-sim" if simulator else "gpu"
        self.threads_per_block = threads_per_block or default_threads(simulator)
        self.chunk_pages = chunk_pages
        self.kernels = kernels or LZ4Kernels(
            self.threads_per_block, max_registers or lz4_cuda.COMPRESS_REGISTERS,
            warp_decoder=default_decoder(simulator))
        if not simulator:
            import cupy
            import cupyx

            self._cp = cupy
            self._cupyx = cupyx
            self._streams = tuple(cupy.cuda.Stream(non_blocking=True) for _ in range(2))
            self._numba_streams = {}
            self._staging = {}
            if few_pages is None:
                sms = cupy.cuda.Device().attributes["MultiProcessorCount"]
                few_pages = (FEW_PAGES_THREADS, sms)
        self.few_pages = few_pages or (None, 0)
        self.prepared_launches = prepared_launches and not simulator
        self._prepared = {}

    def _threads_for(self, n):
        """Threads a page for a batch of ``n`` pages (None: the kernel set's own)."""
        threads, pages = self.few_pages
        return threads if n <= pages else None

    # -- compression -------------------------------------------------------------------

    def compress(self, pages, slot, max_candidates, lazy=False):
        """Compress (n, page_size) pages into slots of ``slot`` bytes with the parse of
        ``max_candidates`` candidates (and its lazy step: ``lazy``): ``(data, lengths)``."""
        lazy = int(bool(lazy))  # (an integer parameter, as every scalar the kernels take)
        n, page_size = pages.shape
        if page_size > GPU_MAX_PAGE_SIZE:
            raise ValueError(f"the GPU kernels take pages of up to {GPU_MAX_PAGE_SIZE}"
                             f" bytes, got page_size {page_size}")
        if self.simulator:
            data = np.empty(n * slot, np.uint8)
            lengths = np.empty(n, np.int32)
            if n:
                kernel, grid, block, args = self.kernels.compress_launch(
                    _writable(pages), page_size, data, slot, lengths, max_candidates, lazy,
                    self._threads_for(n))
                kernel[grid, block](*args)
            return data, lengths
        if is_device_array(pages):
            return self._compress_resident(pages, slot, max_candidates, lazy)
        return self._compress_from_host(pages, slot, max_candidates, lazy)

    def _numba_stream(self, stream):
        held = self._numba_streams.get(stream.ptr)
        if held is None:
            held = self._numba_streams[stream.ptr] = self._cuda.external_stream(stream.ptr)
        return held

    def _as_numba(self, array):
        # Skips numba's synchronisation on the producer's stream: we order work by stream.
        return self._cuda.as_cuda_array(array, sync=False)

    def _launch_compress(self, pages, data, lengths, slot, max_candidates, lazy, stream,
                         what, batch_pages, kept=False):
        """Launch on ``stream``; the arrays are numba device arrays (a chunk of a batch
        of ``batch_pages``), ``kept`` ones the backend holds on to (its staging buffers'
        views): with ``prepared_launches``, their launch is marshalled once."""
        n, page_size = pages.shape
        if n == 0:
            return
        try:
            kernel, grid, block, args = self.kernels.compress_launch(
                pages, page_size, data, slot, lengths, max_candidates, lazy,
                self._threads_for(batch_pages))
            nb_stream = self._numba_stream(stream)
            if kept and self.prepared_launches:
                self._prepared_launch(kernel, grid, block, nb_stream, args)
            else:
                kernel[grid, block, nb_stream](*args)
        except Exception as exc:
            raise GPUBatchError(f"GPU compress of {what} failed: {exc}") from exc

    def _prepared_launch(self, kernel, grid, block, stream, args):
        """Launch, marshalled once for these kept arguments (``prepared_launch``)."""
        key = (id(kernel), grid, block, id(stream),
               *(a if isinstance(a, (int, np.integer)) else id(a) for a in args))
        held = self._prepared.get(key)
        if held is None:
            if len(self._prepared) >= 64:  # batches of ever new sizes: keep a few
                self._prepared.clear()
            # (None where numba's internals differ: the usual launch, from then on)
            prepared = prepared_launch.prepare(kernel, grid, block, stream, args)
            self._prepared[key] = (prepared, kernel, args)  # (their ids stay theirs)
        elif held[0] is None:
            kernel[grid, block, stream](*args)
        else:
            held[0]()

    def _compress_resident(self, pages, slot, max_candidates, lazy):
        cp = self._cp
        n = pages.shape[0]
        data = cp.empty(n * slot, cp.uint8)
        lengths = cp.empty(n, cp.int32)
        self._launch_compress(self._as_numba(pages), self._as_numba(data),
                              self._as_numba(lengths), slot, max_candidates, lazy,
                              cp.cuda.get_current_stream(), f"a device batch of {n} pages", n)
        return data, lengths

    def _compress_from_host(self, pages, slot, max_candidates, lazy):
        cp = self._cp
        n, page_size = pages.shape
        data = self._cupyx.empty_pinned(n * slot, np.uint8)
        lengths = self._cupyx.empty_pinned(n, np.int32)
        chunk = max(1, min(self.chunk_pages, n))
        buffers = [self._chunk_buffers(k, chunk, page_size, slot) for k in range(2)]
        try:
            for k, first in enumerate(range(0, n, chunk)):
                last = min(first + chunk, n)
                m = last - first
                stream = self._streams[k % 2]
                staged, d_pages, d_data, d_lengths, prefixes = buffers[k % 2]
                stream.synchronize()  # the chunk before last used these buffers
                copy_pages(staged[:m], pages[first:last])
                d_pages[:m].set(staged[:m], stream=stream)
                self._launch_compress(*prefixes(m), slot, max_candidates, lazy, stream,
                                      f"pages {first}..{last - 1} of a batch of {n}", n,
                                      kept=True)
                d_data[:m * slot].get(stream=stream, out=data[first * slot:last * slot])
                d_lengths[:m].get(stream=stream, out=lengths[first:last])
            for stream in self._streams:
                stream.synchronize()
        except cp.cuda.runtime.CUDARuntimeError as exc:
            raise GPUBatchError(
                f"GPU compress of a host batch of {n} pages failed: {exc}") from exc
        return data, lengths

    def _chunk_buffers(self, k, chunk, page_size, slot):
        """Pinned and device buffers for pipeline slot ``k``, grown on demand, then reused:
        ``(staging, pages, data, lengths, prefixes)``, where ``prefixes(m)`` gives numba
        views of the first ``m`` pages' device buffers."""
        key = (k, page_size, slot)
        held = self._staging.get(key)
        if held is None or held[0].shape[0] < chunk:
            cp = self._cp
            device = (cp.empty((chunk, page_size), cp.uint8), cp.empty(chunk * slot, cp.uint8),
                      cp.empty(chunk, cp.int32))
            held = (self._cupyx.empty_pinned((chunk, page_size), np.uint8), *device,
                    self._prefix_views(device, slot))
            self._staging[key] = held
            self._prepared.clear()  # (launches on the old buffers would keep them)
        return held

    def _prefix_views(self, device, slot):
        """``prefixes(m)`` for the device buffers ``(pages, data, lengths)``: views kept by
        ``m``, because slicing a numba device array took 24 us of the host (three: 72 of
        an 8-page batch's 230 us above its kernel; H100, 2026-11-27)."""
        whole = tuple(self._as_numba(a) for a in device)
        kept = {}

        def prefixes(m):
            views = kept.get(m)
            if views is None:
                if len(kept) >= 16:  # batches of ever new sizes: keep a few
                    kept.clear()
                views = kept[m] = (whole[0][:m], whole[1][:m * slot], whole[2][:m])
            return views
        return prefixes

    # -- decompression -----------------------------------------------------------------

    def decompress(self, data, offsets, lengths, page_size):
        """Decode each block into a row of (n, page_size): ``(pages, produced)``."""
        n = len(lengths)
        if self.simulator:
            out = np.empty((n, page_size), np.uint8)
            produced = np.empty(n, np.int64)
            if n:
                self.kernels.decompress(None, *(_writable(a) for a in (data, offsets, lengths)),
                                        out, produced)
            return out, produced
        cp = self._cp
        on_host = not is_device_array(data)
        args = [cp.asarray(a) for a in (data, offsets, lengths)]
        out = cp.empty((n, page_size), cp.uint8)
        produced = cp.empty(n, cp.int64)
        if n:
            stream = cp.cuda.get_current_stream()
            try:
                self.kernels.decompress(self._numba_stream(stream),
                                        *(self._as_numba(a) for a in (*args, out, produced)))
            except Exception as exc:
                raise GPUBatchError(
                    f"GPU decompress of a batch of {n} pages failed: {exc}") from exc
        if on_host:
            return out.get(), produced.get()
        return out, produced
