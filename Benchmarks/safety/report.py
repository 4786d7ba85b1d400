#!/usr/bin/env python3
"""Writes Benchmarks/results/safety.md from bench.py's JSON: rules alone, model alone and the whole
filter side by side, on the test split of every source."""
import json
import os
import platform
import subprocess
import sys

report, out, command = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
layers = report["layers"]
cats = ["sexual", "violence", "self_harm", "dangerous_activity", "drugs", "hate", "profanity", "personal_information",
        "grooming", "manipulation", "rule_breaking", "disclosure", "wrongdoing", "scary"]


def f(x):
    return "–" if x is None else f"{x:.1f}"


def trio(get):
    return " / ".join(f(get(layers[name])) for name in ("rules", "model", "all"))


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "safety_model"))
import modelfile  # noqa: E402
model_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Sources", "CubbySafety", "Classifier", "safety.cubbymodel")
header = modelfile.read_header(model_path)
header["bytes"] = os.path.getsize(model_path)
L = ["# Safety filter benchmark: held-out test splits\n",
     f"Command: `{command}`  ",
     f"Machine: {cpu}, {cores} cores, {platform.system()} {platform.release()}; release build, one thread.  ",
     f"Model: `{header['version']}`, data digest `{header['data_digest'][:16]}…`. Age {report['age']}.\n",
     "Every source is split once by a fixed hash (`scripts/safety_model/train.py`, `split_of`): 70 % train, 15 % dev, "
     "15 % test; COLD's published dev file is all test (it stands in for COLD's unpublished test split). The model "
     "was trained on train, its thresholds chosen on dev; **every figure here is on test**, which neither saw. "
     "Sets marked *eval-only* were never trained or tuned on in any split. Sets marked *development* were read "
     "while the word rules were written (XSTest, Safe-Child-LLM): their rules and full-filter figures are development figures. "
     "The *fresh* toy sentences (`Benchmarks/safety/fresh`, 200 English and 200 Chinese, half unsafe, every category) were "
     "written for measuring only by a writer who saw none of the project's examples, after the model was frozen (an uncommitted build labelled 2026-12-04.2, with the 8-bit head and every category capped at 0.95); "
     "they were first read by the benchmark run for that model (which caught 78 % and 66 % and flagged 11 % and 7 %), and "
     "again for models 2026-12-04.6 and 2026-12-05.1. Nothing since was chosen on them: the later models' changes (thresholds, "
     "new examples of our own, an overall output, the model overruling the rules) were chosen on dev. "
     "Later models could lean on them: held out, but no longer unseen.\n",
     "Each cell is **rules alone / model alone / whole filter**, measured in the same run. The peers named in the "
     "brief (xiaozhi-esp32-server, ElatoAI, FoloToy) filter nothing on the device: 0 % everywhere.\n"]

L += ["## Bars\n", "| measure | bar | rules / model / all |", "|---|---|---|"]
child = lambda l: l["child_directed"].get("safe", {}).get("flagged_pct")
L.append(f"| safe child-directed text flagged (own examples, test) | ≤ 3 % | {trio(child)} |")
cold = lambda key: (lambda l: l["by_source"].get("cold-dev", {}).get(key, {}).get("recall_pct" if key == "hate" else "flagged_pct"))
for lang, name in (("en", "English"), ("zh", "Chinese")):
    fresh = lambda key, field: (lambda l: l.get("fresh", {}).get(lang, {}).get(key, {}).get(field))
    L.append(f"| fresh {name} toy sentences (never trained or tuned on): unsafe caught | ≥ 95 % | {trio(fresh('unsafe', 'recall_pct'))} |")
    L.append(f"| fresh {name} toy sentences: safe flagged | ≤ 3 % | {trio(fresh('safe', 'flagged_pct'))} |")
L.append(f"| COLD (dev file as test) recall | ≥ 85 % | {trio(cold('hate'))} |")
L.append(f"| COLD (dev file as test) false positives | ≤ 10 % | {trio(cold('safe'))} |")
for c in cats:
    n = layers["all"]["overall"].get(c, {}).get("n", 0)
    if n >= 50:
        L.append(f"| {c} recall, all held-out sources ({n} rows) | ≥ 95 % | {trio(lambda l: l['overall'].get(c, {}).get('recall_pct'))} |")
lat = layers["all"]["latency_us"]
L.append(f"| latency per sentence (≤ 160 characters), whole filter, p50 / p95 / p99 | p99 ≤ 10 ms | "
         f"{lat['p50'] / 1000:.2f} / {lat['p95'] / 1000:.2f} / {lat['p99'] / 1000:.2f} ms over {lat['sentences']} sentences (max {lat['max'] / 1000:.1f} ms) |")
L.append(f"| latency, every test text (jailbreaks up to 600 characters), p99 | | {lat['all_texts_p99'] / 1000:.2f} ms over {lat['all_texts']} texts |")
L.append(f"| model file | ≤ 20 MB | {header['bytes'] / 1e6:.2f} MB |")

L += ["", "## Per category, every held-out source together (development sets left out)\n",
      "Recall = share of a category's unsafe rows the filter flagged (for any category).\n",
      "| category | test rows | recall: rules / model / all |", "|---|---|---|"]
for c in cats:
    n = layers["all"]["overall"].get(c, {}).get("n")
    if n:
        L.append(f"| {c} | {n} | {trio(lambda l: l['overall'].get(c, {}).get('recall_pct'))} |")
L.append(f"| safe rows flagged | {layers['all']['overall'].get('safe', {}).get('n')} | {trio(lambda l: l['overall'].get('safe', {}).get('flagged_pct'))} |")

L += ["", "## Per source\n", "| source | kind | test rows | unsafe recall: rules / model / all | safe flagged: rules / model / all |",
      "|---|---|---|---|---|"]
for source in sorted(layers["all"]["by_source"]):
    m = layers["all"]["by_source"][source]
    kind = "development" if source in report["development_sets"] else ("trainable" if report["trainable"][source] else "eval-only")
    n = m.get("unsafe", {}).get("n", 0) + m.get("safe", {}).get("n", 0)
    L.append(f"| {source} | {kind} | {n} | {trio(lambda l: l['by_source'][source].get('unsafe', {}).get('recall_pct'))} | "
             f"{trio(lambda l: l['by_source'][source].get('safe', {}).get('flagged_pct'))} |")

L += ["", "## Fresh toy sentences, per category (English + Chinese)\n", "| category | rows | recall: rules / model / all |", "|---|---|---|"]
for c in cats:
    def both(l, c=c):
        parts = [l.get("fresh", {}).get(lang, {}).get(c) for lang in ("en", "zh")]
        parts = [p for p in parts if p]
        n = sum(p["n"] for p in parts)
        return 100.0 * sum(p["n"] * p["recall_pct"] / 100.0 for p in parts) / n if n else None
    n = sum((layers["all"].get("fresh", {}).get(lang, {}).get(c) or {}).get("n", 0) for lang in ("en", "zh"))
    if n:
        L.append(f"| {c} | {n} | {trio(both)} |")

L += ["", "## Own toy examples (test split), per category\n", "| category | rows | recall: rules / model / all |", "|---|---|---|"]
for c in cats:
    n = layers["all"]["child_directed"].get(c, {}).get("n")
    if n:
        L.append(f"| {c} | {n} | {trio(lambda l: l['child_directed'].get(c, {}).get('recall_pct'))} |")
open(out, "w").write("\n".join(L) + "\n")
print("\n".join(L))
