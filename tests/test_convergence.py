"""Convergence under failure: real instances edit apart over links that break,
processes that stop or die, and still end with the same calendar and nothing
acknowledged lost (see tests/convergence.py, docs/reliability.md).

Default: 5 instances, 300 operations. `--long` (or CONVERGENCE_LONG=1): 6
instances, 2,000 operations. CONVERGENCE_SEED=N replays a schedule."""

import json
import os
import random

import pytest

from tests.convergence import Swarm

pytestmark = pytest.mark.slow


@pytest.mark.postgres_too
def test_replicas_converge_and_lose_nothing_acknowledged(tmp_path, instance_template, long_mode, databases_for):
    seed = int(os.environ.get("CONVERGENCE_SEED") or random.randrange(10**6))
    n, operations = (6, 2000) if long_mode else (5, 300)
    swarm = Swarm(tmp_path, n=n, seed=seed, extra_links=3 if long_mode else 2, template=instance_template,
                  databases_for=databases_for)
    print(f"convergence seed {seed} (replay: CONVERGENCE_SEED={seed}), {n} instances, {operations} operations")
    try:
        swarm.start()
        swarm.run(operations=operations, per_batch=8 if long_mode else 4)
        figures = swarm.heal_and_check(timeout=240 if long_mode else 120)
    except AssertionError as e:
        raise AssertionError(f"[CONVERGENCE_SEED={seed}] {e}") from e
    finally:
        swarm.close()
    print("convergence figures", json.dumps(figures.as_dict()))
    assert figures.acknowledged > operations // 2
    assert sum(figures.faults.values()) > 0
