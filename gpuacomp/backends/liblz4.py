"""The kernel's software lz4 driver (crypto/lz4.c), through liblz4 (the ``lz4`` package).

Same interface as the other backends, page by page.  As in crypto/lz4.c, any failure is
-EINVAL: liblz4 does not tell an output that does not fit from a malformed block.
"""

import errno

import lz4.block
import numpy as np


class LibLZ4Backend:
    name = "cpu"

    def compress(self, pages, slot, max_candidates=None):
        """``(data, lengths)`` as ``CPUBackend.compress``; ``max_candidates`` is ignored."""
        n = pages.shape[0]
        data = np.empty(n * slot, np.uint8)
        lengths = np.empty(n, np.int32)
        for i in range(n):
            block = lz4.block.compress(pages[i], mode="default", store_size=False)
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
            block = data[int(offsets[i]):int(offsets[i]) + int(lengths[i])]
            try:
                page = lz4.block.decompress(block, uncompressed_size=page_size)
            except lz4.block.LZ4BlockError:
                produced[i] = -errno.EINVAL
                continue
            out[i, :len(page)] = np.frombuffer(page, np.uint8)
            produced[i] = len(page)
        return out, produced
