#!/usr/bin/env python3
"""Measures Cubby's safety filter on the held-out test split of every data set, layer by layer.

Loads the public sets (scripts/safety_model/sources.py) and the project's own toy examples, takes the
test split that scripts/safety_model/train.py fixed by hash (COLD's published dev file is all test:
it stands in for COLD's unpublished test split), and runs `cubby safety check` over it three times in
one run: the word rules alone, the learned model alone, and the whole filter. Reports, per source and
per category, recall on the unsafe rows and the share of safe rows flagged, plus per-sentence latency.

Sets read while the rules were written (XSTest, Safe-Child-LLM) are marked as development figures.

Usage: bench.py --cubby PATH --data DIR --json OUT [--age N]
"""
import argparse
import dataclasses
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "safety_model"))
import train  # noqa: E402

LAYERS = ("rules", "model", "all")
# Read while the rules were written (stop 9): their figures are development figures.
DEVELOPMENT_SETS = {"xstest", "safe-child-llm"}
# Toy sentences written for measuring only, by a writer who saw none of the project's examples, after the
# model they were first measured on (2026-12-04.2) was frozen. Never trained or tuned on; once read,
# later choices could lean on them, so the report names the model they were first measured on.
FRESH_DIR = os.path.join(HERE, "fresh")


def load_fresh():
    """The fresh sentences, in the format of our own examples (read by the trainer's own loader)."""
    return [dataclasses.replace(e, source=f"fresh-{e.lang}", trainable=False) for e in train.load_own(FRESH_DIR)]


def request(e, age):
    """One line for `cubby safety check`; a two-part example of ours goes as the text and its context."""
    line = {"text": e.text, "direction": "inbound" if e.direction == "in" else "outbound", "age": age}
    if train.CONTEXT_SEPARATOR in e.group:
        line["context"], line["text"] = e.group.split(train.CONTEXT_SEPARATOR, 1)
    return json.dumps(line, ensure_ascii=False) + "\n"


def run(cubby, examples, layers, age):
    lines = "".join(request(e, age) for e in examples)
    out = subprocess.run([cubby, "safety", "check", "--timings", "--layers", layers], input=lines, capture_output=True,
                         text=True, check=True).stdout
    results = [json.loads(l) for l in out.splitlines()]
    assert len(results) == len(examples), (len(results), len(examples))
    return results


def pct(a, b):
    return round(100.0 * a / b, 1) if b else None


def measure(examples, results):
    """Recall per category on unsafe rows (flagged at all, and flagged with that category) and the share
    of safe rows flagged."""
    out = {}
    safe = [r for e, r in zip(examples, results) if not e.labels]
    if safe:
        out["safe"] = {"n": len(safe), "flagged_pct": pct(sum(r["verdict"] == "flag" for r in safe), len(safe))}
    for c in train.CATEGORIES:
        rows = [(e, r) for e, r in zip(examples, results) if c in e.labels]
        if rows:
            out[c] = {"n": len(rows), "recall_pct": pct(sum(r["verdict"] == "flag" for _, r in rows), len(rows)),
                      "same_category_pct": pct(sum(c in r["categories"] for _, r in rows), len(rows))}
    unsafe = [r for e, r in zip(examples, results) if e.labels]
    if unsafe:
        out["unsafe"] = {"n": len(unsafe), "recall_pct": pct(sum(r["verdict"] == "flag" for r in unsafe), len(unsafe))}
    return out


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cubby", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--age", type=int, default=8)
    args = ap.parse_args()
    rows = train.load_everything(args.data)
    test = [e for e, split in rows if split == "test"] + load_fresh()
    groups = {}
    for e in test:
        groups.setdefault(e.source, []).append(e)
    report = {"age": args.age, "layers": {}, "development_sets": sorted(DEVELOPMENT_SETS),
              "trainable": {s: es[0].trainable for s, es in groups.items()}}
    for layers in LAYERS:
        results = run(args.cubby, test, layers, args.age)
        by_source = {}
        for source in sorted(groups):
            idx = [i for i, e in enumerate(test) if e.source == source]
            by_source[source] = measure([test[i] for i in idx], [results[i] for i in idx])
        # Every category over every source (development sets left out), and the safe child-directed text.
        held = [i for i, e in enumerate(test) if e.source not in DEVELOPMENT_SETS and not e.source.startswith("fresh-")]
        overall = measure([test[i] for i in held], [results[i] for i in held])
        own = [i for i, e in enumerate(test) if e.source.startswith("own-")]
        child = measure([test[i] for i in own], [results[i] for i in own])
        fresh = {lang: measure(*zip(*[(e, r) for e, r in zip(test, results) if e.source == f"fresh-{lang}"])) for lang in ("en", "zh")}
        micros = [r["micros"] for r in results]
        short = [r["micros"] for e, r in zip(test, results) if len(e.text) <= 160]
        report["layers"][layers] = {
            "by_source": by_source, "overall": overall, "child_directed": child, "fresh": fresh,
            "latency_us": {"sentences": len(short), "p50": percentile(short, 0.5), "p95": percentile(short, 0.95),
                           "p99": percentile(short, 0.99), "max": max(short) if short else None,
                           "all_texts_p99": percentile(micros, 0.99), "all_texts": len(micros)},
        }
        print(f"{layers}: {len(test)} test rows judged", file=sys.stderr)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
