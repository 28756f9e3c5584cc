"""Descriptors (work handed to the emulated device) and their completion records.

A descriptor carries ``n >= 1`` pages of one operation, as a DSA/IAA batch descriptor
carries several: the acomp facade queues one page per request, ``Compressor`` one
descriptor per batch.  The device writes one completion record per page.
"""

import errno
import zlib
from dataclasses import dataclass

import numpy as np

COMPRESS = "compress"
DECOMPRESS = "decompress"

# IAA completion-record error codes (iaa_crypto.h) for the statuses the engine produces;
# 0 for success and for errors that are not the device's (a status of the caller's input).
IAA_ANALYTICS_ERROR = 0x0A
IAA_ERROR_DECOMP_BUF_OVERFLOW = 0x0B
IAA_ERROR_COMP_BUF_OVERFLOW = 0x19
IAA_ERROR_WATCHDOG_EXPIRED = 0x24
_DEVICE_ERROR_CODES = {
    -errno.EINVAL: IAA_ANALYTICS_ERROR,
    -errno.EOVERFLOW: IAA_ERROR_DECOMP_BUF_OVERFLOW,
    -errno.E2BIG: IAA_ERROR_COMP_BUF_OVERFLOW,
    -errno.ETIMEDOUT: IAA_ERROR_WATCHDOG_EXPIRED,
}


@dataclass(frozen=True)
class CompletionRecord:
    """What the device reports for one page, as IAA's completion record.

    ``status`` is 0 or a negative errno; ``output_size`` the bytes produced (0 on error);
    ``error_code`` the device's code for the error (0 when none); ``crc`` the CRC32 of
    the uncompressed side (the source of a compress, the output of a decompress) of a
    page that succeeded, else ``None`` (and always for the Pythonic API's batches).
    """

    status: int
    output_size: int
    error_code: int
    crc: object = None


def device_error_code(status):
    return _DEVICE_ERROR_CODES.get(int(status), 0)


class Descriptor:
    """One queue entry: ``n`` pages of ``op``.

    compress: ``pages`` is an (n, slen) uint8 array; ``capacity`` the most bytes a page
    may compress to (an int, or an (n,) array), beyond which its status is -E2BIG.
    decompress: ``data``/``offsets``/``lengths`` hold n compressed blocks; ``capacity``
    (an int) is the output bytes per page, beyond which a page's status is -EOVERFLOW.
    ``want_crc``: records carry the CRC of each page, computed when the record is read
    (from the descriptor's own pages, so only for descriptors that own a copy).

    The engine fills ``status`` (n,), ``output_size`` (n,) and ``output`` (compress:
    ``(data, offsets)`` of the compressed pages; decompress: the (n, capacity) pages), sets
    ``backend`` to what ran it (or ``error`` to the exception that stopped the device),
    then calls, exactly once each and on the engine thread: ``on_complete(self)`` before
    the descriptor is marked ``done`` (to finish the owner's state), then ``on_done(self)``
    after its queue slot is free (to notify the owner).  ``on_enter(self)``, if set, is
    called when a backlogged descriptor enters its queue.
    """

    __slots__ = ("op", "n", "pages", "data", "offsets", "lengths", "capacity", "queue",
                 "on_complete", "on_done", "on_enter", "want_crc", "status", "output_size",
                 "output", "backend", "error", "done")

    def __init__(self, op, *, pages=None, data=None, offsets=None, lengths=None,
                 capacity, on_complete=None, on_done=None, on_enter=None, want_crc=False):
        self.op = op
        self.n = len(pages) if op == COMPRESS else len(lengths)
        self.pages = pages
        self.data = data
        self.offsets = offsets
        self.lengths = lengths
        self.capacity = capacity
        self.queue = 0
        self.on_complete = on_complete
        self.on_done = on_done
        self.on_enter = on_enter
        self.want_crc = want_crc
        self.status = None
        self.output_size = None
        self.output = None
        self.backend = None
        self.error = None
        self.done = False

    def __len__(self):
        return self.n

    def record(self, i=0):
        """The completion record of page ``i`` (once the engine has run the descriptor)."""
        if self.status is None:
            raise RuntimeError("descriptor has not run")
        status = int(self.status[i])
        crc = self._crc(i, int(self.output_size[i])) if self.want_crc and status == 0 else None
        return CompletionRecord(status, int(self.output_size[i]) if status == 0 else 0,
                                device_error_code(status), crc)

    def _crc(self, i, size):
        # The descriptor owns these bytes: they are the ones the device saw, however late
        # the record is read.
        page = self.pages[i] if self.op == COMPRESS else self.output[i, :size]
        return zlib.crc32(page.get() if hasattr(page, "get") else page)

    def fail(self, status, backend, error=None):
        """Complete every page with ``status`` (a negative errno), because of ``error``."""
        self.status = np.full(self.n, status, np.int32)
        self.output_size = np.zeros(self.n, np.int64)
        self.output = None
        self.backend = backend
        self.error = error
