"""Schema and explicit, numbered migrations.

Each migration is applied once, in order, inside a transaction, and recorded in
``schema_version``. Never edit a released migration: add a new one. A database whose
version is newer than the newest migration known here is refused (``SchemaTooNew``)
rather than guessed at.

Design notes (why the tables look like this):

* ``files`` are content-addressed for dependencies: a dependency file (``.lake/...``,
  Lean core) with the same path and content hash is stored once and linked to every
  repository that has it through ``repo_files``; ten Mathlib-based repositories do not
  hold ten copies of Mathlib. A repository's own files are owned by it
  (``owner_repo_id``) and never shared.
* theorems, premises and sorries hang off files, so dependency theorems are shared with
  their files, and "the repository's own theorems" is a join through ``repo_files`` with
  ``is_dependency = 0`` -- LeanAgent mixed the two and its per-repo numbers became
  Mathlib numbers.
* positions are stored as separate integer columns so that range queries ("which
  premise contains this position", "which premises end before this theorem") use
  indexes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def _split(sql: str) -> tuple[str, ...]:
    # Statements are separated by ';' at the end of a line; none of our DDL contains
    # that sequence inside a statement.
    return tuple(s.strip() for s in sql.split(";\n") if s.strip())


_V1 = """
CREATE TABLE repositories (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    name TEXT NOT NULL,
    "commit" TEXT NOT NULL,
    lean_version TEXT,
    tracer TEXT NOT NULL,
    tracer_version TEXT,
    path TEXT,
    added_at TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    UNIQUE (url, "commit")
);
CREATE INDEX idx_repositories_name ON repositories (name);

CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    imports TEXT NOT NULL DEFAULT '[]',
    is_dependency INTEGER NOT NULL,
    package TEXT,
    num_lines INTEGER,
    owner_repo_id INTEGER REFERENCES repositories (id)
);
CREATE UNIQUE INDEX idx_files_shared ON files (path, content_hash) WHERE owner_repo_id IS NULL;
CREATE UNIQUE INDEX idx_files_owned ON files (owner_repo_id, path) WHERE owner_repo_id IS NOT NULL;

CREATE TABLE repo_files (
    repo_id INTEGER NOT NULL REFERENCES repositories (id),
    file_id INTEGER NOT NULL REFERENCES files (id),
    is_dependency INTEGER NOT NULL,
    PRIMARY KEY (repo_id, file_id)
) WITHOUT ROWID;
CREATE INDEX idx_repo_files_file ON repo_files (file_id);

CREATE TABLE premises (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files (id),
    full_name TEXT NOT NULL,
    code TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_line INTEGER NOT NULL,
    start_col INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    end_col INTEGER NOT NULL
);
CREATE INDEX idx_premises_file_pos ON premises (file_id, start_line, start_col);
CREATE INDEX idx_premises_name ON premises (full_name);

CREATE TABLE theorems (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files (id),
    full_name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'theorem',
    statement TEXT,
    start_line INTEGER NOT NULL,
    start_col INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    end_col INTEGER NOT NULL,
    proof_style TEXT,
    status TEXT NOT NULL CHECK (status IN ('proven', 'sorry', 'proved_by_agent')),
    num_steps INTEGER NOT NULL DEFAULT 0,
    difficulty REAL,
    is_dependency INTEGER NOT NULL,
    sorry_checked TEXT NOT NULL DEFAULT 'source',
    UNIQUE (file_id, full_name, start_line, start_col)
);
CREATE INDEX idx_theorems_status ON theorems (status);
CREATE INDEX idx_theorems_name ON theorems (full_name);

CREATE TABLE tactic_steps (
    id INTEGER PRIMARY KEY,
    theorem_id INTEGER NOT NULL REFERENCES theorems (id),
    idx INTEGER NOT NULL,
    tactic TEXT NOT NULL,
    annotated_tactic TEXT,
    state_before TEXT,
    state_after TEXT,
    line INTEGER,
    col INTEGER,
    structure TEXT,
    UNIQUE (theorem_id, idx)
);

CREATE TABLE premise_links (
    id INTEGER PRIMARY KEY,
    theorem_id INTEGER NOT NULL REFERENCES theorems (id),
    step_id INTEGER REFERENCES tactic_steps (id),
    idx INTEGER NOT NULL,
    premise_id INTEGER REFERENCES premises (id),
    full_name TEXT NOT NULL,
    def_path TEXT NOT NULL,
    def_line INTEGER NOT NULL,
    def_col INTEGER NOT NULL,
    def_end_line INTEGER,
    def_end_col INTEGER,
    resolution TEXT NOT NULL
);
CREATE INDEX idx_links_theorem ON premise_links (theorem_id);
CREATE INDEX idx_links_step ON premise_links (step_id);
CREATE INDEX idx_links_premise ON premise_links (premise_id);

CREATE TABLE sorries (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files (id),
    theorem_id INTEGER REFERENCES theorems (id),
    declaration TEXT NOT NULL,
    kind TEXT NOT NULL,
    decl_line INTEGER NOT NULL,
    decl_col INTEGER NOT NULL,
    line INTEGER,
    col INTEGER,
    context TEXT NOT NULL
);
CREATE INDEX idx_sorries_file ON sorries (file_id);
CREATE INDEX idx_sorries_theorem ON sorries (theorem_id);

CREATE TABLE split_assignments (
    scheme TEXT NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories (id),
    theorem_id INTEGER NOT NULL REFERENCES theorems (id),
    split TEXT NOT NULL CHECK (split IN ('train', 'val', 'test')),
    PRIMARY KEY (scheme, repo_id, theorem_id)
) WITHOUT ROWID;

CREATE TABLE diagnostics (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER NOT NULL REFERENCES repositories (id),
    file_path TEXT,
    line INTEGER,
    severity TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX idx_diagnostics_repo ON diagnostics (repo_id);

CREATE TABLE checkpoints (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES checkpoints (id),
    path TEXT NOT NULL,
    model_name TEXT NOT NULL,
    data_fingerprint TEXT,
    config TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);

CREATE TABLE faiss_indexes (
    id INTEGER PRIMARY KEY,
    checkpoint_id INTEGER REFERENCES checkpoints (id),
    encoder TEXT NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    dim INTEGER NOT NULL,
    num_vectors INTEGER NOT NULL,
    corpus_fingerprint TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY,
    checkpoint_id INTEGER REFERENCES checkpoints (id),
    method TEXT NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories (id),
    scheme TEXT NOT NULL,
    split TEXT NOT NULL,
    r1 REAL,
    r10 REAL,
    mrr REAL,
    num_queries INTEGER NOT NULL,
    run_id INTEGER REFERENCES runs (id),
    details TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE INDEX idx_evaluations_ckpt ON evaluations (checkpoint_id, repo_id);

CREATE TABLE proofs (
    id INTEGER PRIMARY KEY,
    theorem_id INTEGER NOT NULL REFERENCES theorems (id),
    proof TEXT NOT NULL,
    checked_by TEXT NOT NULL,
    checkpoint_id INTEGER REFERENCES checkpoints (id),
    run_id INTEGER REFERENCES runs (id),
    stats TEXT NOT NULL DEFAULT '{}',
    found_at TEXT NOT NULL
);
CREATE INDEX idx_proofs_theorem ON proofs (theorem_id);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    config TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE run_stages (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    position INTEGER NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories (id),
    stage TEXT NOT NULL,
    status TEXT NOT NULL,
    info TEXT NOT NULL DEFAULT '{}',
    started_at TEXT,
    finished_at TEXT,
    PRIMARY KEY (run_id, position, stage)
) WITHOUT ROWID
"""

# Proof search (shared by the prover, the lifelong loop and the report): one row per
# attempt on one theorem, whatever its outcome, so that Pass@1 keeps every attempted
# theorem in its denominator (failures to start included, by reason), and one `proofs`
# row per proof Lean accepted in context, pointing at the attempt that found it.
# `training_steps`: the loss curve of each checkpoint, one row per optimiser step (loss
# averaged over its micro-batches; ``seconds`` since training started; ``examples`` seen
# so far), so that reports read it from the database rather than checkpoint files.
_V2 = """
CREATE TABLE proof_attempts (
    id INTEGER PRIMARY KEY,
    theorem_id INTEGER NOT NULL REFERENCES theorems (id),
    run_id INTEGER REFERENCES runs (id),
    checkpoint_id INTEGER REFERENCES checkpoints (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('sorry', 'evaluate')),
    backend TEXT NOT NULL,
    generator TEXT NOT NULL,
    lean_version TEXT,
    status TEXT NOT NULL CHECK (status IN ('proved', 'failed', 'error')),
    stop_reason TEXT NOT NULL,
    verification TEXT,
    proof TEXT,
    nodes_expanded INTEGER NOT NULL DEFAULT 0,
    lean_calls INTEGER NOT NULL DEFAULT 0,
    seconds REAL NOT NULL DEFAULT 0,
    generator_seconds REAL NOT NULL DEFAULT 0,
    lean_seconds REAL NOT NULL DEFAULT 0,
    details TEXT NOT NULL DEFAULT '{}',
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
CREATE INDEX idx_proof_attempts_theorem ON proof_attempts (theorem_id);
CREATE INDEX idx_proof_attempts_run ON proof_attempts (run_id);
ALTER TABLE proofs ADD COLUMN attempt_id INTEGER REFERENCES proof_attempts (id);
ALTER TABLE proofs ADD COLUMN depends_on_sorry INTEGER NOT NULL DEFAULT 0;

CREATE TABLE training_steps (
    checkpoint_id INTEGER NOT NULL REFERENCES checkpoints (id),
    step INTEGER NOT NULL,
    loss REAL NOT NULL,
    lr REAL,
    seconds REAL,
    examples INTEGER,
    PRIMARY KEY (checkpoint_id, step)
) WITHOUT ROWID
"""

# Fusion weights per encoder (a checkpoint, or the base model at one token length),
# previously kept in the checkpoint row's config (``"fusion"``) or, for base encoders, in
# a ``fusion.json`` next to the index. Weights already in checkpoint rows move here; a
# base encoder's old ``fusion.json`` is not read any more (its weights are chosen again on
# the next evaluation with ``fused``, from the same validation data).
_V3 = """
CREATE TABLE fusion_weights (
    encoder TEXT PRIMARY KEY,
    checkpoint_id INTEGER REFERENCES checkpoints (id),
    w_bm25 REAL NOT NULL,
    w_loc REAL NOT NULL,
    val_r10 REAL,
    val_r10_dense REAL,
    val_r10_gain REAL NOT NULL DEFAULT 0,
    val_queries INTEGER NOT NULL DEFAULT 0,
    tuned_on TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);
INSERT INTO fusion_weights (encoder, checkpoint_id, w_bm25, w_loc, val_r10, val_r10_dense, val_r10_gain,
    val_queries, tuned_on, created_at)
SELECT 'ckpt-' || id, id, json_extract(config, '$.fusion.w_bm25'), json_extract(config, '$.fusion.w_loc'),
    json_extract(config, '$.fusion.val_r10'), json_extract(config, '$.fusion.val_r10_dense'),
    COALESCE(json_extract(config, '$.fusion.val_r10_gain'), 0),
    COALESCE(json_extract(config, '$.fusion.val_queries'), 0),
    COALESCE(json_extract(config, '$.fusion.tuned_on'), '[]'), created_at
FROM checkpoints WHERE json_extract(config, '$.fusion.w_bm25') IS NOT NULL;
UPDATE checkpoints SET config = json_remove(config, '$.fusion') WHERE json_extract(config, '$.fusion') IS NOT NULL
"""

# Every attempt to add a source (`leanagent add`, `leanagent crawl`), whatever its
# outcome: a failed repository keeps its reason here instead of stopping the others,
# and a rerun of the crawler reads it to skip what is done. ``retryable`` separates
# failures a rerun should retry (a network error) from ones it should not (a toolchain
# no tracer supports). ``repo_id`` is set when the source was added (or already was).
_V4 = """
CREATE TABLE source_attempts (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT,
    name TEXT,
    "commit" TEXT,
    origin TEXT NOT NULL CHECK (origin IN ('add', 'crawl')),
    tracer TEXT,
    status TEXT NOT NULL CHECK (status IN ('added', 'already', 'failed', 'skipped')),
    reason TEXT,
    retryable INTEGER NOT NULL DEFAULT 0,
    repo_id INTEGER REFERENCES repositories (id),
    details TEXT NOT NULL DEFAULT '{}',
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
CREATE INDEX idx_source_attempts_url ON source_attempts (url);
CREATE INDEX idx_source_attempts_source ON source_attempts (source)
"""

# Fusion weights per encoder AND the set of repositories whose validation queries chose
# them (``repos``: a JSON list of "url@commit", sorted; ``repos_key`` its SHA-256), so
# that weights tuned on one set never decide a fused number on another (one encoder
# evaluated on repository A, later on A and B, gets weights for each). Rows from before
# cannot be keyed: their ``tuned_on`` names commits by 12-character prefixes only and may
# count 0 validation queries. They are kept for the record under ``repos_key`` 'legacy',
# which no lookup asks for, and chosen again on the next evaluation with ``fused``.
_V5 = """
CREATE TABLE fusion_weights_v5 (
    encoder TEXT NOT NULL,
    repos_key TEXT NOT NULL,
    repos TEXT NOT NULL DEFAULT '[]',
    checkpoint_id INTEGER REFERENCES checkpoints (id),
    w_bm25 REAL NOT NULL,
    w_loc REAL NOT NULL,
    val_r10 REAL,
    val_r10_dense REAL,
    val_r10_gain REAL NOT NULL DEFAULT 0,
    val_queries INTEGER NOT NULL DEFAULT 0,
    tuned_on TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    PRIMARY KEY (encoder, repos_key)
);
INSERT INTO fusion_weights_v5 (encoder, repos_key, repos, checkpoint_id, w_bm25, w_loc, val_r10, val_r10_dense,
    val_r10_gain, val_queries, tuned_on, created_at)
SELECT encoder, 'legacy', '[]', checkpoint_id, w_bm25, w_loc, val_r10, val_r10_dense, val_r10_gain, val_queries,
    tuned_on, created_at FROM fusion_weights;
DROP TABLE fusion_weights;
ALTER TABLE fusion_weights_v5 RENAME TO fusion_weights;
CREATE INDEX idx_fusion_weights_checkpoint ON fusion_weights (checkpoint_id)
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _split(_V1)),
    Migration(2, "proof attempts and training curves", _split(_V2)),
    Migration(3, "fusion weights per encoder", _split(_V3)),
    Migration(4, "source attempts (add and crawl outcomes)", _split(_V4)),
    Migration(5, "fusion weights per encoder and tuning repositories", _split(_V5)),
)

LATEST_VERSION = MIGRATIONS[-1].version
