"""Prints the data card's tables (docs/safety-model.md): rows per source and split, and per category,
language and direction, as the trainer sees them.

    .bench-cache/safety-venv/bin/python scripts/safety_model/datacard.py [--data DIR]
"""
import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(train.ROOT, "..", "shared", "data", "safety"))
    args = ap.parse_args()
    rows = train.load_everything(args.data)
    used = set(id(e) for e in train.cap([e for e, s in rows if s == "train" and e.trainable]))
    by_source = collections.defaultdict(collections.Counter)
    for e, split in rows:
        by_source[e.source][split] += 1
        if id(e) in used:
            by_source[e.source]["trained"] += 1
    print("| source | use | train | dev | test | rows trained on (after caps) |")
    print("|---|---|---|---|---|---|")
    trainable = {e.source: e.trainable for e, _ in rows}
    for source in sorted(by_source):
        c = by_source[source]
        print(f"| {source} | {'train' if trainable[source] else 'evaluation only'} | {c['train']} | {c['dev']} | {c['test']} | {c['trained']} |")
    print()
    counts = collections.Counter()
    for e, split in rows:
        if id(e) in used:
            for label in e.labels or ("safe",):
                counts[(label, e.lang, e.direction)] += 1
    print("| category | en in | en out | zh in | zh out |")
    print("|---|---|---|---|---|")
    for label in train.CATEGORIES + ("safe",):
        cells = [counts[(label, lang, d)] for lang in ("en", "zh") for d in ("in", "out")]
        print(f"| {label} | " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()
