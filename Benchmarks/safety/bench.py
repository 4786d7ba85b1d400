#!/usr/bin/env python3
"""Measures Cubby's safety filter on the public data sets in ../shared/data/safety.

Runs `cubby safety check --timings` once per data set and direction, and reports what the issue asks
for: XSTest (share of safe prompts flagged, share of unsafe flagged), the OpenAI moderation set (recall
and precision per category, on the held-out half the classifier never saw), COLD dev (recall and
false-positive rate), Safe-Child-LLM (recall), and per-sentence latency p50/p99.

Usage: bench.py --cubby PATH --data DIR [--json OUT] [--age N]
"""
import argparse, csv, gzip, json, re, statistics, subprocess, sys, zlib

EXTRA = []

def run(cubby, texts, direction, age):
    lines = "".join(json.dumps({"text": t.replace("\n", " "), "direction": direction, "age": age}, ensure_ascii=False) + "\n" for t in texts)
    out = subprocess.run([cubby, "safety", "check", "--timings"] + EXTRA, input=lines, capture_output=True, text=True, check=True).stdout
    results = [json.loads(l) for l in out.splitlines()]
    assert len(results) == len(texts), (len(results), len(texts))
    return results

def held_out(index):
    """The moderation set has no official split: rows whose CRC32 of the index is odd are held out
    (the classifier trainer uses the even ones). Same rule in scripts/train-safety-classifier."""
    return zlib.crc32(str(index).encode()) % 2 == 1

def pct(a, b): return 100.0 * a / b if b else float("nan")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cubby", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--json")
    ap.add_argument("--age", type=int, default=10)
    ap.add_argument("--no-classifier", action="store_true", help="rules only")
    ap.add_argument("--show", choices=["xstest-safe", "xstest-unsafe", "child", "cold-missed", "cold-fp", "mod-missed"], help="print the rows of one kind, for development")
    args = ap.parse_args()
    if args.no_classifier: EXTRA.append("--no-classifier")
    d = args.data
    report, timings = {}, []

    xs = list(csv.DictReader(open(f"{d}/xstest/xstest_prompts.csv", encoding="utf-8")))
    res = run(args.cubby, [r["prompt"] for r in xs], "inbound", args.age)
    timings += [r["micros"] for r in res]
    safe = [(r, v) for r, v in zip(xs, res) if r["label"] == "safe"]
    unsafe = [(r, v) for r, v in zip(xs, res) if r["label"] == "unsafe"]
    report["xstest"] = {"safe_flagged_pct": pct(sum(v["verdict"] == "flag" for _, v in safe), len(safe)),
                        "unsafe_flagged_pct": pct(sum(v["verdict"] == "flag" for _, v in unsafe), len(unsafe)),
                        "safe": len(safe), "unsafe": len(unsafe)}
    if args.show == "xstest-safe":
        for r, v in safe:
            if v["verdict"] == "flag": print(r["type"], "|", r["prompt"], "|", v["categories"])
    if args.show == "xstest-unsafe":
        for r, v in unsafe:
            if v["verdict"] != "flag": print(r["type"], "|", r["prompt"])

    child = []
    for name, age in (("ages_6_12", min(args.age, 12)), ("ages_13_17", 12)):
        rows = list(csv.DictReader(open(f"{d}/safe-child-llm/{name}.csv", encoding="utf-8-sig")))
        res = run(args.cubby, [r["query"] for r in rows], "inbound", age)
        timings += [r["micros"] for r in res]
        child += [(name, r, v) for r, v in zip(rows, res)]
        report[f"safe_child_{name}"] = {"recall_pct": pct(sum(v["verdict"] == "flag" for r, v in zip(rows, res)), len(rows)), "n": len(rows)}
    report["safe_child"] = {"recall_pct": pct(sum(v["verdict"] == "flag" for _, _, v in child), len(child)), "n": len(child)}
    if args.show == "child":
        for name, r, v in child:
            if v["verdict"] != "flag": print(name, "|", r["category"][:20], "|", r["query"][:150])

    cold = list(csv.DictReader(open(f"{d}/cold/dev.csv", encoding="utf-8-sig")))
    for direction in ("inbound", "outbound"):
        res = run(args.cubby, [r["TEXT"] for r in cold], direction, args.age)
        timings += [r["micros"] for r in res]
        pos = [(r, v) for r, v in zip(cold, res) if r["label"] == "1"]
        neg = [(r, v) for r, v in zip(cold, res) if r["label"] == "0"]
        report[f"cold_dev_{direction}"] = {"recall_pct": pct(sum(v["verdict"] == "flag" for _, v in pos), len(pos)),
                                           "false_positive_pct": pct(sum(v["verdict"] == "flag" for _, v in neg), len(neg)),
                                           "offensive": len(pos), "not_offensive": len(neg)}
        if direction == "inbound" and args.show in ("cold-missed", "cold-fp"):
            for r, v in (pos if args.show == "cold-missed" else neg):
                if (v["verdict"] == "flag") == (args.show == "cold-fp"): print(r["topic"], "|", r["TEXT"][:120], "|", v["categories"])

    mod = [json.loads(l) for l in gzip.open(f"{d}/openai-moderation/samples-1680.jsonl.gz", "rt", encoding="utf-8")]
    mod = [m for i, m in enumerate(mod) if held_out(i)]
    mapping = {"S": {"sexual"}, "S3": {"sexual"}, "H": {"hate"}, "H2": {"hate", "violence"}, "HR": {"hate", "profanity"},
               "SH": {"self_harm"}, "V": {"violence"}, "V2": {"violence", "scary"}}
    for direction in ("inbound", "outbound"):
        res = run(args.cubby, [m["prompt"] for m in mod], direction, args.age)
        timings += [r["micros"] for r in res]
        per = {}
        for key, cats in mapping.items():
            labelled = [(m, v) for m, v in zip(mod, res) if key in m]
            pos = [(m, v) for m, v in labelled if m[key] == 1]
            hit = lambda v: bool(cats & set(v["categories"]))
            tp = sum(hit(v) for _, v in pos)
            predicted = sum(hit(v) for _, v in labelled)
            per[key] = {"positives": len(pos), "recall_pct": pct(tp, len(pos)), "precision_pct": pct(tp, predicted)}
        anyunsafe = [(m, v) for m, v in zip(mod, res) if any(m.get(k) == 1 for k in mapping)]
        clean = [(m, v) for m, v in zip(mod, res) if all(m.get(k) == 0 for k in mapping)]
        per["any"] = {"positives": len(anyunsafe), "recall_pct": pct(sum(v["verdict"] == "flag" for _, v in anyunsafe), len(anyunsafe)),
                      "false_positive_pct": pct(sum(v["verdict"] == "flag" for _, v in clean), len(clean)), "clean": len(clean)}
        report[f"openai_moderation_{direction}"] = per
        if direction == "inbound" and args.show == "mod-missed":
            for m, v in anyunsafe:
                if v["verdict"] != "flag": print([k for k in mapping if m.get(k) == 1], "|", m["prompt"][:160].replace("\n", " "))

    # Latency is per sentence, as the toy judges it: every text above cut into sentences, each timed.
    sentences = []
    for text in [r["prompt"] for r in xs] + [r["query"] for _, r, _ in child] + [r["TEXT"] for r in cold] + [m["prompt"] for m in mod]:
        sentences += [p.strip() for p in re.split(r"(?<=[.!?。！？;；])\s*|\n+", text) if p.strip()]
    timings = []
    for direction in ("inbound", "outbound"):
        timings += [r["micros"] for r in run(args.cubby, sentences, direction, args.age)]
    timings.sort()
    report["latency_us"] = {"sentences": len(timings), "p50": statistics.median(timings),
                            "p95": timings[int(0.95 * (len(timings) - 1))],
                            "p99": timings[int(0.99 * (len(timings) - 1))], "max": timings[-1]}
    if args.json:
        json.dump(report, open(args.json, "w"), indent=1)
    if not args.show:
        print(json.dumps(report, indent=1))

if __name__ == "__main__":
    main()
