#!/usr/bin/env python3
"""Wake-word benchmark: miss rate against false alarms per hour for Cubby's engine and two neural peers,
on the same audio, in one run. Method: ../shared/data/wakeword/README.md (Picovoice's, with its flaw fixed:
a second detection inside one keyword's window counts as a false alarm, not as nothing).

Usage: bench.py CORPUS_DIR CUBBY_BINARY OUT.md   (run it through Benchmarks/wakeword/run)
"""
import concurrent.futures as cf, json, os, platform, resource, subprocess, sys, time, wave
import numpy as np

RATE = 16000
REFRACTORY = 1.5          # seconds; the same for every engine (Cubby's shipping refractory period)
TOLERANCE = 0.5           # a hit lands between the keyword's start and its end + 0.5 s
# Cubby's engine, as shipped (PocketSphinx keyphrase search) and with the near-miss check (--verify).
CUBBY_VARIANTS = {
    ("cubby", "alexa"): (["--no-verify"], [0.0, 0.15, 0.3, 0.5, 0.7]),
    ("cubby+verify", "alexa"): (["--verify"], [0.5, 0.7, 0.9]),
    ("cubby", "computer"): (["--no-verify"], [0.2, 0.5]),
    ("cubby+verify", "computer"): (["--verify"], [0.7]),
}
PEER_THRESHOLDS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999]
# Cubby's neural engine (microWakeWord's model on Cubby's own front end and interpreter), swept over the same
# cutoffs as the reference runtime, alone and with PocketSphinx's near-miss check as a second stage.
NEURAL_VARIANTS = {
    "cubby-neural": (["--no-verify"], PEER_THRESHOLDS[:-1]),
    "cubby-neural+verify": (["--verify"], [0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98]),
    # The toy's own microphone front end (speexdsp noise suppression and gain) before the features.
    "cubby-neural+front-end": (["--no-verify", "--front-end"], [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98]),
    "cubby-neural+front-end+verify": (["--verify", "--front-end"], [0.5, 0.7, 0.8, 0.9, 0.95]),
}
# BENCH_ENGINES=a,b,... runs only those engines (all by default).
ENGINES = set(filter(None, os.environ.get("BENCH_ENGINES", "").split(","))) or None


def wanted(engine):
    return ENGINES is None or engine in ENGINES


def alexa_manifest():
    import pymicro_wakeword
    return os.path.join(os.path.dirname(pymicro_wakeword.__file__), "models", "alexa.json")


def read_pcm(path):
    with wave.open(path) as w:
        return w.readframes(w.getnframes())


# ---- engines: each returns ({file: [(time_s, score)]}, cpu_seconds) ---------------------------------------

def cubby_pass(args):
    engine, flags, binary, phrase, sensitivity, files = args
    t0 = time.time()
    setting = ["--model", alexa_manifest(), "--phrase", phrase, "--cutoff", str(sensitivity)] if engine.startswith("cubby-neural") \
        else ["--phrase", phrase, "--sensitivity", str(sensitivity)]
    proc = subprocess.Popen([binary, "wake", "scan", *flags, *setting, *files],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"cubby wake scan failed ({status}): {err.decode()}")
    events = {os.path.basename(f): [] for f in files}
    for line in out.decode().splitlines():
        d = json.loads(line)
        events[os.path.basename(d["file"])].append(d["end"])
    return (engine, phrase, sensitivity, events, usage.ru_utime + usage.ru_stime, time.time() - t0)


def peer_pass(args):
    engine, files = args
    cpu0 = time.process_time()
    scores = {}
    for f in files:
        pcm = read_pcm(f)
        times, probs = [], []
        if engine == "openWakeWord":
            from pyopen_wakeword import OpenWakeWord, OpenWakeWordFeatures, Model
            features, model = OpenWakeWordFeatures.from_builtin(), OpenWakeWord.from_builtin(Model.ALEXA)
            step = 1280 * 2  # 80 ms, the engine's native chunk
            for i in range(0, len(pcm), step):
                for emb in features.process_streaming(pcm[i:i + step]):
                    for p in model.process_streaming(emb):
                        times.append((i + step) / 2 / RATE); probs.append(p)
        else:
            from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures, Model
            features, model = MicroWakeWordFeatures(), MicroWakeWord.from_builtin(Model.ALEXA)
            step = 160 * 2 * 2  # 20 ms, as the toy's capture delivers
            for i in range(0, len(pcm), step):
                for feat in features.process_streaming(pcm[i:i + step]):
                    p = model.process_streaming_prob(feat)
                    if p is not None:
                        times.append((i + step) / 2 / RATE); probs.append(p)
        scores[os.path.basename(f)] = (np.array(times), np.array(probs))
    return (engine, "alexa", None, scores, time.process_time() - cpu0, None)


def detections_at(times, probs, threshold):
    """pymicro-wakeword's own rule (a detection when the window's mean is above the cutoff), with the
    benchmark's refractory period."""
    out, last = [], -1e9
    for t, p in zip(times, probs):
        if p > threshold and t - last >= REFRACTORY:
            out.append(t); last = t
    return out


# ---- scoring ---------------------------------------------------------------------------------------------

def score(events, labels, keyword):
    """events: {file: [detection end times]} -> per condition miss rate, and FA/h on the background."""
    bg = labels["background"]
    excluded = [(o["start"], o["end"] + TOLERANCE) for o in bg["other_keywords"] if o["keyword"] == keyword]
    bg_hours = (bg["seconds"] - sum(e - s for s, e in excluded)) / 3600
    fa = [t for t in events.get("background.wav", []) if not any(s <= t <= e for s, e in excluded)]
    result = {"fa": len(fa), "fa_per_hour": len(fa) / bg_hours, "miss": {}}
    for name, info in labels["positives"].items():
        if info["keyword"] != keyword:
            continue
        dets, hits, extra = sorted(events.get(name, [])), 0, 0
        j = 0
        for start, end in info["spans"]:
            inside = [t for t in dets if start <= t <= end + TOLERANCE]
            if inside:
                hits += 1
                extra += len(inside) - 1
        result["miss"][info["condition"]] = 1 - hits / len(info["spans"])
        result.setdefault("extra_in_window", 0)
        result["extra_in_window"] += extra
    return result, bg_hours


def at_fa(points, condition, target):
    ok = [p for p in points if p["fa_per_hour"] <= target + 1e-9]
    return min((p["miss"][condition] for p in ok), default=None)


def agreement(curves):
    """Cubby's neural engine against the reference runtime at the same cutoff: how many detections each
    made, and how many of Cubby's land within 50 ms of one of the reference's (the reference's times are
    the end of the 20 ms chunk that held the inference, Cubby's the inference's own sample)."""
    ours = {p["setting"].split()[-1]: p for p in curves.get(("cubby-neural", "alexa"), [])}
    theirs = {p["setting"].split()[-1]: p for p in curves.get(("microWakeWord", "alexa"), [])}
    common = [c for c in ours if c in theirs]
    if not common:
        return []
    out = ["## Cubby's neural engine against the reference runtime, cutoff by cutoff", "",
           "Both run microWakeWord's alexa model on the same audio with the same rule (the mean of the last five outputs above the "
           "cutoff, a 1.5 s refractory period). Cubby computes the features and runs the model itself; the reference is "
           "pymicro-features and TensorFlow Lite.", "",
           "| cutoff | Cubby's detections | reference's | Cubby's matching one of the reference's (±50 ms) | miss 10 dB, Cubby | miss 10 dB, reference |",
           "|---|---|---|---|---|---|"]
    for c in sorted(common, key=float):
        a, b = ours[c]["events"], theirs[c]["events"]
        na = sum(len(v) for v in a.values()); nb = sum(len(v) for v in b.values())
        matched = sum(1 for f, ts in a.items() for t in ts if any(abs(t - u) <= 0.05 for u in b.get(f, [])))
        out.append(f"| {c} | {na} | {nb} | {matched} | {100 * ours[c]['miss']['10db']:.1f} % | {100 * theirs[c]['miss']['10db']:.1f} % |")
    return out + [""]


def main():
    corpus, binary, out_md = sys.argv[1], sys.argv[2], sys.argv[3]
    labels = json.load(open(os.path.join(corpus, "labels.json")))
    path = lambda n: os.path.join(corpus, n)
    files = {kw: [path("background.wav")] + [path(n) for n, i in labels["positives"].items() if i["keyword"] == kw]
             for kw in ("alexa", "computer")}
    audio_hours = {kw: sum(os.path.getsize(f) - 44 for f in fs) / 2 / RATE / 3600 for kw, fs in files.items()}

    jobs = [(engine, flags, binary, kw, s, files[kw]) for (engine, kw), (flags, ss) in CUBBY_VARIANTS.items() for s in ss if wanted(engine)]
    jobs += [(engine, flags, binary, "alexa", c, files["alexa"]) for engine, (flags, cs) in NEURAL_VARIANTS.items() for c in cs if wanted(engine)]
    results = []
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    started = time.time()
    with cf.ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(peer_pass, (e, files["alexa"])) for e in ("openWakeWord", "microWakeWord") if wanted(e)]
        futures += [pool.submit(cubby_pass, j) for j in jobs]
        for fut in cf.as_completed(futures):
            r = fut.result()
            results.append(r)
            print(f"  done: {r[0]} {r[1]} {r[2] if r[2] is not None else ''} cpu {r[4]:.0f} s", file=sys.stderr)

    curves, cpu = {}, {}
    for engine, kw, setting, events, cpu_s, _ in results:
        key = (engine, kw)
        if engine.startswith("cubby"):
            point, bg_hours = score(events, labels, kw)
            point["setting"] = f"cutoff {setting}" if engine.startswith("cubby-neural") else f"sensitivity {setting}"
            point["events"] = events
            curves.setdefault(key, []).append(point)
            cpu.setdefault(key, []).append(cpu_s / audio_hours[kw])
        else:
            cpu[key] = [cpu_s / audio_hours[kw]]
            for t in PEER_THRESHOLDS:
                ev = {f: detections_at(tp[0], tp[1], t) for f, tp in events.items()}
                point, bg_hours = score(ev, labels, kw)
                point["setting"] = f"threshold {t}"
                point["events"] = ev
                curves.setdefault(key, []).append(point)

    bg_hours_alexa = score({}, labels, "alexa")[1]
    lines = ["# Wake-word benchmark", "",
             f"Made by `Benchmarks/wakeword/run` on {time.strftime('%Y-%m-%d')}; machine: {platform.machine()}, "
             f"{os.cpu_count()} cores, {platform.processor() or platform.platform()}; wall time {time.time() - started:.0f} s.",
             f"Engines: {', '.join(sorted(ENGINES)) if ENGINES else 'all'} (`BENCH_ENGINES`).", "",
             "Method: `../shared/data/wakeword/README.md`. Positives: Picovoice's real recordings (329 \"alexa\", 200 \"computer\"), "
             "each mixed with pink, brown or babble noise at 10 dB and 5 dB SNR (max 512-sample frame energy, as Picovoice's "
             "mixer) and clean, each after 2 s of background speech in one continuous stream. Background for false alarms: "
             f"{bg_hours_alexa:.2f} h of synthesized speech (espeak-ng, nine voices, three speeds and pitches; flite, four voices) "
             "with stationary or babble noise changing every 30 s, and the other keyword's real recordings; LibriSpeech and "
             "DEMAND cannot be downloaded here. A hit lands between a keyword's start and its end + 0.5 s; a second detection "
             "inside the same window counts as a false alarm (the fix to the public method, which ignored it). Refractory "
             f"{REFRACTORY} s for every engine. With {bg_hours_alexa:.1f} h of background, one false alarm is "
             f"{1 / bg_hours_alexa:.2f} FA/h, so \"at 0.1 FA/h\" means no false alarm at all in the background.", ""]
    lines += ["## Summary (\"alexa\", the keyword every engine has a model for)", "",
              "| engine | miss @0.1 FA/h, 10 dB | miss @0.5 FA/h, 10 dB | @0.5 FA/h, 5 dB | @0.5 FA/h, clean | CPU s per hour of audio |",
              "|---|---|---|---|---|---|"]
    fmt = lambda v: "not reached" if v is None else f"{100 * v:.1f} %"
    for engine in ("cubby", "cubby+verify", "cubby-neural", "cubby-neural+verify", "cubby-neural+front-end", "cubby-neural+front-end+verify",
                   "openWakeWord", "microWakeWord"):
        if (engine, "alexa") not in curves:
            continue
        pts = curves.get((engine, "alexa"), [])
        for p in pts:
            p["fa_per_hour"] += p.get("extra_in_window", 0) / bg_hours_alexa
        lines.append(f"| {engine} | {fmt(at_fa(pts, '10db', 0.1))} | {fmt(at_fa(pts, '10db', 0.5))} | "
                     f"{fmt(at_fa(pts, '5db', 0.5))} | {fmt(at_fa(pts, 'clean', 0.5))} | {np.median(cpu[(engine, 'alexa')]):.1f} |")
    lines += ["", "CPU is the median over the engine's passes, in CPU seconds per hour of audio (36 s per hour = 1 % of one core). "
              "Cubby's engines are the release build of `cubby wake scan` (PocketSphinx with `--phrase`; the neural engine with `--model`, "
              "microWakeWord's alexa model read from the reference package), fed 20 ms chunks as the daemon feeds it, the process's "
              "whole CPU (reading the WAV included); the peers run "
              "through their PyPI packages (TensorFlow Lite through ctypes, features in Python), so part of their CPU is Python's."]
    lines.append("")
    lines += agreement(curves)
    for (engine, kw), pts in sorted(curves.items()):
        if kw == "computer":
            bgh = score({}, labels, kw)[1]
            for p in pts:
                p["fa_per_hour"] += p.get("extra_in_window", 0) / bgh
        lines += [f"## Curve: {engine}, \"{kw}\"", "", "| setting | false alarms | FA/h | miss clean | miss 10 dB | miss 5 dB |", "|---|---|---|---|---|---|"]
        for p in sorted(pts, key=lambda p: p["fa_per_hour"]):
            lines.append(f"| {p['setting']} | {p['fa'] + p.get('extra_in_window', 0)} | {p['fa_per_hour']:.2f} | "
                         f"{100 * p['miss']['clean']:.1f} % | {100 * p['miss']['10db']:.1f} % | {100 * p['miss']['5db']:.1f} % |")
        lines.append("")
    with open(out_md, "w") as f:
        f.write("\n".join(lines) + "\n")
    for pts in curves.values():
        for p in pts:
            p.pop("events", None)
    with open(out_md.replace(".md", ".json"), "w") as f:
        json.dump({f"{e}/{k}": p for (e, k), p in curves.items()} | {"cpu_s_per_audio_hour": {f"{e}/{k}": v for (e, k), v in cpu.items()}}, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
