"""Writing repositories back out as a merged LeanDojo-format dataset.

The layout is the one `database.leandojo_export` reads (corpus.jsonl in import order,
traced_files.jsonl, metadata.json, random/ and novel_premises/ splits), so that
import -> export -> import keeps theorems, steps, annotations and premises identical.
The dataset is written to a temporary directory next to DEST and renamed into place,
so an interrupted export never leaves a half-written dataset behind.
"""

from __future__ import annotations

import graphlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from .errors import ExportError
from .records import redact_url
from .splits import SplitConfig, split_novel_premises, split_random
from .store import Repository, Store


@dataclass(frozen=True, kw_only=True)
class ExportConfig:
    #: Both LeanDojo schemes (``random``, ``novel_premises``) are split with these.
    splits: SplitConfig = field(default_factory=SplitConfig)
    own_only: bool = False  # leave out dependency theorems (LeanDojo includes them)
    overwrite: bool = False  # replace DEST if it is an earlier export (it holds MARKER) or empty


@dataclass
class ExportResult:
    dest: str
    repositories: list[str]
    files: int = 0
    premises: int = 0
    theorems: int = 0
    tactic_steps: int = 0
    #: Theorems exported with ``traced_tactics: []`` (statically indexed, term-mode
    #: proofs): LeanDojo's loaders make no training example of them.
    theorems_without_tactics: int = 0
    #: Lines of PAIRS_FILE (theorems with a statement and resolved premises).
    premise_pairs: int = 0
    splits: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Statement-level premise-selection pairs, one JSON object per theorem (see
#: docs/data-formats.md): what static data supports honestly, without goal states.
PAIRS_FILE = "premise_pairs.jsonl"

#: Written into every export: a JSON object naming the format (`MARKER_FORMAT`,
#: `MARKER_VERSION`) and every file the export wrote. ``--force`` replaces only an empty
#: directory or one whose marker parses and which holds nothing but the files it lists,
#: never anything else. See docs/data-formats.md.
MARKER = ".leanagent-export"
MARKER_FORMAT = "leanagent-export"
MARKER_VERSION = 1

_URL = re.compile(r"^(?:https?|ssh|git)://[^/\s]+/\S+$|^[\w.-]+@[\w.-]+:\S+$")


def export_dataset(store: Store, repos: list[Repository], dest: Path, config: ExportConfig) -> ExportResult:
    if not repos:
        raise ExportError("nothing to export: the database has no repositories (add one with `leanagent add`)")
    for repo in repos:
        _check_identity(repo)
    dest = Path(dest)
    _check_destination(store, dest, config)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    except OSError as exc:
        raise ExportError(f"cannot write into {dest.parent}: {exc.strerror or exc}; choose another destination"
                          ) from exc
    try:
        result = _write(store, repos, tmp, config)
        result.dest = str(dest)
        _write_marker(tmp, repos)
        if dest.exists():
            # Move the old export aside, put the new one in place, then delete the old:
            # at no moment is DEST missing or half-written.
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old.", dir=dest.parent))
            os.replace(dest, old / dest.name)
            tmp.rename(dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(dest)
        return result
    except OSError as exc:
        raise ExportError(f"cannot write the export to {dest}: {exc.strerror or exc}") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _check_identity(repo: Repository) -> None:
    """LeanDojo's loaders rebuild each repository as ``LeanGitRepo(url, commit)``: a local
    path or a content fingerprint instead of a commit makes them fail, so neither is
    exported."""
    url = redact_url(repo.url)
    if not _URL.match(url) or url.startswith("file:"):
        raise ExportError(
            f"repository {repo.name} has no URL, only the local path {url}: LeanDojo's loaders need one. Give "
            "its checkout a git remote, or name the URL, and add it again: `leanagent add DIR --url "
            "https://host/owner/name` (then export that repository with --repos)"
        )
    if repo.commit.startswith("local:"):
        raise ExportError(
            f"repository {repo.name} was added from a directory that is not a git checkout (its 'commit' is a "
            f"fingerprint of the files, {repo.commit[:18]}...): LeanDojo's loaders need a commit. Commit the "
            "sources to git and add the checkout again"
        )


def _check_destination(store: Store, dest: Path, config: ExportConfig) -> None:
    """Refuse a destination whose replacement could destroy anything but an earlier
    export: the home (or a directory containing it), a file, a symbolic link, a
    directory without the export marker."""
    if store.path != ":memory:":
        home = Path(store.path).resolve().parent
        target = dest.resolve()
        if target == home or target in home.parents:
            raise ExportError(f"{dest} is (or contains) the leanagent home {home}: export somewhere else")
    if dest.is_symlink():
        raise ExportError(f"{dest} is a symbolic link: give the directory itself, or another destination")
    if not dest.exists():
        return
    if not dest.is_dir():
        raise ExportError(f"{dest} exists and is not a directory: choose another destination")
    if not config.overwrite:
        raise ExportError(f"{dest} exists: choose another directory or pass --force to replace it")
    try:
        empty = next(dest.iterdir(), None) is None
    except OSError as exc:
        raise ExportError(f"cannot read {dest}: {exc.strerror or exc}") from exc
    if empty:
        return
    listed = _read_marker(dest)
    unknown = _unlisted(dest, listed)
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise ExportError(
            f"{dest} holds what its earlier leanagent export did not write ({shown}), so --force will not replace "
            "it: move those out of it (or choose another destination), then export again"
        )


def _write_marker(out: Path, repos: list[Repository]) -> None:
    """The marker, listing every file written into ``out`` (the export, before it is renamed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        exporter_version: str | None = version("leanagent")
    except PackageNotFoundError:  # run from a source tree that was never installed
        exporter_version = None
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != MARKER)
    (out / MARKER).write_text(json.dumps({
        "format": MARKER_FORMAT, "version": MARKER_VERSION, "exporter": "leanagent", "leanagent_version": exporter_version,
        "created": str(datetime.now(UTC)), "repositories": [r.name for r in repos], "files": files,
    }, indent=1) + "\n", encoding="utf-8")


def _read_marker(dest: Path) -> set[str]:
    """The files the marker in ``dest`` lists; `ExportError` unless it is a leanagent
    export marker of a known version."""
    marker = dest / MARKER
    refuse = (f"so --force will not replace it: choose another destination, or remove {dest} yourself if you "
              "are sure nothing in it is needed")
    if marker.is_symlink() or not marker.is_file():
        raise ExportError(f"{dest} is not a leanagent export (it has no {MARKER} file), {refuse}")
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{marker} is not a leanagent export marker ({exc}), {refuse}") from exc
    if not isinstance(data, dict) or data.get("format") != MARKER_FORMAT:
        raise ExportError(f"{marker} is not a leanagent export marker (no \"format\": \"{MARKER_FORMAT}\"), "
                          f"{refuse}")
    if data.get("version") != MARKER_VERSION:
        raise ExportError(f"{marker} has version {data.get('version')!r}; this leanagent knows version "
                          f"{MARKER_VERSION} only, {refuse}")
    files = data.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) and f and not f.startswith("/")
                                              and ".." not in f.split("/") for f in files):
        raise ExportError(f"{marker} has no valid \"files\" list (relative paths), {refuse}")
    return set(files)


def _unlisted(dest: Path, listed: set[str]) -> list[str]:
    """What ``dest`` holds beyond the marker, the listed files and their directories
    (links count as unlisted: they are never part of an export)."""
    dirs = {"/".join(f.split("/")[:i]) for f in listed for i in range(1, f.count("/") + 1)}
    out = []
    for root, dirnames, filenames in os.walk(dest):
        rel_root = Path(root).relative_to(dest)
        for name in sorted(dirnames):
            rel = (rel_root / name).as_posix()
            if Path(root, name).is_symlink() or rel not in dirs:
                out.append(rel + "/")
        dirnames[:] = sorted(d for d in dirnames if (rel_root / d).as_posix() in dirs
                             and not Path(root, d).is_symlink())
        for name in sorted(filenames):
            rel = (rel_root / name).as_posix()
            if rel == MARKER:
                continue
            if rel not in listed or Path(root, name).is_symlink() or not Path(root, name).is_file():
                out.append(rel)
    return out


def _write(store: Store, repos: list[Repository], out: Path, config: ExportConfig) -> ExportResult:
    conn = store.conn
    result = ExportResult(dest=str(out), repositories=[r.name for r in repos])
    # -- files: union over repositories; one file per path (LeanDojo keys files by path)
    files: dict[str, tuple[int, list[str]]] = {}
    owner_of_file: dict[int, Repository] = {}
    for repo in repos:
        for file_id, path, imports in conn.execute(
            "SELECT f.id, f.path, f.imports FROM repo_files rf JOIN files f ON f.id = rf.file_id "
            "WHERE rf.repo_id = ? ORDER BY f.id",
            (repo.id,),
        ):
            if path in files:
                if files[path][0] != file_id:
                    result.warnings.append(
                        f"{path}: {repo.name} has a different copy than an earlier repository; kept the first"
                    )
                continue
            files[path] = (file_id, json.loads(imports))
            owner_of_file[file_id] = repo
    # Imports before importers (LeanDojo's corpus order; loaders rely on it).
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for path, (_, imports) in sorted(files.items()):
        sorter.add(path, *[i for i in imports if i in files])
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as exc:
        raise ExportError(f"import cycle between files {exc.args[1]}: the stored imports are inconsistent") from exc

    with (out / "corpus.jsonl").open("wb") as corpus, (out / "traced_files.jsonl").open("wb") as traced:
        for path in order:
            file_id, imports = files[path]
            premises = [
                {"full_name": n, "code": c, "start": [sl, sc], "end": [el, ec], "kind": k}
                for n, c, k, sl, sc, el, ec in conn.execute(
                    "SELECT full_name, code, kind, start_line, start_col, end_line, end_col FROM premises "
                    "WHERE file_id = ? ORDER BY id",
                    (file_id,),
                )
            ]
            corpus.write(orjson.dumps({"path": path, "imports": imports, "premises": premises}) + b"\n")
            traced.write(orjson.dumps({"traced_file_path": path}) + b"\n")
            result.files += 1
            result.premises += len(premises)

    # -- theorems: keys first (small), then each record serialised once and streamed
    #    into its split file of both schemes
    keys: list[tuple[str, str, int, int, int]] = []  # (path, name, line, col, theorem id)
    premises_used: dict[tuple[str, str, int, int, int], list[str]] = {}
    for path in sorted(files):
        file_id = files[path][0]
        used: dict[int, list[str]] = {}
        for tid, name in conn.execute(
            "SELECT DISTINCT l.theorem_id, l.full_name FROM premise_links l JOIN theorems t ON t.id = l.theorem_id "
            "WHERE t.file_id = ? ORDER BY l.theorem_id, l.full_name",
            (file_id,),
        ):
            used.setdefault(tid, []).append(name)
        sql = "SELECT id, full_name, start_line, start_col, is_dependency FROM theorems WHERE file_id = ?"
        for tid, name, sl, sc, is_dep in conn.execute(sql, (file_id,)):
            if config.own_only and is_dep:
                continue
            key = (path, name, sl, sc, tid)
            keys.append(key)
            premises_used[key] = used.get(tid, [])
    split_config = config.splits
    schemes = {
        "random": split_random(keys, split_config),
        "novel_premises": split_novel_premises(keys, premises_used, split_config),
    }
    writers: dict[tuple[str, str], _ArrayWriter] = {}
    for scheme in schemes:
        (out / scheme).mkdir()
        for split in ("train", "val", "test"):
            writers[scheme, split] = _ArrayWriter(out / scheme / f"{split}.json")
    try:
        with (out / PAIRS_FILE).open("wb") as pairs:
            for key in keys:
                before = result.tactic_steps
                record = _theorem_json(conn, key[4], owner_of_file, result)
                if result.tactic_steps == before:
                    result.theorems_without_tactics += 1
                for scheme, assignment in schemes.items():
                    writers[scheme, assignment[key]].add(record)
                pair = _premise_pair(conn, key[4], owner_of_file, {s: a[key] for s, a in schemes.items()})
                if pair is not None:
                    pairs.write(pair + b"\n")
                    result.premise_pairs += 1
    finally:
        for w in writers.values():
            w.close()
    result.splits = {
        scheme: {split: writers[scheme, split].count for split in ("train", "val", "test")} for scheme in schemes
    }
    result.theorems = len(keys)
    if result.theorems_without_tactics:
        if result.theorems_without_tactics == result.theorems:
            what = ("no exported theorem has traced tactics (goal states): ReProver's and LeanAgent's loaders "
                    "build 0 training examples from this export")
        else:
            what = (f"{result.theorems_without_tactics} of the {result.theorems} exported theorems have no traced "
                    "tactics (goal states): ReProver's and LeanAgent's loaders build no training examples from them")
        result.warnings.append(
            f"{what}; {PAIRS_FILE} holds {result.premise_pairs} statement-level premise-selection pairs "
            "(a theorem's statement and the premises its proof uses; no goal states), see docs/data-formats.md"
        )

    first = repos[0]
    metadata = {
        "creation_time": str(datetime.now(UTC)),
        "exporter": "leanagent",
        "from_repo": {"url": redact_url(first.url), "commit": first.commit},
        "repositories": [
            {
                "url": redact_url(r.url),
                "name": r.name,
                "commit": r.commit,
                "lean_version": r.lean_version,
                "lean_dojo_version": r.tracer_version if r.tracer in ("export", "leandojo") else None,
                "tracer": r.tracer,
                "metadata": {"date_processed": r.added_at},
            }
            for r in repos
        ],
        "seed": split_config.seed,
        "val_fraction": split_config.val_fraction,
        "test_fraction": split_config.test_fraction,
        "own_only": config.own_only,
        "total_theorems": result.theorems,
        "num_premises": result.premises,
        "num_premise_files": result.files,
        "warnings": result.warnings,
    }
    (out / "metadata.json").write_bytes(orjson.dumps(metadata, option=orjson.OPT_INDENT_2))
    return result


class _ArrayWriter:
    """A JSON array written one serialised element at a time."""

    def __init__(self, path: Path) -> None:
        self.fh = path.open("wb")
        self.fh.write(b"[")
        self.count = 0

    def add(self, item: bytes) -> None:
        if self.count:
            self.fh.write(b",\n")
        self.fh.write(item)
        self.count += 1

    def close(self) -> None:
        if not self.fh.closed:
            self.fh.write(b"]\n")
            self.fh.close()


def _theorem_json(conn: Any, tid: int, repo_of: dict[int, Repository], result: ExportResult) -> bytes:
    (file_id, path, name, statement, sl, sc, el, ec) = conn.execute(
        "SELECT t.file_id, f.path, t.full_name, t.statement, t.start_line, t.start_col, t.end_line, t.end_col "
        "FROM theorems t JOIN files f ON f.id = t.file_id WHERE t.id = ?",
        (tid,),
    ).fetchone()
    repo = repo_of[file_id]
    links: dict[int, list[dict[str, Any]]] = {}
    for step_id, fn, dp, dl, dc, del_, dec in conn.execute(
        "SELECT step_id, full_name, def_path, def_line, def_col, def_end_line, def_end_col FROM premise_links "
        "WHERE theorem_id = ? AND step_id IS NOT NULL ORDER BY step_id, idx",
        (tid,),
    ):
        links.setdefault(step_id, []).append(
            {
                "full_name": fn,
                "def_path": dp,
                "def_pos": [dl, dc],
                "def_end_pos": [del_, dec] if del_ is not None else [dl, dc],
            }
        )
    tactics = []
    for sid, tactic, annotated, before, after in conn.execute(
        "SELECT id, tactic, annotated_tactic, state_before, state_after FROM tactic_steps "
        "WHERE theorem_id = ? ORDER BY idx",
        (tid,),
    ):
        if before is None:  # a statically indexed step: LeanDojo data needs goal states
            continue
        tactics.append(
            {
                "tactic": tactic,
                "annotated_tactic": [annotated if annotated is not None else tactic, links.get(sid, [])],
                "state_before": before,
                "state_after": after if after is not None else "",
            }
        )
    result.tactic_steps += len(tactics)
    return orjson.dumps(
        {
            "url": redact_url(repo.url),
            "commit": repo.commit,
            "file_path": path,
            "full_name": name,
            "theorem_statement": statement,
            "start": [sl, sc],
            "end": [el, ec],
            "traced_tactics": tactics,
        }
    )


def _premise_pair(conn: Any, tid: int, repo_of: dict[int, Repository], splits: dict[str, str]) -> bytes | None:
    """The theorem's statement and the corpus premises its proof uses (every resolved
    link, of its steps or of the theorem), or None without a statement or premises."""
    (file_id, path, name, statement, sl, sc, el, ec) = conn.execute(
        "SELECT t.file_id, f.path, t.full_name, t.statement, t.start_line, t.start_col, t.end_line, t.end_col "
        "FROM theorems t JOIN files f ON f.id = t.file_id WHERE t.id = ?",
        (tid,),
    ).fetchone()
    if not statement:
        return None
    premises: list[dict[str, Any]] = []
    seen: set[int] = set()
    for pid, pname, ppath, psl, psc, pel, pec in conn.execute(
        "SELECT p.id, p.full_name, f.path, p.start_line, p.start_col, p.end_line, p.end_col FROM premise_links l "
        "JOIN premises p ON p.id = l.premise_id JOIN files f ON f.id = p.file_id "
        "WHERE l.theorem_id = ? ORDER BY l.step_id IS NOT NULL, l.step_id, l.idx",
        (tid,),
    ):
        if pid not in seen:
            seen.add(pid)
            premises.append({"full_name": pname, "path": ppath, "start": [psl, psc], "end": [pel, pec]})
    if not premises:
        return None
    repo = repo_of[file_id]
    return orjson.dumps({
        "url": redact_url(repo.url), "commit": repo.commit, "file_path": path, "full_name": name,
        "start": [sl, sc], "end": [el, ec], "theorem_statement": statement, "split": splits,
        "premises": premises,
    })
