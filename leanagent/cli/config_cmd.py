"""`leanagent config`: the effective configuration and where each value comes from."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import click

from database.errors import LeanAgentError

from . import App, emit_json, main, pass_app
from .configfile import (
    CommandPath,
    LoadedConfig,
    loaded_config,
    option_envvars,
    option_key,
    settable,
    walk,
)

# "[default: X]" or "(default: X)" in an option's help: what an unset value means
_DEFAULT_NOTE = re.compile(r"[\[(](?:[^\])]*;\s*)?default: ([^\]);]+)[\])]")


@dataclass(frozen=True)
class Setting:
    """One option's value in effect, for one command."""

    command: CommandPath
    key: str
    option: str  # the flag, e.g. "--epochs"
    value: Any
    source: str  # "flag", "environment", "file", "default"
    where: str | None  # the flag, the variable, PATH:LINE; None for a default
    env: tuple[str, ...]
    default_note: str | None  # what an unset default means, from the option's help
    error: str | None = None  # an environment value the option refuses

    def as_json(self) -> dict[str, Any]:
        return {"option": self.option, "value": _plain(self.value), "source": self.source, "where": self.where,
                "env": list(self.env), "default_note": self.default_note, "error": self.error}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _flag(option: click.Option) -> str:
    return next((o for o in option.opts if o.startswith("--")), option.opts[0])


def _env_problem(ctx: click.Context, option: click.Option, name: str) -> str | None:
    raw = os.environ.get(name, "")
    value: Any = option.type.split_envvar_value(raw) if option.multiple or option.nargs != 1 else raw
    try:
        option.type_cast_value(ctx, value)
    except click.BadParameter as exc:
        return f"{name}={raw!r}: {exc.format_message()}"
    return None


def _setting(ctx: click.Context, path: CommandPath, option: click.Option, loaded: LoadedConfig) -> Setting:
    name = str(option.name)
    source = ctx.get_parameter_source(name)
    envs = tuple(option_envvars(option))
    kind, where, error = "default", None, None
    if source == click.core.ParameterSource.COMMANDLINE:
        kind, where = "flag", _flag(option)
    elif source == click.core.ParameterSource.ENVIRONMENT:
        kind = "environment"
        where = next((e for e in envs if os.environ.get(e)), None)
        error = _env_problem(ctx, option, where) if where else None
    elif source == click.core.ParameterSource.DEFAULT_MAP:
        kind = "file"
        found = loaded.provenance.get((path, name))
        where = str(found) if found else str(loaded.path)
    note = None
    match = _DEFAULT_NOTE.search(option.help or "")
    if match:
        note = match.group(1).strip()
    return Setting(command=path, key=option_key(option), option=_flag(option), value=ctx.params.get(name),
                   source=kind, where=where, env=envs, default_note=note, error=error)


def effective_settings(ctx: click.Context, only: CommandPath = ()) -> list[Setting]:
    """Every settable option of every command (below ``only``) as it would be for an
    invocation with no flags of its own: contexts made in resilient mode, so that
    required arguments may be missing, under the real root context (its flags count)."""
    root = ctx.find_root()
    loaded = loaded_config(ctx)
    contexts: dict[CommandPath, click.Context] = {(): root}
    out: list[Setting] = []
    for path, command in walk(root.command):
        if path:
            contexts[path] = command.make_context(path[-1], [], parent=contexts[path[:-1]], resilient_parsing=True)
        if path[: len(only)] != only and path != ():
            continue
        if only and path == ():
            continue
        out.extend(_setting(contexts[path], path, option, loaded) for option in settable(command))
    return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _describe(s: Setting) -> str:
    if s.error:
        return f"environment {s.where}: invalid, the command will refuse it ({s.error})"
    if s.source == "default":
        return "default" + (f": {s.default_note}" if s.value is None and s.default_note else "")
    return f"{s.source} {s.where}"


def _file_line(loaded: LoadedConfig) -> str:
    if loaded.path is None:
        return "# configuration file: none (the home could not be resolved; see `leanagent doctor`)"
    if not loaded.exists:
        return f"# configuration file: {loaded.path} (not there: create it to set options)"
    how = {"home": "in the home", "--config": "given by --config"}.get(loaded.selected_by,
                                                                      f"given by {loaded.selected_by}")
    return f"# configuration file: {loaded.path} ({how})"


def format_settings(settings: list[Setting], loaded: LoadedConfig, home: str | None) -> str:
    """TOML (values) with comments (sources): it can be pasted into leanagent.toml."""
    lines = [_file_line(loaded)]
    if home is not None:
        lines.append(f"# home in effect: {home}")
    lines.append("# precedence: flag > environment (LEANAGENT_<COMMAND>_<KEY>, then LEANAGENT_<KEY>) > file "
                 "> default")
    current: CommandPath | None = None
    by_table: dict[CommandPath, list[Setting]] = {}
    for s in settings:
        by_table.setdefault(s.command, []).append(s)
    for table, rows in by_table.items():
        if table != current:
            lines.append("")
            if table:
                lines.append("[" + ".".join(table) + "]")
            current = table
        texts = [(f"{s.key} = {_toml_value(s.value)}" if s.value is not None else f"# {s.key} =") for s in rows]
        width = min(max(len(t) for t in texts), 44)
        for text, s in zip(texts, rows, strict=True):
            lines.append(f"{text:<{width}}  # {_describe(s)}")
    return "\n".join(lines)


@main.command("config")
@click.argument("command", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@click.pass_context
@pass_app
def config_command(app: App, ctx: click.Context, command: tuple[str, ...], as_json: bool) -> None:
    """Show the configuration in effect, and where each value comes from.

    For every option of every command (or of COMMAND, e.g. `config run` or `config
    checkpoints list`): its value and its source, a flag, an environment variable, the
    configuration file with its line, or the default. The text form is valid TOML (sources
    in comments) that can start a leanagent.toml; --json gives the same as data.
    """
    group: click.Command = main
    for i, name in enumerate(command):
        if not isinstance(group, click.Group) or name not in group.commands:
            raise click.BadParameter(f"`leanagent {' '.join(command[: i + 1])}` is not a command",
                                     param_hint="COMMAND")
        group = group.commands[name]
    loaded = loaded_config(ctx)
    settings = effective_settings(ctx, tuple(command))
    home: str | None
    try:
        home = str(app.home.root)
    except LeanAgentError as exc:  # a bad home is shown, not a crash: this is where one looks
        home = f"invalid ({exc})"
    if as_json:
        tables: dict[str, dict[str, Any]] = {}
        for s in settings:
            tables.setdefault(" ".join(s.command), {})[s.key] = s.as_json()
        emit_json({"file": {"path": None if loaded.path is None else str(loaded.path), "exists": loaded.exists,
                            "selected_by": loaded.selected_by},
                   "home": home, "commands": tables})
        return
    click.echo(format_settings(settings, loaded, home))
