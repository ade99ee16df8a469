"""Reaching Ray: one address setting, from the option (flag, environment or
leanagent.toml, through the CLI), the environment or Ray's own RAY_ADDRESS, in that
order; bad values name the fix and where they came from."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from database.errors import ConfigError
from leanagent.cli import main
from leanagent.distributed.settings import RaySettings, resolve_ray_settings


def test_precedence_option_env_ray_address() -> None:
    env = {"LEANAGENT_RAY_ADDRESS": "auto", "RAY_ADDRESS": "10.0.0.5:6379"}
    s = resolve_ray_settings("local", environ=env)
    assert (s.address, s.source, s.mode) == ("local", "--ray-address", "local")
    s = resolve_ray_settings(None, environ=env)
    assert (s.address, s.source, s.mode) == ("auto", "LEANAGENT_RAY_ADDRESS", "join")
    s = resolve_ray_settings(None, environ={"RAY_ADDRESS": "10.0.0.5:6379"})
    assert (s.address, s.source) == ("10.0.0.5:6379", "RAY_ADDRESS")  # what `ray job submit` sets
    s = resolve_ray_settings(None, environ={})
    assert s.address is None and s.mode == "auto-local"
    assert resolve_ray_settings("off", environ={}).mode == "off"


def test_a_dashboard_url_in_ray_address_is_not_ours() -> None:
    # Ray's job CLI reads the dashboard URL from RAY_ADDRESS too; leanagent ignores it there...
    s = resolve_ray_settings(None, environ={"RAY_ADDRESS": "http://127.0.0.1:8265"})
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


def _home(tmp_path: Path, toml: str) -> Path:
    root = tmp_path / "home"
    root.mkdir(parents=True, exist_ok=True)
    (root / "leanagent.toml").write_text(toml)
    return root


@pytest.mark.parametrize(
    ("toml", "code", "match"),
    [
        ("ray-address = 'http://x:8265'\n", 1, r"leanagent.toml:1 \(ray-address\) 'http://x:8265' is a dashboard"),
        ("ray-address = 'yes'\n", 1, r"leanagent.toml:1 \(ray-address\) 'yes' is not a Ray address"),
        ("ray-adress = 'auto'\n", 2, r"leanagent.toml:1: unknown key 'ray-adress'.*did you mean 'ray-address'"),
        ("ray-num-cpus = 'two'\n", 2, r"leanagent.toml:1: ray-num-cpus = \"two\" in the top level: expected an int"),
        ("[eval]\nray-num-cpus = 0\n", 2, r"leanagent.toml:2: ray-num-cpus = 0 in \[eval\] is not valid"),
        ("ray-object-store-memory = 1000\n", 2, r"leanagent.toml:1: .* is not valid .*78643200"),
    ],
)
def test_ray_settings_in_the_configuration_file_name_the_line(tmp_path: Path, toml: str, code: int,
                                                             match: str) -> None:
    home = _home(tmp_path, toml)
    res = CliRunner().invoke(main, ["--home", str(home), "eval"])
    assert res.exit_code == code, res.output
    assert re.search(match, " ".join(res.output.split())), res.output


def test_every_ray_setting_comes_from_the_file_flag_or_environment(tmp_path: Path, monkeypatch) -> None:
    """`leanagent config` shows the Ray settings of each heavy command with their source,
    and the command's runtime gets them (checked on the settings it resolves)."""
    home = _home(tmp_path, 'ray-address = "off"\nray-num-cpus = 3\n[run]\nray-temp-dir = "ray-tmp"\n')
    out = json.loads(CliRunner().invoke(main, ["--home", str(home), "config", "--json"]).stdout)
    for command in ("add", "crawl", "eval", "run"):
        assert out["commands"][command]["ray-address"]["value"] == "off", command
        assert out["commands"][command]["ray-num-cpus"]["where"] == f"{home / 'leanagent.toml'}:2"
    assert out["commands"]["run"]["ray-temp-dir"]["value"] == str(home / "ray-tmp")  # relative to the file

    import leanagent.distributed.runtime as runtime

    seen = []

    class Seen(Exception):
        pass

    def spy(settings, **kwargs):  # record what the command resolved; start nothing
        seen.append(settings)
        raise Seen

    monkeypatch.setattr(runtime, "ray_runtime", spy)
    CliRunner().invoke(main, ["--home", str(home), "eval"])
    assert (seen[-1].address, seen[-1].num_cpus, seen[-1].source) == ("off", 3, f"{home / 'leanagent.toml'}:1 "
                                                                      "(ray-address)")
    monkeypatch.setenv("LEANAGENT_RAY_ADDRESS", "local")
    CliRunner().invoke(main, ["--home", str(home), "eval", "--ray-num-cpus", "1"])
    assert (seen[-1].address, seen[-1].num_cpus, seen[-1].source) == ("local", 1, "LEANAGENT_RAY_ADDRESS")


def test_temp_dir_from_option_or_env(tmp_path: Path) -> None:
    env = {"LEANAGENT_RAY_TMPDIR": "/fast/ray"}
    assert resolve_ray_settings(None, environ=env).temp_dir == Path("/fast/ray")
    assert resolve_ray_settings(None, environ=env, temp_dir=Path("/x")).temp_dir == Path("/x")
