"""Batch results: one buffer of compressed pages plus per-page offsets, lengths, status."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class PageBatch:
    """The compressed form of ``n`` pages.

    Page ``i`` is ``data[offsets[i] : offsets[i] + lengths[i]]`` when ``status[i] == 0``;
    otherwise ``status[i]`` is a negative errno (``-E2BIG``: it did not fit its slot) and
    ``lengths[i]`` is 0.  Pages sit in fixed-size slots of ``data`` (the worst-case
    compressed size), so a batch is written in parallel without a compaction pass.
    ``data`` and the tables live where the input lived (numpy, or CuPy for device input).
    """

    data: object
    offsets: object
    lengths: object
    status: object
    page_size: int
    algorithm: str
    backend: str

    def __post_init__(self):
        n = len(self.lengths)
        for name in ("offsets", "status"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries, lengths has {n}")

    def __len__(self):
        return len(self.lengths)

    @property
    def ok(self):
        """True when every page compressed."""
        return not bool((self.status != 0).any())

    @property
    def compressed_size(self):
        """Sum of the compressed lengths (bytes), as ``int``."""
        return int(self.lengths.sum())

    @property
    def ratio(self):
        """Uncompressed bytes over compressed bytes, pages counted alone."""
        total = self.compressed_size
        return len(self) * self.page_size / total if total else float("inf")

    def page(self, i):
        """Compressed bytes of page ``i`` (raises if that page failed)."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"page {i} out of range for a batch of {len(self)}")
        status = int(self.status[i])
        if status != 0:
            raise ValueError(f"page {i} has no compressed data: status {status}")
        start = int(self.offsets[i])
        return bytes(_host(self.data[start : start + int(self.lengths[i])]))

    def to_host(self):
        """The same batch with numpy arrays (a no-op for host batches)."""
        if isinstance(self.data, np.ndarray):
            return self
        return PageBatch(_host(self.data), _host(self.offsets), _host(self.lengths),
                         _host(self.status), self.page_size, self.algorithm, self.backend)


def _host(array):
    return array.get() if hasattr(array, "get") and not isinstance(array, np.ndarray) else array
