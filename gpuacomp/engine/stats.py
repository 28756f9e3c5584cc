"""Statistics named as iaa_crypto's debugfs ``global_stats`` and per-queue files."""

import threading

GLOBAL_COUNTERS = (
    "total_comp_calls",
    "total_decomp_calls",
    "total_sw_decomp_calls",
    "total_comp_bytes_out",
    "total_decomp_bytes_in",
    "total_completion_einval_errors",
    "total_completion_timeout_errors",
    "total_completion_comp_buf_overflow_errors",
    "total_completion_decomp_buf_overflow_errors",
)
QUEUE_COUNTERS = ("comp_calls", "comp_bytes", "decomp_calls", "decomp_bytes")


class Stats:
    """Counters of one emulated device: ``snapshot()`` reads them, ``reset()`` zeroes them.

    A call is one page (one request of the kernel's API).  As in iaa_crypto, compress
    bytes count what the device wrote and decompress bytes what it read.
    """

    def __init__(self, queues):
        self._lock = threading.Lock()
        self._queues = queues
        self.reset()

    def reset(self):
        with self._lock:
            self._global = dict.fromkeys(GLOBAL_COUNTERS, 0)
            self._per_queue = [dict.fromkeys(QUEUE_COUNTERS, 0) for _ in range(self._queues)]

    def add(self, queue=None, **counts):
        with self._lock:
            for name, value in counts.items():
                if value:
                    target = self._global if name in self._global else self._per_queue[queue]
                    target[name] += int(value)

    def snapshot(self):
        """``{"global": {...}, "queues": [{...}, ...]}``, a copy."""
        with self._lock:
            return {"global": dict(self._global), "queues": [dict(q) for q in self._per_queue]}
