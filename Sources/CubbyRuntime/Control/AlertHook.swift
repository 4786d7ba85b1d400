import CubbyControl
import CubbyMemory
import Foundation
import Logging

/// Runs the parent's `[parents] alert_command` for each new alert — e.g. a script that messages the
/// parent's phone — with the alert as JSON on its standard input and in `CUBBY_ALERT_*` variables. No
/// shell; a command that hangs is stopped after its timeout; a failure is logged and never delays the toy.
struct AlertHook: Sendable {
    let command: [String]
    let timeoutSeconds: Int
    let logger: Logger

    func run(for alert: AlertRecord) {
        let (command, timeout, logger) = (command, timeoutSeconds, logger)
        let json = (try? ControlProtocol.jsonEncoder().encode(alert)) ?? Data()
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        environment["CUBBY_ALERT_ID"] = alert.id.map { "\($0)" } ?? ""
        environment["CUBBY_ALERT_CATEGORY"] = alert.category
        environment["CUBBY_ALERT_TIME"] = alert.raisedAt.formatted(.iso8601)
        environment["CUBBY_ALERT_EXCERPT"] = String(alert.excerpt.prefix(500))
        let variables = environment
        DispatchQueue.global(qos: .utility).async {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            process.environment = variables
            let input = Pipe()
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                logger.error("the alert command could not start", metadata: ["command": "\(command[0])", "error": "\(error)"])
                return
            }
            try? input.fileHandleForWriting.write(contentsOf: json + Data([10]))
            try? input.fileHandleForWriting.close()
            let pid = process.processIdentifier
            let timer = DispatchWorkItem {
                guard process.isRunning else { return }
                process.terminate()
                // One that ignores SIGTERM is killed a second later.
                DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(1)) { if process.isRunning { kill(pid, SIGKILL) } }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(timeout), execute: timer)
            process.waitUntilExit()
            timer.cancel()
            if process.terminationReason == .uncaughtSignal || process.terminationStatus != 0 {
                logger.error("the alert command failed", metadata: ["command": "\(command[0])", "status": "\(process.terminationStatus)"])
            } else {
                logger.info("the alert command ran", metadata: ["alert": "\(alert.id ?? 0)"])
            }
        }
    }
}
