import Foundation
// The walking skeleton's entry point is not wired yet (issue 2 is in progress): say so rather than pretend.
let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--version") { print("cubbyd 0.1.0"); exit(0) }
FileHandle.standardError.write(Data("cubbyd: not yet available (the walking skeleton, issue 2, is in progress)\n".utf8))
exit(2)
