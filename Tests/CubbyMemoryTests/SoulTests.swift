import CubbyCore
@testable import CubbyMemory
import CubbySoul
import Foundation
import Testing

@Suite struct SoulTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func toyWithMemories() throws -> CubbyDatabase {
        let database = try CubbyDatabase()
        try database.child.setProfile(.init(name: "Mia", age: 6, language: "en", likes: ["rockets", "pandas"]), at: now)
        let conversation = try database.conversations.open(personaID: "teddy", openedBy: "wake_word", at: now.addingTimeInterval(-86_400 * 40))
        try database.conversations.close(conversation, at: now.addingTimeInterval(-86_400 * 40 + 60))
        try database.memories.remember("Mia has a dog called Max", kind: .pet, at: now)
        try database.memories.remember("她最喜欢熊猫", kind: .preference, at: now)
        try database.memories.remember("Mia is going to the seaside on Saturday", kind: .plan, at: now)
        return database
    }

    @Test func aSoulMovesEveryMemoryAndTheProfileToAFreshToy() throws {
        let old = try toyWithMemories()
        let soul = try Soul.gather(from: old, persona: .init(id: "teddy", version: "2.0.0", name: "Teddy"), at: now)
        #expect(soul.relationship.conversations == 1 && soul.relationship.firstMet != nil)
        let sealed = try SoulArchive.seal(soul, passphrase: "correct horse battery")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("Max"), "nothing readable without the passphrase")

        let fresh = try CubbyDatabase()
        let opened = try SoulArchive.open(sealed, passphrase: "correct horse battery", context: "soul")
        #expect(try fresh.child.restore(memories: opened.memories, profile: opened.profile, detail: "test", at: now) == 3)
        #expect(Set(try fresh.memories.all().map(\.text)) == Set(try old.memories.all().map(\.text)))
        #expect(try fresh.child.profile()?.likes == ["pandas", "rockets"])
        #expect(try fresh.memories.search("熊猫").count == 1, "restored facts are searchable")
        // Importing the same soul again adds nothing twice.
        #expect(try fresh.child.restore(memories: opened.memories, profile: nil, detail: "again", at: now) == 0)
        #expect(try fresh.audit.entries().map(\.action) == ["soul.import", "soul.import"])
    }

    @Test func aWrongPassphraseOrAChangedByteIsRefused() throws {
        let sealed = try SoulArchive.seal(try Soul.gather(from: try toyWithMemories(), persona: .init(id: "teddy", version: "2.0.0", name: "Teddy"), at: now),
                                          passphrase: "correct horse battery")
        #expect { _ = try SoulArchive.open(sealed, passphrase: "wrong horse battery", context: "soul") } throws: {
            "\($0)".contains("the passphrase is wrong, or the file was changed")
        }
        for index in [5, 12, 20, sealed.count / 2, sealed.count - 1] {
            var changed = sealed
            changed[index] ^= 0x01
            #expect(throws: CubbyError.self) { _ = try SoulArchive.open(changed, passphrase: "correct horse battery", context: "soul") }
        }
        #expect { _ = try SoulArchive.seal(try Soul.gather(from: try CubbyDatabase(), persona: .init(id: "t", version: "1.0.0", name: "T"), at: now), passphrase: "short") } throws: {
            "\($0)".contains("at least 8 characters")
        }
    }

    @Test func exportEraseAndRetention() throws {
        let database = try toyWithMemories()
        let recent = try database.conversations.open(personaID: "teddy", openedBy: "button", at: now)
        try database.conversations.close(recent, at: now)
        let everything = try database.child.export(at: now)
        #expect(everything.memories.count == 3 && everything.profile?.name == "Mia")

        #expect(try database.child.deleteTranscripts(before: now.addingTimeInterval(-30 * 86_400)) == 1, "the 40-day-old conversation goes")
        #expect(try database.child.relationship().conversations == 1)

        // A conversation still open keeps its row (the daemon writes to it), never its turns.
        let open = try database.conversations.open(personaID: "teddy", openedBy: "button", at: now)
        try database.child.erase(at: now)
        #expect(try database.memories.count() == 0 && database.child.profile() == nil && database.child.relationship().conversations == 1)
        #expect(try database.conversations.recent(limit: 10).isEmpty)
        let terms = try database.read("index") { try Int.fetchOne($0, sql: "SELECT count(*) FROM memorySearch") ?? -1 }
        #expect(terms == 0)
        _ = open
        #expect(try database.audit.entries().map(\.action) == ["data.erase"])
    }
}
