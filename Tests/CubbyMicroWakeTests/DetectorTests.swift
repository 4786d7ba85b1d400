import CubbyAudio
import CubbyCore
@testable import CubbyMicroWake
@testable import CubbyTinyML
import CubbyWake
import CubbyTestSupport
import Foundation
import Testing

/// The detector's decision rule against the reference's outputs, and what it adds: a refractory period, a
/// sensitivity, the phrase's place in the stream.
@Suite(.serialized) struct DetectorTests {
    static func detector(_ model: String = "alexa", sensitivity: Double = 0.5, refractory: Int = 1_500) throws -> MicroWakeDetector {
        var settings = WakeSettings(phrases: [model.replacingOccurrences(of: "_", with: " ")], sensitivity: sensitivity, refractoryMilliseconds: refractory)
        settings.verifyNearMisses = false
        return try MicroWakeDetector(manifestPath: try ReferenceWake.paths(model).manifest, settings: settings)
    }

    /// Feeds a file in 20 ms chunks, as the daemon does, from stream position `offset`.
    static func scan(_ samples: [Int16], with detector: MicroWakeDetector, offset: Int64 = 0) throws -> [WakeDetection] {
        var found: [WakeDetection] = []
        var index = 0
        while index < samples.count {
            let chunk = Array(samples[index..<min(samples.count, index + 320)])
            if let detection = try detector.process(AudioChunk(startSample: offset + Int64(index), samples: chunk)) { found.append(detection) }
            index += chunk.count
        }
        return found
    }

    @Test func eachRealAlexaWakesWhereTheReferencesRuleFirstFires() throws {
        for path in WakeClips.real {
            let reference = try ReferenceWake.of(path, model: "alexa")
            // The reference's rule: the mean of the last five probabilities above the cutoff.
            let probabilities = reference.steps.map { Double($0.output) / 256 }
            let firing = probabilities.indices.first { step in
                step + 1 >= reference.window && probabilities[(step + 1 - reference.window)...step].reduce(0, +) / Double(reference.window) > reference.cutoff
            }
            let detections = try Self.scan(try WAVAudio.read(contentsOf: path).samples, with: try Self.detector(), offset: 48_000)
            if let firing {
                let end = 48_000 + Int64(firing * 3 + 2) * 160 + 480
                #expect(detections.map(\.endSample) == [end], "\(path): one wake, at the reference's step \(firing)")
                #expect(detections.first.map { $0.startSample < $0.endSample && $0.startSample >= 48_000 } == true)
            } else {
                #expect(detections.isEmpty, "\(path): the reference does not fire, so neither may Cubby")
            }
        }
    }

    @Test func twoAlexasWakeTwiceButNotWithinTheRefractoryPeriod() throws {
        let alexa = try WAVAudio.read(contentsOf: WakeClips.real[0]).samples
        let quiet = [Int16](repeating: 0, count: 16_000)
        let twice = try Self.scan(alexa + quiet + alexa, with: try Self.detector())
        #expect(twice.count == 2, "\(twice.map(\.endSample))")
        let once = try Self.scan(alexa + quiet + alexa, with: try Self.detector(refractory: 10_000))
        #expect(once.count == 1, "the second falls within ten seconds of the first")
    }

    @Test func sensitivityMovesTheCutoffWithinBounds() throws {
        #expect(MicroWakeDetector.cutoff(manifest: 0.9, sensitivity: 0.5) == 0.9)
        #expect(abs(MicroWakeDetector.cutoff(manifest: 0.9, sensitivity: 1) - 0.8) < 1e-9)
        #expect(MicroWakeDetector.cutoff(manifest: 0.97, sensitivity: 0) == 0.99)
        #expect(MicroWakeDetector.cutoff(manifest: 0.5, sensitivity: 1) == 0.5)
        #expect(try Self.detector(sensitivity: 0.8).cutoff < Self.detector(sensitivity: 0.2).cutoff)
    }

    @Test func otherWordsAndSilenceDoNotWakeAlexa() throws {
        let folder = try WakeClips.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let talk = try WakeClips.spoken("Hey Jarvis, tell me a story about a little bear who lives in the forest.", in: folder, name: "talk")
        #expect(try Self.scan(try WAVAudio.read(contentsOf: talk).samples, with: try Self.detector()).isEmpty)
        #expect(try Self.scan([Int16](repeating: 0, count: 32_000), with: try Self.detector()).isEmpty)
    }

    @Test func aResetDetectorStartsAfresh() throws {
        let alexa = try WAVAudio.read(contentsOf: WakeClips.real[0]).samples
        let detector = try Self.detector()
        let first = try Self.scan(alexa, with: detector)
        try detector.reset()
        let again = try Self.scan(alexa, with: detector, offset: 200_000)
        #expect(first.count == 1 && again.map { $0.endSample - 200_000 } == first.map(\.endSample), "the same audio after a reset wakes at the same place")
    }
}

/// Models the interpreter cannot run, and files that are not models, are refused with what and where.
@Suite struct HostileModelTests {
    func alexa() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: try ReferenceWake.paths("alexa").model)))
    }

    @Test func aModelWithAnOperatorItCannotRunIsRefusedByName() throws {
        var bytes = try alexa()
        // Turn the LOGISTIC operator code (14) into SOFTMAX (25), in both of the schema's code fields.
        let root = try FlatBuffer(bytes: bytes, source: "alexa").root()
        for code in try root.tables(1) where try code.scalar(3, default: Int32(0)) == 14 {
            if let at = try code.field(3) { bytes[at] = 25 }
            if let at = try code.field(0) { bytes[at] = 25 }
        }
        let model = try TFLiteModel.parse(bytes, source: "edited.tflite")
        #expect { _ = try TinyInterpreter(model: model) } throws: { error in
            "\(error)".contains("SOFTMAX") && "\(error)".contains("edited.tflite")
        }
    }

    /// The alexa model with one dimension of the named tensor's shape replaced.
    func reshaped(_ tensorName: String, dimension: Int, to value: Int32) throws -> [UInt8] {
        var bytes = try alexa()
        let root = try FlatBuffer(bytes: bytes, source: "alexa").root()
        for tensor in try root.tables(2)[0].tables(0) where try tensor.string(3) == tensorName {
            let (_, start) = try #require(try tensor.vector(0, elementSize: 4))
            for index in 0..<4 { bytes[start + 4 * dimension + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
        }
        return bytes
    }

    @Test func shapesThatWouldReachOutsideATensorAreRefused() throws {
        let cases: [(String, Int, Int32, String)] = [
            // The logistic's output made longer than its input.
            ("StatefulPartitionedCall:01", 1, 4, "LOGISTIC maps"),
            // A concatenation input made taller than the output allows on the other axes.
            ("model_1/stream_6/concat/ReadVariableOp", 3, 80, "CONCATENATION of"),
            // Dimensions that overflow, hidden behind a zero.
            ("model_1/stream_10/concat", 0, Int32.max, "at most"),
            ("model_1/stream_10/concat", 2, 0, "CONCATENATION"),
        ]
        for (tensor, dimension, value, reason) in cases {
            let bytes = try reshaped(tensor, dimension: dimension, to: value)
            #expect(bytes != (try alexa()), "\(tensor) was found")
            #expect { _ = try TinyInterpreter(model: try TFLiteModel.parse(bytes, source: "shaped.tflite")) } throws: { error in
                "\(error)".contains("shaped.tflite") && "\(error)".contains(reason)
            }
        }
    }

    @Test func filesThatAreNotModelsAreRefusedWithWhy() throws {
        let bytes = try alexa()
        let cases: [([UInt8], String)] = [
            (Array("hello".utf8), "not a model size"),
            (Array(bytes.prefix(4)) + Array("ABCD".utf8) + Array(bytes.dropFirst(8)), "TFL3"),
            (Array(bytes.prefix(bytes.count / 3)), "past the end"),
        ]
        for (data, reason) in cases {
            #expect { _ = try TinyInterpreter(model: try TFLiteModel.parse(data, source: "bad.tflite")) } throws: { error in
                "\(error)".contains("bad.tflite") && "\(error)".contains(reason)
            }
        }
        // Random damage anywhere never crashes: it is refused or still a model.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var damaged = bytes
            for _ in 0..<8 { damaged[Int.random(in: 8..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            if let model = try? TFLiteModel.parse(damaged, source: "damaged"), let interpreter = try? TinyInterpreter(model: model) {
                _ = try? interpreter.invoke([Int8](repeating: 0, count: 120))
            }
        }
    }
}
