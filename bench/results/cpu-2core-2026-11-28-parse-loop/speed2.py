import sys, time, statistics
import numpy as np
from gpuacomp.backends.deflate_cpu import DeflateCPUBackend
from gpuacomp.backends.cpu import CPUBackend
out = []
lazy_ok = len(sys.argv) > 2
for f in ("node-heap", "python-heap"):
    pages = np.fromfile(f"/work/shared/corpus/memory/{f}.pages", np.uint8).reshape(-1, 4096)
    for name, b in (("deflate-iaa", DeflateCPUBackend("fixed", threads=1)), ("dynamic", DeflateCPUBackend("dynamic", threads=1)), ("lz4", CPUBackend(threads=1))):
        for lazy in ((False, True) if lazy_ok else (False,)):
            args = (pages, 4096 + 64, 4, True) if lazy else (pages, 4096 + 64, 4)
            b.compress(pages[:8], *args[1:])
            ts = []
            for _ in range(7):
                t = time.perf_counter(); d, l = b.compress(*args); ts.append(time.perf_counter() - t); del d
            out.append(f"{f} {name}{' lazy' if lazy else ''} {pages.nbytes / statistics.median(ts) / 1e6:.0f}")
print(sys.argv[1], "; ".join(out), flush=True)
