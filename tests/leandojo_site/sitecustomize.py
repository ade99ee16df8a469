"""Loaded by the tracing worker in tests (this directory is put on PYTHONPATH): stands in
for the two steps of `lean_dojo.trace` that cannot run here.

* ``lean_dojo.data_extraction.trace._trace`` runs ``lake build`` and
  ``lake env lean --run ExtractData.lean`` in a clone of the repository. The stand-in makes
  the same clone (lean-dojo's own `clone_and_checkout`) and copies in the files
  ExtractData.lean would have written (tests/leandojo_fixture.py).
* ``LeanGitRepo.get_dependencies`` asks the GitHub API for the commit of the project's Lean
  toolchain; the stand-in returns a local repository in its place.

Everything else -- parsing the traces, the XML cache, loading, checking, leanagent's
conversion -- runs as it would on a machine with Lean. Active only when
LEANAGENT_TEST_FAKE_EXTRACT is set.
"""

import os

_EXTRACT = os.environ.get("LEANAGENT_TEST_FAKE_EXTRACT")
if _EXTRACT:
    import shutil

    import lean_dojo.data_extraction.lean as _lean
    import lean_dojo.data_extraction.trace as _trace

    _OUTPUTS: str = _EXTRACT

    def _fake_trace(repo, build_deps):
        repo.clone_and_checkout()
        shutil.copytree(_OUTPUTS, repo.name, dirs_exist_ok=True)

    def _dependencies(self, path=None):
        where, sha = os.environ["LEANAGENT_TEST_FAKE_LEAN4"].rsplit("@", 1)
        return {"lean4": _lean.LeanGitRepo(where, sha)}

    _trace._trace = _fake_trace
    _lean.LeanGitRepo.get_dependencies = _dependencies
