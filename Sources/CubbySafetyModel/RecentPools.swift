import Foundation

/// A few recently pooled texts, newest last: the safety model's memory of what it just read, so that a
/// sentence's context is not encoded twice.
final class RecentPools: @unchecked Sendable {
    // @unchecked: `entries` is read and written under `lock` only.
    private let lock = NSLock()
    private var entries: [(text: String, pooled: SentenceEncoder.Pooled)] = []
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The pooled features of `text`, computed by `make` unless they are remembered.
    func pooled(for text: String, make: () -> SentenceEncoder.Pooled) -> SentenceEncoder.Pooled {
        if let hit = lock.withLock({ entries.last(where: { $0.text == text })?.pooled }) { return hit }
        let pooled = make()
        lock.withLock {
            entries.append((text, pooled))
            if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
        }
        return pooled
    }
}
