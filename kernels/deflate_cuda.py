"""The raw DEFLATE decoder of ``kernels/deflate.py`` as a CUDA kernel: one thread per page.

Each thread keeps its workspace (bit state, code lengths, the two canonical codes) in
local memory and calls the same ``inflate_page`` the CPU runs.  Not yet used by a
backend (the IAA-compatible deflate drivers are still to come); it is built and run in
the simulator tier to hold the shared code to both targets.
"""

from numba import cuda, int16, int64

from gpuacomp.kernels import deflate as codec
from gpuacomp.kernels.retarget import compile_functions

THREADS = 64


def build():
    """The kernel ``inflate_pages[grid, THREADS](data, offsets, lengths, out, produced)``:
    page ``p`` is ``data[offsets[p]:offsets[p] + lengths[p]]``, decoded into ``out[p]``;
    ``produced[p]`` is its length or a negative errno."""
    device = compile_functions(codec, codec.CODEC_FUNCTIONS, cuda.jit(device=True))
    inflate_page = device.inflate_page

    @cuda.jit
    def inflate_pages(data, offsets, lengths, out, produced):
        p = cuda.grid(1)
        if p >= lengths.shape[0]:
            return
        state = cuda.local.array(3, int64)
        code_lengths = cuda.local.array(codec.MAX_CODE_LENGTHS, int16)
        lcounts = cuda.local.array(codec.MAX_BITS + 1, int16)
        dcounts = cuda.local.array(codec.MAX_BITS + 1, int16)
        offs = cuda.local.array(codec.MAX_BITS + 1, int16)
        lsymbols = cuda.local.array(codec.MAX_LITLEN_CODES, int16)
        dsymbols = cuda.local.array(codec.MAX_DIST_CODES, int16)
        start = offsets[p]
        block = data[start:start + lengths[p]]
        produced[p] = inflate_page(block, lengths[p], out[p], out.shape[1], state,
                                   code_lengths, lcounts, offs, lsymbols, dcounts, dsymbols)

    return inflate_pages
