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
      try HelpTopic.check(arguments)
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
        // --help and --version: printed once under mpirun, by rank 0.
        if isLaunchedRankZero { print(root.fullMessage(for: error)) }
        StandardOutput.finishOrExit()
        exit(0)
      }
      if isLaunchedRankZero {
        // Control characters of a quoted value escaped: the line stays one line, whole.
        let message = MessageText.oneLine(root.message(for: error))
        // The hint is for mistakes in the command line (the parser's and validation errors),
        // not for a failure of the work itself (a full disk while writing a report).
        let help = code == .failure ? "" : helpHint(CommandLine.arguments.dropFirst())
        writeErrorLine("ddp: " + message.replacingOccurrences(of: "Error: ", with: "") + help)
      }
      exit(code == .validationFailure ? 2 : code.rawValue)
    }
  }

  /// Ends the program (exit 2, one line) when an argument's bytes are not valid UTF-8: Swift
  /// decodes it with U+FFFD in place of the bad bytes, so a path would name another file
  /// (`--out $'o\xfe'` made `o\u{FFFD}`). Called first, before the re-exec that sets
  /// OPENBLAS_CORETYPE passes the decoded arguments on.
  static func refuseArgumentsNotUTF8() {
    guard let bad = firstArgumentNotUTF8() else { return }
    if isLaunchedRankZero {
      writeErrorLine("ddp: argument \(bad) is not valid UTF-8 (ddp reads paths and texts as UTF-8)")
    }
    exit(2)
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

/// The position (1 = the first after `ddp`) of the first argument whose bytes are not valid
/// UTF-8, read from the raw `argv`.
func firstArgumentNotUTF8() -> Int? {
  for index in 1..<Int(CommandLine.argc) {
    guard let pointer = CommandLine.unsafeArgv[index] else { continue }
    let bytes = UnsafeBufferPointer(start: pointer, count: strlen(pointer)).map {
      UInt8(bitPattern: $0)
    }
    if String(validating: bytes, as: UTF8.self) == nil { return index }
  }
  return nil
}
