"""leanagent.toml and the environment: every option of every command settable, click's
precedence (flag > environment > file > default), errors that name the file's line,
`leanagent config`, and what runs and checkpoints record."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import pytest
from click.core import ParameterSource
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from leanagent.cli import main
from leanagent.cli.configfile import (
    CONFIG_PARAM,
    bind_environment,
    option_envvars,
    option_key,
    settable,
    walk,
)
from leanagent.config import key_lines

ROOT = Path(__file__).resolve().parents[1]

# Options whose callback accepts only some strings need a sample here (none so far):
# {("command", "path"): {"--flag": ("file value", "env value", "flag value")}}.
SAMPLES: dict[tuple[str, ...], dict[str, tuple[str, str, str]]] = {}

OPTIONS = [(path, option) for path, command in walk(main) for option in settable(command)]


def _id(item: tuple[tuple[str, ...], click.Option]) -> str:
    path, option = item
    return " ".join(("leanagent", *path, "--" + option_key(option)))


def _command(path: tuple[str, ...]) -> click.Command:
    return dict(walk(main))[path]  # walked each time: a test registers a command late


def _arguments(command: click.Command, tmp: Path, but: str | None = None) -> list[str]:
    """Placeholder values for a command's required arguments and options (parsing only),
    except for the option called ``but``."""
    out = []
    for p in command.params:
        if p.required and p.name != but:
            value = str(tmp) if isinstance(p.type, click.Path) and p.type.exists else "1"
            out.extend([value] if isinstance(p, click.Argument) else [p.opts[0], value])
    return out


def parse(path: tuple[str, ...], tmp: Path, root_args: Sequence[str] = (), args: Sequence[str] = (),
          but: str | None = None) -> click.Context:
    """The context of the command at ``path`` as click builds it for ``leanagent
    ROOT_ARGS PATH... ARGS`` (ARGS go to the root when ``path`` is empty), down to the
    parsed parameters, without running anything."""
    bind_environment(main)
    if not path:  # some command name must follow, or the group would print its help
        return main.make_context("leanagent", [*root_args, *args, sorted(main.commands)[0]])
    ctx = main.make_context("leanagent", [*root_args, path[0]])
    for i, name in enumerate(path):
        command = _command(path[: i + 1])
        last = i == len(path) - 1
        ctx = command.make_context(name, [*args, *_arguments(command, tmp, but)] if last else [], parent=ctx)
    return ctx


def _table(path: tuple[str, ...], key: str, toml_value: str) -> str:
    return (f"[{'.'.join(path)}]\n" if path else "") + f"{key} = {toml_value}\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def _accepts(option: click.Option, value: Any) -> bool:
    try:
        option.type_cast_value(click.Context(main), value)
    except click.BadParameter:
        return False
    return True


class Sample:
    """Three distinct values for an option, as file value, environment string and flags."""

    file: Any
    env: str
    flags: list[str]
    expected: tuple[Any, Any, Any] | None

    def __init__(self, path: tuple[str, ...], option: click.Option, tmp: Path) -> None:
        self.option = option
        flag = next(o for o in option.opts if o.startswith("--")) if any(
            o.startswith("--") for o in option.opts) else option.opts[0]
        t = option.type
        special = SAMPLES.get(path, {}).get(flag)
        self.file_is_relative = False
        if special is not None:
            raw: list[Any] = list(special)
        elif option.is_flag and option.is_bool_flag:
            # file true, environment false, flag true again (a plain flag can only say true)
            self.file, self.env, self.flags = True, "0", [option.opts[0]]
            self.expected = (True, False, True)
            return
        elif option.count:
            self.file, self.env, self.flags = 1, "2", [option.opts[0]] * 3
            self.expected = (1, 2, 3)
            return
        elif isinstance(t, click.Choice):
            choices = [c for c in t.choices if c != option.default] + [c for c in t.choices if c == option.default]
            raw = [choices[0], choices[1 % len(choices)], choices[2 % len(choices)]]
        elif isinstance(t, click.types.IntParamType):
            low = getattr(t, "min", None)
            start = -5 if low is None else int(low)  # an IntRange's own lower bound
            raw = [v for v in range(start, start + 60) if _accepts(option, v) and v != option.default][:3]
        elif isinstance(t, click.types.FloatParamType):
            raw = [v for v in (0.125, 0.25, 0.375, 1.5, 2.5, 7.0) if _accepts(option, v) and v != option.default][:3]
        elif isinstance(t, click.Path):
            raw = ["from-file", str(tmp / "from-env"), str(tmp / "from-flag")]
            self.file_is_relative = True
            for made in ("from-file", "from-env", "from-flag"):  # for options that want them to exist
                if t.dir_okay:
                    (tmp / made).mkdir()
                else:
                    (tmp / made).touch()
        elif isinstance(t, click.types.StringParamType):
            raw = ["from-file", "from-env", "from-flag"]
        else:
            pytest.fail(f"no sample values for {_id((path, option))} ({t!r}): add some to SAMPLES")
        assert len(raw) == 3, f"cannot find three valid values for {_id((path, option))}"
        if option.nargs != 1:
            pytest.fail(f"{_id((path, option))} takes {option.nargs} values: teach this test to build samples")
        file_value = raw[0]
        self.file = [file_value] if option.multiple else file_value
        self.env = str(raw[1])
        # what the flag spelling of each value gives is what the file and variable must give
        file_flag = str(tmp / raw[0]) if self.file_is_relative else str(raw[0])
        self.file_as_flags = [flag, file_flag]
        self.env_as_flags = [flag, str(raw[1])]
        self.flags = [flag, str(raw[2])]
        self.expected = None  # taken from parsing the flag spellings


@pytest.mark.parametrize("item", OPTIONS, ids=_id)
def test_every_option_is_settable_from_the_file_and_precedence_holds(item, tmp_path, monkeypatch):
    """For each option of each command: the file sets it (to exactly what the flag
    spelling of the value gives), the environment beats the file, a flag beats both, and
    without any of them the default applies."""
    path, option = item
    name = str(option.name)
    sample = Sample(path, option, tmp_path)
    config = tmp_path / "leanagent.toml"
    config.write_text(_table(path, option_key(option), _toml(sample.file)))
    given = ["--config", str(config)]
    bind_environment(main)
    envvar = option_envvars(option)[0]

    def value(ctx: click.Context) -> Any:
        return ctx.params[name]

    if sample.expected is None:
        want_file = value(parse(path, tmp_path, args=sample.file_as_flags, but=name))
        want_env = value(parse(path, tmp_path, args=sample.env_as_flags, but=name))
        want_flag = value(parse(path, tmp_path, args=sample.flags, but=name))
    else:
        want_file, want_env, want_flag = sample.expected

    if not option.required:
        default = parse(path, tmp_path)
        assert default.get_parameter_source(name) == ParameterSource.DEFAULT
        assert want_file != value(default)
    from_file = parse(path, tmp_path, root_args=given, but=name)
    assert from_file.get_parameter_source(name) == ParameterSource.DEFAULT_MAP
    assert value(from_file) == want_file
    monkeypatch.setenv(envvar, sample.env)
    from_env = parse(path, tmp_path, root_args=given, but=name)
    assert from_env.get_parameter_source(name) == ParameterSource.ENVIRONMENT
    assert value(from_env) == want_env and want_env != want_file
    from_flag = parse(path, tmp_path, root_args=given, args=sample.flags, but=name)
    assert from_flag.get_parameter_source(name) == ParameterSource.COMMANDLINE
    assert value(from_flag) == want_flag


# -- shared keys, the tree's consistency --------------------------------------------------------


def _write(tmp: Path, text: str, name: str = "leanagent.toml") -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def test_a_top_level_key_applies_to_every_command_with_that_option(tmp_path, monkeypatch):
    config = _write(tmp_path, 'device = "cpu"\n[run]\ndevice = "cuda:1"\n[checkpoints]\njson = true\n')
    given = ["--config", str(config)]
    having = [path for path, cmd in walk(main) if any(option_key(o) == "device" for o in settable(cmd))]
    assert {("train",), ("eval",), ("retrieve",), ("run",)} <= set(having)
    commands = dict(walk(main))
    for path in having:
        # the retriever's options are `cfg_device`; a command's own (prove's) may be `device`
        param = next(o.name for o in settable(commands[path]) if option_key(o) == "device")
        assert param is not None
        ctx = parse(path, tmp_path, root_args=given)
        assert ctx.params[param] == ("cuda:1" if path == ("run",) else "cpu"), path
        assert ctx.get_parameter_source(param) == ParameterSource.DEFAULT_MAP
    # a group's table reaches the group's own option and those of the commands below it
    for path in (("checkpoints",), ("checkpoints", "list"), ("checkpoints", "show")):
        assert parse(path, tmp_path, root_args=given).params["as_json"] is True, path
    assert parse(("runs", "list"), tmp_path, root_args=given).params["as_json"] is False
    # the shared variable beats the file; the command's own variable beats the shared one
    monkeypatch.setenv("LEANAGENT_DEVICE", "cuda:2")
    assert parse(("eval",), tmp_path, root_args=given).params["cfg_device"] == "cuda:2"
    assert parse(("run",), tmp_path, root_args=given).params["cfg_device"] == "cuda:2"
    monkeypatch.setenv("LEANAGENT_RUN_DEVICE", "cuda:3")
    assert parse(("run",), tmp_path, root_args=given).params["cfg_device"] == "cuda:3"
    assert parse(("eval",), tmp_path, root_args=given).params["cfg_device"] == "cuda:2"


def test_environment_names_are_unique_and_keys_unambiguous():
    """Each option's own variable names it alone; a shared name never shadows another
    option's own; no group has an option named like one of its commands (their defaults
    would share a key in click's default_map)."""
    bind_environment(main)
    own: dict[str, str] = {}
    for path, command in walk(main):
        keys = [option_key(o) for o in settable(command)]
        assert len(keys) == len(set(keys)), (path, keys)
        if isinstance(command, click.Group):
            assert not {str(p.name) for p in command.params} & set(command.commands), path
        for option in settable(command):
            names = option_envvars(option)
            assert names, _id((path, option))
            assert names[0] not in own, (names[0], own.get(names[0]), _id((path, option)))
            own[names[0]] = _id((path, option))
    for path, command in walk(main):
        for option in settable(command):
            for shared in option_envvars(option)[1:]:
                assert shared not in own, (shared, own[shared], _id((path, option)))
    home = next(p for p in main.params if p.name == "home")
    assert isinstance(home, click.Option) and option_envvars(home) == ["LEANAGENT_HOME"]
    config = next(p for p in main.params if p.name == CONFIG_PARAM)
    assert isinstance(config, click.Option) and config.envvar == "LEANAGENT_CONFIG"


def test_an_option_with_its_own_envvar_keeps_it(tmp_path, monkeypatch):
    @click.command("probe")
    @click.option("--mine", envvar="MY_OWN_VAR", default="d", help="An option whose author chose its variable.")
    @click.option("--other", default="d", help="An option without one.")
    def probe(mine: str, other: str) -> None:
        """A command registered late, as a plugin would be."""

    main.add_command(probe)
    try:
        config = _write(tmp_path, '[probe]\nmine = "file"\nother = "file"\n')
        monkeypatch.setenv("MY_OWN_VAR", "env")
        monkeypatch.setenv("LEANAGENT_PROBE_OTHER", "env")
        ctx = parse(("probe",), tmp_path, root_args=["--config", str(config)])
        assert ctx.params == {"mine": "env", "other": "env"}
        monkeypatch.setenv("LEANAGENT_PROBE_MINE", "ignored")
        monkeypatch.delenv("MY_OWN_VAR")
        assert parse(("probe",), tmp_path, root_args=["--config", str(config)]).params["mine"] == "file"
    finally:
        del main.commands["probe"]


# -- which file --------------------------------------------------------------------------------


def _json(res) -> Any:
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_the_homes_file_is_read_and_config_replaces_it(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    _write(home, "[repos]\njson = true\n")
    runner = CliRunner()
    assert _json(runner.invoke(main, ["--home", str(home), "repos"])) == []
    monkeypatch.setenv("LEANAGENT_HOME", str(home))
    assert _json(runner.invoke(main, ["repos"])) == []
    # --config: the home's file is not read at all
    other = _write(tmp_path, "[repos]\njson = false\n", "other.toml")
    res = runner.invoke(main, ["--config", str(other), "repos"])
    assert res.exit_code == 0 and res.stdout == "" and "no repositories yet" in res.stderr
    monkeypatch.setenv("LEANAGENT_CONFIG", str(other))
    assert runner.invoke(main, ["repos"]).stdout == ""
    res = runner.invoke(main, ["--config", "/dev/null", "repos"])
    assert res.exit_code == 0 and res.stdout == ""


def test_a_given_file_may_set_the_home_relative_to_itself(tmp_path, monkeypatch):
    confdir = tmp_path / "conf"
    confdir.mkdir()
    config = _write(confdir, 'home = "state"\n', "mine.toml")
    monkeypatch.chdir(tmp_path)
    out = _json(CliRunner().invoke(main, ["--config", str(config), "config", "--json"]))
    assert out["home"] == str((confdir / "state").resolve())
    assert out["commands"][""]["home"]["source"] == "file"
    assert out["commands"][""]["home"]["where"] == f"{config}:1"
    # flag and environment still win over the file
    out = _json(CliRunner().invoke(main, ["--config", str(config), "--home", str(tmp_path / "h"), "config",
                                          "--json"]))
    assert out["home"] == str((tmp_path / "h").resolve()) and out["commands"][""]["home"]["source"] == "flag"


# -- errors name the file's line ------------------------------------------------------------------


BAD = [
    ("[run]\nepochs = 2\nepoch = 3\n", 3, "unknown key 'epoch' in [run]; did you mean 'epochs'?"),
    ("[runn]\nepochs = 3\n", 1, "unknown key 'runn' in the top level; did you mean 'run'?"),
    ("verbose = 1\n\n[checkpoints.lisst]\njson = true\n", 3, "unknown key 'lisst' in [checkpoints]"),
    ("[run]\nepochs = \"3\"\n", 2, 'epochs = "3" in [run]: expected an integer'),
    ("[run]\nlength-buckets = 1\n", 2, "length-buckets = 1 in [run]: expected true or false"),
    ("[run]\nlr = true\n", 2, "lr = true in [run]: expected a number"),
    ("[eval]\nrepos = [\"a\", 2]\n", 2, 'repos = ["a", 2] in [eval]: expected a string or a list of them'),
    ("[run]\n# comment\nstrategy = \"fast\"\n", 3, "is not valid for `leanagent run --strategy`"),
    ("[retrieve]\nk = 0\n", 2, "is not valid for `leanagent retrieve --k`"),
    ("run = { epochs = 3, epoch = 4 }\n", 1, "unknown key 'epoch' in [run]"),
    ("[[run]]\nepochs = 3\n", 1, "run must be a table ([run])"),
    ("run.strategy = 'naive'\nrun.ordr = 'given'\n", 2, "unknown key 'ordr' in [run]; did you mean 'order'?"),
    ("config = \"x.toml\"\n", 1, "'config' cannot be set in a configuration file"),
    ("[run]\nname = \"\"\"a\nb\"\"\"\n\nbasis = 3\n", 5, "basis = 3 in [run]: expected one of \"own\", \"global\""),
    ("[run\nepochs = 3\n", 1, "not valid TOML"),
    ("a = 1\na = 2\n", 2, "not valid TOML"),
]


@pytest.mark.parametrize("text,line,message", BAD, ids=[m for _, _, m in BAD])
def test_bad_files_are_refused_with_the_line_before_any_work(tmp_path, text, line, message):
    config = _write(tmp_path, text)
    home = tmp_path / "home"
    res = CliRunner().invoke(main, ["--home", str(home), "--config", str(config), "add",
                                    str(ROOT / "tests" / "fixtures" / "exports" / "leanagent_toy")])
    assert res.exit_code == 2, res.output
    assert f"{config}:{line}: " in res.output and message in res.output, res.output
    assert not home.exists()  # nothing was written


def test_the_homes_file_cannot_move_the_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    config = _write(home, 'home = "/elsewhere"\n')
    res = CliRunner().invoke(main, ["--home", str(home), "repos"])
    assert res.exit_code == 2 and f"{config}:1: `home` cannot be set in the home's own" in res.output
    assert "--config FILE" in res.output


def test_a_missing_or_unreadable_file_is_an_error(tmp_path):
    res = CliRunner().invoke(main, ["--config", str(tmp_path / "nope.toml"), "repos"])
    assert res.exit_code == 2 and "nope.toml: no such file (given by --config)" in res.output
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'name = "caf\xe9"\n')
    res = CliRunner().invoke(main, ["--config", str(bad), "repos"])
    assert res.exit_code == 2 and "latin1.toml: not UTF-8 text" in res.output


def test_a_value_the_command_refuses_says_where_it_came_from(tmp_path, monkeypatch):
    config = _write(tmp_path, "[train]\nmax-length = 64\nepochs = 0\n")
    res = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "--config", str(config), "train"])
    assert res.exit_code == 2
    assert "epochs must be >= 1, got 0 (--epochs)" in res.output
    assert f"--epochs was not given: its value comes from {config}:3 (train.epochs)" in res.output
    monkeypatch.setenv("LEANAGENT_TRAIN_EPOCHS", "abc")
    res = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "--config", str(config), "train"])
    assert res.exit_code == 2 and "'abc' is not a valid integer" in res.output
    assert "its value comes from the environment (LEANAGENT_TRAIN_EPOCHS)" in res.output
    # typed on the command line, no note
    res = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "train", "--epochs", "0"])
    assert res.exit_code == 2 and "was not given" not in res.output


# -- key lines ----------------------------------------------------------------------------------


def test_key_lines_of_a_realistic_file():
    text = (
        "# leanagent\n"                       # 1
        'home = "/x"   # trailing [comment]\n'  # 2
        "[run]\n"                              # 3
        "epochs = 3\n"                         # 4
        '"max-length" = 4\n'                   # 5
        'name = """multi\n'                    # 6
        "line = 5\n"                           # 7
        '"""\n'                                # 8
        "repos = [\n"                          # 9
        '  "a", # c [\n'                       # 10
        "  'b]',\n"                            # 11
        "]\n"                                  # 12
        "seed.x = 1\n"                         # 13
        "[ checkpoints . 'list' ]\n"           # 14
        "json = true\n"                        # 15
    )
    tomllib.loads(text)
    lines = key_lines(text)
    assert lines[("home",)] == 2 and lines[("run",)] == 3 and lines[("run", "epochs")] == 4
    assert lines[("run", "max-length")] == 5 and lines[("run", "name")] == 6
    assert ("run", "line") not in lines and lines[("run", "repos")] == 9 and lines[("run", "seed", "x")] == 13
    assert lines[("checkpoints", "list")] == 14 and lines[("checkpoints", "list", "json")] == 15


_keys = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
_tricky = st.text(alphabet=st.sampled_from(list("ab =#[]{}'\",.\\\n")), max_size=12)


@st.composite
def _values(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["int", "basic", "literal", "multi", "multilit", "array", "inline", "bool"]))
    s = draw(_tricky)
    if kind == "int":
        return str(draw(st.integers(-10**6, 10**6)))
    if kind == "bool":
        return draw(st.sampled_from(["true", "false"]))
    if kind == "basic":
        return json.dumps(s.replace("\n", " "))
    if kind == "literal":
        return "'" + s.replace("'", "").replace("\n", " ") + "'"
    if kind == "multi":
        return '"""' + s.replace("\\", "\\\\").replace('"', '\\"') + '"""'
    if kind == "multilit":
        return "'''" + s.replace("'", "") + "'''"
    if kind == "array":
        items = draw(st.lists(st.sampled_from(["1", json.dumps(s), "[2, 3]", "'x'"]), max_size=3))
        return "[\n  " + ",  # c ]\n  ".join(items) + "\n]"
    return "{ a = 1, b = " + json.dumps(s) + " }"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_keys, st.lists(st.tuples(_keys, _values()), max_size=4, unique_by=lambda kv: kv[0])),
                min_size=1, max_size=4, unique_by=lambda t: t[0]))
def test_key_lines_finds_every_key_of_generated_files(tables):
    out: list[str] = []
    expected: dict[tuple[str, ...], int] = {}
    for name, pairs in tables:
        out.append(f"[{name}]  # table")
        expected[(name,)] = len(out)
        for key, value in pairs:
            out.append("")
            out.append(f"{key} = {value}")
            expected[(name, key)] = len(out)
            out.extend([""] * 0)
            out[-1:] = out[-1].split("\n")  # the value may span lines: count them
    text = "\n".join(out) + "\n"
    tomllib.loads(text)
    lines = key_lines(text)
    for keys, line in expected.items():
        assert lines.get(keys) == line, (keys, text)


# -- leanagent config ---------------------------------------------------------------------------


def test_config_shows_each_value_and_its_source(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    config = _write(home, "verbose = 1\ndevice = \"cpu\"\n\n[run]\nepochs = 3\nrepos = \"a,b\"\n")
    monkeypatch.setenv("LEANAGENT_RUN_LR", "0.5")
    monkeypatch.setenv("LEANAGENT_REPORT_WINDOW", "oops")
    res = CliRunner().invoke(main, ["--home", str(home), "config"])
    assert res.exit_code == 0, res.output
    text = res.stdout
    flat = " ".join(text.split())  # values are aligned in columns
    assert f"# configuration file: {config} (in the home)" in text
    assert f"# home in effect: {home.resolve()}" in text
    assert f'home = "{home.resolve()}" # flag --home' in flat
    assert f"verbose = 1 # file {config}:1" in flat
    assert f"[run] repos = [\"a\", \"b\"] # file {config}:6" in flat  # as the command sees it (split)
    assert f"epochs = 3 # file {config}:5" in flat
    assert "lr = 0.5 # environment LEANAGENT_RUN_LR" in flat
    assert "# window = # environment LEANAGENT_REPORT_WINDOW: invalid, the command will refuse it" in flat
    assert 'strategy = "progressive" # default' in flat
    assert "# max-length = # default: 128" in flat  # unset: the library's default applies
    parsed = tomllib.loads(text)  # the text form is a configuration file
    assert parsed["run"]["epochs"] == 3 and parsed["eval"]["device"] == "cpu"
    assert parsed["run"]["repos"] == ["a", "b"]

    data = _json(CliRunner().invoke(main, ["--home", str(home), "config", "--json"]))
    assert data["file"] == {"path": str(config), "exists": True, "selected_by": "home"}
    assert data["home"] == str(home.resolve())
    run = data["commands"]["run"]
    assert run["epochs"] == {"option": "--epochs", "value": 3, "source": "file", "where": f"{config}:5",
                             "env": ["LEANAGENT_RUN_EPOCHS", "LEANAGENT_EPOCHS"], "default_note": "2",
                             "error": None}
    assert run["device"]["source"] == "file" and run["device"]["where"] == f"{config}:2"
    assert run["lr"]["source"] == "environment" and run["lr"]["where"] == "LEANAGENT_RUN_LR"
    assert data["commands"][""]["home"]["source"] == "flag" and data["commands"][""]["home"]["where"] == "--home"
    assert data["commands"]["report"]["window"]["error"].startswith("LEANAGENT_REPORT_WINDOW='oops'")
    every = {(cmd, key) for cmd, keys in data["commands"].items() for key in keys}
    assert every == {(" ".join(p), option_key(o)) for p, o in OPTIONS}


def test_config_output_round_trips_as_a_file(tmp_path):
    """`leanagent config > f` then `leanagent --config f config` gives the same values."""
    home = tmp_path / "home"
    home.mkdir()
    _write(home, "[run]\nepochs = 3\nprecision = \"fp32\"\n[checkpoints.list]\njson = true\n")
    first = CliRunner().invoke(main, ["--home", str(home), "config"])
    assert first.exit_code == 0, first.output
    copy = _write(tmp_path, first.stdout.replace(f'home = "{home.resolve()}"', ""), "copy.toml")
    again = _json(CliRunner().invoke(main, ["--home", str(home), "--config", str(copy), "config", "--json"]))
    before = _json(CliRunner().invoke(main, ["--home", str(home), "config", "--json"]))
    values = lambda d: {(c, k): v["value"] for c, keys in d["commands"].items() for k, v in keys.items()}  # noqa: E731
    assert values(again) == values(before)
    assert again["commands"]["run"]["strategy"]["source"] == "file"  # every printed value is now in the file


def test_config_of_one_command(tmp_path):
    out = _json(CliRunner().invoke(main, ["config", "checkpoints", "--json"]))
    assert set(out["commands"]) == {"checkpoints", "checkpoints list", "checkpoints show"}
    out = _json(CliRunner().invoke(main, ["config", "checkpoints", "list", "--json"]))
    assert set(out["commands"]) == {"checkpoints list"}
    res = CliRunner().invoke(main, ["config", "nope"])
    assert res.exit_code == 2 and "`leanagent nope` is not a command" in res.output
    res = CliRunner().invoke(main, ["config"])
    assert res.exit_code == 0 and "(not there: create it to set options)" in res.stdout


# -- what runs and checkpoints record ----------------------------------------------------------


def test_a_checkpoint_records_the_configuration_set_in_the_file(tmp_path, fixtures):
    from factories import tiny_bert

    model = tiny_bert(tmp_path / "tiny")
    home = tmp_path / "home"
    runner = CliRunner()
    assert runner.invoke(main, ["--home", str(home), "add", str(fixtures / "exports" / "leanagent_toy")]).exit_code == 0
    _write(home, f'model = "{model}"\nmax-length = 48\nprecision = \"fp32\"\n[train]\nmax-steps = 2\nlr = 0.002\n'
                 "seed = 11\n")
    res = runner.invoke(main, ["--home", str(home), "train", "--json", "--batch-size", "4"])
    assert res.exit_code == 0, res.output
    cid = json.loads(res.stdout[res.stdout.index("{"):])["checkpoint_id"]
    shown = _json(runner.invoke(main, ["--home", str(home), "checkpoints", "show", str(cid), "--json"]))
    cfg = shown["config"]
    assert (cfg["model"], cfg["max_length"], cfg["precision"], cfg["max_steps"], cfg["lr"], cfg["seed"],
            cfg["batch_size"]) == (str(model), 48, "fp32", 2, 0.002, 11, 4)


def test_a_run_records_the_configuration_set_in_the_file(tmp_path):
    """`leanagent run` with its options in the file: the run stores them, and the same
    run continues when the same options come from flags instead."""
    from factories import TOPICS, build_repo, tiny_bert

    from database.store import Store

    model = tiny_bert(tmp_path / "tiny")
    home = tmp_path / "home"
    with Store(home / "leanagent.db") as store:
        build_repo(store, TOPICS[0], n_theorems=12)
    _write(home, f'model = "{model}"\nmax-length = 48\nprecision = \"fp32\"\n[run]\norder = "given"\n'
                 'strategy = "naive"\nmax-steps = 1\nseed = 5\nname = "from-file"\n')
    runner = CliRunner()
    res = runner.invoke(main, ["--home", str(home), "run", "--json"])
    assert res.exit_code == 0, res.output
    shown = _json(runner.invoke(main, ["--home", str(home), "runs", "show", "from-file", "--json"]))
    cfg = shown["config"]
    assert (cfg["order"], cfg["strategy"], cfg["seed"]) == ("given", "naive", 5)
    assert (cfg["train"]["model"], cfg["train"]["max_length"], cfg["train"]["max_steps"]) == (str(model), 48, 1)
    assert shown["status"] == "done"
    ckpt = _json(runner.invoke(main, ["--home", str(home), "checkpoints", "show", str(shown["checkpoints"][0]),
                                      "--json"]))
    assert ckpt["config"]["max_steps"] == 1 and ckpt["config"]["seed"] == 5
    # a different value for the same run name is refused, wherever it comes from
    res = runner.invoke(main, ["--home", str(home), "run", "--seed", "6"])
    assert res.exit_code == 1 and "from-file" in res.output
