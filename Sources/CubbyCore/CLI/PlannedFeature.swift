import Foundation

/// A command that exists in the interface but is not built yet: it says so and exits 2, never pretending
/// to have done something.
public enum PlannedFeature {
    public static let exitCode: Int32 = 2

    public static func refuse(_ command: String, comesWith: String) -> Never {
        FileHandle.standardError.write(Data("\(command): not yet available (comes with \(comesWith))\n".utf8))
        exit(exitCode)
    }
}
