"""Output memory that is used again once nobody holds it.

A batch's compressed output is one large array (4096 slots of 4677 bytes: 19 MB).  Fresh
memory from the operating system costs a page fault per 4 KiB on first touch; on the
2-core development VM that was about 38 ms per 19 MB, half as long as compressing the
batch (bench/RESULTS.md).  The allocator does not always keep freed memory of that size,
so the backends keep their last output buffer and hand it out again when every array
made from it is gone: an array's views (and exported buffers) hold a reference to it,
so a reference count of one, our own, means that nothing can still read it.  Buffers
above ``KEEP_LIMIT`` are not kept: a huge batch must not pin its memory after it is gone.
"""

import sys
import threading

import numpy as np

KEEP_LIMIT = 64 << 20  # bytes: about 14,000 slots of a 4 KiB page


class RecycledBuffer:
    """One reusable uint8 buffer."""

    def __init__(self):
        self._buffer = None
        self._lock = threading.Lock()

    def empty(self, size):
        """An uninitialised uint8 array of ``size`` bytes: the kept buffer when it is large
        enough and free, else a new one (which is kept instead)."""
        with self._lock:
            # getrefcount sees our attribute and its own argument: 2 means no one else.
            if (self._buffer is not None and self._buffer.size >= size
                    and sys.getrefcount(self._buffer) == 2):
                return self._buffer[:size]
            if size > KEEP_LIMIT:
                return np.empty(size, np.uint8)
            self._buffer = np.empty(size, np.uint8)
            return self._buffer[:size]
