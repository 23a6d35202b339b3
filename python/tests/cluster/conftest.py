"""The cluster tests share one local Ray cluster (a few actors on this
machine), started once per session. ctest runs them as python_cluster_tests."""
import os

import pytest

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
import ray  # noqa: E402

import hvdb  # noqa: E402
import hvdb.cluster  # noqa: E402


@pytest.fixture(scope="session")
def local_ray():
    # Logical CPUs (Ray starts a worker per CPU up front, so few); shard
    # actors hold none by default. The object store is kept small for a small VM.
    ray.init(num_cpus=4, include_dashboard=False, logging_level="ERROR",
             object_store_memory=128 << 20, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture
def open_cluster(local_ray, tmp_path):
    """open_cluster(shards=..., name=...) opens a cluster under tmp_path; all
    are closed after the test."""
    opened = []

    def opener(name="cluster", **options):
        options.setdefault("sync", False)
        options.setdefault("timeout", 60.0)
        cluster = hvdb.cluster.open(tmp_path / name, **options)
        opened.append(cluster)
        return cluster

    yield opener
    for cluster in opened:
        cluster.close()

