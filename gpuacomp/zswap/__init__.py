"""A reference model of zswap on the acomp facade (``ZswapPool``), and its workload
(``python -m gpuacomp.zswap``)."""

from gpuacomp.zswap.pool import COUNTERS, POLICIES, ZswapPool

__all__ = ["COUNTERS", "POLICIES", "ZswapPool"]
