import Foundation

/// What a finished process printed and returned.
struct Outcome {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs `executable` with `arguments` to completion, capturing both outputs (standard error
/// through a temporary file, so neither pipe can fill up and block the child).
func runProcess(_ executable: String, _ arguments: [String]) throws -> Outcome {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  let out = Pipe()
  let errorPath = FileManager.default.temporaryDirectory
    .appendingPathComponent("ddp-stderr-\(UUID().uuidString)")
  _ = FileManager.default.createFile(atPath: errorPath.path, contents: nil)
  defer { try? FileManager.default.removeItem(at: errorPath) }
  let errorFile = try FileHandle(forWritingTo: errorPath)
  process.standardOutput = out
  process.standardError = errorFile
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  try errorFile.close()
  let stderr = try Data(contentsOf: errorPath)
  return Outcome(
    status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
    stderr: String(decoding: stderr, as: UTF8.self))
}

/// The `ddp` executable beside the test bundle in the build folder.
let ddpExecutable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  .appendingPathComponent("ddp").path

/// The package's root folder (this file is Tests/ddpTests/Processes.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

func runDDP(_ arguments: [String]) throws -> Outcome { try runProcess(ddpExecutable, arguments) }
