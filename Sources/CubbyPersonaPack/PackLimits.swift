/// How big a pack may be. A toy has 512 MB of memory and a small flash card; a pack is verified in
/// memory before anything is written, so these bound what a hostile file can make the device hold.
public struct PackLimits: Sendable {
    /// The `.cubbypack` file itself.
    /// One install holds the pack, its inflated archive and its files at once: about three times this.
    public var maximumPackBytes = 32 * 1024 * 1024
    public var maximumFileBytes = 8 * 1024 * 1024
    /// All files together, after decompression.
    public var maximumTotalBytes = 32 * 1024 * 1024
    public var maximumFiles = 256

    public init() {}

    public static let standard = PackLimits()
}
