import ArgumentParser
import Foundation

/// Writes one line to standard error.
func printError(_ message: String) {
  FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs `body`; a thrown error (bad config, impossible model) becomes one line on standard
/// error, `ddp: <message>`, and exit code 2 — never a stack trace. Under `mpirun` every rank
/// fails alike and only rank 0 prints.
func loadOrExit<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch {
    if CommandLineErrors.isRankZero { printError("ddp: \(error)") }
    throw ExitCode(2)
  }
}
