import CubbyAudio
import CubbyCore
@testable import CubbyMicroWake
import CubbyTinyML
import CubbyTestSupport
import Foundation
import Testing

/// Every released model, run by CubbyTinyML on the same audio as the reference TensorFlow Lite runtime:
/// the int8 inputs and the raw outputs, step by step, exactly.
@Suite(.serialized) struct ModelTests {
    static let models = ["alexa", "hey_jarvis", "hey_mycroft", "okay_nabu"]

    func compare(_ path: String, model name: String) throws {
        let reference = try ReferenceWake.of(path, model: name)
        let model = try MicroWakeModel(manifestPath: try ReferenceWake.paths(name).manifest)
        model.wrapsLikeReference = true
        #expect(model.stride == 3)
        var frontend = MicroFrontend()
        let frames = frontend.features(try WAVAudio.read(contentsOf: path).samples)
        var outputs: [UInt8] = []
        var inputsDiffer = 0
        for (index, frame) in frames.enumerated() {
            if index % model.stride == 0, index / model.stride < reference.steps.count, index + model.stride <= frames.count {
                if model.quantized(Array(frames[index..<(index + model.stride)])) != reference.steps[index / model.stride].input { inputsDiffer += 1 }
            }
            if let step = try model.feed(frame) { outputs.append(step.raw) }
        }
        #expect(inputsDiffer == 0, "\(name) on \(path): \(inputsDiffer) steps' inputs differ")
        let expected = reference.steps.map(\.output)
        #expect(outputs.count == expected.count)
        let first = zip(outputs, expected).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(first == nil, "\(name) on \(path): step \(first?.offset ?? -1) gives \(first?.element.0 ?? 0), the reference \(first?.element.1 ?? 0)")
    }

    @Test(arguments: models)
    func outputsMatchTheReferenceStepByStepOnRealAndSynthesizedAudio(model: String) throws {
        let folder = try WakeClips.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var clips = WakeClips.real
        clips.append(try WakeClips.spoken("Alexa, what time is it? Hey Jarvis, hey Mycroft, okay Nabu.", in: folder, name: "spoken"))
        clips += try WakeClips.hard(in: folder)
        for clip in clips { try compare(clip, model: model) }
    }

    @Test func aShoutTooLoudForInt8SaturatesWhereTheReferenceWrapsAround() throws {
        let model = try MicroWakeModel(manifestPath: try ReferenceWake.paths("alexa").manifest)
        #expect(model.quantize(0) == -128 && model.quantize(400) == 25 && model.quantize(666) == 127)
        #expect(model.quantize(700) == 127 && model.quantize(UInt16.max) == 127, "saturated: a shout is loud, not silence")
        model.wrapsLikeReference = true
        #expect(model.quantize(666) == 127 && model.quantize(670) == -127, "the reference's cast wraps")
    }
}
