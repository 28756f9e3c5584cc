"""The kernel's software deflate driver (crypto/deflate.c), through zlib.

The kernel's parameters: raw deflate (no zlib header), a window of 2^11 bytes, the
default level, memLevel 9.  With them zlib reproduces the kernel's own test vectors
(crypto/testmgr.h, ``deflate_comp_tv_template``) byte for byte.  As in crypto/deflate.c,
any failure is -EINVAL, and decompression uses the same 2^11 window.
"""

import zlib

from gpuacomp.backends.software import PageByPageBackend

WINDOW_BITS = 11
MEM_LEVEL = 9


def compress_page(page):
    stream = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -WINDOW_BITS,
                              MEM_LEVEL)
    return stream.compress(page) + stream.flush()


def decompress_block(block, capacity):
    """The page ``block`` decodes to, or None if it is not one raw deflate stream of at
    most ``capacity`` bytes."""
    stream = zlib.decompressobj(-WINDOW_BITS)
    try:
        page = stream.decompress(block, capacity)
    except zlib.error:
        return None
    if not stream.eof or stream.unconsumed_tail or len(page) > capacity:
        return None
    return page


class ZlibDeflateBackend(PageByPageBackend):
    def __init__(self):
        super().__init__(compress_page, decompress_block)
