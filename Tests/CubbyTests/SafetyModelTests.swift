import CubbyCore
import CubbySafety
import CubbySafetyModel
import Foundation
import Testing

/// The learned layer on its own: that the device reads and scores exactly as the trainer did, that a
/// damaged file is refused, and that what it adds is meaning (wording no rule names), in both languages.
@Suite struct SafetyModelTests {
    static let filter = try! OnDeviceFilter.builtIn()
    static var model: SafetyModel { filter.model! }

    @Test func theShippedModelIsWithinItsBudgetAndSaysWhereItCameFrom() throws {
        let url = try #require(OnDeviceFilter.bundledModel())
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        #expect(size <= 20_000_000)
        #expect(Self.model.header.dataDigest.count == 64)
        #expect(Set(Self.model.categories).isSubset(of: Set(SafetyCategory.allCases.map(\.rawValue))))
    }

    @Test func theDeviceTokenisesEmbedsAndScoresAsTheTrainerDid() {
        let model = Self.model
        #expect(model.header.probes.count >= 5)
        for probe in model.header.probes {
            #expect(model.pieceIDs(of: probe.text) == probe.ids, "\(probe.text)")
            let embedding = model.embedding(of: probe.text)
            for (device, trainer) in zip(embedding, probe.embedding) {
                #expect(abs(device - trainer) < 1e-4, "\(probe.text): \(device) vs \(trainer)")
            }
            for (device, trainer) in zip(model.probabilities(ofEmbedding: embedding), probe.scores) {
                #expect(abs(device - trainer) < 1e-3, "\(probe.text): \(device) vs \(trainer)")
            }
        }
    }

    @Test func sentenceVectorsAreUnitLengthAndNearerForTheSameMeaning() {
        let model = Self.model
        func cosine(_ a: String, _ b: String) -> Float {
            zip(model.embedding(of: a), model.embedding(of: b)).map(*).reduce(0, +)
        }
        let vector = model.embedding(of: "The puppy chased the red ball across the garden.")
        #expect(abs(vector.map { $0 * $0 }.reduce(0, +) - 1) < 1e-3)
        #expect(cosine("The puppy chased the red ball across the garden.", "A little dog ran after a ball in the yard.")
                > cosine("The puppy chased the red ball across the garden.", "Taxes are due at the end of April."))
        // Across languages: the same meaning in Chinese is nearer than another meaning in English.
        #expect(cosine("I am scared of the dark.", "我怕黑。") > cosine("I am scared of the dark.", "Let's bake a chocolate cake."))
    }

    @Test func aLongTextIsReadInWindowsSoNothingIsAveragedAway() {
        let model = Self.model
        let filler = String(repeating: "We are going to write a long and friendly story about a sunny day at the beach with buckets and spades. ", count: 12)
        let ids = model.pieceIDs(of: filler)
        #expect(ids.count > 96)
        let scores = model.probabilities(of: filler)
        #expect(scores.count == model.categories.count)
        #expect(scores.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
    }

    @Test func aDamagedModelFileIsRefusedWithWhatAndWhere() throws {
        let url = try #require(OnDeviceFilter.bundledModel())
        let bytes = try Data(contentsOf: url)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        func refusal(_ data: Data, _ name: String) throws -> CubbyError {
            let path = directory.appendingPathComponent(name).path
            try data.write(to: URL(fileURLWithPath: path))
            let error = try #require(throws: CubbyError.self) { try SafetyModel.load(contentsOf: path) }
            #expect(error.context == path)
            return error
        }
        #expect(try refusal(bytes.prefix(bytes.count - 4096), "truncated").message.contains("outside the file"))
        #expect(try refusal(Data("not a model".utf8) + bytes.dropFirst(11), "magic").message.contains("not a Cubby safety model"))
        var header = bytes
        header[20] = UInt8(ascii: "}")
        #expect(try refusal(header, "header").message.contains("malformed header"))
        let missing = directory.appendingPathComponent("absent").path
        let error = try #require(throws: CubbyError.self) { try SafetyModel.load(contentsOf: missing) }
        #expect(error.code == .io && error.context == missing)
    }
}

