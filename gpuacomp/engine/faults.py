"""Fault injection: make the emulated device misbehave, to study (and test) the reaction.

``accelerator.faults.inject(kind, count=1, op=None)`` arms ``count`` faults of ``kind``
for the next pages the device handles (``op``: ``"compress"``, ``"decompress"`` or either):

``fail``       the device reports an error for the page (an analytics error, -EINVAL).
               A failed decompress is retried in software, as iaa_crypto does.
``corrupt``    the device flips a byte of a compressed page (compress only): verify
               (``verify_compress``) catches it as -EINVAL; without verify it goes through.
``timeout``    the page's completion record never arrives: -ETIMEDOUT, and the device is
               marked broken (later work takes the CPU path under ``device="auto"``;
               under ``device="gpu"`` it fails with -ENODEV).  A decompress is retried in
               software.
``disappear``  the device is lost while it holds a batch: the batch is rerun on the CPU
               path (``auto``) or fails with -ENODEV (``gpu``), and the device stays lost.
"""

import threading

from gpuacomp.engine.descriptor import COMPRESS, DECOMPRESS

KINDS = ("fail", "corrupt", "timeout", "disappear")


class DeviceLost(RuntimeError):
    """The emulated device disappeared (an injected fault, or a CUDA error)."""


class FaultInjector:
    def __init__(self):
        self._lock = threading.Lock()
        self._armed = []  # [kind, op, remaining]

    def inject(self, kind, count=1, op=None):
        """Arm ``count`` faults of ``kind`` for pages of ``op`` (None: any operation)."""
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if op not in (None, COMPRESS, DECOMPRESS):
            raise ValueError(f"op must be None, {COMPRESS!r} or {DECOMPRESS!r}, got {op!r}")
        if kind == "corrupt" and op == DECOMPRESS:
            raise ValueError("corrupt applies to compressed output only (op='compress')")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be a positive int, got {count!r}")
        with self._lock:
            self._armed.append([kind, COMPRESS if kind == "corrupt" else op, count])

    def clear(self):
        with self._lock:
            self._armed.clear()

    @property
    def armed(self):
        with self._lock:
            return sum(entry[2] for entry in self._armed)

    def take(self, op, n):
        """Faults for the next ``n`` pages of ``op``: a list of (page index, kind)."""
        hits = []
        with self._lock:
            if not self._armed:
                return hits
            page = 0
            for entry in self._armed:
                kind, wanted, remaining = entry
                if wanted not in (None, op):
                    continue
                take = min(remaining, n - page)
                hits.extend((page + k, kind) for k in range(take))
                page += take
                entry[2] -= take
                if page == n:
                    break
            self._armed = [entry for entry in self._armed if entry[2] > 0]
        return hits
