"""Transforms: ``crypto_alloc_acomp`` and the emulated devices behind them.

Each accelerator driver has one emulated device per process (an ``Accelerator``),
shared by every transform of that driver, as IAA devices are shared by all CPUs; each
transform gets one of its work queues.  ``configure`` sets the device's attributes,
as iaa_crypto's driver attributes in sysfs.  Software drivers run in the caller.
"""

import threading

from gpuacomp import algorithms
from gpuacomp.acomp.constants import ACCELERATOR_BATCH_SIZE, CRYPTO_ALG_ASYNC, ENODEV, ENOENT
from gpuacomp.device import GPUUnavailableError

_LIVE_SETTINGS = ("sync_mode", "verify_compress")
_BUILD_SETTINGS = ("device", "queue_depth", "queues", "candidates", "lazy", "threads")

_lock = threading.Lock()
_devices = {}  # driver name -> Accelerator
_settings = {}  # driver name -> keyword arguments for its Accelerator
_live_tfms = {}  # driver name -> count of allocated transforms


class AcompTfm:
    """A transform (``struct crypto_acomp``): one driver, and its queue on the device."""

    def __init__(self, algorithm, device):
        self.algorithm = algorithm
        self.device = device  # None for software drivers
        self.queue = device.assign_queue() if device is not None else 0
        self.in_flight = 0  # requests submitted and not yet returned to their owner
        self.freed = False
        self._software = None

    def __repr__(self):
        where = self.device.backend if self.device is not None else "software"
        return f"AcompTfm({self.algorithm.driver!r}, {where}, queue={self.queue})"

    @property
    def software(self):
        """The CPU library behind a software driver."""
        if self._software is None:
            from gpuacomp import backends
            self._software = backends.load_software(self.algorithm)
        return self._software

    def check_usable(self):
        if self.freed:
            raise RuntimeError(f"{self!r} was freed (crypto_free_acomp)")


def crypto_alloc_acomp(alg_name, type=0, mask=0):
    """A transform for an algorithm (``"lz4"``) or a driver name (``"lz4-gpuacomp"``).

    As in the kernel, ``mask & CRYPTO_ALG_ASYNC`` without ``type & CRYPTO_ALG_ASYNC``
    asks for a synchronous (software) driver.  Unknown names raise ``OSError`` with
    ``errno.ENOENT``; a driver that cannot run here raises one with ``errno.ENODEV``.
    """
    want_sync = bool(mask & CRYPTO_ALG_ASYNC) and not type & CRYPTO_ALG_ASYNC
    try:
        algorithm = _select(alg_name, want_sync)
    except ValueError as exc:
        code = ENODEV if "cannot run" in str(exc) else ENOENT
        raise OSError(code, str(exc)) from None
    device = None
    if algorithm.accelerated:
        try:
            device = accelerator(algorithm.driver)
        except GPUUnavailableError as exc:
            raise OSError(ENODEV, f"{algorithm.driver}: {exc}") from None
    with _lock:
        _live_tfms[algorithm.driver] = _live_tfms.get(algorithm.driver, 0) + 1
    return AcompTfm(algorithm, device)


def crypto_free_acomp(tfm):
    """Free a transform; its requests must not be in flight."""
    tfm.check_usable()
    if tfm.in_flight:
        raise RuntimeError(f"crypto_free_acomp: {tfm!r} has {tfm.in_flight} request(s) in flight")
    tfm.freed = True
    with _lock:
        _live_tfms[tfm.algorithm.driver] -= 1


def acomp_is_async(tfm):
    """True for the accelerator's drivers (their calls may return -EINPROGRESS)."""
    return tfm.algorithm.accelerated


def acomp_has_async_batching(tfm):
    """True when the driver compresses a batch of pages in parallel."""
    return tfm.algorithm.accelerated


def crypto_acomp_batch_size(tfm):
    """Pages per ``crypto_acomp_batch_compress`` call: 8 for the accelerator, else 1."""
    return ACCELERATOR_BATCH_SIZE if tfm.algorithm.accelerated else 1


def crypto_acomp_driver_name(tfm):
    return tfm.algorithm.driver


def accelerator(driver="lz4-gpuacomp"):
    """The emulated device behind an accelerator driver (made on first use): its
    ``stats``, ``faults``, ``backend`` and settings."""
    algorithm = algorithms.lookup(driver)
    if not algorithm.accelerated:
        raise ValueError(f"{algorithm.driver} is a software driver: it has no device")
    with _lock:
        device = _devices.get(algorithm.driver)
        if device is None:
            from gpuacomp.engine import Accelerator
            device = Accelerator(algorithm.driver, **_settings.get(algorithm.driver, {}))
            _devices[algorithm.driver] = device
        return device


def configure(driver="lz4-gpuacomp", **settings):
    """Set attributes of an accelerator driver's device, as iaa_crypto's sysfs files.

    ``sync_mode`` ("sync", "async", "async_irq") and ``verify_compress`` apply at
    once.  ``device``, ``queue_depth``, ``queues``, ``candidates``, ``lazy`` and
    ``threads`` rebuild the device, so they need every transform of the driver freed.
    """
    unknown = set(settings) - set(_LIVE_SETTINGS) - set(_BUILD_SETTINGS)
    if unknown:
        raise TypeError(f"configure: unknown setting(s) {', '.join(sorted(unknown))}; "
                        f"known: {', '.join(_LIVE_SETTINGS + _BUILD_SETTINGS)}")
    from gpuacomp.engine.accelerator import check_sync_mode
    if "sync_mode" in settings:
        check_sync_mode(settings["sync_mode"])
    if not isinstance(settings.get("verify_compress", False), bool):
        raise TypeError(f"verify_compress must be a bool, got {settings['verify_compress']!r}")
    algorithm = algorithms.lookup(driver)
    rebuild = any(name in _BUILD_SETTINGS for name in settings)
    with _lock:
        if rebuild and _live_tfms.get(algorithm.driver):
            raise RuntimeError(f"configure({', '.join(sorted(settings))}): "
                               f"{_live_tfms[algorithm.driver]} transform(s) of "
                               f"{algorithm.driver} are allocated; free them first")
        _settings.setdefault(algorithm.driver, {}).update(settings)
        device = _devices.get(algorithm.driver)
        if rebuild:
            _devices.pop(algorithm.driver, None)
        elif device is not None:
            for name in _LIVE_SETTINGS:
                if name in settings:
                    setattr(device, name, settings[name])


def reset_configuration():
    """Forget every setting and device (for tests); no transform may be allocated."""
    with _lock:
        busy = {d: n for d, n in _live_tfms.items() if n}
        if busy:
            raise RuntimeError(f"reset_configuration: transforms still allocated: {busy}")
        _settings.clear()
        _devices.clear()


def _select(alg_name, want_sync):
    if not isinstance(alg_name, str):
        raise TypeError(f"alg_name must be a str, got {type(alg_name).__name__}")
    algorithm = algorithms.lookup(alg_name)
    if want_sync and algorithm.accelerated:
        candidates = [a for a in algorithms.available_algorithms()
                      if a.name == alg_name and not a.accelerated]
        if not candidates:
            raise ValueError(f"{alg_name!r} has no synchronous driver that can run here")
        algorithm = candidates[0]
    return algorithm
