"""Reading LeanDojo benchmark exports into the knowledge base.

Three variants write the same layout (see docs/data-formats.md):

* ``official``  -- LeanDojo Benchmark 4 (the LeanDojo notebook): no `traced_files.jsonl`,
  no `theorem_statement`; dependency theorems carry the dependency's own url/commit.
* ``leanagent`` -- LeanAgent's / LeanDojo-v2's `generate_benchmark`: `traced_files.jsonl`
  and `theorem_statement`; every record carries the traced (root) repository.
* ``v2-merged`` -- LeanDojo-v2's `DynamicDatabase.export_merged_data` (and leanagent's own
  `export`): `metadata.json` lists several `repositories`; records name their repository.

Everything streams: split files are JSON arrays parsed element by element (ijson), the
corpus line by line, so memory stays bounded on Mathlib-size exports. Every record is
validated; the first malformed one raises `InputError` naming file, record and field,
and because the whole import is one transaction the database is left unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import ijson
import orjson

from .errors import InputError, SourceError
from .ingest import Ingest, IngestSummary
from .lean_text import (
    THEOREM_KEYWORDS,
    LineIndex,
    blank_non_code,
    declaration_keyword,
    proof_style_of,
    sorry_offsets,
)
from .records import (
    DeclarationSorries,
    Diagnostic,
    FileRecord,
    LinkRecord,
    PremiseRecord,
    ProofStyle,
    RepoInfo,
    SorryRecord,
    StepRecord,
    TheoremRecord,
    is_dependency_path,
    repo_name_from_url,
)
from .source_files import Skipped, read_source

if TYPE_CHECKING:
    from .store import Store

SPLIT_SCHEMES = ("random", "novel_premises")
SPLITS = ("train", "val", "test")
#: A JSON object as parsed.
JSON = dict[str, Any]


# -- detection ---------------------------------------------------------------------------


def is_export_dir(path: Path) -> bool:
    """Whether `path` looks like a LeanDojo benchmark export."""
    return path.is_dir() and (
        (path / "corpus.jsonl").is_file()
        or any((path / scheme / f"{s}.json").is_file() for scheme in SPLIT_SCHEMES for s in SPLITS)
    )


@dataclass
class ExportLayout:
    root: Path
    variant: str
    metadata: dict[str, Any]
    split_files: list[tuple[str, str, Path]]  # (scheme, split, path)


def inspect_export(root: Path) -> ExportLayout:
    if not root.is_dir():
        raise SourceError(f"{root} is not a directory")
    if not is_export_dir(root):
        raise SourceError(
            f"{root} is not a LeanDojo export: expected corpus.jsonl and random/{{train,val,test}}.json"
        )
    metadata: dict[str, Any] = {}
    meta_path = root / "metadata.json"
    if meta_path.is_file():
        try:
            metadata = orjson.loads(meta_path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc})", file=str(meta_path)) from exc
        if not isinstance(metadata, dict):
            raise InputError("expected a JSON object", file=str(meta_path))
    if isinstance(metadata.get("repositories"), list):
        variant = "v2-merged"
    elif (root / "traced_files.jsonl").is_file():
        variant = "leanagent"
    else:
        variant = "official"
    split_files = [
        (scheme, split, root / scheme / f"{split}.json")
        for scheme in SPLIT_SCHEMES
        for split in SPLITS
        if (root / scheme / f"{split}.json").is_file()
    ]
    if not any(s == "random" for s, _, _ in split_files) and not split_files:
        raise SourceError(f"{root} has no split files (random/train.json, ...)")
    return ExportLayout(root, variant, metadata, split_files)


# -- validation helpers ------------------------------------------------------------------

_POS_STR = re.compile(r"^\s*(?:Pos)?\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*$")


class _Where:
    """Names the place of a value for error messages: file, record, field."""

    __slots__ = ("file", "record")

    def __init__(self, file: str, record: int | str) -> None:
        self.file = file
        self.record = record

    def error(self, field: str, message: str) -> InputError:
        return InputError(message, file=self.file, record=self.record, field=field)


def _get(obj: JSON, key: str, kind: type | tuple[type, ...], where: _Where, prefix: str = "",
         optional: bool = False) -> Any:
    value = obj.get(key)
    if type(value) is kind:
        # The common case, checked first: an import validates millions of fields.
        # (`type(...) is` also keeps a bool out of an int field, as below.)
        return value
    if key not in obj:
        if optional:
            return None
        raise where.error(prefix + key, "missing")
    value = obj[key]
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise where.error(prefix + key, f"expected {names}, got {type(value).__name__} {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _pos(value: Any, where: _Where, field: str) -> tuple[int, int]:
    if type(value) is list and len(value) == 2:
        line, col = value
        if type(line) is int and type(col) is int and line >= 1 and col >= 0:
            return (line, col)  # the common case, without the generic checks below
    if isinstance(value, list) and len(value) == 2 and all(type(x) is int for x in value):
        line, col = value
    elif isinstance(value, str) and (m := _POS_STR.match(value)):
        # LeanDojo-v2 serialises positions as "(l, c)" strings; accept that exact form.
        line, col = int(m.group(1)), int(m.group(2))
    else:
        raise where.error(field, f"expected a position [line, col], got {_short(value)}")
    if line < 1 or col < 0:
        raise where.error(field, f"position {value!r} out of range (lines and columns start at 1)")
    return (line, col)


def _rel_path(value: Any, where: _Where, field: str) -> str:
    """A path relative to the traced repository, normalised as LeanDojo normalises it.

    LeanDojo and LeanDojo-v2 hold paths as `pathlib.Path` objects and write them with
    ``str()``, which drops ``.`` segments and repeated separators: Lean reports a
    dependency's definition path as ``./.lake/packages/...`` and the exported corpus
    calls that file ``.lake/packages/...`` (LeanDojo-v2,
    ``lean_dojo_v2/lean_agent/database/dynamic_database.py``: ``"def_path": str(a.def_path)``).
    Records that kept the raw ``./.lake/...`` string (LeanAgent's) resolve only after the
    same normalisation."""
    if type(value) is str and value and value[0] not in "/~" and "\\" not in value:
        parts = value.split("/")
        if "" not in parts and "." not in parts and ".." not in parts:
            # Already in normal form (no empty, "." or ".." segment): what str(PurePosixPath)
            # would return. Checked first because building a PurePosixPath for each of an
            # import's ~10^6 paths was a tenth of its time.
            return value
    if not isinstance(value, str) or not value:
        raise where.error(field, f"expected a relative file path, got {_short(value)}")
    p = PurePosixPath(value)
    if p.is_absolute() or ".." in p.parts or "\\" in value or value.startswith("~"):
        raise where.error(
            field, f"path {value!r} escapes the export directory: paths must be relative, without '..'"
        )
    normal = str(p)
    if normal == ".":
        raise where.error(field, f"expected a file path, got {value!r}")
    return normal


def _stream_array(path: Path, label: str) -> Iterator[tuple[int, Any]]:
    """Elements of a JSON array file, one at a time, with their index."""
    index = -1
    try:
        with path.open("rb") as fh:
            for index, item in enumerate(ijson.items(fh, "item", use_float=True), start=0):
                yield index, item
    except ijson.JSONError as exc:
        raise InputError(
            f"invalid or truncated JSON after record {index} ({exc}); re-export the dataset",
            file=label,
        ) from exc
    if index == -1:
        # Distinguish an empty array from a file that is not an array at all.
        head = path.read_bytes()[:64].lstrip()
        if not head.startswith(b"["):
            raise InputError("expected a JSON array of theorem records", file=label)


def _iter_jsonl(path: Path, label: str) -> Iterator[tuple[int, JSON, bytes]]:
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise InputError(f"invalid JSON ({exc})", file=label, record=f"line {lineno}") from exc
            if not isinstance(obj, dict):
                raise InputError("expected a JSON object", file=label, record=f"line {lineno}")
            yield lineno, obj, raw


# -- corpus ------------------------------------------------------------------------------


def parse_corpus_line(obj: JSON, where: _Where) -> FileRecord:
    path = _rel_path(obj.get("path"), where, "path")
    imports_raw = _get(obj, "imports", list, where)
    imports = [_rel_path(x, where, f"imports[{i}]") for i, x in enumerate(imports_raw)]
    premises = []
    for i, p in enumerate(_get(obj, "premises", list, where)):
        prefix = f"premises[{i}]."
        if not isinstance(p, dict):
            raise where.error(f"premises[{i}]", "expected an object")
        full_name = p.get("full_name")
        code = p.get("code")
        # Loaders (ReProver, LeanAgent) drop these ill-formed premises; so do we, but
        # only the kinds they drop -- anything else malformed is an error.
        if full_name is None or (isinstance(full_name, str) and ("user__.n" in full_name or full_name.startswith("["))):
            continue
        if not isinstance(full_name, str):
            raise where.error(prefix + "full_name", f"expected str, got {_short(full_name)}")
        if not isinstance(code, str):
            raise where.error(prefix + "code", f"expected str, got {_short(code)}")
        kind = _get(p, "kind", str, where, prefix)
        start = _pos(p.get("start"), where, prefix + "start")
        end = _pos(p.get("end"), where, prefix + "end")
        premises.append(PremiseRecord(full_name, code, kind, start, end))
    canonical = orjson.dumps(
        {"path": path, "imports": imports, "premises": [p.__dict__ for p in premises]},
        option=orjson.OPT_SORT_KEYS,
    )
    return FileRecord(path, imports, premises, "export:" + hashlib.sha256(canonical).hexdigest()[:32])


# -- theorems ----------------------------------------------------------------------------


@dataclass
class _Source:
    """Optional local checkout of the repository, used to inspect term-mode proofs."""

    root: Path | None
    cache: dict[str, list[str] | None] = field(default_factory=dict)

    def lines(self, rel: str) -> list[str] | None:
        if self.root is None:
            return None
        if rel not in self.cache:
            try:
                # The checkout is input too: no links out of it, no FIFOs, no huge files.
                text = read_source(self.root / rel, within=self.root).decode("utf-8", errors="replace")
                self.cache[rel] = text.splitlines(keepends=True)
            except Skipped:
                self.cache[rel] = None
            if len(self.cache) > 256:  # bounded: keep only recent files
                self.cache.pop(next(iter(self.cache)))
        return self.cache[rel]

    def slice(self, rel: str, start: tuple[int, int], end: tuple[int, int]) -> str | None:
        lines = self.lines(rel)
        if lines is None or start[0] > len(lines):
            return None
        if start[0] == end[0]:
            return lines[start[0] - 1][start[1] - 1 : end[1] - 1]
        parts = [lines[start[0] - 1][start[1] - 1 :]]
        parts.extend(lines[start[0] : min(end[0] - 1, len(lines))])
        if end[0] <= len(lines):
            parts.append(lines[end[0] - 1][: end[1] - 1])
        return "".join(parts)


def parse_theorem(obj: Any, where: _Where, source: _Source) -> tuple[TheoremRecord, str, str]:
    """A theorem record, plus its (url, commit) as written."""
    if not isinstance(obj, dict):
        raise where.error("", "expected a theorem object")
    url = _get(obj, "url", str, where)
    commit = _get(obj, "commit", str, where)
    file_path = _rel_path(obj.get("file_path"), where, "file_path")
    full_name = _get(obj, "full_name", str, where)
    where.record = f"{where.record} ({full_name})" if isinstance(where.record, int) else where.record
    statement = _get(obj, "theorem_statement", str, where, optional=True)
    start = _pos(obj.get("start"), where, "start")
    end = _pos(obj.get("end"), where, "end")
    if end < start:
        raise where.error("end", f"end {list(end)} is before start {list(start)}")
    steps: list[StepRecord] = []
    sorries: list[SorryRecord] = []
    for i, t in enumerate(_get(obj, "traced_tactics", list, where)):
        prefix = f"traced_tactics[{i}]."
        if not isinstance(t, dict):
            raise where.error(f"traced_tactics[{i}]", "expected an object")
        tactic = _get(t, "tactic", str, where, prefix)
        ann = _get(t, "annotated_tactic", list, where, prefix)
        if len(ann) != 2 or not isinstance(ann[0], str) or not isinstance(ann[1], list):
            raise where.error(prefix + "annotated_tactic", "expected [marked_text, [provenance, ...]]")
        links = []
        for k, a in enumerate(ann[1]):
            ap = f"{prefix}annotated_tactic[1][{k}]."
            if not isinstance(a, dict):
                raise where.error(ap[:-1], "expected an object")
            links.append(
                LinkRecord(
                    full_name=_get(a, "full_name", str, where, ap),
                    def_path=_rel_path(a.get("def_path"), where, ap + "def_path"),
                    def_pos=_pos(a.get("def_pos"), where, ap + "def_pos"),
                    def_end_pos=_pos(a.get("def_end_pos"), where, ap + "def_end_pos"),
                    resolution="leandojo",
                )
            )
        steps.append(
            StepRecord(
                tactic=tactic,
                annotated_tactic=ann[0],
                state_before=_get(t, "state_before", str, where, prefix),
                state_after=_get(t, "state_after", str, where, prefix),
                links=links,
            )
        )
        sorries.extend(SorryRecord(None, None, "tactic") for _ in sorry_offsets(tactic))
    proof_style: ProofStyle | None = "tactic" if steps else None
    sorry_checked = "tactics"
    text = source.slice(file_path, start, end) if source.root is not None else None
    if text is not None:
        # The declaration's own text: exact positions, term-mode proofs included.
        blanked = blank_non_code(text)
        index = LineIndex(text, start)
        sorries = [SorryRecord(*index.pos(o), "source") for o in sorry_offsets(text, blanked=blanked)]
        proof_style = proof_style_of(blanked) or proof_style
        sorry_checked = "source"
    elif statement is not None:
        sorries.extend(SorryRecord(None, None, "statement") for _ in sorry_offsets(statement))
    kind = "theorem"
    if statement is not None:
        kind = declaration_keyword(statement) or "theorem"
    rec = TheoremRecord(
        file_path=file_path,
        full_name=full_name,
        start=start,
        end=end,
        statement=statement,
        kind=kind if kind in THEOREM_KEYWORDS else "theorem",
        proof_style=proof_style,
        steps=steps,
        num_steps=len(steps),
        sorries=sorries,
        sorry_checked=sorry_checked,
    )
    return rec, url, commit


# -- the import --------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportImportConfig:
    source: Path | None = None  # local checkout of the repository (for term-mode proofs)
    name: str | None = None  # override the repository name
    url: str | None = None  # override the repository URL (an export of a local checkout names its path)


def import_export(store: Store, root: Path, config: ExportImportConfig | None = None) -> list[IngestSummary]:
    """Import the export at `root`; one transaction for everything in it.

    Raises `AlreadyImported` if its (only) repository is already stored, `InputError` on
    malformed data.
    """
    config = config or ExportImportConfig()
    layout = inspect_export(root)
    repos = _repositories(layout, config)
    # The repository's checkout (--source, or the url of a local repository): where
    # term-mode proofs can be read.
    source = _Source(Path(repos[0].path) if repos[0].path else None)
    # The import lock first (another import may be writing: wait for it, saying so),
    # then one write transaction for everything.
    if len(repos) == 1:
        with store.importing(), store.atomic(), _cyclic_gc_paused():
            return [_import_one(store, layout, repos[0], None, source)]
    # Several repositories (a merged export): decide which own files belong to which.
    owners = _own_file_owners(layout, repos)
    with store.importing(), store.atomic(), _cyclic_gc_paused():
        return [_import_one(store, layout, repo, (owners, i), source) for i, repo in enumerate(repos)]


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector off while the records stream through.

    An import allocates millions of small acyclic objects (parsed JSON, records, row
    tuples) next to tables that grow to millions of entries (theorem keys, premise
    ranges); each full collection walks all of them. On a 100k-theorem export the
    collector took ~10% of the import's CPU time (60 full collections). Reference
    counting still frees everything the import drops; collection resumes afterwards,
    also when the import fails."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _repositories(layout: ExportLayout, config: ExportImportConfig) -> list[RepoInfo]:
    meta = layout.metadata
    meta_file = str(layout.root / "metadata.json")
    common = {
        "variant": layout.variant,
        "export_path": str(layout.root),
        **{k: v for k, v in meta.items() if k not in ("repositories", "from_repo")},
    }
    tracer_version = meta.get("leandojo_version") or meta.get("lean_dojo_version")
    if layout.variant == "v2-merged":
        repos = []
        for i, r in enumerate(meta["repositories"]):
            where = _Where(meta_file, f"repositories[{i}]")
            if not isinstance(r, dict):
                raise where.error("", "expected an object")
            url = _get(r, "url", str, where)
            repos.append(
                RepoInfo(
                    url=url,
                    name=config.name or r.get("name") or repo_name_from_url(url),
                    commit=_get(r, "commit", str, where),
                    lean_version=r.get("lean_version"),
                    tracer="export",
                    tracer_version=r.get("lean_dojo_version") or tracer_version,
                    path=_checkout_path(url, config),
                    metadata=common,
                )
            )
        if not repos:
            raise InputError("lists no repositories", file=meta_file, field="repositories")
        if (config.name or config.url) and len(repos) > 1:
            raise SourceError("--name and --url can only be used with an export of one repository")
        if config.url:
            repos = [dataclasses.replace(repos[0], url=config.url, name=config.name or repo_name_from_url(config.url))]
        return repos
    from_repo = meta.get("from_repo")
    if isinstance(from_repo, dict):
        where = _Where(meta_file, "from_repo")
        url = _get(from_repo, "url", str, where)
        commit = _get(from_repo, "commit", str, where)
    else:
        url, commit = _first_own_theorem_origin(layout)
    path = _checkout_path(url, config)
    if config.url:
        url = config.url
    return [
        RepoInfo(
            url=url,
            name=config.name or repo_name_from_url(url),
            commit=commit,
            lean_version=meta.get("lean_version"),
            tracer="export",
            tracer_version=tracer_version,
            path=path,
            metadata=common,
        )
    ]


def _checkout_path(url: str, config: ExportImportConfig) -> str | None:
    """The repository's local checkout: --source, else the url itself when it is a local
    directory (exports of local repositories record the absolute path as their url)."""
    if config.source:
        return str(config.source)
    p = Path(url)
    return url if p.is_absolute() and p.is_dir() else None


def _first_own_theorem_origin(layout: ExportLayout) -> tuple[str, str]:
    for scheme, split, path in layout.split_files:
        label = f"{scheme}/{split}.json"
        for index, obj in _stream_array(path, label):
            where = _Where(label, index)
            if isinstance(obj, dict) and not is_dependency_path(str(obj.get("file_path", ""))):
                return _get(obj, "url", str, where), _get(obj, "commit", str, where)
    raise InputError(
        "no metadata.json with from_repo, and no theorem of the repository itself to take url/commit from",
        file=str(layout.root),
    )


def _own_file_owners(layout: ExportLayout, repos: list[RepoInfo]) -> dict[str, set[int]]:
    """For a merged export: which repositories (indexes into `repos`) each own file
    belongs to -- the repositories whose theorems are in it, then everything those files
    import; files nobody reaches belong to every repository."""
    by_origin = {(r.url, r.commit): i for i, r in enumerate(repos)}
    owners: dict[str, set[int]] = {}
    for scheme, split, path in layout.split_files:
        label = f"{scheme}/{split}.json"
        for index, obj in _stream_array(path, label):
            if not isinstance(obj, dict):
                raise _Where(label, index).error("", "expected a theorem object")
            i = by_origin.get((str(obj.get("url")), str(obj.get("commit"))))
            fp = obj.get("file_path")
            if i is not None and isinstance(fp, str):
                owners.setdefault(fp, set()).add(i)
    imports: dict[str, list[str]] = {}
    corpus = layout.root / "corpus.jsonl"
    if corpus.is_file():
        for _, obj, _ in _iter_jsonl(corpus, "corpus.jsonl"):
            if isinstance(obj.get("path"), str) and isinstance(obj.get("imports"), list):
                imports[obj["path"]] = [x for x in obj["imports"] if isinstance(x, str)]
    # propagate ownership along imports
    stack = list(owners)
    while stack:
        f = stack.pop()
        for g in imports.get(f, ()):
            before = owners.setdefault(g, set())
            added = owners[f] - before
            if added:
                before |= added
                stack.append(g)
    everyone = set(range(len(repos)))
    for f in imports:
        if not owners.get(f):
            owners[f] = set(everyone)
    return owners


def _record_digest(item: Any) -> bytes | None:
    """A digest of a parsed record, equal for equal records (None when it cannot be
    serialised back, e.g. an integer beyond 64 bits: such a record is always parsed)."""
    try:
        return hashlib.blake2b(orjson.dumps(item), digest_size=16).digest()
    except orjson.JSONEncodeError:
        return None


def _add_theorem_record(
    w: Ingest,
    item: Any,
    where: _Where,
    source: _Source,
    origin: tuple[str, str],
    mine: Callable[[str], bool] | None,
) -> int | None:
    """Validate and store one split-file record; its theorem id, or None when it is not
    this repository's (a merged export: `mine` says which files are)."""
    label, index = where.file, where.record
    thm, url, commit = parse_theorem(item, where, source)
    if mine is not None and (url, commit) != origin and not (
        is_dependency_path(thm.file_path) and mine(thm.file_path)
    ):
        return None
    if w.has_theorem(thm.file_path, thm.full_name, thm.start):
        return w.theorem_id(thm.file_path, thm.full_name, thm.start)
    tid = w.add_theorem(thm, where=f"{label} record {index}")
    if tid is None:
        tid = w.theorem_id(thm.file_path, thm.full_name, thm.start)
    return tid


def _import_one(
    store: Store,
    layout: ExportLayout,
    repo: RepoInfo,
    ownership: tuple[dict[str, set[int]], int] | None,
    source: _Source,
) -> IngestSummary:
    owners, repo_index = ownership if ownership is not None else (None, -1)

    def mine(path: str) -> bool:
        return owners is None or repo_index in owners.get(path, {repo_index})

    with store.ingest(repo) as w:
        # 1. corpus: files and premises (dependencies first, as LeanDojo orders it)
        corpus = layout.root / "corpus.jsonl"
        non_theorem_premises: list[tuple[str, PremiseRecord]] = []
        if corpus.is_file():
            for lineno, obj, _ in _iter_jsonl(corpus, "corpus.jsonl"):
                rec = parse_corpus_line(obj, _Where("corpus.jsonl", f"line {lineno}"))
                if not mine(rec.path):
                    continue
                w.add_file(rec, where=f"corpus.jsonl line {lineno}")
                for p in rec.premises:
                    if "sorry" in p.code and declaration_keyword(p.code) not in THEOREM_KEYWORDS:
                        non_theorem_premises.append((rec.path, p))
        else:
            w.add_diagnostic(Diagnostic(None, None, "no corpus.jsonl: premises unknown, links unresolved"))
        traced = layout.root / "traced_files.jsonl"
        if traced.is_file():
            for lineno, obj, _ in _iter_jsonl(traced, "traced_files.jsonl"):
                where = _Where("traced_files.jsonl", f"line {lineno}")
                traced_path = _rel_path(obj.get("traced_file_path"), where, "traced_file_path")
                if mine(traced_path) and not w.has_file(traced_path):
                    w.add_file(FileRecord(traced_path, [], [], f"untraced:{repo.url}@{repo.commit}"))
        # 2. theorems, from every split file; the same theorem appears once per scheme.
        # A record identical to one already validated and stored (its copy in the next
        # scheme's split) only gets its split: parsing it again would check the same
        # bytes twice, and was a third of the theorem pass.
        origin = (repo.url, repo.commit)
        done: dict[bytes, int | None] = {}
        for scheme, split, split_path in layout.split_files:
            label = f"{scheme}/{split}.json"
            for index, item in _stream_array(split_path, label):
                digest = _record_digest(item)
                if digest is not None and digest in done:
                    tid = done[digest]
                else:
                    tid = _add_theorem_record(w, item, _Where(label, index), source, origin,
                                              None if owners is None else mine)
                    if digest is not None:
                        done[digest] = tid
                if tid is not None:
                    w.add_split(f"export/{scheme}", tid, split)
        # 3. sorries in definitions (whole declarations are in the corpus)
        for file_path, premise in non_theorem_premises:
            text = source.slice(file_path, premise.start, premise.end) if source.root is not None else None
            if text is not None:
                lines = LineIndex(text, premise.start)
                found = [SorryRecord(*lines.pos(o), "body") for o in sorry_offsets(text)]
            else:
                found = [SorryRecord(None, None, "body") for _ in sorry_offsets(premise.code)]
            if found:
                w.add_declaration_sorries(DeclarationSorries(
                    file_path, premise.full_name, declaration_keyword(premise.code) or premise.kind, premise.start,
                    found,
                ))
        w.flush()
        # Official exports have no theorem_statement: the corpus holds the statement.
        store.conn.execute(
            "UPDATE theorems SET statement = (SELECT p.code FROM premises p WHERE p.file_id = theorems.file_id "
            "AND p.full_name = theorems.full_name ORDER BY p.start_line DESC LIMIT 1) "
            "WHERE statement IS NULL AND id IN (SELECT t.id FROM theorems t JOIN repo_files rf "
            "ON rf.file_id = t.file_id WHERE rf.repo_id = ?)",
            (w.repo_id,),
        )
        if source.root is None:
            unchecked = store.conn.execute(
                "SELECT COUNT(*) FROM theorems t JOIN repo_files rf ON rf.file_id = t.file_id "
                "WHERE rf.repo_id = ? AND rf.is_dependency = 0 AND t.num_steps = 0 AND t.status = 'proven'",
                (w.repo_id,),
            ).fetchone()[0]
            if unchecked:
                w.add_diagnostic(
                    Diagnostic(
                        None,
                        None,
                        f"{unchecked} theorems without traced tactics (term-mode proofs) could not be checked "
                        "for `sorry`: the export holds no proof text, so they are listed as 'not_inspected', not "
                        "as proven. Pass --source DIR (the repository checkout) to inspect them.",
                        severity="caveat",
                    )
                )
        return w.summary
