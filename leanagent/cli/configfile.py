"""Every option of every command, settable from ``leanagent.toml`` and the environment.

Built on click's own machinery, so that it covers commands added later without any code
of theirs: the file becomes the root context's ``default_map`` (click hands each
sub-command its table), each option gets ``envvar`` names, and click records where every
value came from (``Context.get_parameter_source``). Precedence is therefore click's:
command line, then environment, then file, then the option's default.

The file mirrors the command tree (docs/configuration.md has the user's view):

* a key is an option's long name without dashes (``--max-length`` -> ``max-length``);
* ``[run]`` holds ``leanagent run``'s options, ``[checkpoints.list]`` those of
  ``leanagent checkpoints list``;
* a key at the top of the file, or in a group's table, applies to that group's own option
  of that name and to every command below it that has one (``device = "cuda"`` for
  train, eval, retrieve, run ...); a command's own table wins over it.

Environment variables follow the same shape: ``LEANAGENT_<COMMAND>_<KEY>``
(``LEANAGENT_RUN_EPOCHS``, ``LEANAGENT_CHECKPOINTS_LIST_JSON``), and
``LEANAGENT_<KEY>`` for the top level and for every command with that option
(``LEANAGENT_HOME``, ``LEANAGENT_DEVICE``); the command's own variable wins. An option
whose author set ``envvar`` keeps it.

Unknown tables and keys and values of the wrong type are refused with the file's line
(`ConfigFileError`, exit status 2, like a bad flag), before any command runs.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from database.errors import ConfigError, ConfigFileError
from leanagent.config import CONFIG_ENV, CONFIG_FILE, ConfigDocument, KeyPath, read_config_file, resolve_home

ENV_PREFIX = "LEANAGENT"
#: Where the root context keeps the `LoadedConfig` (click's ``meta`` is for extensions).
META_KEY = "leanagent.config"
#: Root options that locate the file: they cannot be set from it (``home`` can, in a file
#: given with --config; see `ConfiguredGroup`).
CONFIG_PARAM = "config_file"
HOME_PARAM = "home"

CommandPath = tuple[str, ...]


# -- the command tree -----------------------------------------------------------------------


def walk(command: click.Command, path: CommandPath = ()) -> Iterator[tuple[CommandPath, click.Command]]:
    """Every command below (and including) ``command``, parents first, by name."""
    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from walk(command.commands[name], (*path, name))


def settable(command: click.Command) -> list[click.Option]:
    """The options of ``command`` a file or the environment can set: all but --help,
    --version (no value) and --config."""
    return [p for p in command.params
            if isinstance(p, click.Option) and p.expose_value and p.name and p.name != CONFIG_PARAM]


def option_key(option: click.Option) -> str:
    """The file key of an option: its first long name without the dashes
    (``--max-length`` -> ``max-length``; ``--bf16/--no-bf16`` -> ``bf16``)."""
    for opt in option.opts:
        if opt.startswith("--"):
            return opt[2:]
    return str(option.name).replace("_", "-")


def _env_token(word: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", word).upper()


def env_names(path: CommandPath, option: click.Option) -> list[str]:
    """The environment variables of ``option`` on the command at ``path``, most specific
    first (see the module doc); before `bind_environment` drops the shared name where it
    would collide."""
    key = _env_token(option_key(option))
    specific = "_".join([ENV_PREFIX, *(_env_token(p) for p in path), key])
    shared = f"{ENV_PREFIX}_{key}"
    return [specific] if specific == shared else [specific, shared]


#: Attribute under which `bind_environment` notes the names it chose on an option, so that
#: it can tell them from names the option's author chose.
_BOUND = "_leanagent_envvar"


def bind_environment(root: click.Group) -> None:
    """Give every settable option of the tree its environment variables (idempotent, so
    that commands registered late are covered on the next invocation).

    The shared ``LEANAGENT_<KEY>`` name is dropped for an option when it is also some
    command's specific name, or the name of a top-level option (``LEANAGENT_HOME`` means
    the home and nothing else)."""
    planned: list[tuple[click.Option, list[str]]] = []
    for path, command in walk(root):
        for option in settable(command):
            mine = getattr(option, _BOUND, None)
            if option.envvar is not None and (mine is None or tuple(_as_list(option.envvar)) != mine):
                continue  # the option's author chose its variable
            planned.append((option, env_names(path, option)))
    specific = {names[0] for _, names in planned}
    for option, names in planned:
        chosen = tuple(n for i, n in enumerate(names) if i == 0 or n not in specific)
        option.envvar = list(chosen) if len(chosen) > 1 else chosen[0]
        setattr(option, _BOUND, chosen)


def _as_list(envvar: str | Sequence[str]) -> list[str]:
    return [envvar] if isinstance(envvar, str) else list(envvar)


def option_envvars(option: click.Option) -> list[str]:
    return [] if option.envvar is None else _as_list(option.envvar)


# -- the file, validated against the tree ----------------------------------------------------


@dataclass(frozen=True)
class FileValue:
    """Where a value in the file was written."""

    path: Path
    line: int | None
    key: str  # as written: "run.epochs", "device"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else str(self.path)


@dataclass
class LoadedConfig:
    """The configuration file of one invocation and what it set."""

    path: Path | None  # None: there is no home (it failed to resolve) to look in
    exists: bool
    selected_by: str  # "--config", "LEANAGENT_CONFIG" or "home"
    default_map: dict[str, Any] = field(default_factory=dict)
    #: (command path, option name) -> where the file set it
    provenance: dict[tuple[CommandPath, str], FileValue] = field(default_factory=dict)


def _table_name(path: KeyPath) -> str:
    return "the top level" if not path else "[" + ".".join(path) + "]"


def _holds_tables(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value))


def _locating_keys(command: click.Command) -> set[str]:
    return {option_key(p) for p in command.params if isinstance(p, click.Option) and p.name == CONFIG_PARAM}


def _subtree_keys(command: click.Command) -> set[str]:
    return {option_key(o) for _, cmd in walk(command) for o in settable(cmd)}


def _expected(option: click.Option) -> tuple[tuple[type, ...], str]:
    """The TOML types a value for ``option`` may have, and how to say so."""
    t = option.type
    if (option.is_flag and option.is_bool_flag) or isinstance(t, click.types.BoolParamType):
        return (bool,), "true or false"
    if option.count or isinstance(t, click.types.IntParamType):
        return (int,), "an integer"
    if isinstance(t, click.types.FloatParamType):
        return (int, float), "a number"
    if isinstance(t, click.Choice):
        return (str,), "one of " + ", ".join(f'"{c}"' for c in t.choices)
    if isinstance(t, (click.types.StringParamType, click.Path, click.File, click.types.UUIDParameterType,
                      click.DateTime)):
        return (str,), "a string"
    return (str, int, float, bool), "a string, number or boolean"


def _check_scalar(option: click.Option, value: Any) -> str | None:
    kinds, what = _expected(option)
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    return None if ok else what


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def _normalise(doc: ConfigDocument, keys: KeyPath, option: click.Option, value: Any, where: str) -> Any:
    """``value`` checked against the option's TOML type, relative paths made relative to
    the file; raises `ConfigFileError`."""
    multi = option.multiple or option.nargs != 1
    items = value if multi and isinstance(value, list) else [value] if multi else None
    if items is not None:
        if option.nargs > 1 and not option.multiple and len(items) != option.nargs:
            raise doc.error(keys, f"{keys[-1]} in {where} takes a list of {option.nargs} values")
        bad = next((v for v in items if _check_scalar(option, v) is not None), None)
        if bad is not None:
            raise doc.error(keys, f"{keys[-1]} = {_toml(value)} in {where}: expected {_expected(option)[1]} "
                            "or a list of them")
        return [_relative(doc, option, v) for v in items]
    problem = _check_scalar(option, value)
    if problem is not None:
        raise doc.error(keys, f"{keys[-1]} = {_toml(value)} in {where}: expected {problem}")
    return _relative(doc, option, value)


def _relative(doc: ConfigDocument, option: click.Option, value: Any) -> Any:
    # Paths in a file mean what they say from where the file is, not from wherever the
    # command happens to run (as in Cargo's and ruff's configuration files).
    if isinstance(option.type, click.Path) and isinstance(value, str):
        p = Path(value).expanduser()
        return str(p if p.is_absolute() else doc.path.parent / p)
    return value


def _convert(doc: ConfigDocument, keys: KeyPath, path: CommandPath, command: click.Command,
             option: click.Option, value: Any) -> None:
    """Let click's own type check the value (ranges, choices), as it would a flag's."""
    ctx = click.Context(command, info_name=" ".join(("leanagent", *path)), resilient_parsing=True)
    try:
        option.type_cast_value(ctx, value)
    except click.BadParameter as exc:
        raise doc.error(keys, f"{keys[-1]} = {_toml(value)} in {_table_name(keys[:-1])} is not valid for "
                        f"`{' '.join(('leanagent', *path))} --{option_key(option)}`: {exc.format_message()}") \
            from exc


def build_default_map(root: click.Group, doc: ConfigDocument) -> tuple[dict[str, Any], dict[tuple[CommandPath, str],
                                                                                           FileValue]]:
    """The ``default_map`` for ``root`` from the file, and where each value was written."""
    provenance: dict[tuple[CommandPath, str], FileValue] = {}

    def visit(command: click.Command, path: CommandPath, table: Mapping[str, Any], keys: KeyPath,
              inherited: Mapping[str, tuple[Any, KeyPath]]) -> dict[str, Any]:
        subcommands = command.commands if isinstance(command, click.Group) else {}
        known = _subtree_keys(command)
        scope = dict(inherited)
        children: dict[str, Mapping[str, Any]] = {}
        for key, value in table.items():
            here = (*keys, key)
            if key in subcommands and isinstance(value, dict):
                children[key] = value
            elif key in _locating_keys(command):
                raise doc.error(here, f"{key!r} cannot be set in a configuration file (it is how the file "
                                f"is found): pass --{key} FILE or set {CONFIG_ENV}")
            elif key in known and not _holds_tables(value):
                scope[key] = (value, here)
            elif key in subcommands:
                raise doc.error(here, f"{'.'.join(here)} must be a table ([{'.'.join(here)}]) holding the "
                                f"options of `{' '.join(('leanagent', *path, key))}`")
            else:
                raise doc.error(here, _unknown(command, path, key, keys))
        out: dict[str, Any] = {}
        for option in settable(command):
            key = option_key(option)
            if key not in scope:
                continue
            value, at = scope[key]
            value = _normalise(doc, at, option, value, _table_name(at[:-1]))
            _convert(doc, at, path, command, option, value)
            out[str(option.name)] = value
            provenance[(path, str(option.name))] = FileValue(doc.path, doc.line_of(at), ".".join(at))
        for name, child in subcommands.items():
            sub = visit(child, (*path, name), children.get(name, {}), (*keys, name), scope)
            if sub:
                if name in out:
                    raise ConfigError(f"`{' '.join(('leanagent', *path))}` has an option and a command both "
                                      f"called {name!r}; rename one (their defaults would share a key)")
                out[name] = sub
        return out

    return visit(root, (), doc.data, (), {}), provenance


def _unknown(command: click.Command, path: CommandPath, key: str, keys: KeyPath) -> str:
    where = _table_name(keys)
    name = " ".join(("leanagent", *path))
    own = sorted({option_key(o) for o in settable(command)})
    subcommands = sorted(command.commands) if isinstance(command, click.Group) else []
    candidates = sorted(_subtree_keys(command)) + subcommands
    close = difflib.get_close_matches(key, candidates, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    if subcommands:
        listing = (f"a table for one of its commands ({', '.join(subcommands)}) or an option of `{name}` "
                   f"or of a command below it")
    else:
        listing = f"an option of `{name}` ({', '.join(own) or 'it has none'})"
    return (f"unknown key {key!r} in {where}{hint} Keys there name {listing}; "
            f"`leanagent config` lists them all")


# -- the root group -------------------------------------------------------------------------


class ConfiguredGroup(click.Group):
    """The root group: before parsing, it finds the configuration file, checks it against
    the whole command tree and makes it the context's ``default_map``.

    The file is ``--config FILE`` (``LEANAGENT_CONFIG``), else ``HOME/leanagent.toml``
    with the home from ``--home``/``LEANAGENT_HOME``/the default. A ``home`` key is
    honoured only in a file given explicitly: the home's own file cannot move the home.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        if parent is not None or "default_map" in extra:
            return super().make_context(info_name, args, parent, **extra)
        bind_environment(self)
        loaded = self._load(info_name, args, extra)
        ctx = super().make_context(info_name, args, parent, default_map=loaded.default_map, **extra)
        ctx.meta[META_KEY] = loaded
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            note = _where_values_came_from(exc)
            if note is None:
                raise
            raise click.UsageError(f"{exc.format_message()} [{note}]", ctx=exc.ctx) from exc

    def _load(self, info_name: str | None, args: list[str], extra: Mapping[str, Any]) -> LoadedConfig:
        try:
            pre = super().make_context(info_name, list(args), None, resilient_parsing=True,
                                       **{k: v for k, v in extra.items() if k != "resilient_parsing"})
        except click.ClickException:
            return LoadedConfig(path=None, exists=False, selected_by="home")  # the real parse reports it
        given = pre.params.get(CONFIG_PARAM)
        if given:
            source = pre.get_parameter_source(CONFIG_PARAM)
            selected_by = CONFIG_ENV if source == click.core.ParameterSource.ENVIRONMENT else "--config"
            path = Path(given).expanduser()
            if not path.exists():
                raise _usage(ConfigFileError(path, None, f"no such file (given by {selected_by}); create it, "
                                             "or pass another"))
            return self._read(path, selected_by, home_allowed=True)
        try:
            home = resolve_home(pre.params.get(HOME_PARAM))
        except ConfigError:
            return LoadedConfig(path=None, exists=False, selected_by="home")  # the command reports it
        path = home.root / CONFIG_FILE
        if not path.is_file():
            return LoadedConfig(path=path, exists=False, selected_by="home")
        return self._read(path, "home", home_allowed=False)

    def _read(self, path: Path, selected_by: str, *, home_allowed: bool) -> LoadedConfig:
        try:
            doc = read_config_file(path)
            if not home_allowed and HOME_PARAM in doc.data:
                raise doc.error((HOME_PARAM,), "`home` cannot be set in the home's own leanagent.toml (the file "
                                "is found through the home): remove it, or keep this file elsewhere and pass "
                                f"--config FILE (or set {CONFIG_ENV})")
            default_map, provenance = build_default_map(self, doc)
        except ConfigFileError as exc:
            raise _usage(exc) from exc
        return LoadedConfig(path=path, exists=True, selected_by=selected_by, default_map=default_map,
                            provenance=provenance)


_FLAG = re.compile(r"--[A-Za-z0-9][A-Za-z0-9-]*")


def command_path(ctx: click.Context) -> CommandPath:
    """The sub-command names from the root to ``ctx`` (``("checkpoints", "list")``)."""
    names: list[str] = []
    while ctx.parent is not None:
        names.append(str(ctx.info_name))
        ctx = ctx.parent
    return tuple(reversed(names))


def value_origin(ctx: click.Context, name: str) -> str:
    """Where the parameter ``name`` of ``ctx`` got its value, for messages: its flag, the
    variable (``LEANAGENT_RUN_EPOCHS``), the file's ``PATH:LINE (key)``, or "default"."""
    option = next((o for o in settable(ctx.command) if o.name == name), None)
    source = ctx.get_parameter_source(name)
    if option is None or source == click.core.ParameterSource.COMMANDLINE:
        return "--" + option_key(option) if option is not None else name
    if source == click.core.ParameterSource.ENVIRONMENT:
        return next((v for v in option_envvars(option) if os.environ.get(v)), "the environment")
    if source == click.core.ParameterSource.DEFAULT_MAP:
        loaded = loaded_config(ctx)
        where = loaded.provenance.get((command_path(ctx), name))
        return f"{where} ({where.key})" if where is not None else str(loaded.path)
    return "default"


def _where_values_came_from(exc: click.UsageError) -> str | None:
    """A command refusing ``--epochs 0`` names the flag; when the user never typed it,
    say where the value came from (the file's line, or the variable)."""
    ctx = exc.ctx
    if ctx is None:
        return None
    notes: list[str] = []
    for flag in dict.fromkeys(_FLAG.findall(exc.format_message())):
        option = next((o for o in settable(ctx.command) if flag in (*o.opts, *o.secondary_opts)), None)
        if option is None or option.name is None:
            continue
        source = ctx.get_parameter_source(option.name)
        if source == click.core.ParameterSource.ENVIRONMENT:
            notes.append(f"{flag} was not given: its value comes from the environment "
                         f"({value_origin(ctx, option.name)})")
        elif source == click.core.ParameterSource.DEFAULT_MAP:
            notes.append(f"{flag} was not given: its value comes from {value_origin(ctx, option.name)}")
    return "; ".join(notes) if notes else None


class ConfigFileProblem(click.ClickException):
    """A bad configuration file is a usage error (exit status 2), as a bad flag is."""

    exit_code = 2


def _usage(exc: ConfigFileError) -> ConfigFileProblem:
    return ConfigFileProblem(str(exc))


def loaded_config(ctx: click.Context) -> LoadedConfig:
    """The configuration file of this invocation (an empty one when the root group did
    not load any, e.g. for a command invoked on its own in a test)."""
    found = ctx.find_root().meta.get(META_KEY)
    return found if isinstance(found, LoadedConfig) else LoadedConfig(path=None, exists=False, selected_by="home")
