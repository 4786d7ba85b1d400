"""Trains Cubby's hashed character n-gram classifiers (see NGramClassifier.swift for the file format).

Never trained on what the benchmark measures: the rows come from the same fixed hash split as the
safety model's (scripts/safety_model/train.py, split_of).
  - zh (category hate): COLD train.csv rows of the train split are fitted; thresholds are chosen on its
    dev split, within a false-positive budget for the rules and the classifier together (the rules'
    flags come from the built `cubby`). Counting the safety model's flags too was tried: the model and
    the rules already flag 9.5 % of COLD's safe dev rows at 6-8, which left the classifier no room,
    and COLD's recall fell to 61 %. COLD's test split, and COLD's published dev file (all test), are left for Benchmarks/safety.

There is no English n-gram model: one trained on 838 OpenAI moderation rows raised the share of
XSTest's safe prompts flagged from 16 % to 34 % for 12 points of moderation recall (2026-11). English
meaning is the safety model's job (scripts/train-safety-model).
"""
import argparse, json, os, struct, subprocess, sys
import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

FNV_OFFSET, FNV_PRIME = 2166136261, 16777619

def fnv1a(data):
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFF
    return h

def features(text, buckets, ngrams):
    scalars = [" "] + list(text) + [" "]
    counts = {}
    for n in ngrams:
        for i in range(len(scalars) - n + 1):
            b = fnv1a("".join(scalars[i:i + n]).encode("utf-8")) % buckets
            counts[b] = counts.get(b, 0) + 1
    norm = sum(v * v for v in counts.values()) ** 0.5
    return {k: v / norm for k, v in counts.items()} if norm else {}

def matrix(texts, buckets, ngrams):
    rows, cols, vals = [], [], []
    for i, t in enumerate(texts):
        for k, v in features(t, buckets, ngrams).items():
            rows.append(i); cols.append(k); vals.append(v)
    return csr_matrix((vals, (rows, cols)), shape=(len(texts), buckets))

def normalise(cubby, texts):
    data = "".join(t.replace("\n", " ").replace("\r", " ") + "\n" for t in texts)
    out = subprocess.run([cubby, "safety", "normalise"], input=data, capture_output=True, text=True, check=True).stdout.split("\n")
    assert len(out) - 1 == len(texts), (len(out), len(texts))
    return out[:-1]

def quantise(weights):
    scale = float(np.max(np.abs(weights))) / 127.0 or 1.0
    return np.clip(np.round(weights / scale), -127, 127).astype(np.int8), scale

def probability(q, scale, bias, feats):
    s = sum(float(q[k]) * v for k, v in feats.items())
    return 1.0 / (1.0 + np.exp(-(bias + scale * s)))

def threshold_for(scores, labels, max_fp, already=None):
    """The lowest threshold whose false-positive rate on held-back rows stays within max_fp, counting
    the rows the rules `already` flag: the classifier sits beside the rules in the filter, and a parent
    sees the false alarms of both."""
    negatives = labels == 0
    taken = already[negatives] if already is not None else np.zeros(int(negatives.sum()), dtype=bool)
    left = max_fp * len(taken) - taken.sum()
    free = np.sort(scores[negatives][~taken])[::-1]
    k = int(max(left, 0))
    return float(free[k]) + 1e-6 if k < len(free) else 0.5


def rules_flag(cubby, texts, age):
    """Which texts the word rules alone flag for a child of `age` (what the child says)."""
    data = "".join(json.dumps({"text": t, "direction": "inbound", "age": age}, ensure_ascii=False) + "\n" for t in texts)
    out = subprocess.run([cubby, "safety", "check", "--layers", "rules"], input=data, capture_output=True, text=True, check=True).stdout
    verdicts = [json.loads(line)["verdict"] for line in out.splitlines()]
    assert len(verdicts) == len(texts), (len(verdicts), len(texts))
    return np.array([v == "flag" for v in verdicts])

def train(name, texts, label_sets, categories, buckets, ngrams, out, c, fp_budgets, soft_fp, version, held_out, rules_by_tier):
    """`held_out[i]` marks the dev-split rows: thresholds are chosen on them, the rest are fitted.
    `rules_by_tier[tier]` marks the dev rows the rules already flag at that tier."""
    fit_idx = np.array([i for i, h in enumerate(held_out) if not h])
    hold_idx = np.array([i for i, h in enumerate(held_out) if h])
    X = matrix(texts, buckets, ngrams)
    header_cats, blobs = [], []
    for cat in categories:
        y = np.array([1 if cat in s else 0 for s in label_sets])
        model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", solver="liblinear")
        model.fit(X[fit_idx], y[fit_idx])
        q, scale = quantise(model.coef_[0])
        bias = float(model.intercept_[0])
        held = np.array([probability(q, scale, bias, features(texts[i], buckets, ngrams)) for i in hold_idx])
        yh = y[hold_idx]
        thresholds = {tier: threshold_for(held, yh, budget, rules_by_tier[tier]) for tier, budget in fp_budgets.items()}
        soft = threshold_for(held, yh, soft_fp)
        recall = {tier: float(np.mean(held[yh == 1] >= t)) if (yh == 1).any() else float("nan") for tier, t in thresholds.items()}
        print(f"{name}/{cat}: positives {int(y.sum())}/{len(y)}, held-back recall by tier {recall}, thresholds {thresholds}", file=sys.stderr)
        header_cats.append({"name": cat, "bias": bias, "scale": scale, "thresholds": thresholds, "soft": min(soft, min(thresholds.values()))})
        blobs.append(q.tobytes())
    probes = []
    for t in texts[:3] + ["hello there", "你好"]:
        f = features(t, buckets, ngrams)
        probes.append({"text": t, "probabilities": [probability(np.frombuffer(b, dtype=np.int8), h["scale"], h["bias"], f) for b, h in zip(blobs, header_cats)]})
    header = json.dumps({"format": 1, "version": version, "buckets": buckets, "ngrams": ngrams, "categories": header_cats, "probes": probes},
                        ensure_ascii=False).encode("utf-8")
    with open(out + ".tmp", "wb") as f:
        f.write(b"CUBYCLS1" + struct.pack("<I", len(header)) + header + b"".join(blobs))
    os.replace(out + ".tmp", out)
    print(f"wrote {out} ({os.path.getsize(out)} bytes)", file=sys.stderr)

def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--data", default=os.path.join(here, "..", "shared", "data", "safety"))
    ap.add_argument("--cubby", default=os.path.join(here, ".build", "debug", "cubby"))
    ap.add_argument("--out", default=os.path.join(here, "Sources", "CubbySafety", "Classifier"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    sys.path.insert(0, os.path.join(here, "scripts", "safety_model"))
    import train as split
    rows = [(e, s) for e, s in split.load_everything(args.data) if e.source == "cold" and s in ("train", "dev")]
    texts = normalise(args.cubby, [e.text for e, _ in rows])
    labels = [set(e.labels) for e, _ in rows]
    dev = [e.text for e, s in rows if s == "dev"]
    # The budgets are for the rules and the classifier together, on COLD's dev rows: with
    # the budget on the classifier alone (11 % at 6-8) the whole filter flagged 17.5 % of COLD's safe
    # rows. 1-2 points are left for the safety model's own flags.
    ages = {"3-5": 4, "6-8": 7, "9-12": 10}
    train("zh", texts, labels, ["hate"], 1 << 18, [1, 2, 3], os.path.join(args.out, "zh.cubbymodel"), c=4.0,
          fp_budgets={"3-5": 0.12, "6-8": 0.085, "9-12": 0.075}, soft_fp=0.3, version="zh-2026.12.2",
          held_out=[s == "dev" for _, s in rows], rules_by_tier={tier: rules_flag(args.cubby, dev, age) for tier, age in ages.items()})

if __name__ == "__main__":
    main()
