"""A synthetic LeanDojo export of any size (LeanAgent variant), for benchmarks and the
kill-safety test. Shapes follow LeanDojo Benchmark 4 (reference §1.9): ~100k theorems of
~5 steps, ~160k premises in ~5k files, goal states of a few hundred characters, one or
two premise annotations per step pointing at earlier files."""

from __future__ import annotations

import random
from pathlib import Path

import orjson

URL = "https://github.com/example-org/synthetic-mathlib"
COMMIT = "5" * 40


def generate_export(dest: Path, *, theorems: int, files: int, premises: int, steps: int = 5,
                    seed: int = 0, url: str = URL, commit: str = COMMIT) -> Path:
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    per_file = max(1, premises // files)
    file_paths = [f"Synth/F{i // 100}/M{i}.lean" for i in range(files)]
    # premises per file: (full_name, start, end)
    layout: list[list[tuple[str, tuple[int, int], tuple[int, int]]]] = []
    with (dest / "corpus.jsonl").open("wb") as corpus, (dest / "traced_files.jsonl").open("wb") as traced:
        for i, path in enumerate(file_paths):
            imports = sorted({file_paths[j] for j in rng.sample(range(i), min(i, 3))}) if i else []
            prem = []
            entries = []
            for k in range(per_file):
                line = 10 + 6 * k
                name = f"Synth.M{i}.lemma_{k}"
                prem.append((name, (line, 1), (line + 4, 20)))
                entries.append(
                    {
                        "full_name": name,
                        "code": f"theorem lemma_{k} (a b : ℕ) (h : a ≤ b + {k}) : a * {k} ≤ (b + {k}) * {k}",
                        "start": [line, 1],
                        "end": [line + 4, 20],
                        "kind": "commanddeclaration",
                    }
                )
            layout.append(prem)
            corpus.write(orjson.dumps({"path": path, "imports": imports, "premises": entries}) + b"\n")
            traced.write(orjson.dumps({"traced_file_path": path}) + b"\n")
    n_val = n_test = max(1, theorems // 50)
    splits = {"train": theorems - n_val - n_test, "val": n_val, "test": n_test}
    state = "a b c : ℕ\nh₁ : a ≤ b\nh₂ : b ≤ c\n" + "x : ℕ\n" * 8 + "⊢ a + 0 ≤ c * 1 + x"
    counter = 0
    for scheme in ("random", "novel_premises"):
        (dest / scheme).mkdir(exist_ok=True)
    for split, count in splits.items():
        outs = [(dest / scheme / f"{split}.json").open("wb") for scheme in ("random", "novel_premises")]
        for out in outs:
            out.write(b"[")
        for n in range(count):
            fi = rng.randrange(files)
            k = rng.randrange(per_file)
            name, start, end = layout[fi][k]
            tactics = []
            for s in range(steps):
                anns = []
                marked = "rw [h₁]"
                for _a in range(1 + (s % 2)):
                    dj = rng.randrange(max(1, fi)) if fi else fi
                    pname, pstart, _ = layout[dj][rng.randrange(per_file)]
                    anns.append(
                        {
                            "full_name": pname,
                            "def_path": file_paths[dj],
                            "def_pos": [pstart[0], 9],
                            "def_end_pos": [pstart[0], 17],
                        }
                    )
                    marked += f" <a>{pname}</a>"
                tactics.append(
                    {
                        "tactic": f"apply le_trans {counter} {s}",
                        "annotated_tactic": [marked, anns],
                        "state_before": state + f" + {s}",
                        "state_after": state + f" + {s + 1}" if s < steps - 1 else "no goals",
                    }
                )
            record = orjson.dumps(
                {
                    "url": url,
                    "commit": commit,
                    "file_path": file_paths[fi],
                    "full_name": f"{name}.thm{counter}",
                    "theorem_statement": f"theorem thm{counter} (a b c : ℕ) : a ≤ c",
                    "start": [start[0] + 2, 1],
                    "end": [end[0], 10],
                    "traced_tactics": tactics,
                }
            )
            for out in outs:
                out.write((b",\n" if n else b"") + record)
            counter += 1
        for out in outs:
            out.write(b"]\n")
            out.close()
    (dest / "metadata.json").write_bytes(
        orjson.dumps({"from_repo": {"url": url, "commit": commit}, "leandojo_version": "synthetic"})
    )
    return dest
