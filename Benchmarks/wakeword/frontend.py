#!/usr/bin/env python3
"""Does the front end help the wake word, and what does it cost? Cubby's engine with and without the
front end (echo cancellation against a silent reference — the same work as on the toy — noise
suppression, AGC) on the same audio: the first hour of the benchmark background and the 10 dB and 5 dB
"alexa" positives. Prints CPU seconds per hour of audio (÷ 36 = % of one core), misses and false alarms.

Usage: frontend.py CORPUS_DIR CUBBY_BINARY OUT.md [SENSITIVITY]   (run it through Benchmarks/wakeword/run-frontend)
"""
import json, os, platform, subprocess, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from bench import score, RATE  # noqa: E402


def scan(binary, files, sensitivity, front_end):
    args = [binary, "wake", "scan", "--phrase", "alexa", "--sensitivity", str(sensitivity)] + (["--front-end"] if front_end else [])
    args += [] if os.environ.get("VERIFY") == "1" else ["--no-verify"]
    proc = subprocess.Popen(args + files, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(err.decode())
    events = {os.path.basename(f): [] for f in files}
    for line in out.decode().splitlines():
        d = json.loads(line)
        events[os.path.basename(d["file"])].append(d["end"])
    return events, usage.ru_utime + usage.ru_stime


def main():
    corpus, binary, out_md = sys.argv[1:4]
    sensitivity = float(sys.argv[4]) if len(sys.argv) > 4 else 0.6
    labels = json.load(open(os.path.join(corpus, "labels.json")))
    hour = os.path.join(corpus, "background-1h.wav")
    if not os.path.exists(hour):
        subprocess.run(["sox", os.path.join(corpus, "background.wav"), hour, "trim", "0", "3600"], check=True)
    # Score against the first hour only.
    labels["background"]["other_keywords"] = [o for o in labels["background"]["other_keywords"] if o["end"] <= 3600]
    labels["background"]["seconds"] = 3600
    labels["positives"] = {k: v for k, v in labels["positives"].items() if v["keyword"] == "alexa" and v["condition"] != "clean"}
    files = [hour] + [os.path.join(corpus, n) for n in labels["positives"]]
    audio_hours = (3600 + sum(v["seconds"] for v in labels["positives"].values())) / 3600
    rows = []
    for front_end in (False, True):
        events, cpu = scan(binary, files, sensitivity, front_end)
        events["background.wav"] = events.pop("background-1h.wav")
        result, _ = score(events, labels, "alexa")
        rows.append((front_end, cpu / audio_hours, result))
    lines = ["# Wake word with and without the front end", "",
             f"Made by `Benchmarks/wakeword/run-frontend` on {time.strftime('%Y-%m-%d')}; {platform.machine()}, {os.cpu_count()} cores; "
             f"release build; sensitivity {sensitivity}; {audio_hours:.2f} h of audio (the first hour of the wake-word background, "
             "and the 10 dB and 5 dB \"alexa\" positives).", "",
             "| path | CPU s per hour of audio | share of one core | false alarms in 1 h | miss 10 dB | miss 5 dB |", "|---|---|---|---|---|---|"]
    for front_end, cpu_h, r in rows:
        lines.append(f"| {'front end + PocketSphinx' if front_end else 'PocketSphinx alone'} | {cpu_h:.1f} | {cpu_h / 36:.2f} % | "
                     f"{r['fa'] + r.get('extra_in_window', 0)} | {100 * r['miss']['10db']:.1f} % | {100 * r['miss']['5db']:.1f} % |")
    lines.append("")
    lines.append(f"Front end alone: {rows[1][1] - rows[0][1]:.1f} CPU s per hour ({(rows[1][1] - rows[0][1]) / 36:.2f} % of a core).")
    with open(out_md, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
