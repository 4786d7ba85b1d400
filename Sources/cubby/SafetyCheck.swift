import ArgumentParser
import CubbySafety
import Foundation

struct Safety: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Child-safety filter tools.", subcommands: [Check.self, Normalise.self])

    /// The toy's own filter on any text: for parents who want to see what it would do, for makers testing
    /// a persona, and for the safety benchmark. No network, no daemon.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge lines of text with the toy's safety filter; one JSON object per input line.",
            discussion: """
                Reads lines from stdin: plain text, or a JSON object {"text": …, "direction": "inbound"|"outbound", "age": N, \
                "context": what came just before} whose fields override the flags. Writes exactly one JSON object per line to stdout: \
                {"verdict": "allow"|"flag", "categories": […], "action": …, "text": what would be passed on}. \
                A line whose JSON fields are invalid gets {"error": …} and the exit code is 65 at the end.
                """)

        @Option(help: ArgumentHelp("inbound (the child to the cloud) or outbound (the model to the child).", valueName: "direction"))
        var direction: SafetyDirection = .outbound

        @Option(help: ArgumentHelp("The child's age, 3–12.", valueName: "N"))
        var age: Int = 6

        @Flag(help: "Treat the lines as one conversation: risk adds up across lines, and repeated rule-breaking starts a cool-down.")
        var conversation = false

        @Flag(help: "Add the matched rule ids, the running risk and the kinds of personal detail removed.")
        var explain = false

        @Flag(help: "Add the time the filter took for the line, in microseconds (for the benchmark).")
        var timings = false

        @Option(help: ArgumentHelp("Which layers judge: all, rules (the word rules alone) or model (the learned model alone).",
                                   valueName: "layers"))
        var layers: OnDeviceFilter.Layers = .all

        @Option(help: ArgumentHelp("Add the rules of this file to the built-in ones (as a persona pack or parent would).", valueName: "path"))
        var rules: String?

        @Option(parsing: .upToNextOption, help: ArgumentHelp("Topics to stay away from, as a parent would set them.", valueName: "topic"))
        var blockedTopic: [String] = []

        func validate() throws {
            guard (3...12).contains(age) else { throw ValidationError("--age must be between 3 and 12") }
        }

        func run() throws {
            var filter = try OnDeviceFilter.builtIn()
            filter = filter.only(layers)
            if let rules { filter = try filter.adding(rulesAt: rules) }
            if !blockedTopic.isEmpty { filter = try filter.adding(blockedTopics: blockedTopic, source: "command line") }
            var session = SafetySession()
            var failed = false
            let clock = ContinuousClock()
            while let line = readLine(strippingNewline: true) {
                var output: [String: Any]
                switch Self.request(from: line, direction: direction, age: age) {
                case .success(let (text, direction, age, preceding)):
                    var verdict = SafetyVerdict.allow(text)
                    let elapsed = clock.measure {
                        verdict = filter.check(text, direction: direction, context: SafetyContext(childAge: age, preceding: preceding))
                    }
                    if conversation { verdict = session.review(verdict, direction: direction) }
                    output = ["verdict": verdict.decision.rawValue, "categories": verdict.categories.map(\.rawValue),
                              "action": verdict.action.rawValue, "text": verdict.text]
                    if explain {
                        output["rules"] = verdict.ruleIDs
                        output["risk"] = Dictionary(uniqueKeysWithValues: verdict.risk.map { ($0.key.rawValue, ($0.value * 1000).rounded() / 1000) })
                        output["redactions"] = verdict.redactions
                        let normalised = filter.normaliser.normalise(text)
                        if let classifier = filter.classifiers[OnDeviceFilter.Language(of: normalised)] {
                            output["classifier"] = Dictionary(uniqueKeysWithValues: classifier.probabilities(of: normalised).map {
                                ($0.category.rawValue, ($0.probability * 1000).rounded() / 1000)
                            })
                        }
                        if let model = filter.model {
                            let scores = model.scores(of: text, after: preceding, direction: direction == .inbound ? .inbound : .outbound)
                            output["model"] = Dictionary(uniqueKeysWithValues: scores.filter { $0.probability >= 0.05 }.map {
                                ($0.category, (Double($0.probability) * 1000).rounded() / 1000)
                            })
                        }
                    }
                    if timings { output["micros"] = Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6 }
                case .failure(let problem):
                    failed = true
                    output = ["error": problem.message]
                }
                let data = (try? JSONSerialization.data(withJSONObject: output, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
                print(String(decoding: data, as: UTF8.self))
            }
            if failed { throw ExitCode(65) }
        }

        struct Problem: Error { var message: String }

        /// A line as (text, direction, age): JSON objects override the flags; anything else is plain text.
        static func request(from line: String, direction: SafetyDirection, age: Int) -> Result<(String, SafetyDirection, Int, String?), Problem> {
            guard line.first == "{", let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                return .success((line, direction, age, nil))
            }
            guard let text = object["text"] as? String else { return .failure(Problem(message: "\"text\" must be a string")) }
            var chosenDirection = direction
            if let name = object["direction"] {
                guard let name = name as? String, let parsed = SafetyDirection(rawValue: name) else {
                    return .failure(Problem(message: "\"direction\" must be \"inbound\" or \"outbound\""))
                }
                chosenDirection = parsed
            }
            var chosenAge = age
            if let value = object["age"] {
                guard let number = value as? Int, (3...12).contains(number) else { return .failure(Problem(message: "\"age\" must be a whole number from 3 to 12")) }
                chosenAge = number
            }
            var preceding: String?
            if let value = object["context"] {
                guard let context = value as? String else { return .failure(Problem(message: "\"context\" must be a string")) }
                preceding = context
            }
            return .success((text, chosenDirection, chosenAge, preceding))
        }
    }
}

/// The normaliser on its own: the training script for the classifier feeds its text through this, so
/// the model learns from exactly the form the device will score.
struct Normalise: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print each stdin line as the safety filter's normaliser writes it.",
                                                    shouldDisplay: false)

    func run() throws {
        let normaliser = try TextNormaliser.builtIn()
        while let line = readLine(strippingNewline: true) { print(normaliser.normalise(line)) }
    }
}

extension SafetyDirection: ExpressibleByArgument {}
extension OnDeviceFilter.Layers: ExpressibleByArgument {}
