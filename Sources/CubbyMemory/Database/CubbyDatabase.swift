import CubbyCore
import Foundation
import GRDB

/// The device's one SQLite database (WAL), owner-only on disk. Each concern reads and writes it through
/// its own store — `conversations`, `alerts`, `memories` — with GRDB records, never raw SQL strings,
/// and lists kept as rows, never joined into a string.
///
/// Every write is one transaction, so a killed process leaves whole records only.
public final class CubbyDatabase: Sendable {
    let writer: any DatabaseWriter
    public let path: String?

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String) throws(CubbyError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.foreignKeysEnabled = true
            configuration.busyMode = .timeout(5)
            writer = try DatabasePool(path: path, configuration: configuration)
            try Schema.migrator.migrate(writer)
        } catch {
            throw CubbyError(.storage, "cannot open the database", context: path, underlying: error)
        }
        // What the child said is for the family only; SQLite gives the -wal and -shm files the same mode.
        try SystemCall.check("cannot make the database private", code: .storage, context: path) { chmod(path, 0o600) }
    }

    /// A private in-memory database, for tests and benchmarks.
    public init() throws(CubbyError) {
        path = nil
        do {
            writer = try DatabaseQueue()
            try Schema.migrator.migrate(writer)
        } catch {
            throw CubbyError(.storage, "cannot create an in-memory database", underlying: error)
        }
    }

    public var conversations: ConversationStore { ConversationStore(database: self) }
    public var alerts: AlertStore { AlertStore(database: self) }
    public var memories: MemoryStore { MemoryStore(database: self) }
    public var audit: AuditLog { AuditLog(database: self) }
    public var child: ChildDataStore { ChildDataStore(database: self) }
    public var settings: SettingStore { SettingStore(database: self) }
    public var routines: RoutineStore { RoutineStore(database: self) }

    /// Closes the database (checkpointing the WAL); later calls fail. Called once at shutdown.
    public func close() throws(CubbyError) {
        do {
            if let pool = writer as? DatabasePool { try pool.close() }
            if let queue = writer as? DatabaseQueue { try queue.close() }
        } catch {
            throw CubbyError(.storage, "closing the database failed", context: location, underlying: error)
        }
    }

    var location: String { path ?? "in-memory database" }

    func write<T>(_ what: String, _ body: (Database) throws -> T) throws(CubbyError) -> T {
        do {
            return try writer.write(body)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            // Nothing of the write was kept (it was one transaction); the next write succeeds once space returns.
            throw CubbyError(.storage, "the toy's storage is full, so \(what) was not saved; free some space (old transcripts go after [privacy] transcript_days)",
                             context: location, underlying: error)
        } catch {
            throw CubbyError(.storage, "\(what) failed", context: location, underlying: error)
        }
    }

    /// Folds the write-ahead log into the database and truncates it (after an erase: no old page stays in it).
    func checkpoint() throws {
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Runs raw SQL on the writer's connection: for tests that need a full disk (`PRAGMA max_page_count`).
    func onWriter(_ sql: String) throws {
        try writer.writeWithoutTransaction { db in try db.execute(sql: sql) }
    }

    /// For tests: caps the database at its size now and uses up its free pages and the room left in its
    /// pages, as a full disk would.
    func fillUp() throws {
        try onWriter("CREATE TABLE IF NOT EXISTS testFiller (bytes BLOB)")
        let pages = try writer.read { try Int.fetchOne($0, sql: "PRAGMA page_count") ?? 0 }
        try onWriter("PRAGMA max_page_count = \(pages)")
        for size in [2_000, 200, 20, 1] {
            while (try? onWriter("INSERT INTO testFiller VALUES (randomblob(\(size)))")) != nil {}
        }
    }

    func read<T>(_ what: String, _ body: (Database) throws -> T) throws(CubbyError) -> T {
        do {
            return try writer.read(body)
        } catch {
            throw CubbyError(.storage, "\(what) failed", context: location, underlying: error)
        }
    }
}
