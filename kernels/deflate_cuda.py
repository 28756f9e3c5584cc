"""CUDA kernels for batches of raw DEFLATE pages: one launch per batch, one thread per page.

``deflate_pages`` runs the encoder of ``kernels/deflate_encode.py`` (IAA's format, fixed
or dynamic codes) and ``inflate_pages`` the decoder of ``kernels/deflate.py``: the same
functions the CPU runs.  Each thread keeps its workspace (hash table, chain, parse,
code tables) in local memory and reads its page from global memory.  The Huffman
coding is serial per page; spreading it over a block (bit lengths, a prefix sum,
parallel writes) is the next step once a GPU shows where the time goes.
"""

import functools

from numba import cuda, int16, int32, int64

from gpuacomp.kernels import deflate as decoder
from gpuacomp.kernels import deflate_encode as encoder
from gpuacomp.kernels import lz4
from gpuacomp.kernels.lz4 import GPU_MAX_PAGE_SIZE
from gpuacomp.kernels.retarget import compile_functions

THREADS = 64  # threads per block of both kernels, one page each
HASH_LOG = 10  # a smaller table than the CPU's: collisions cost time, never bytes
MAX_RECORDS = GPU_MAX_PAGE_SIZE // encoder.MIN_MATCH + 1


@functools.lru_cache(maxsize=None)
def build():
    """``(deflate_pages, inflate_pages)``, each launched as ``[grid, THREADS]``:

    - ``deflate_pages(pages, page_size, out, slot, lengths, max_candidates, mode)``
      compresses page ``p`` into ``out[p * slot:(p + 1) * slot]``;
    - ``inflate_pages(data, offsets, lengths, out, produced)`` decodes
      ``data[offsets[p]:offsets[p] + lengths[p]]`` into ``out[p]``.

    ``lengths`` / ``produced`` receive each page's length or negative errno.
    """
    device = cuda.jit(device=True)
    shared_lz4 = compile_functions(lz4, encoder.USES + ("link_positions",), device)
    encode = compile_functions(encoder, encoder.CODEC_FUNCTIONS, device, uses=shared_lz4)
    encode_page = encode.encode_page
    link_positions = shared_lz4.link_positions
    inflate_page = compile_functions(decoder, decoder.CODEC_FUNCTIONS, device).inflate_page
    hash_entries = 1 << HASH_LOG
    key_margin = encoder.MIN_MATCH - 1

    @cuda.jit
    def deflate_pages(pages, page_size, out, slot, lengths, max_candidates, mode):
        p = cuda.grid(1)
        if p >= lengths.shape[0]:
            return
        head = cuda.local.array(hash_entries, int16)
        prev = cuda.local.array(GPU_MAX_PAGE_SIZE, int16)
        records = cuda.local.array((3, MAX_RECORDS), int16)
        tables = cuda.local.array((encoder.TABLE_ROWS, encoder.TABLE_WIDTH), int32)
        writer = cuda.local.array(3, int64)
        for h in range(hash_entries):
            head[h] = -1
        src = pages[p]
        link_positions(src, page_size - key_margin, head, HASH_LOG, 0, prev)
        lengths[p] = encode_page(src, page_size, prev, out[p * slot:(p + 1) * slot], slot,
                                 mode, max_candidates, records, tables, writer)

    @cuda.jit
    def inflate_pages(data, offsets, lengths, out, produced):
        p = cuda.grid(1)
        if p >= lengths.shape[0]:
            return
        state = cuda.local.array(3, int64)
        code_lengths = cuda.local.array(decoder.MAX_CODE_LENGTHS, int16)
        lcounts = cuda.local.array(decoder.MAX_BITS + 1, int16)
        dcounts = cuda.local.array(decoder.MAX_BITS + 1, int16)
        offs = cuda.local.array(decoder.MAX_BITS + 1, int16)
        lsymbols = cuda.local.array(decoder.MAX_LITLEN_CODES, int16)
        dsymbols = cuda.local.array(decoder.MAX_DIST_CODES, int16)
        ltable = cuda.local.array(decoder.FAST_ENTRIES, int16)
        dtable = cuda.local.array(decoder.FAST_ENTRIES, int16)
        start = offsets[p]
        block = data[start:start + lengths[p]]
        produced[p] = inflate_page(block, lengths[p], out[p], out.shape[1], state,
                                   code_lengths, lcounts, offs, lsymbols, ltable, dcounts,
                                   dsymbols, dtable)

    return deflate_pages, inflate_pages
