#!/usr/bin/env python3
"""Builds the wake-word benchmark audio, following ../shared/data/wakeword/README.md.

Outputs (16 kHz mono S16 WAV plus a JSON label file), into the cache folder given as argv[2]:
  background.wav   >= 3 h of speech without either keyword, with noise, for false alarms per hour
  pos-<kw>-<cond>.wav  every real recording of <kw> (alexa, computer) mixed at <cond> (clean, 10db, 5db),
                   each preceded by 2 s of background so engines see them in a continuous stream
  labels.json      keyword spans (seconds) in each positive stream, and the background's length

The public benchmark uses LibriSpeech and DEMAND, which cannot be downloaded here. The background is
built from what can be made on this machine: espeak-ng (nine voices, three speeds, three pitches), flite
(four voices), the *other* keyword's real recordings, synthetic stationary (pink/brown) and babble noise.
Text comes from Python's standard library docstrings with any sentence naming a keyword removed.
Deterministic: seeded, so two runs build the same audio.
"""
import inspect, json, os, pkgutil, random, re, subprocess, sys, wave, importlib
import numpy as np

RATE = 16000
KEYWORDS = ["alexa", "computer"]
CONDITIONS = {"clean": None, "10db": 10.0, "5db": 5.0}
FRAME = 512


def read_audio(path):
    raw = subprocess.run(["sox", path, "-t", "raw", "-r", str(RATE), "-c", "1", "-e", "signed", "-b", "16", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.int16).astype(np.float32)


def write_wav(path, samples):
    clipped = np.clip(samples, -32768, 32767).astype(np.int16)
    with wave.open(path, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(RATE); w.writeframes(clipped.tobytes())


def max_frame_energy(x):
    n = len(x) // FRAME
    if n == 0:
        return float(np.mean(x ** 2) + 1e-9)
    frames = x[: n * FRAME].reshape(n, FRAME)
    return float(np.max(np.mean(frames ** 2, axis=1)) + 1e-9)


def mix(speech, noise, snr_db):
    """Picovoice's mixer: scale noise so max-frame-energy(speech) / max-frame-energy(noise) = SNR."""
    if snr_db is None:
        return speech
    scale = np.sqrt(max_frame_energy(speech) / (max_frame_energy(noise) * 10 ** (snr_db / 10)))
    return speech + noise[: len(speech)] * scale


def sentences(rng):
    text = []
    for mod in sorted(m.name for m in pkgutil.iter_modules() if not m.name.startswith("_")):
        if mod in ("antigravity", "this", "idlelib", "turtledemo", "tkinter", "test"):
            continue
        try:
            m = importlib.import_module(mod)
        except Exception:
            continue
        for _, obj in inspect.getmembers(m):
            doc = inspect.getdoc(obj) if (inspect.isfunction(obj) or inspect.isclass(obj)) else None
            if doc:
                text.append(doc)
    out = []
    for block in text:
        for s in re.split(r"(?<=[.!?])\s+", re.sub(r"\s+", " ", block)):
            s = re.sub(r"[^A-Za-z ,.'?!-]", " ", s).strip()
            words = s.split()
            if 5 <= len(words) <= 30 and not re.search(r"alex|comput", s, re.I):
                out.append(" ".join(words))
    out = sorted(set(out))
    rng.shuffle(out)
    return out


def synthesize(engine, voice, text, speed, pitch, tmp):
    if engine == "espeak":
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", tmp, text],
                       check=True, capture_output=True)
    else:
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", tmp], check=True, capture_output=True)
    return read_audio(tmp)


def colored_noise(rng, n, kind):
    white = rng.standard_normal(n).astype(np.float32)
    spectrum = np.fft.rfft(white)
    f = np.arange(len(spectrum), dtype=np.float32) + 1
    spectrum /= np.sqrt(f) if kind == "pink" else f
    x = np.fft.irfft(spectrum, n).astype(np.float32)
    return x / (np.std(x) + 1e-9) * 1000


def main():
    shared, cache = sys.argv[1], sys.argv[2]
    hours = float(os.environ.get("BACKGROUND_HOURS", "3.05"))
    os.makedirs(cache, exist_ok=True)
    rng = random.Random(20261122)
    nrng = np.random.default_rng(20261122)
    tmp = os.path.join(cache, "tmp.wav")

    recordings = {}
    for kw in KEYWORDS:
        folder = os.path.join(shared, "picovoice", kw)
        names = sorted(os.listdir(folder), key=lambda n: int(re.sub(r"\D", "", n) or 0))
        names = names[: int(os.environ.get("MAX_RECORDINGS", "100000"))]
        recordings[kw] = [read_audio(os.path.join(folder, n)) for n in names if n.endswith((".flac", ".wav"))]

    # Voices: espeak-ng variants and flite's built-ins.
    voices = [("espeak", v) for v in ["en-us", "en-gb", "en-us+f3", "en-us+m7", "en-gb-scotland", "en-029",
                                       "en-gb-x-rp+f2", "en-us+klatt", "en-gb-x-gbcwmd"]]
    voices += [("flite", v) for v in ["kal", "rms", "slt", "awb"]]
    lines = sentences(rng)
    target = int(hours * 3600 * RATE)
    pieces, total, i = [], 0, 0
    # The babble source: a pool of synthesized speech mixed several voices deep.
    while total < target:
        engine, voice = voices[i % len(voices)]
        text = " ".join(lines[(3 * i + k) % len(lines)] for k in range(3))
        speech = synthesize(engine, voice, text, rng.choice([130, 160, 190]), rng.choice([35, 50, 70]), tmp)
        pieces.append(speech)
        pieces.append(np.zeros(int(rng.uniform(0.3, 2.5) * RATE), dtype=np.float32))
        if i % 7 == 3:  # the other keyword's real recordings are in the background of each keyword's test
            other = recordings["computer"][i % len(recordings["computer"])] if i % 2 else recordings["alexa"][i % len(recordings["alexa"])]
            pieces.append(("other", "computer" if i % 2 else "alexa", other))
        total += len(speech)
        i += 1
        if i % 200 == 0:
            print(f"  background: {total / RATE / 3600:.2f} h of {hours} h", file=sys.stderr)

    # Background: speech with noise whose kind and level change every segment.
    flat, others = [], []
    position = 0
    for p in pieces:
        if isinstance(p, tuple):
            _, kw, audio = p
            others.append({"keyword": kw, "start": position / RATE, "end": (position + len(audio)) / RATE})
            p = audio
        flat.append(p)
        position += len(p)
    background = np.concatenate(flat)
    noise = np.zeros_like(background)
    segment = 30 * RATE
    speech_pieces = [p for p in pieces if not isinstance(p, tuple) and len(p) > RATE]
    babble_pool = np.concatenate(speech_pieces[:200])
    for s in range(0, len(background), segment):
        n = min(segment, len(background) - s)
        kind = ["pink", "brown", "babble", "none"][(s // segment) % 4]
        if kind == "none":
            continue
        if kind == "babble":
            x = sum(np.roll(babble_pool, int(nrng.integers(len(babble_pool))))[:n] for _ in range(4)).astype(np.float32)
        else:
            x = colored_noise(nrng, n, kind)
        speech_e = max_frame_energy(background[s:s + n])
        level = float(nrng.choice([5.0, 10.0, 20.0]))
        noise[s:s + n] = x * np.sqrt(speech_e / (max_frame_energy(x) * 10 ** (level / 10)))
    write_wav(os.path.join(cache, "background.wav"), background + noise)
    labels = {"background": {"seconds": len(background) / RATE, "other_keywords": others}, "positives": {}}

    # Positive streams: 2 s of background speech before each recording (continuous decoding state).
    for kw in KEYWORDS:
        for cond, snr in CONDITIONS.items():
            out, spans, pos = [], [], 0
            for j, rec in enumerate(recordings[kw]):
                lead = background[(j * 7 * RATE) % (len(background) - 3 * RATE):][: 2 * RATE]
                kind = ["pink", "babble", "brown"][j % 3]
                if kind == "babble":
                    n_src = np.roll(babble_pool, j * 12345)[: len(rec) + len(lead)]
                    n_src = n_src + np.roll(babble_pool, j * 54321)[: len(n_src)]
                else:
                    n_src = colored_noise(nrng, len(rec) + len(lead), kind)
                mixed_rec = mix(rec, n_src[len(lead):], snr)
                mixed_lead = lead if snr is None else lead + n_src[: len(lead)] * np.sqrt(
                    max_frame_energy(rec) / (max_frame_energy(n_src[len(lead):]) * 10 ** (snr / 10)))
                out += [mixed_lead, mixed_rec]
                spans.append([(pos + len(lead)) / RATE, (pos + len(lead) + len(rec)) / RATE])
                pos += len(lead) + len(rec)
            name = f"pos-{kw}-{cond}.wav"
            write_wav(os.path.join(cache, name), np.concatenate(out))
            labels["positives"][name] = {"keyword": kw, "condition": cond, "spans": spans, "seconds": pos / RATE}
            print(f"  {name}: {len(spans)} positives", file=sys.stderr)
    with open(os.path.join(cache, "labels.json"), "w") as f:
        json.dump(labels, f, indent=1)
    os.remove(tmp)


if __name__ == "__main__":
    main()
