import ArgumentParser
import Experiments
import Foundation
import Reports
import Support
import Training

/// How the command line's own errors end the program: `--help` prints to standard output with
/// exit 0; a usage error (unknown option, missing or invalid value) is one line on standard
/// error, `ddp: <problem> (see 'ddp <command> --help')`, with exit code 2, printed by rank 0
/// alone under `mpirun` (every rank parses the same arguments, so every rank fails alike and
/// none waits for the others); an `ExitStatus` (Support) or `ExitCode` thrown by a command ends with that code, its
/// message already printed. Standard output is part of the result: closed at the start, or
/// not written in full at the end, it is one line and a non-zero exit (`StandardOutput`).
enum CommandLineErrors {
  static func run(_ root: DDP.Type) -> Never {
    if StandardOutput.holdClosedDescriptors() {
      if isLaunchedRankZero {
        writeErrorLine("ddp: standard output is closed; redirect it to a file or to /dev/null")
      }
      exit(2)
    }
    do {
      let arguments = CommandLine.arguments.dropFirst()
      try OptionValues.check(arguments, of: OptionValues.command(named: arguments))
      var command = try root.parseAsRoot()
      try command.run()
      StandardOutput.finishOrExit()
      exit(0)
    } catch let status as ExitStatus {
      exit(status.code)
    } catch let exitCode as ExitCode {
      exit(exitCode.rawValue)
    } catch {
      let code = root.exitCode(for: error)
      if code == .success {
        print(root.fullMessage(for: error))
        StandardOutput.finishOrExit()
        exit(0)
      }
      if isLaunchedRankZero {
        let message =
          root.message(for: error)
          .split(separator: "\n").first.map(String.init) ?? "\(error)"
        let help = helpHint(CommandLine.arguments.dropFirst())
        writeErrorLine("ddp: " + message.replacingOccurrences(of: "Error: ", with: "") + help)
      }
      exit(code == .validationFailure ? 2 : code.rawValue)
    }
  }

  /// ` (see 'ddp train --help')` for the subcommand named in `arguments`, or `ddp --help`.
  static func helpHint(_ arguments: ArraySlice<String>) -> String {
    let names = DDP.configuration.subcommands.map { $0._commandName }
    var words = ["ddp"]
    if let first = arguments.first, names.contains(first) {
      words.append(first)
      if first == "bench", let second = arguments.dropFirst().first,
        Bench.configuration.subcommands.map({ $0._commandName }).contains(second)
      {
        words.append(second)
      }
    }
    return " (see '\(words.joined(separator: " ")) --help')"
  }
}
