"""How the device runs what it drained: one backend call per group of like descriptors.

Descriptors of one operation and page size (and on the same side of the PCIe bus) form
a group; small ones are stacked into one batch, so queued single-page requests cost one
launch together.  Around the backend call sit the accelerator's semantics: injected
faults, ``verify_compress``, output capacities (-E2BIG / -EOVERFLOW), the software retry
of failed decompressions, and the statistics.
"""

import errno
from collections import Counter, defaultdict

import numpy as np

from gpuacomp.engine.descriptor import COMPRESS, DECOMPRESS
from gpuacomp.engine.faults import DeviceLost
from gpuacomp.inputs import is_device_array

# Descriptors of more pages than this run alone: stacking them would copy a large batch.
STACK_LIMIT = 1024


def array_module(array):
    if is_device_array(array):
        import cupy
        return cupy
    return np


def to_host(array):
    return array.get() if is_device_array(array) else array


def group_key(descriptor):
    on_device = is_device_array(descriptor.pages if descriptor.op == COMPRESS
                                else descriptor.data)
    width = descriptor.pages.shape[1] if descriptor.op == COMPRESS else descriptor.capacity
    return descriptor.op, width, on_device


def groups(descriptors):
    """Split drained descriptors into runs for one backend call each, in queue order."""
    stacked = defaultdict(list)
    runs = []
    for d in descriptors:
        if d.n > STACK_LIMIT:
            runs.append([d])
        else:
            key = group_key(d)
            if key not in stacked:
                runs.append(stacked[key])
            stacked[key].append(d)
    return runs


class GroupRunner:
    """Runs groups on ``backend``; ``software`` is the CPU path (retries, oversized pages);
    ``parse`` is ``(candidates, lazy)``, the parse's settings.

    ``timed_out`` turns True when an injected timeout hit: the caller marks the device
    broken.  ``DeviceLost`` propagates: the caller decides between rerun and -ENODEV.
    """

    def __init__(self, backend, software, parse, verify, faults, stats,
                 retry_in_software, max_device_page, bound):
        self.backend = backend
        self.bound = bound  # the slot for a page of n bytes
        self.software = software
        self.candidates, self.lazy = parse
        self.verify = verify
        self.faults = faults
        self.stats = stats
        self.retry_in_software = retry_in_software
        self.max_device_page = max_device_page
        self.timed_out = False

    def run(self, group):
        if group[0].op == COMPRESS:
            self._compress(group)
        else:
            self._decompress(group)

    # -- compress --------------------------------------------------------------------------

    def _compress(self, group):
        pages = _stack([d.pages for d in group])
        n, slen = pages.shape
        slot = self.bound(slen)
        backend = self.backend if slen <= self.max_device_page else self.software
        pages = _readable_by(backend, pages)
        data, lengths = backend.compress(pages, slot, self.candidates, self.lazy)
        xp = array_module(lengths)
        lengths = lengths.astype(np.int64)
        self._apply_faults(COMPRESS, n, lengths, data, slot)
        offsets = xp.arange(n, dtype=np.int64) * slot
        if self.verify:
            lengths = self._verify(backend, pages, data, offsets, lengths)
        # (where, not a masked store: CuPy's reads the mask's count back to the host)
        lengths = xp.where(lengths > _capacities(group, xp), -errno.E2BIG, lengths)
        status = xp.minimum(lengths, 0).astype(np.int32)
        sizes = xp.maximum(lengths, 0)
        self._count(group, status, sizes, "comp")
        for d, (d_status, d_sizes, d_offsets) in zip(group, _split(group, status, sizes,
                                                                   offsets)):
            d.status, d.output_size, d.output = d_status, d_sizes, (data, d_offsets)
            d.backend = backend.name

    def _verify(self, backend, pages, data, offsets, lengths):
        """verify_compress: decode every compressed page on the device and compare;
        the lengths, -EINVAL where the page did not come back."""
        xp = array_module(lengths)
        n, slen = pages.shape
        out, produced = backend.decompress(data, offsets, xp.maximum(lengths, 0), slen)
        wrong = (produced != slen) | (out != pages).any(axis=1) if slen else produced != 0
        return xp.where((lengths >= 0) & wrong, -errno.EINVAL, lengths)

    def _count(self, group, status, sizes, kind):
        """Per-queue calls and bytes (compress: bytes out; decompress: bytes in), and for
        compress the errors by kind (decompress counts what the device reported).
        Returns the group's bytes."""
        amounts = sizes if kind == "comp" else _stack([d.lengths for d in group])
        queues = {d.queue for d in group}
        if len(queues) == 1:
            all_bytes = _total(amounts)
            totals = {queues.pop(): (len(status), all_bytes)}
        else:
            amounts = _totals(amounts)
            all_bytes = _sum(amounts)
            totals, start = {}, 0
            for d in group:
                calls, total = totals.get(d.queue, (0, 0))
                totals[d.queue] = calls + d.n, total + _sum(amounts[start:start + d.n])
                start += d.n
        for queue, (calls, total) in totals.items():
            self.stats.add(queue, **{f"{kind}_calls": calls, f"{kind}_bytes": total})
        if kind == "comp":
            errors = _error_counts(status)
            self.stats.add(
                total_comp_calls=len(status), total_comp_bytes_out=all_bytes,
                total_completion_einval_errors=errors.get(-errno.EINVAL, 0),
                total_completion_timeout_errors=errors.get(-errno.ETIMEDOUT, 0),
                total_completion_comp_buf_overflow_errors=errors.get(-errno.E2BIG, 0))
        return all_bytes

    # -- decompress ------------------------------------------------------------------------

    def _decompress(self, group):
        capacity = group[0].capacity
        backend = self.backend if capacity <= self.max_device_page else self.software
        data, offsets, lengths = (_readable_by(backend, a) for a in _stack_blocks(group))
        n = len(lengths)
        out, produced = backend.decompress(data, offsets, lengths, capacity)
        # (no copy: the backends return a new array, which the faults may write)
        produced = produced.astype(np.int64, copy=False)
        self._apply_faults(DECOMPRESS, n, produced)
        errors = _error_counts(produced)
        self.stats.add(
            total_decomp_calls=n,
            total_completion_einval_errors=errors.get(-errno.EINVAL, 0),
            total_completion_timeout_errors=errors.get(-errno.ETIMEDOUT, 0),
            total_completion_decomp_buf_overflow_errors=errors.get(-errno.EOVERFLOW, 0))
        if self.retry_in_software and errors:  # (no errors: no page failed)
            self._retry(data, offsets, lengths, capacity, out, produced)
        xp = array_module(produced)
        status = xp.minimum(produced, 0).astype(np.int32)
        sizes = xp.maximum(produced, 0)
        all_bytes = self._count(group, status, sizes, "decomp")
        self.stats.add(total_decomp_bytes_in=all_bytes)
        start = 0
        for d, (d_status, d_sizes) in zip(group, _split(group, status, sizes)):
            d.status, d.output_size = d_status, d_sizes
            d.output = out if len(group) == 1 else out[start:start + d.n]
            d.backend = backend.name
            start += d.n

    def _retry(self, data, offsets, lengths, capacity, out, produced):
        """A page the device failed to decode is decoded again on the CPU path."""
        failed = np.flatnonzero(to_host(produced) < 0)
        if not len(failed):
            return
        self.stats.add(total_sw_decomp_calls=len(failed))
        host_offsets, host_lengths = to_host(offsets)[failed], to_host(lengths)[failed]
        again, again_produced = self.software.decompress(
            to_host(data), host_offsets, host_lengths, capacity)
        xp = array_module(produced)
        index = xp.asarray(failed)
        out[index] = xp.asarray(again)
        produced[index] = xp.asarray(again_produced.astype(np.int64))

    # -- faults ----------------------------------------------------------------------------

    def _apply_faults(self, op, n, lengths, data=None, slot=0):
        for page, kind in self.faults.take(op, n):
            if kind == "disappear":
                raise DeviceLost("the device disappeared (injected fault)")
            if kind == "fail":
                lengths[page] = -errno.EINVAL
            elif kind == "timeout":
                lengths[page] = -errno.ETIMEDOUT
                self.timed_out = True
            elif kind == "corrupt" and int(lengths[page]) > 0:
                at = page * slot + int(lengths[page]) // 2
                data[at] = data[at] ^ 0xFF


def _totals(values):
    """Per-page values as a Python list (small groups) or a host array (large)."""
    values = to_host(values)
    return values.tolist() if len(values) <= 64 else values


def _sum(values):
    return int(values.sum()) if isinstance(values, np.ndarray) else sum(values)


# Per-page results on the device stay there: the statistics and the retry need a sum or
# a flag of them, so a scalar crosses the bus where every page's result did (four times a
# device batch to decompress; the retry goes by the error counts).

def _total(values):
    """The sum of per-page values."""
    return int(values.sum()) if is_device_array(values) else _sum(_totals(values))


def _none_failed_on_device(status):
    """True when ``status`` (or produced lengths) is on the device and holds no negative
    errno; host arrays are read directly instead."""
    return is_device_array(status) and not bool((status < 0).any())


def _error_counts(status):
    """``{negative errno: pages}`` for the pages of ``status`` that failed."""
    if _none_failed_on_device(status):
        return {}
    status = to_host(status)
    if len(status) <= 64:
        return Counter(s for s in status.tolist() if s < 0)
    codes, counts = np.unique(status[status < 0], return_counts=True)
    return dict(zip(codes.tolist(), counts.tolist()))


def _readable_by(backend, array):
    # The CPU path reads host memory; the GPU backend takes either.
    return to_host(array) if backend.name == "cpu" else array


def _stack(arrays):
    if len(arrays) == 1:
        return arrays[0]
    return array_module(arrays[0]).concatenate(arrays)


def _stack_blocks(group):
    if len(group) == 1:
        d = group[0]
        return d.data, d.offsets, d.lengths
    xp = array_module(group[0].data)
    bases = np.cumsum([0] + [len(d.data) for d in group[:-1]])
    offsets = xp.concatenate([d.offsets + int(base) for d, base in zip(group, bases)])
    return _stack([d.data for d in group]), offsets, _stack([d.lengths for d in group])


def _capacities(group, xp):
    """Each page's output capacity, as a scalar or an array over the group's pages."""
    if len(group) == 1:
        capacity = group[0].capacity
        return capacity if np.isscalar(capacity) else xp.asarray(capacity)
    if all(d.n == 1 and np.isscalar(d.capacity) for d in group):
        return xp.asarray(np.fromiter((d.capacity for d in group), np.int64, len(group)))
    return xp.concatenate([xp.broadcast_to(xp.asarray(d.capacity, dtype=np.int64), (d.n,))
                           for d in group])


def _split(group, *arrays):
    """Per descriptor, its part of each per-page array: the arrays themselves for a group
    of one; for host groups, Python lists (cheaper than array slices per request)."""
    if len(group) == 1:
        return [arrays]
    if not is_device_array(arrays[0]):
        arrays = [a.tolist() for a in arrays]
    parts = []
    start = 0
    for d in group:
        end = start + d.n
        parts.append(tuple(a[start:end] for a in arrays))
        start = end
    return parts
