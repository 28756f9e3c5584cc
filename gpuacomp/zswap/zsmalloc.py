"""zsmalloc's accounting: what a pool of compressed objects costs in pages.

As mm/zsmalloc.c: objects of 32..4096 bytes fall into size classes 16 bytes apart;
each class packs its objects into zspages of 1..8 pages (CONFIG_ZSMALLOC_CHAIN_SIZE's
default), the count chosen to waste the least; a zspage is freed when its last object
goes.  The pool's size is the pages of its zspages, not the sum of object lengths.
Not modelled: compaction (objects are never moved between zspages).
"""

import itertools

PAGE_SIZE = 4096
MIN_ALLOC_SIZE = 32
CLASS_DELTA = PAGE_SIZE >> 8
MAX_PAGES_PER_ZSPAGE = 8


def class_size(size):
    """The size class an object of ``size`` bytes goes to (its slot size)."""
    if not 0 < size <= PAGE_SIZE:
        raise ValueError(f"zsmalloc objects are 1..{PAGE_SIZE} bytes, got {size}")
    size = max(size, MIN_ALLOC_SIZE)
    return MIN_ALLOC_SIZE + -(-(size - MIN_ALLOC_SIZE) // CLASS_DELTA) * CLASS_DELTA


def pages_per_zspage(slot):
    """Pages per zspage for a class: the count that leaves the least of them unused."""
    best, best_used = 1, -1
    for pages in range(1, MAX_PAGES_PER_ZSPAGE + 1):
        span = pages * PAGE_SIZE
        used = (span - span % slot) * 100 // span
        if used > best_used:
            best, best_used = pages, used
    return best


class _SizeClass:
    def __init__(self, slot):
        self.slot = slot
        self.pages = pages_per_zspage(slot)
        self.capacity = self.pages * PAGE_SIZE // slot
        self.zspages = {}  # zspage id -> objects in it
        self.not_full = set()


class ZsPool:
    """Allocates handles for objects and says what they cost (not thread-safe: the
    caller holds its lock).  ``fail_next(n)`` makes the next ``n`` allocations fail,
    as ``zs_malloc`` does when it cannot get pages."""

    def __init__(self):
        self._classes = {}
        self._ids = itertools.count()
        self._fail = 0
        self.pages = 0

    def fail_next(self, n=1):
        self._fail += n

    def malloc(self, size):
        """A handle for an object of ``size`` bytes, or ``None`` if allocation failed."""
        if self._fail:
            self._fail -= 1
            return None
        slot = class_size(size)
        sc = self._classes.get(slot) or self._classes.setdefault(slot, _SizeClass(slot))
        if sc.not_full:
            zspage = next(iter(sc.not_full))
        else:
            zspage = next(self._ids)
            sc.zspages[zspage] = 0
            sc.not_full.add(zspage)
            self.pages += sc.pages
        sc.zspages[zspage] += 1
        if sc.zspages[zspage] == sc.capacity:
            sc.not_full.discard(zspage)
        return slot, zspage

    def free(self, handle):
        slot, zspage = handle
        sc = self._classes[slot]
        sc.zspages[zspage] -= 1
        if sc.zspages[zspage] == 0:
            del sc.zspages[zspage]
            sc.not_full.discard(zspage)
            self.pages -= sc.pages
        else:
            sc.not_full.add(zspage)

    @property
    def total_size(self):
        """Bytes of pages the pool holds (debugfs ``pool_total_size``)."""
        return self.pages * PAGE_SIZE
