#!/usr/bin/env bash
# Creates .python-env/ (ignored by git): a virtual environment with the real Python gllm-evals,
# pinned, which the interop tests (test/interop/) drive as the judge of file compatibility.
# Run again at any time: an environment that already imports the pinned version is kept.
#
# Why the `deepeval` extra: `import gllm_evals` imports every metric module, and some import
# deepeval at load time, which the package lists only as an optional extra. Without it the
# tracker classes cannot be imported at all (ModuleNotFoundError: No module named 'deepeval').
set -euo pipefail
cd "$(dirname "$0")/.."

GLLM_EVALS_VERSION=0.1.41
ENV_DIR=.python-env
PYTHON=${PYTHON:-python3}
export DEEPEVAL_TELEMETRY_OPT_OUT=YES

check() {
  "$ENV_DIR/bin/python" - "$GLLM_EVALS_VERSION" <<'PY'
import sys
from importlib.metadata import version
from gllm_evals.experiment_tracker import CSVExperimentTracker  # noqa: F401 (import is the check)
found = version("gllm-evals-binary")
if found != sys.argv[1]:
    raise SystemExit(f"gllm-evals-binary {found} is installed, {sys.argv[1]} is pinned")
print(f"gllm-evals-binary {found} imports in {sys.prefix}")
PY
}

if [ -x "$ENV_DIR/bin/python" ] && check 2>/dev/null; then
  exit 0
fi

start=$(date +%s)
rm -rf "$ENV_DIR"
"$PYTHON" -m venv "$ENV_DIR"
"$ENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  "gllm-evals-binary[deepeval]==$GLLM_EVALS_VERSION"
check
echo "installed in $(($(date +%s) - start)) s"
