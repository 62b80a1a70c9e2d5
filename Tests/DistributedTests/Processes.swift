import Foundation
import XCTest

/// What a finished process printed and returned, and how long it ran.
struct Outcome {
  var status: Int32
  var stdout: String
  var stderr: String
  var seconds: Double
  var timedOut: Bool
}

/// The longest any launched process may run before it is killed and the test fails: mpirun
/// tests take about a second here, so a minute means a hang, not a slow machine.
let processTimeLimit: TimeInterval = 60

/// Runs `executable` with `arguments` to completion or `timeLimit`, whichever comes first.
///
/// Both outputs go through temporary files (no pipe can fill up and block the child). A
/// process still running at the limit gets SIGTERM (mpirun passes it on to its ranks), then
/// SIGKILL two seconds later; the outcome says `timedOut`.
func runProcess(
  _ executable: String, _ arguments: [String], environment: [String: String] = [:],
  timeLimit: TimeInterval = processTimeLimit
) throws -> Outcome {
  let folder = FileManager.default.temporaryDirectory
  let outPath = folder.appendingPathComponent("distributed-out-\(UUID().uuidString)")
  let errorPath = folder.appendingPathComponent("distributed-err-\(UUID().uuidString)")
  for path in [outPath, errorPath] {
    _ = FileManager.default.createFile(atPath: path.path, contents: nil)
  }
  defer {
    try? FileManager.default.removeItem(at: outPath)
    try? FileManager.default.removeItem(at: errorPath)
  }
  let outFile = try FileHandle(forWritingTo: outPath)
  let errorFile = try FileHandle(forWritingTo: errorPath)
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  process.standardOutput = outFile
  process.standardError = errorFile
  let start = Date()
  try process.run()
  let deadline = start.addingTimeInterval(timeLimit)
  while process.isRunning, Date() < deadline { usleep(10_000) }
  let timedOut = process.isRunning
  if timedOut {
    process.terminate()
    let grace = Date().addingTimeInterval(2)
    while process.isRunning, Date() < grace { usleep(10_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
  }
  process.waitUntilExit()
  let seconds = Date().timeIntervalSince(start)
  try outFile.close()
  try errorFile.close()
  return Outcome(
    status: process.terminationStatus,
    stdout: String(decoding: try Data(contentsOf: outPath), as: UTF8.self),
    stderr: String(decoding: try Data(contentsOf: errorPath), as: UTF8.self), seconds: seconds,
    timedOut: timedOut)
}

/// The `ddp` executable beside the test bundle in the build folder.
let ddpExecutable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  .appendingPathComponent("ddp").path

/// The package's root folder (this file is Tests/DistributedTests/Processes.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

/// What mpirun needs on this machine: root is allowed, one BLAS thread per rank.
let mpiEnvironment = [
  "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
  "OPENBLAS_NUM_THREADS": "1",
]

/// The path of an executable on PATH, or nil.
func findOnPath(_ name: String) -> String? {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
  for folder in path.split(separator: ":") {
    let candidate = "\(folder)/\(name)"
    if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
  }
  return nil
}

/// Skips the test unless `ddp` was built beside the test bundle and mpirun is installed.
func requireDDPAndMPI() throws -> String {
  guard FileManager.default.isExecutableFile(atPath: ddpExecutable) else {
    throw XCTSkip(
      "\(ddpExecutable) is missing: the test target does not build ddp; run "
        + "`swift build -c release` (with the same --scratch-path) before `swift test`")
  }
  guard let mpirun = findOnPath("mpirun") else {
    throw XCTSkip("mpirun is not installed (launch/setup installs OpenMPI)")
  }
  let help = try runProcess(ddpExecutable, ["bench", "allreduce", "--help"])
  // Until it is registered, `bench allreduce --help` shows the default subcommand's help.
  guard help.status == 0, help.stdout.contains("MPI_Allreduce latency") else {
    throw SetupError(
      "`ddp bench allreduce` is not registered: add BenchAllReduce.self to Bench's "
        + "subcommands (Sources/ddp/Bench.swift)")
  }
  return mpirun
}

/// A test's environment lacks something the test needs; the description says what.
struct SetupError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// Runs `mpirun -np workers ddp arguments...` with a time limit in mpirun and in the test.
func runUnderMPI(workers: Int, _ arguments: [String]) throws -> Outcome {
  let mpirun = try requireDDPAndMPI()
  return try runProcess(
    mpirun,
    ["-np", "\(workers)", "--oversubscribe", "--bind-to", "none", "--timeout", "60", ddpExecutable]
      + arguments, environment: mpiEnvironment)
}

/// The last line of `text` that parses as a JSON object.
func lastJSONObject(_ text: String) -> [String: Any]? {
  for line in text.split(separator: "\n").reversed() where line.hasPrefix("{") {
    if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
      return object
    }
  }
  return nil
}
