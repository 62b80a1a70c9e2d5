import Foundation
import XCTest

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

/// Skips the test where OpenMPI's `mpirun` is not installed.
func requireMPIRun() throws {
  guard FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun") else {
    throw XCTSkip("mpirun is not installed (launch/setup installs openmpi-bin)")
  }
}

/// A new empty directory `prefix-UUID` under the temporary folder.
func makeWorkDirectory(_ prefix: String) throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("\(prefix)-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// Runs `mpirun ARGUMENTS` with what this machine needs (root allowed, oversubscription, no
/// binding, one OpenBLAS thread per rank), killed after 120 s so a hang fails instead of
/// blocking the suite.
func runMPI(_ arguments: [String]) throws -> Outcome {
  try runProcess(
    "/usr/bin/timeout",
    [
      "120", "/usr/bin/mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
      "-x", "OPENBLAS_NUM_THREADS=1",
    ] + arguments)
}

/// The JSON object on the last line of `text`.
func lastJSONLine(_ text: String) throws -> [String: Any] { try lastJSON(text) }

/// The JSON array of objects on the last line of `text` (the `ddp bench` subcommands' records).
func lastJSONRecords(_ text: String) throws -> [[String: Any]] { try lastJSON(text) }

/// The JSON value on the last line of `text`, as `T`; fails the test naming the line if it is
/// missing, not JSON, or of another shape.
private func lastJSON<T>(_ text: String) throws -> T {
  let line = try XCTUnwrap(text.split(separator: "\n").last, "no output")
  let value = try? JSONSerialization.jsonObject(with: Data(line.utf8))
  return try XCTUnwrap(value as? T, "the last line is not a JSON \(T.self): \(line)")
}

/// Writes `paragraphs` made-up paragraphs of `words` (each `shortest` to
/// `shortest + spread - 1` words, drawn by a seeded linear congruential generator) to `path`,
/// separated by blank lines so the corpus splits into documents.
func writeMadeUpCorpus(
  to path: String, paragraphs: Int = 300, seed: UInt64 = 42, shortest: Int = 8, spread: Int = 12,
  words: [String] = ["the", "cat", "sat", "on", "a", "mat", "while", "dogs", "ran", "far", "away"]
) throws {
  var state = seed
  func next() -> Int {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Int(state >> 33)
  }
  let text = (0..<paragraphs).map { _ in
    (0..<(shortest + next() % spread)).map { _ in words[next() % words.count] }
      .joined(separator: " ")
  }.joined(separator: "\n\n")
  try text.write(toFile: path, atomically: true, encoding: .utf8)
}

extension XCTestCase {
  /// ``makeWorkDirectory(_:)``, removed with everything in it when the test ends.
  func temporaryWorkDirectory(_ prefix: String) throws -> URL {
    let url = try makeWorkDirectory(prefix)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
  }
}

/// A test case of real `mpirun` jobs: skipped where mpirun is not installed, and each test in a
/// new `work` directory (`workPrefix-UUID`), removed when it ends.
class MPIJobTestCase: XCTestCase {
  /// The name of the test case's work directories, before the UUID.
  class var workPrefix: String { "ddp-mpi-job" }
  var work: URL!

  override func setUpWithError() throws {
    try requireMPIRun()
    work = try temporaryWorkDirectory(Self.workPrefix)
  }
}

/// A bench report's second ratio: the attention products' `attentionMS` positive, and
/// `step_over_all_products_floor` = ms_per_step / (floor_ms + attentionMS) to 1e-9.
func assertAllProductsRatio(
  _ report: [String: Any], attentionMS: Double, file: StaticString = #filePath, line: UInt = #line
) {
  let (floor, step) = (report["floor_ms"] as? Double ?? 0, report["ms_per_step"] as? Double ?? 0)
  XCTAssertGreaterThan(attentionMS, 0, file: file, line: line)
  XCTAssertEqual(
    report["step_over_all_products_floor"] as? Double ?? 0, step / (floor + attentionMS),
    accuracy: 1e-9, file: file, line: line)
}

/// A refusal as the tool promises it: exit code 2 and one line on standard error that contains
/// `expected`.
func assertRefusedInOneLine(
  _ outcome: Outcome, _ expected: String, file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(outcome.status, 2, outcome.stderr, file: file, line: line)
  XCTAssertEqual(
    outcome.stderr.split(separator: "\n").count, 1, outcome.stderr, file: file, line: line)
  XCTAssertTrue(outcome.stderr.contains(expected), outcome.stderr, file: file, line: line)
}
