"""The kernel's software deflate driver (crypto/deflate.c), through zlib.

The kernel's parameters: raw deflate (no zlib header), a window of 2^11 bytes, the
default level, memLevel 9.  With them zlib reproduces the kernel's own test vectors
(crypto/testmgr.h, ``deflate_comp_tv_template``) byte for byte.  As in crypto/deflate.c,
any failure is -EINVAL, and decompression uses the same 2^11 window.
"""

import errno
import zlib

import numpy as np

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


class ZlibDeflateBackend:
    """Same interface as the other backends, page by page."""

    name = "cpu"

    def compress(self, pages, slot, max_candidates=None):
        """``(data, lengths)`` as ``CPUBackend.compress``; ``max_candidates`` is ignored."""
        n = pages.shape[0]
        data = np.empty(n * slot, np.uint8)
        lengths = np.empty(n, np.int32)
        for i in range(n):
            block = compress_page(pages[i])
            if len(block) > slot:
                lengths[i] = -errno.EINVAL
                continue
            data[i * slot:i * slot + len(block)] = np.frombuffer(block, np.uint8)
            lengths[i] = len(block)
        return data, lengths

    def decompress(self, data, offsets, lengths, page_size):
        """``(pages, produced)`` as ``CPUBackend.decompress``."""
        n = len(lengths)
        out = np.zeros((n, page_size), np.uint8)
        produced = np.empty(n, np.int64)
        for i in range(n):
            start = int(offsets[i])
            page = decompress_block(bytes(data[start:start + int(lengths[i])]), page_size)
            if page is None:
                produced[i] = -errno.EINVAL
                continue
            out[i, :len(page)] = np.frombuffer(page, np.uint8)
            produced[i] = len(page)
        return out, produced
