import CubbyControl
import CubbyCore
import CubbyMemory
import CubbySoul
import Foundation

/// The parents' side of what the toy keeps about the child: memories to read, search and delete,
/// everything to export or erase, and the child's soul to take to a new toy. Every change is written to
/// the audit log. (The parent PIN that will guard these comes with the parents' app; today the socket's
/// permissions say who may connect.)
struct FamilyData: Sendable {
    let database: CubbyDatabase
    let live: LiveSettings
    let clock: any CubbyClock

    func memories(search text: String?, limit: Int) throws(CubbyError) -> [ControlMemory] {
        let found = if let text { try database.memories.search(text, limit: limit) } else { try database.memories.all(limit: limit) }
        return found.map { ControlMemory(id: $0.id, text: $0.text, kind: $0.kind.rawValue, language: $0.language, createdAt: $0.createdAt, lastUsedAt: $0.lastUsedAt) }
    }

    func delete(memory id: Int64) throws(CubbyError) -> String {
        guard try database.memories.delete(ids: [id]) == 1 else { throw CubbyError(.invalidConfiguration, "there is no memory \(id)") }
        try database.audit.record("memory.delete", "memory \(id)", at: clock.date)
        return "deleted memory \(id)"
    }

    func deleteAllMemories() throws(CubbyError) -> String {
        let count = try database.memories.deleteAll()
        try database.audit.record("memory.delete_all", "\(count) memories", at: clock.date)
        return "deleted all \(count) memories"
    }

    func export() throws(CubbyError) -> [UInt8] {
        let everything = try database.child.export(at: clock.date)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let bytes: Data
        do { bytes = try encoder.encode(everything) } catch { throw CubbyError(.storage, "the export could not be written", underlying: error) }
        try database.audit.record("data.export", "\(everything.memories.count) memories, \(everything.turns.count) turns, \(everything.alerts.count) alerts", at: clock.date)
        return [UInt8](bytes)
    }

    func erase() throws(CubbyError) -> String {
        try database.child.erase(at: clock.date)
        return "erased everything kept about the child"
    }

    func exportSoul(passphrase: String) throws(CubbyError) -> [UInt8] {
        let persona = live.current.persona
        let soul = try Soul.gather(from: database, persona: .init(id: persona.id, version: persona.version.description, name: persona.name), at: clock.date)
        let sealed = try SoulArchive.seal(soul, passphrase: passphrase)
        try database.audit.record("soul.export", "\(soul.memories.count) memories, persona \(persona.id)", at: clock.date)
        return sealed
    }

    func importSoul(_ bytes: [UInt8], passphrase: String, name: String) throws(CubbyError) -> String {
        let soul = try SoulArchive.open(bytes, passphrase: passphrase, context: name)
        let added = try database.child.restore(memories: soul.memories, profile: soul.profile,
                                               detail: "from \(soul.persona.name) (\(soul.persona.id) \(soul.persona.version))", at: clock.date)
        return "restored \(added) of \(soul.memories.count) memories from \(soul.persona.name)'s soul"
            + (soul.persona.id == live.current.persona.id ? "" : " (this toy is \(live.current.persona.name); the memories are the child's and come along)")
    }
}
