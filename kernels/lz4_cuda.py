"""CUDA kernels for batches of LZ4 pages: one launch per batch, one thread block per page.

Compression runs the parse of ``kernels/lz4.py`` with the same device-compiled
``encode_page``; only the candidate chain is built differently.  The CPU keeps a hash
chain; here the block sorts the page's positions by ``(key, position)`` in shared memory
(a bitonic sort), so each position's predecessor in sorted order is the most recent
earlier position with the same 4 bytes: the exact chain, with no hash table and no
atomics.  Both chains yield the same candidates, hence the same bytes.

Decompression gives each page to one thread running the shared ``decode_block``.

Kernels are compiled on first use by ``build(threads)``.
"""

import functools

import numpy as np
from numba import cuda, int16, uint8, uint64

from gpuacomp.kernels import lz4 as codec
from gpuacomp.kernels.lz4 import GPU_MAX_PAGE_SIZE
from gpuacomp.kernels.retarget import compile_functions

SORT_SENTINEL = np.uint64(0xFFFFFFFFFFFFFFFF)  # pads the sort; sorts after every real key


@functools.lru_cache(maxsize=None)
def build(threads=256):
    """Compile the kernels for ``threads`` threads per block (any power of two >= 1).

    The thread count changes only the work split, never the bytes.
    """
    lz4 = compile_functions(codec, codec.CODEC_FUNCTIONS, cuda.jit(device=True))
    encode_page = lz4.encode_page
    decode_block = lz4.decode_block
    page_capacity = GPU_MAX_PAGE_SIZE
    match_start_margin = codec.MATCH_START_MARGIN

    @cuda.jit(device=True)
    def _bitonic_sort(keys, size, tid):
        k = 2
        while k <= size:
            j = k // 2
            while j > 0:
                for t in range(tid, size // 2, threads):
                    i = (t // j) * 2 * j + (t % j)
                    partner = i + j
                    a = keys[i]
                    b = keys[partner]
                    if (a > b) == ((i & k) == 0):
                        keys[i] = b
                        keys[partner] = a
                cuda.syncthreads()
                j //= 2
            k *= 2

    @cuda.jit
    def compress_pages(pages, page_size, out, slot, lengths, max_candidates):
        page = pages[cuda.blockIdx.x]
        tid = cuda.threadIdx.x
        src = cuda.shared.array(page_capacity, uint8)
        keys = cuda.shared.array(page_capacity, uint64)
        prev = cuda.shared.array(page_capacity, int16)
        for i in range(tid, page_size, threads):
            src[i] = page[i]
        cuda.syncthreads()

        starts = page_size - match_start_margin  # positions where a match may start
        if starts > 1:
            sort_size = 1
            while sort_size < starts:
                sort_size *= 2
            for i in range(tid, sort_size, threads):
                if i < starts:
                    key = (np.uint64(src[i]) | (np.uint64(src[i + 1]) << np.uint64(8))
                           | (np.uint64(src[i + 2]) << np.uint64(16))
                           | (np.uint64(src[i + 3]) << np.uint64(24)))
                    keys[i] = (key << np.uint64(16)) | np.uint64(i)
                else:
                    keys[i] = SORT_SENTINEL
            cuda.syncthreads()
            _bitonic_sort(keys, sort_size, tid)
            for s in range(tid, starts, threads):
                position = keys[s] & np.uint64(0xFFFF)
                if s > 0 and (keys[s - 1] >> np.uint64(16)) == (keys[s] >> np.uint64(16)):
                    prev[position] = int16(keys[s - 1] & np.uint64(0xFFFF))
                else:
                    prev[position] = -1
            cuda.syncthreads()

        if tid == 0:
            p = cuda.blockIdx.x
            dst = out[p * slot:(p + 1) * slot]
            lengths[p] = encode_page(src, page_size, prev, dst, slot, max_candidates)

    @cuda.jit
    def decompress_pages(data, offsets, lengths, out, produced):
        p = cuda.grid(1)
        if p < out.shape[0]:
            block = data[offsets[p]:offsets[p] + lengths[p]]
            produced[p] = decode_block(block, block.shape[0], out[p], out.shape[1])

    return compress_pages, decompress_pages
