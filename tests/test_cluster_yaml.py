"""ray_cluster.yaml passes Ray's own config preparation and schema validation (offline),
and says what leanagent needs: a head, GPU workers, leanagent with its ML extra, elan,
and the leanagent home mounted on every node."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
pytest.importorskip("ray")
pytest.importorskip("jsonschema")

CONFIG = Path(__file__).resolve().parent.parent / "ray_cluster.yaml"


def _prepared(raw: dict) -> dict:
    # Ray's private API (ray.autoscaler._private.util): what `ray up` runs first. It reads
    # the provider's defaults from the installed package; no cloud call is made.
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = prepare_config(copy.deepcopy(raw))
    validate_config(config)
    return config


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(CONFIG.read_text())


def test_ray_prepares_and_validates_the_config(raw: dict) -> None:
    config = _prepared(raw)
    types = config["available_node_types"]
    head = config["head_node_type"]
    assert head in types and types[head]["resources"].get("GPU", 0) == 0
    gpu_types = [n for n, t in types.items() if n != head and t["resources"].get("GPU", 0) >= 1]
    assert gpu_types, "no worker node type declares GPUs in its resources"
    assert all(types[n]["max_workers"] >= 1 for n in gpu_types)
    setup = "\n".join(config["setup_commands"])
    assert "elan-init.sh" in setup and "--default-toolchain none" in setup
    assert "[ml,ray]" in setup and "pip install" in setup
    mounts = config["file_mounts"]
    home_mount = [remote for remote in mounts if remote.endswith("leanagent-home")]
    assert home_mount and "LEANAGENT_HOME=" + home_mount[0] in setup


@pytest.mark.parametrize(
    ("break_it", "match"),
    [
        (lambda c: c.update(head_node_type="nope"), "head_node_type"),
        (lambda c: c["available_node_types"]["gpu_worker"].update(resources="one GPU"), "not of type 'object'"),
        (lambda c: c.update(max_workers=-1), "less than the minimum"),
        (lambda c: c["available_node_types"]["head"].update(unknown_field=1), "unknown_field"),
        (lambda c: c["available_node_types"]["gpu_worker"].update(min_workers=9), "max_workers"),
    ],
)
def test_validation_catches_a_broken_config(raw: dict, break_it, match: str) -> None:
    from jsonschema import ValidationError

    broken = copy.deepcopy(raw)
    break_it(broken)
    with pytest.raises((ValidationError, ValueError), match=match):
        _prepared(broken)
