"""Seeds fix the numbers, whatever the task split or the number of Dask workers."""

import dataclasses

import numpy as np
import pytest

from sim import runner

from .conftest import football_config


def _same(a: runner.SimResults, b: runner.SimResults) -> bool:
    return all(
        np.array_equal(x, y)
        for x, y in zip(a.arrays().values(), b.arrays().values(), strict=True)
    )


def test_same_seed_gives_the_same_numbers_and_another_seed_does_not() -> None:
    """Two runs with one seed agree to the cent; a different seed changes them."""
    config = football_config()
    _, first = runner.run(config, 42, workers=1)
    _, again = runner.run(config, 42, workers=1)
    _, other = runner.run(config, 43, workers=1)
    assert _same(first, again)
    assert not np.array_equal(first.result, other.result)


def test_task_size_does_not_change_the_numbers() -> None:
    """Seasons drawn one per task or three per task give identical results."""
    config = football_config()
    _, one = runner.run(dataclasses.replace(config, seasons_per_task=1), 7, workers=1)
    _, three = runner.run(dataclasses.replace(config, seasons_per_task=3), 7, workers=1)
    assert _same(one, three)


def test_every_policy_faces_the_same_outcomes() -> None:
    """Common random numbers: the seasons' draws do not depend on the policy list."""
    config = football_config()
    _, full = runner.run(config, 3, workers=1)
    alone = dataclasses.replace(config, policies=config.policies[3:4])
    _, single = runner.run(alone, 3, workers=1)
    assert np.array_equal(full.result[3], single.result[0])


@pytest.mark.slow
def test_one_and_two_dask_workers_give_identical_numbers() -> None:
    """A LocalCluster of one worker and one of two reproduce the in-process run."""
    config = dataclasses.replace(football_config(), seasons=4)
    _, local = runner.run(config, 2024, workers=1)
    prep = runner.prepare(config)
    for workers in (1, 2):
        with runner.local_client(workers) as client:
            try:
                on_cluster = runner.run_on_cluster(prep, 2024, client)
            finally:
                client.cluster.close()
        assert _same(local, on_cluster), f"{workers} workers"
