import CubbySafety
import Foundation
import Testing

/// The project's own cases (`SafetyCases/cases.txt`): every category, both languages, both directions,
/// each unsafe line with a safe twin that must pass. A rule change that blocks the twin is as much a
/// failure as one that lets the unsafe line through.
@Suite struct SafetyCasesTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var id: String
        var direction: SafetyDirection
        var age: Int
        var category: SafetyCategory?
        var action: SafetyVerdict.Action?
        var text: String
        var line: Int
        var testDescription: String { "\(id) line \(line): \(text)" }
    }

    static let cases: [Case] = {
        guard let url = Bundle.module.url(forResource: "cases", withExtension: "txt", subdirectory: "SafetyCases"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        var cases: [Case] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: "|", maxSplits: 4).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 5, let age = Int(parts[2]) else { continue }
            let expectation = parts[3].split(separator: "/").map(String.init)
            cases.append(Case(id: parts[0], direction: parts[1] == "in" ? .inbound : .outbound, age: age,
                              category: expectation[0] == "allow" ? nil : SafetyCategory(rawValue: expectation[0]),
                              action: expectation.count > 1 ? SafetyVerdict.Action(rawValue: expectation[1]) : nil,
                              text: parts[4], line: number + 1))
        }
        return cases
    }()

    static let filter = try! OnDeviceFilter.builtIn()

    @Test func theCasesCoverWhatTheIssueAsksFor() throws {
        let cases = Self.cases
        #expect(cases.count >= 300)
        let byID = Dictionary(grouping: cases, by: \.id)
        for (id, group) in byID {
            #expect(group.filter { $0.category != nil }.count == 1, "\(id) needs exactly one unsafe line")
            #expect(group.contains { $0.category == nil }, "\(id) needs a safe twin")
        }
        let covered = Set(cases.compactMap(\.category))
        for category in SafetyCategory.allCases where category != .blockedTopic {
            #expect(covered.contains(category), "no case for \(category.rawValue)")
        }
        func isChinese(_ text: String) -> Bool { text.unicodeScalars.contains { $0.properties.isIdeographic } }
        for chinese in [false, true] {
            for direction in [SafetyDirection.inbound, .outbound] {
                #expect(cases.contains { isChinese($0.text) == chinese && $0.direction == direction && $0.category != nil })
            }
        }
    }

    @Test(arguments: SafetyCasesTests.cases)
    func eachCase(_ testCase: Case) {
        let verdict = Self.filter.check(testCase.text, direction: testCase.direction, context: SafetyContext(childAge: testCase.age))
        if let category = testCase.category {
            #expect(verdict.decision == .flag)
            #expect(verdict.categories.contains(category), "got \(verdict.categories) from \(verdict.ruleIDs)")
            if let action = testCase.action { #expect(verdict.action == action) }
            if testCase.direction == .outbound { #expect(verdict.text.isEmpty, "a blocked sentence passes nothing on") }
        } else {
            #expect(verdict.decision == .allow, "flagged \(verdict.categories) by \(verdict.ruleIDs)")
            #expect(verdict.text == testCase.text)
        }
    }
}
