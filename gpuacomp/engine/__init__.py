"""The emulated accelerator behind both APIs: queues, descriptors, completion records,
the engine thread, verify, software fallback, statistics and fault injection."""

from gpuacomp.engine.accelerator import DEFAULT_QUEUE_DEPTH, SYNC_MODES, Accelerator
from gpuacomp.engine.descriptor import CompletionRecord
from gpuacomp.engine.faults import DeviceLost, FaultInjector

__all__ = ["Accelerator", "CompletionRecord", "DEFAULT_QUEUE_DEPTH", "DeviceLost",
           "FaultInjector", "SYNC_MODES"]
