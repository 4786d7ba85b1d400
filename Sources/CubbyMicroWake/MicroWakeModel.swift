import CubbyCore
import CubbyTinyML
import Foundation

/// A microWakeWord model and its manifest (the JSON beside the `.tflite`: wake word, probability cutoff,
/// sliding window), run on CubbyTinyML. Feature frames go in `stride` at a time, quantised exactly as the
/// reference quantises them; each step gives the model's raw output and its probability.
public final class MicroWakeModel {
    public let manifest: MicroWakeManifest
    let interpreter: TinyInterpreter
    /// Feature frames per inference (the model's input height: 3 for the released models).
    public let stride: Int
    /// How a feature too loud for int8 is fed: saturated (the toy's way), or wrapped around as
    /// pymicro-wakeword's numpy cast does (only the bit-exact tests want that: a shout would reach the
    /// model as near-silence).
    public var wrapsLikeReference = false
    private var pending: [[UInt16]] = []

    public convenience init(manifestPath: String) throws(CubbyError) {
        let manifest = try MicroWakeManifest.load(path: manifestPath)
        try self.init(manifest: manifest, model: try TFLiteModel.load(path: manifest.modelPath))
    }

    /// A model already read (from a persona pack's files, say).
    public init(manifest: MicroWakeManifest, model: TFLiteModel) throws(CubbyError) {
        self.manifest = manifest
        interpreter = try TinyInterpreter(model: model)
        let shape = interpreter.inputShape
        guard shape.count == 3, shape[0] == 1, shape[2] == MicroFrontend.channels, (1...20).contains(shape[1]) else {
            throw CubbyError(.wake, "the model takes \(shape); a microWakeWord model takes [1, stride, 40] feature frames", context: manifest.modelPath)
        }
        stride = shape[1]
    }

    /// The int8 value the model sees for a feature, as pymicro-wakeword computes it: the float feature
    /// (value × 0.0390625) over the input scale plus its zero point, in double precision, rounded half to
    /// even. Above 127 (a raw feature of 667 or more: clipped or shouted audio) it saturates, unless
    /// `wrapsLikeReference`.
    public func quantize(_ feature: UInt16) -> Int8 {
        let scaled = Double(feature) * MicroFrontend.featureScale / Double(interpreter.inputScale) + Double(interpreter.inputZeroPoint)
        let rounded = Int64(scaled.rounded(.toNearestOrEven))
        return wrapsLikeReference ? Int8(truncatingIfNeeded: rounded) : Int8(clamping: rounded)
    }

    /// Takes one feature frame; after every `stride` frames runs the model and returns its raw output
    /// (0-255) and probability.
    public func feed(_ frame: [UInt16]) throws(CubbyError) -> (raw: UInt8, probability: Double)? {
        pending.append(frame)
        guard pending.count == stride else { return nil }
        let input = quantized(pending)
        pending.removeAll(keepingCapacity: true)
        let output = try interpreter.invoke(input)
        let raw = interpreter.outputIsUnsigned ? UInt8(bitPattern: output[0]) : UInt8(truncatingIfNeeded: Int(output[0]) + 128)
        let zero = interpreter.outputIsUnsigned ? interpreter.outputZeroPoint : interpreter.outputZeroPoint + 128
        return (raw, Double(Float(Int32(raw) - zero) * interpreter.outputScale))
    }

    /// The int8 input the next inference would see for `frames` (tests compare it with the reference's).
    public func quantized(_ frames: [[UInt16]]) -> [Int8] { frames.flatMap { $0.map(quantize) } }

    /// Runs `seconds` of silence through the front end and the model, as `cubby-pack validate` does once:
    /// returns the highest probability (a working model stays low on silence).
    public func trial(seconds: Double = 1) throws(CubbyError) -> Double {
        var frontend = MicroFrontend()
        var highest = 0.0
        for frame in frontend.features([Int16](repeating: 0, count: Int(seconds * 16_000))) {
            if let step = try feed(frame) { highest = max(highest, step.probability) }
        }
        reset()
        return highest
    }

    /// Starts afresh: no pending frames, the model's streaming state back to its initial values.
    public func reset() {
        pending.removeAll()
        interpreter.reset()
    }
}

/// The JSON manifest microWakeWord publishes beside each model.
public struct MicroWakeManifest: Sendable {
    public var wakeWord: String
    public var modelPath: String
    public var probabilityCutoff: Double
    public var slidingWindow: Int
    public var languages: [String]

    public static func load(path: String) throws(CubbyError) -> MicroWakeManifest {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CubbyError(.io, "could not read the wake-word manifest", context: path, underlying: error)
        }
        return try parse(data, path: path)
    }

    /// A manifest's bytes; `path` is where it lies (its model is beside it) and what errors name.
    public static func parse(_ data: Data, path: String) throws(CubbyError) -> MicroWakeManifest {
        guard data.count < 64 << 10, let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CubbyError(.wake, "the wake-word manifest is not a JSON object", context: path)
        }
        guard let word = object["wake_word"] as? String, !word.isEmpty, let model = object["model"] as? String, !model.isEmpty,
              !model.contains("/"), model.hasSuffix(".tflite") else {
            throw CubbyError(.wake, "the manifest needs \"wake_word\" and \"model\" (a .tflite file beside it)", context: path)
        }
        guard let micro = object["micro"] as? [String: Any], let cutoff = (micro["probability_cutoff"] as? NSNumber)?.doubleValue, cutoff > 0, cutoff < 1,
              let window = (micro["sliding_window_size"] as? NSNumber)?.intValue, (1...100).contains(window) else {
            throw CubbyError(.wake, "the manifest's \"micro\" needs probability_cutoff (between 0 and 1) and sliding_window_size (1-100)", context: path)
        }
        if let step = (micro["feature_step_size"] as? NSNumber)?.intValue, step != 10 {
            throw CubbyError(.wake, "the model wants features every \(step) ms; the front end gives them every 10 ms", context: path)
        }
        let folder = (path as NSString).deletingLastPathComponent
        return MicroWakeManifest(wakeWord: word, modelPath: (folder as NSString).appendingPathComponent(model), probabilityCutoff: cutoff,
                                 slidingWindow: window, languages: object["trained_languages"] as? [String] ?? [])
    }
}
