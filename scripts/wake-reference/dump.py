"""The reference microWakeWord run, for Cubby's tests and benchmark: pymicro-features' front end and
pymicro-wakeword's TensorFlow Lite runtime on one 16 kHz mono 16-bit WAV, as JSON on stdout.

    python dump.py WAV MODEL            features, the model's int8 inputs and raw outputs, step by step
    python dump.py --model-path MODEL   where the package keeps MODEL's .tflite and manifest
    python dump.py --cpu WAV MODEL...   CPU seconds for features + every model over the audio

MODEL is a built-in model name (alexa, hey_jarvis, hey_mycroft, okay_nabu).
"""
import ctypes
import json
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pymicro_wakeword
from pymicro_features import MicroFrontend
from pymicro_wakeword import MicroWakeWord, Model

MODELS = Path(pymicro_wakeword.__file__).parent / "models"


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getframerate() != 16000 or w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise SystemExit(f"{path}: not 16 kHz mono 16-bit")
        return w.readframes(w.getnframes())


def features(audio):
    """Every feature frame, as the front end's uint16 values (the floats are these times 0.0390625)."""
    frontend, frames, index = MicroFrontend(), [], 0
    while index + 320 <= len(audio):
        result = frontend.process_samples(audio[index:index + 320])
        index += result.samples_read * 2
        if result.features:
            frames.append([int(round(f / 0.0390625)) for f in result.features])
    return frames


def run(audio, name):
    model = MicroWakeWord.from_builtin(Model(name))
    lib = model.lib
    frames = features(audio)
    steps = []
    for start in range(0, len(frames) - model.stride + 1, model.stride):
        window = np.array([[f * 0.0390625 for f in frame] for frame in frames[start:start + model.stride]]).reshape(1, model.stride, 40)
        quantized = np.round(window / model.input_scale + model.input_zero_point).astype(model.input_dtype)
        lib.TfLiteTensorCopyFromBuffer(model.input_tensor, quantized.ctypes.data_as(ctypes.c_void_p), quantized.nbytes)
        lib.TfLiteInterpreterInvoke(model.interpreter)
        out = np.empty(1, dtype=model.output_dtype)
        lib.TfLiteTensorCopyToBuffer(model.output_tensor, out.ctypes.data_as(ctypes.c_void_p), out.nbytes)
        steps.append({"input": quantized.reshape(-1).tolist(), "output": int(out[0])})
    return {"features": frames, "steps": steps, "input_scale": model.input_scale, "input_zero_point": model.input_zero_point,
            "output_scale": model.output_scale, "output_zero_point": model.output_zero_point,
            "cutoff": model.probability_cutoff, "window": model.sliding_window_size}


def cpu(audio, names):
    """The reference as it is used: pymicro-wakeword's streaming features and models, chunk by chunk."""
    from pymicro_wakeword import MicroWakeWordFeatures
    models = [MicroWakeWord.from_builtin(Model(name)) for name in names]
    feats = MicroWakeWordFeatures()
    start = time.process_time()
    for index in range(0, len(audio), 320):
        for frame in feats.process_streaming(audio[index:index + 320]):
            for model in models:
                model.process_streaming(frame)
    return time.process_time() - start


if __name__ == "__main__":
    if sys.argv[1] == "--model-path":
        print(json.dumps({"model": str(MODELS / f"{sys.argv[2]}.tflite"), "manifest": str(MODELS / f"{sys.argv[2]}.json")}))
    elif sys.argv[1] == "--cpu":
        print(json.dumps({"cpu_seconds": cpu(read_wav(sys.argv[2]), sys.argv[3:])}))
    else:
        print(json.dumps(run(read_wav(sys.argv[1]), sys.argv[2])))
