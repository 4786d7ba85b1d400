@testable import CubbyMemory
import Foundation
import GRDB
import Testing

@Suite struct MemoryStoreTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theOldMemoryTableMovesIntoTheNewSchemaKeepingEveryFact() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mem-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/cubby.sqlite"
        do {
            let old = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(old, upTo: "v4: lists as rows")
            try old.write { db in
                for fact in ["Her cat is called Biscuit", "她最喜欢熊猫", "Loves the colour green"] {
                    try db.execute(sql: "INSERT INTO memory (text, createdAt) VALUES (?, ?)", arguments: [fact, now])
                }
            }
            try old.close()
        }
        let database = try CubbyDatabase(path: path)
        defer { try? database.close() }
        let kept = try database.memories.all()
        #expect(Set(kept.map(\.text)) == ["Her cat is called Biscuit", "她最喜欢熊猫", "Loves the colour green"])
        #expect(kept.first { $0.text.contains("熊猫") }?.language == "zh")
        #expect(try database.memories.search("熊猫").map(\.text) == ["她最喜欢熊猫"], "migrated facts are searchable")
        #expect(try database.memories.search("biscuit").map(\.text) == ["Her cat is called Biscuit"])
    }

    @Test func aFactToldAgainUpdatesTheOldOneAndRecallFindsWhatTheChildIsTalkingAbout() throws {
        let store = try CubbyDatabase().memories
        guard case .added(let id) = try store.remember("Mia's dog is called Max", kind: .pet, at: now) else { Issue.record("not added"); return }
        #expect(try store.remember("Mia has a dog called Max", kind: .pet, at: now.addingTimeInterval(60)) == .updated(id))
        #expect(try store.count() == 1)
        #expect(try store.all().first?.text == "Mia has a dog called Max")
        #expect(try store.all().first?.salience ?? 0 > 0.5, "told twice, it matters more")

        try store.remember("Mia is scared of thunderstorms", kind: .feeling, at: now)
        try store.remember("Mia's best friend is Leo", kind: .person, at: now)
        try store.remember("我的小狗叫豆豆", kind: .pet, at: now)
        try store.remember("周末要去奶奶家", kind: .plan, at: now)
        for i in 0..<40 { try store.remember("Mia once saw a kite number \(i) in the park on day \(i * 7)", at: now.addingTimeInterval(-Double(i) * 86_400)) }

        let dogs = try store.recall(for: "what should I teach my dog", at: now, limit: 3)
        #expect(dogs.first?.text == "Mia has a dog called Max", "\(dogs.map(\.text))")
        let chinese = try store.recall(for: "豆豆今天很开心", at: now, limit: 3)
        #expect(chinese.first?.text == "我的小狗叫豆豆", "\(chinese.map(\.text))")
        #expect(try store.recall(for: "我们去奶奶家玩", at: now, limit: 3).first?.text == "周末要去奶奶家")

        let budgeted = try store.recall(for: "kite in the park", at: now, limit: 20, tokenBudget: 40)
        #expect(!budgeted.isEmpty && budgeted.map { MemoryStore.tokens($0.text) }.reduce(0, +) <= 40)
        #expect(try store.all().first { $0.text == "Mia has a dog called Max" }?.lastUsedAt == now, "recall notes when a fact was used")
    }

    @Test func forgettingAndExpiry() throws {
        let database = try CubbyDatabase()
        let store = database.memories
        try store.remember("Her cat is called Biscuit", kind: .pet, at: now)
        try store.remember("Biscuit the cat likes tuna", kind: .pet, at: now)
        try store.remember("She likes drawing rockets", kind: .preference, at: now)
        try store.remember("Her tooth is wobbly", kind: .event, expiresAt: now.addingTimeInterval(3_600), at: now)
        #expect(try store.forget(matching: "it") == 0, "a phrase of small words names nothing to forget")
        #expect(try store.forget(matching: "我的") == 0)
        #expect(try store.forget(matching: "Biscuit") == 2)
        #expect(try store.all().map(\.text).sorted() == ["Her tooth is wobbly", "She likes drawing rockets"])
        #expect(try store.recall(for: "wobbly tooth", at: now.addingTimeInterval(7_200)).allSatisfy { !$0.text.contains("tooth") }, "an expired fact is not recalled")
        #expect(try store.deleteAll() == 2)
        #expect(try store.search("rockets").isEmpty)

        try database.audit.record("memory.delete_all", "2 memories", at: now)
        #expect(try database.audit.entries().map(\.action) == ["memory.delete_all"])
    }

    @Test func termsWorkForBothLanguages() {
        #expect(MemoryTerms.terms("Mia's dogs are playing") == ["mia", "dog", "play"])
        #expect(MemoryTerms.terms("我的小狗叫豆豆").contains("小狗") && MemoryTerms.terms("我的小狗叫豆豆").contains("豆豆"))
        #expect(MemoryTerms.language(of: "我喜欢 pandas") == "zh")
    }
}

@Suite struct FullDiskTests {
    @Test func aFullDiskSaysSoKeepsNothingHalfWrittenAndRecoversWhenSpaceReturns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("full-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let database = try CubbyDatabase(path: folder + "/cubby.sqlite")
        defer { try? database.close() }
        try database.memories.remember("Mia has a dog called Max", at: Date())
        // The disk is full: not one more page may be written.
        try database.fillUp()
        var failures = 0
        for i in 0..<50 {
            let fact = "Mia told me about \(UUID().uuidString) and \(UUID().uuidString) on day \(i)"
            do { try database.memories.remember(fact, at: Date()) } catch {
                failures += 1
                #expect(error.message.contains("the toy's storage is full, so remembering was not saved"))
            }
        }
        #expect(failures > 0)
        let indexed = try database.read("index") { try Int.fetchOne($0, sql: "SELECT count(*) FROM memorySearch") ?? -1 }
        #expect(indexed == (try database.memories.count()), "no fact without its index entry, or the reverse")
        // Space returns.
        try database.onWriter("PRAGMA max_page_count = 1073741823")
        #expect(try database.memories.remember("Mia likes pancakes", at: Date()) != .updated(0))
        #expect(try database.memories.search("pancakes").count == 1)
    }
}
