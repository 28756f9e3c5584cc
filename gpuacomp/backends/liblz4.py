"""The kernel's software lz4 driver (crypto/lz4.c), through liblz4 (the ``lz4`` package).

As in crypto/lz4.c, any failure is -EINVAL: liblz4 does not tell an output that does
not fit from a malformed block.
"""

import lz4.block

from gpuacomp.backends.software import PageByPageBackend


def compress_page(page):
    return lz4.block.compress(page, mode="default", store_size=False)


def decompress_block(block, capacity):
    try:
        return lz4.block.decompress(block, uncompressed_size=capacity)
    except lz4.block.LZ4BlockError:
        return None


class LibLZ4Backend(PageByPageBackend):
    def __init__(self):
        super().__init__(compress_page, decompress_block)
