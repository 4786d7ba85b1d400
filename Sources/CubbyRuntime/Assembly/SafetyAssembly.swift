import CubbyConfiguration
import CubbyCore
import CubbyPersona
import CubbySafety

/// Builds the filter a conversation uses: the built-in rules, then the persona pack's, then the
/// parent's. Each layer can only add; a broken file fails the load (or the reload, which then keeps the
/// old settings) with the file and rule named.
enum SafetyAssembly {
    static func filter(base: OnDeviceFilter, configuration: DaemonConfiguration, persona: Persona) throws(CubbyError) -> OnDeviceFilter {
        var filter = base
        if let path = persona.safetyRulesPath { filter = try filter.adding(rulesAt: path) }
        if !persona.blockedTopics.isEmpty { filter = try filter.adding(blockedTopics: persona.blockedTopics, source: "persona \(persona.id)") }
        if let path = configuration.safety.rulesPath { filter = try filter.adding(rulesAt: path) }
        if !configuration.safety.blockedTopics.isEmpty {
            filter = try filter.adding(blockedTopics: configuration.safety.blockedTopics, source: "parent")
        }
        return filter
    }

    /// Who the text is for, with the names that must never leave the device.
    static func context(_ configuration: DaemonConfiguration) -> SafetyContext {
        // The child's first name is in the preamble by the parent's choice; only the listed names are kept back.
        SafetyContext(childAge: configuration.childAge, privateNames: configuration.safety.privateNames)
    }
}
