"""Reaching Ray: one address setting, from the flag, the environment, the home's config
file or Ray's own RAY_ADDRESS, in that order; bad values name the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from database.errors import ConfigError
from leanagent.distributed.settings import RaySettings, resolve_ray_settings


def _home(tmp_path: Path, toml: str | None = None) -> Path:
    root = tmp_path / "home"
    root.mkdir(parents=True, exist_ok=True)
    if toml is not None:
        (root / "config.toml").write_text(toml)
    return root


def test_precedence_flag_env_config_ray_address(tmp_path: Path) -> None:
    home = _home(tmp_path, '[ray]\naddress = "ray://head:10001"\nnum_cpus = 3\n')
    env = {"LEANAGENT_RAY_ADDRESS": "auto", "RAY_ADDRESS": "10.0.0.5:6379"}
    s = resolve_ray_settings("local", home_root=home, environ=env)
    assert (s.address, s.source, s.mode) == ("local", "--ray-address", "local")
    s = resolve_ray_settings(None, home_root=home, environ=env)
    assert (s.address, s.source, s.mode) == ("auto", "LEANAGENT_RAY_ADDRESS", "join")
    s = resolve_ray_settings(None, home_root=home, environ={"RAY_ADDRESS": "10.0.0.5:6379"})
    assert s.address == "ray://head:10001" and s.source.endswith("[ray] address") and s.num_cpus == 3
    s = resolve_ray_settings(None, home_root=_home(tmp_path / "b"), environ={"RAY_ADDRESS": "10.0.0.5:6379"})
    assert (s.address, s.source) == ("10.0.0.5:6379", "RAY_ADDRESS")  # what `ray job submit` sets
    s = resolve_ray_settings(None, home_root=_home(tmp_path / "c"), environ={})
    assert s.address is None and s.mode == "auto-local"
    assert resolve_ray_settings("off", environ={}).mode == "off"


def test_a_dashboard_url_in_ray_address_is_not_ours(tmp_path: Path) -> None:
    # Ray's job CLI reads the dashboard URL from RAY_ADDRESS too; leanagent ignores it there...
    s = resolve_ray_settings(None, home_root=_home(tmp_path), environ={"RAY_ADDRESS": "http://127.0.0.1:8265"})
    assert s.address is None
    # ...but refuses it where the user gave it to leanagent, saying which address to use.
    with pytest.raises(ConfigError, match=r"dashboard.*ray://HOST:10001"):
        resolve_ray_settings("http://127.0.0.1:8265", environ={})


@pytest.mark.parametrize("bad", ["localhost", "ray:/x", "head:port", "127.0.0.1:6379 --x", "yes"])
def test_bad_addresses_are_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="not a Ray address"):
        RaySettings(address=bad, source="--ray-address")


@pytest.mark.parametrize("good", ["auto", "local", "off", "ray://head:10001", "ray://10.1.2.3", "head-0:6379",
                                  "[::1]:6379"])
def test_good_addresses(good: str) -> None:
    assert RaySettings(address=good).address == good


@pytest.mark.parametrize(
    ("toml", "match"),
    [
        ("[ray\n", "cannot read it as TOML"),
        ('ray = "auto"\n', "must be a table"),
        ("[ray]\nadress = 'auto'\n", "unknown key.*adress"),
        ("[ray]\nnum_cpus = 'two'\n", "num_cpus must be an integer"),
        ("[ray]\nnum_cpus = 0\n", "num_cpus must be >= 1"),
        ("[ray]\naddress = 'http://x:8265'\n", "dashboard"),
    ],
)
def test_config_file_errors_name_the_file_and_key(tmp_path: Path, toml: str, match: str) -> None:
    home = _home(tmp_path, toml)
    with pytest.raises(ConfigError, match=match) as info:
        resolve_ray_settings(None, home_root=home, environ={})
    if "TOML" in match or "table" in match or "key" in match:
        assert str(home / "config.toml") in str(info.value)


def test_temp_dir_from_flag_env_or_config(tmp_path: Path) -> None:
    home = _home(tmp_path, '[ray]\ntemp_dir = "/scratch/ray"\n')
    assert resolve_ray_settings(None, home_root=home, environ={}).temp_dir == Path("/scratch/ray")
    env = {"LEANAGENT_RAY_TMPDIR": "/fast/ray"}
    assert resolve_ray_settings(None, home_root=home, environ=env).temp_dir == Path("/fast/ray")
    assert resolve_ray_settings(None, home_root=home, environ=env, temp_dir=Path("/x")).temp_dir == Path("/x")
