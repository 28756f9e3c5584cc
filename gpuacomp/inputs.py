"""Checks and conversions of what callers hand in; errors name the argument and the rule."""

import numpy as np

from gpuacomp.kernels.lz4 import MAX_PAGE_SIZE


def is_device_array(array):
    """True for CuPy (or other CUDA array interface) arrays: data on the GPU."""
    return hasattr(array, "__cuda_array_interface__") and not isinstance(array, np.ndarray)


def check_page_size(page_size):
    if isinstance(page_size, bool) or not isinstance(page_size, (int, np.integer)):
        raise TypeError(f"page_size must be an int, got {type(page_size).__name__}")
    if not 0 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be in 0..{MAX_PAGE_SIZE}, got {page_size}")
    return int(page_size)


def check_count(name, value, low, high):
    """``value`` as an int in ``low..high``; otherwise a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not low <= value <= high:
        raise ValueError(f"{name} must be an int in {low}..{high}, got {value!r}")
    return int(value)


def as_pages(pages, page_size):
    """``pages`` as a C-contiguous (n, page_size) uint8 array (numpy or CuPy).

    A single bytes-like page of ``page_size`` bytes is accepted as a batch of one.
    A strided array is copied to a contiguous one.
    """
    if isinstance(pages, (bytes, bytearray, memoryview)):
        pages = np.frombuffer(pages, np.uint8)
    if not hasattr(pages, "dtype") or not hasattr(pages, "ndim"):
        raise TypeError("pages must be a uint8 array of shape (n, page_size) or one "
                        f"bytes-like page, got {type(pages).__name__}")
    if pages.dtype != np.uint8:
        raise TypeError(f"pages must have dtype uint8, got {pages.dtype}")
    if pages.ndim == 1:
        pages = pages.reshape(1, -1) if pages.shape[0] == page_size else pages
        if pages.ndim == 1:
            raise ValueError(f"pages: a single page must be page_size ({page_size}) bytes, "
                             f"got {pages.shape[0]}")
    if pages.ndim != 2:
        raise ValueError(f"pages must be 2-D (n, page_size), got {pages.ndim}-D shape "
                         f"{tuple(pages.shape)}")
    if pages.shape[1] != page_size:
        raise ValueError(f"pages: each page must be page_size ({page_size}) bytes, "
                         f"got shape {tuple(pages.shape)}")
    if not pages.flags.c_contiguous:
        pages = pages.copy(order="C") if is_device_array(pages) else np.ascontiguousarray(pages)
    return pages


def pack_blocks(blocks):
    """Pack a sequence of bytes-like compressed pages into (data, offsets, lengths)."""
    if isinstance(blocks, (bytes, bytearray, memoryview, str)) or not hasattr(blocks, "__len__"):
        raise TypeError("blocks must be a sequence of bytes-like compressed pages, "
                        f"got {type(blocks).__name__}")
    views = []
    for i, block in enumerate(blocks):
        try:
            views.append(memoryview(block).cast("B"))
        except TypeError:
            raise TypeError(f"blocks[{i}]: expected a bytes-like object, "
                            f"got {type(block).__name__}") from None
    lengths = np.fromiter((len(v) for v in views), np.int64, len(views))
    offsets = np.zeros(len(views), np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    # Writable: kernels (and the CUDA simulator) may take buffers as in-out arguments.
    data = np.frombuffer(bytearray().join(views), np.uint8) if views else np.empty(0, np.uint8)
    return data, offsets, lengths


def check_block_table(data, offsets, lengths):
    """Every (offset, length) must lie inside ``data``: decoders trust these bounds."""
    n = len(lengths)
    if len(offsets) != n:
        raise ValueError(f"offsets has {len(offsets)} entries, lengths has {n}")
    if n == 0:
        return
    bad = (offsets < 0) | (lengths < 0) | (offsets + lengths > len(data))
    if bool(bad.any()):
        i = int(bad.nonzero()[0][0])
        raise ValueError(f"page {i}: offset {int(offsets[i])} + length {int(lengths[i])} "
                         f"is outside the data buffer of {len(data)} bytes")
