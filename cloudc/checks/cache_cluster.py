"""ElastiCache cluster mode settings that cannot work.

Cluster mode spreads Redis/Valkey keys over shards (node groups); memcached has no cluster
mode, its nodes are independent already (E3257). `shards` with `cluster_mode: false` asks for
two things at once (E3258). A replication group has at most 500 nodes, shards times (1 +
replicas) (E3259):
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Replication.Redis-RedisCluster.html
"""

from __future__ import annotations

from collections.abc import Iterable

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code

NEEDS = "config"
MAX_NODES = 500
CODES = (
    Code("E3257", "cluster mode on a memcached cache",
         "cluster_mode and shards apply to redis and valkey; memcached spreads keys over "
         "`nodes` in the client"),
    Code("E3258", "shards on a cache with cluster_mode: false",
         "shards are node groups of a cluster-mode cache; drop `shards` or the "
         "`cluster_mode: false`"),
    Code("E3259", "a cluster-mode cache with more than 500 nodes",
         "shards x (1 + replicas) is the node count; an ElastiCache replication group has "
         "at most 500"),
)


def check(cx: CheckContext) -> Iterable[Finding]:
    """Report cluster-mode settings a cache cannot have."""
    for name, spec in cx.section("caches").items():
        path = ("caches", name)
        if spec.engine == "memcached":
            for key in ("cluster_mode", "shards"):
                if getattr(spec, key) not in (None, False):
                    yield Finding("E3257", "memcached has no cluster mode", path + (key,),
                                  hint="use `nodes` for more memcached nodes, or "
                                       "`engine: valkey` (or redis) for cluster mode")
            continue
        if spec.cluster_mode is False and spec.shards is not None:
            yield Finding("E3258", "`shards` needs cluster mode, and `cluster_mode` is false",
                          path + ("shards",),
                          hint="remove `shards` (one primary and `replicas` readers), or "
                               "remove `cluster_mode: false`")
        elif spec.clustered and spec.shards is not None:
            nodes = int(spec.shards) * (1 + int(spec.replicas))
            if nodes > MAX_NODES:
                yield Finding("E3259", f"{spec.shards} shards with {spec.replicas} replicas "
                              f"each is {nodes} nodes; a replication group has at most "
                              f"{MAX_NODES}", path + ("shards",),
                              hint="use fewer shards or replicas, or a larger node type")
