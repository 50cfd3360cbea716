"""Reads an evaltrack/gllm-evals results folder the way Python users do, and prints JSON.

Usage: python3 read_results.py <folder>
Prints {"header": [...], "rows": [{column: value, ...}], "leaderboard": [...]} where data, metadata
and evaluation_result cells are parsed with json.loads, as gllm-evals users' scripts do.
"""
import csv
import json
import sys

csv.field_size_limit(1 << 30)
folder = sys.argv[1]
out = {}
with open(f"{folder}/experiment_results.csv", newline="", encoding="utf-8") as f:
    reader = csv.DictReader(f)
    rows = []
    for row in reader:
        if None in row:
            raise SystemExit(f"row with more cells than the header: {row[None]!r}")
        for key in ("data", "metadata", "evaluation_result"):
            if row.get(key):
                row[key] = json.loads(row[key])
        rows.append(row)
    out["header"] = reader.fieldnames
    out["rows"] = rows
try:
    with open(f"{folder}/leaderboard.csv", newline="", encoding="utf-8") as f:
        out["leaderboard"] = list(csv.DictReader(f))
except FileNotFoundError:
    out["leaderboard"] = None
# ensure_ascii keeps lone surrogates representable in the JSON we print.
print(json.dumps(out, ensure_ascii=True))
