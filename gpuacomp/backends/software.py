"""The kernel's software drivers run one page at a time through a library: the loop over
a batch, its slots and its statuses, shared by each of them."""

import errno

import numpy as np


class PageByPageBackend:
    """The backend interface over a library's ``compress_page(page) -> bytes`` and
    ``decompress_block(block, capacity) -> bytes or None``.  As in the kernel's
    software drivers, every failure is -EINVAL."""

    name = "cpu"

    def __init__(self, compress_page, decompress_block):
        self.compress_page = compress_page
        self.decompress_block = decompress_block

    def compress(self, pages, slot, max_candidates=None, lazy=False):
        """``(data, lengths)`` as ``CPUBackend.compress``; the library has its own parse
        (``max_candidates`` and ``lazy`` are ignored)."""
        n = pages.shape[0]
        data = np.empty(n * slot, np.uint8)
        lengths = np.empty(n, np.int32)
        for i in range(n):
            block = self.compress_page(pages[i])
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
            page = self.decompress_block(bytes(data[start:start + int(lengths[i])]), page_size)
            if page is None:
                produced[i] = -errno.EINVAL
                continue
            out[i, :len(page)] = np.frombuffer(page, np.uint8)
            produced[i] = len(page)
        return out, produced
