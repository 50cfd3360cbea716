"""Drives the real Python gllm-evals for the interop tests, one process per scenario.

Usage: <python of .python-env> gllm_driver.py < steps.json
Reads a JSON list of steps from stdin, runs each with the library's own classes, and prints one JSON
line: {"version": ..., "outputs": [one output per step]}. Importing gllm_evals takes seconds, so a
test sends all of its steps at once.

Steps ({"op": ...}):
- tracker: {"dir", "project", "options"?: CSVExperimentTracker keyword arguments,
  "aggregators"?: names of RUN_AGGREGATORS} makes the tracker the next steps use.
- log / alog: {"result", "dataset", "data", "run_id"?, "metadata"?}
- log_batch: {"results": row-grouped [[result, ...], ...], "dataset", "data": [...], ...}
- history: get_experiment_history(); run_results: {"run_id"} get_run_results(run_id);
  all_run_results: {run_id: get_run_results(run_id)} for every run of the history
- evaluate: {"dir", "project", "dataset", "data": [...], "run_id"?} evaluate() with one
  deterministic evaluator (exact match of actual and expected output; no LLM), into a
  CSVExperimentTracker on "dir"; outputs the run id.
Samples ("data") are made into the library's LLMTestCase; it keeps extra keys such as "id".
"""

import asyncio
import json
import os
import sys

os.environ.setdefault("DEEPEVAL_TELEMETRY_OPT_OUT", "YES")

from importlib.metadata import version  # noqa: E402

from gllm_evals import LLMTestCase, evaluate  # noqa: E402
from gllm_evals.evaluator.evaluator import BaseEvaluator  # noqa: E402
from gllm_evals.experiment_tracker import CSVExperimentTracker  # noqa: E402
from gllm_evals.metrics.metric import BaseMetric  # noqa: E402
from gllm_evals.types import MetricScore  # noqa: E402

# Run aggregators the tests can name: (evaluation_results, data) -> dict, as the library calls them.
RUN_AGGREGATORS = {
    "count": lambda results, data: {"rows": len(results)},
    "inputs": lambda results, data: {"first_input": getattr(data[0], "input", None) if data else None},
}


class ExactMatch(BaseMetric):
    """1.0 when the actual output equals the expected output, else 0.0; passes at 1.0."""

    def __init__(self):
        super().__init__()
        self.name = "exact_match"
        self.required_fields = {"actual_output", "expected_output"}
        self.threshold = 1.0

    async def _evaluate(self, data):
        same = data.actual_output == data.expected_output
        return MetricScore(score=1.0 if same else 0.0, explanation="same" if same else "different")


class Lexical(BaseEvaluator):
    def __init__(self):
        super().__init__(name="lexical", metrics=[ExactMatch()])

    async def _evaluate(self, data):
        return {m.name: await m.evaluate(data) for m in self.metrics}


def sample(d):
    return LLMTestCase(**d)


async def run(steps):
    tracker = None
    outputs = []
    for step in steps:
        op = step["op"]
        out = None
        if op == "tracker":
            aggregators = [RUN_AGGREGATORS[n] for n in step.get("aggregators", [])]
            options = dict(step.get("options", {}))
            if aggregators:
                options["run_aggregators"] = aggregators
            tracker = CSVExperimentTracker(step["project"], output_dir=step["dir"], **options)
        elif op in ("log", "alog"):
            args = (step["result"], step["dataset"], sample(step["data"]))
            kwargs = {"run_id": step.get("run_id"), "metadata": step.get("metadata")}
            out = tracker.log(*args, **kwargs) if op == "log" else await tracker.alog(*args, **kwargs)
        elif op == "log_batch":
            out = await tracker.log_batch(
                step["results"],
                step["dataset"],
                [sample(d) for d in step["data"]],
                run_id=step.get("run_id"),
                metadata=step.get("metadata"),
            )
        elif op == "history":
            out = tracker.get_experiment_history()
        elif op == "run_results":
            out = tracker.get_run_results(step["run_id"])
        elif op == "all_run_results":
            out = {h["run_id"]: tracker.get_run_results(h["run_id"]) for h in tracker.get_experiment_history()}
        elif op == "evaluate":
            t = CSVExperimentTracker(step["project"], output_dir=step["dir"])
            kwargs = {"dataset_name": step["dataset"]}
            if step.get("run_id"):
                kwargs["run_id"] = step["run_id"]
            result = await evaluate([sample(d) for d in step["data"]], [Lexical()], experiment_tracker=t, **kwargs)
            out = result.run_id
        else:
            raise SystemExit(f"unknown step {op!r}")
        outputs.append(out)
    return outputs


def main():
    steps = json.load(sys.stdin)
    # The library logs to stdout through rich; keep stdout for our one line of JSON.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        outputs = asyncio.run(run(steps))
    finally:
        sys.stdout = real_stdout
    print(json.dumps({"version": version("gllm-evals-binary"), "outputs": outputs}, ensure_ascii=True))


main()
