"""Project files of a Lean 4 checkout: `lean-toolchain`, `lakefile.lean`/`lakefile.toml`,
`lake-manifest.json`.

Only what the indexer needs (package name, libraries and their `srcDir`s, required
packages with revisions, the Lean version) is read; the lakefile is Lean code and is
read with patterns, not evaluated. Nothing here raises on a malformed file: problems are
returned as diagnostics so that the sources are still indexed.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from database.lean_text import blank_comments
from database.source_files import Skipped, read_source


@dataclass
class ProjectInfo:
    toolchain: str | None = None
    lean_version: str | None = None
    package: str | None = None
    lakefile: str | None = None  # which file: lakefile.lean / lakefile.toml
    libraries: list[dict] = field(default_factory=list)  # {name, srcDir, roots}
    requires: list[dict] = field(default_factory=list)  # {name, url, rev, ...} from the lakefile
    manifest_packages: list[dict] = field(default_factory=list)  # {name, url, rev, inputRev, type}
    src_dirs: list[str] = field(default_factory=list)  # module roots relative to the project root
    diagnostics: list[tuple[str, str]] = field(default_factory=list)  # (file, message)

    def as_metadata(self) -> dict:
        return {
            "toolchain": self.toolchain,
            "package": self.package,
            "lakefile": self.lakefile,
            "libraries": self.libraries,
            "requires": self.requires,
            "manifest_packages": self.manifest_packages,
        }


#: Project files are small; a bigger one is not a project file worth reading.
_MAX_PROJECT_FILE = 1024 * 1024


def _read(path: Path, within: Path) -> str | None:
    """A project file's text, if it is a regular file inside the project (symbolic links
    out of it, FIFOs, devices and huge files are not read)."""
    if not path.exists():
        return None
    try:
        return read_source(path, within=within, limit=_MAX_PROJECT_FILE).decode("utf-8", errors="replace")
    except Skipped:
        return None


_LEAN_STR = r'"((?:[^"\\]|\\.)*)"'
_NAME = r"(«[^»]+»|[\w.'!?-]+)"


def read_project(root: Path) -> ProjectInfo:
    info = ProjectInfo()
    tc = _read(root / "lean-toolchain", root)
    if tc is not None and tc.strip():
        info.toolchain = tc.strip().splitlines()[0].strip()
        info.lean_version = info.toolchain.split(":", 1)[-1]
    toml_path, lean_path = root / "lakefile.toml", root / "lakefile.lean"
    if toml_path.is_file():
        info.lakefile = "lakefile.toml"
        _read_toml(toml_path, root, info)
    elif lean_path.is_file():
        info.lakefile = "lakefile.lean"
        _read_lakefile_lean(lean_path, root, info)
    manifest = _read(root / "lake-manifest.json", root)
    if manifest is not None:
        try:
            data = json.loads(manifest)
            for p in data.get("packages", []) if isinstance(data, dict) else []:
                if isinstance(p, dict):
                    info.manifest_packages.append(
                        {k: p.get(k) for k in ("name", "url", "rev", "inputRev", "type", "subDir", "dir")
                         if p.get(k) is not None}
                    )
            if isinstance(data, dict) and not info.package and isinstance(data.get("name"), str):
                info.package = data["name"]
        except (json.JSONDecodeError, AttributeError) as exc:
            info.diagnostics.append(("lake-manifest.json", f"unreadable manifest: {exc}"))
    roots = {""}
    for lib in info.libraries:
        if lib.get("srcDir"):
            roots.add(lib["srcDir"].strip("./").rstrip("/"))
    info.src_dirs = sorted(roots)
    return info


def _read_toml(path: Path, root: Path, info: ProjectInfo) -> None:
    try:
        data = tomllib.loads(_read(path, root) or "")
    except tomllib.TOMLDecodeError as exc:
        info.diagnostics.append((path.name, f"invalid TOML: {exc}"))
        return
    info.package = data.get("name") if isinstance(data.get("name"), str) else None
    src_dir = data.get("srcDir")
    for lib in data.get("lean_lib", []) or []:
        if isinstance(lib, dict):
            info.libraries.append({"name": lib.get("name"), "srcDir": lib.get("srcDir", src_dir),
                                   "roots": lib.get("roots")})
    for req in data.get("require", []) or []:
        if isinstance(req, dict):
            info.requires.append({k: req.get(k) for k in ("name", "git", "rev", "scope", "version", "path")
                                  if req.get(k) is not None})


def _read_lakefile_lean(path: Path, root: Path, info: ProjectInfo) -> None:
    text = blank_comments(_read(path, root) or "")
    m = re.search(rf"^\s*package\s+{_NAME}", text, re.M)
    if m:
        info.package = m.group(1).strip("«»")
    pkg_src = re.search(rf"^\s*package\b[^\n]*(?:\n[ \t]+[^\n]*)*?srcDir\s*:=\s*{_LEAN_STR}", text, re.M)
    for lm in re.finditer(rf"^\s*(?:@\[[^\]]*\]\s*)?lean_lib\s+{_NAME}((?:[^\n]*\n?)(?:[ \t]+[^\n]*\n?)*)", text, re.M):
        body = lm.group(2)
        sd = re.search(rf"srcDir\s*:=\s*{_LEAN_STR}", body)
        info.libraries.append({"name": lm.group(1).strip("«»"),
                               "srcDir": sd.group(1) if sd else (pkg_src.group(1) if pkg_src else None)})
    for rm in re.finditer(
        rf"^\s*require\s+(?:{_LEAN_STR}\s*/\s*)?{_NAME}(?:\s+from\s+git\s+{_LEAN_STR}(?:\s*@\s*{_LEAN_STR})?)?"
        rf"(?:\s+@\s+(?:git\s+)?{_LEAN_STR})?",
        text,
        re.M,
    ):
        req = {"name": rm.group(2).strip("«»")}
        if rm.group(1):
            req["scope"] = rm.group(1)
        if rm.group(3):
            req["git"] = rm.group(3)
        if rm.group(4) or rm.group(5):
            req["rev"] = rm.group(4) or rm.group(5)
        info.requires.append(req)
