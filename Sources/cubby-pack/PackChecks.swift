import CubbyCore
import CubbyPersona
import CubbyPersonaPack
import CubbySafety
import Foundation

/// The checks `validate`, `build`, `verify` and `flash` share.
enum PackChecks {
    /// Loads the folder and runs every maker-side check, with the pack's own rules added to the filter.
    static func validate(folder: String) throws(CubbyError) -> (Persona, [PackValidator.Finding]) {
        let persona = try PersonaPackLoader.load(directory: folder)
        var filter = try OnDeviceFilter.builtIn()
        if let rules = persona.safetyRulesPath { filter = try filter.adding(rulesAt: rules) }
        return (persona, PackValidator.findings(for: persona, files: PackFolder(folder), filter: filter))
    }

    static func report(_ findings: [PackValidator.Finding], folder: String) {
        for finding in findings {
            say("\(finding.severity): \(folder)/\(finding.file): \(finding.field): \(finding.message)")
        }
    }
}
