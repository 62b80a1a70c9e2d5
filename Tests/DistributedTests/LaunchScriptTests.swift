import Foundation
import XCTest

/// `launch/ddp`: the mpirun wrapper's errors, help and a real run.
final class LaunchScriptTests: XCTestCase {
  let script = packageRoot.appendingPathComponent("launch/ddp").path

  func testBadArgumentsAreOneLine() throws {
    let cases: [([String], String)] = [
      ([], "missing -np N"),
      (["train"], "the first argument must be -np N, got 'train'"),
      (["-np", "two", "train"], "got 'two'"),
      (["-np", "0", "train"], "got '0'"),
      (["-np"], "-np needs a number of workers"),
      (["-np", "100000", "train"], "-np 100000 is more than 16 workers per core: at most"),
      (["-np", "99999999999999999999", "train"], "more workers than any job here can start"),
    ]
    for (arguments, message) in cases {
      let outcome = try runProcess("/bin/bash", [script] + arguments)
      XCTAssertEqual(outcome.status, 2, "\(arguments)")
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, "\(arguments)")
      XCTAssertTrue(outcome.stderr.hasPrefix("launch/ddp: "), outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
    }
  }

  /// mpirun hands each rank its arguments joined by spaces in one environment variable
  /// (OMPI_ARGV), which Linux limits to 131072 bytes with its name and NUL: arguments of 131061
  /// bytes together reach ddp (which refuses them in its own line); one byte more,
  /// in one long value, in many short ones, or in two-byte characters, is refused by the
  /// script in one line. (Before, every rank failed to start: "the job ended by signal 3".)
  func testArgumentsLongerThanMpirunCanPassAreRefused() throws {
    _ = try requireDDPAndMPI()
    let fixed = ["train", "--set"]  // "train --set model.note=": 23 bytes before the value
    let fitting = String(repeating: "x", count: 131_061 - 23)
    let cases: [(String, [String], Bool)] = [
      ("131061 bytes", fixed + ["model.note=" + fitting], true),
      ("131062 bytes", fixed + ["model.note=" + fitting + "x"], false),
      ("many short arguments", ["train"] + Array(repeating: "--set=a.b=1", count: 11_000), false),
      (
        "two-byte characters", fixed + ["model.note=" + String(repeating: "é", count: 65_520)],
        false
      ),
    ]
    for (name, arguments, fits) in cases {
      let outcome = try runProcess(
        "/bin/bash", [script, "-np", "1"] + arguments,
        environment: ["DDP_EXECUTABLE": ddpExecutable])
      XCTAssertEqual(outcome.status, 2, name)
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, name)
      if fits {
        XCTAssertTrue(outcome.stderr.hasPrefix("ddp: "), "\(name): \(outcome.stderr.prefix(300))")
      } else {
        XCTAssertTrue(
          outcome.stderr.hasPrefix("launch/ddp: the ddp arguments are ")
            && outcome.stderr.contains("more than the 131061 mpirun can pass"),
          "\(name): \(outcome.stderr.prefix(300))")
      }
    }
  }

  func testMissingExecutableIsNamed() throws {
    let outcome = try runProcess(
      "/bin/bash", [script, "-np", "2", "bench"],
      environment: ["DDP_EXECUTABLE": "/nonexistent/ddp"])
    XCTAssertEqual(outcome.status, 2)
    XCTAssertTrue(outcome.stderr.contains("/nonexistent/ddp not found"), outcome.stderr)
  }

  func testHelpDocumentsTheSyntax() throws {
    let outcome = try runProcess("/bin/bash", [script, "--help"])
    XCTAssertEqual(outcome.status, 0)
    XCTAssertTrue(outcome.stdout.contains("launch/ddp -np N MPIRUN-OPTIONS... -- DDP-ARGS..."))
    XCTAssertFalse(outcome.stdout.contains("set -euo"), outcome.stdout)
  }

  /// The flags of launch/mpirun-flags (shared with launch/cluster and `ddp compare`'s jobs),
  /// read from a stand-in mpirun that prints its arguments: --oversubscribe past the cores,
  /// --bind-to none unless given, the caller's OPENBLAS variables passed on with -x.
  func testAddsTheSharedMpirunFlags() throws {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("fake-mpirun-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let fake = folder.appendingPathComponent("mpirun").path
    try "#!/bin/sh\necho \"$*\"\n".write(toFile: fake, atomically: true, encoding: .utf8)
    XCTAssertEqual(chmod(fake, 0o755), 0)
    let environment = [
      "PATH": folder.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
      "DDP_EXECUTABLE": "/bin/true", "OPENBLAS_NUM_THREADS": "3", "OPENBLAS_CORETYPE": "Haswell",
    ]
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let many = try runProcess(
      "/bin/bash", [script, "-np", "\(cores + 1)", "bench"], environment: environment)
    XCTAssertEqual(many.status, 0, many.stderr)
    // Each launch tags its ranks (launch/ddp waits for them by it) and names a fresh folder for
    // their stop records (StopRecord), removed when the script ends; then the shared flags.
    func untagged(_ line: String) -> String {
      XCTAssertNotNil(line.firstMatch(of: #/-x DDP_LAUNCH_TAG=[0-9]+-[0-9]+ /#), line)
      let record = line.firstMatch(of: #/-x DDP_STOP_RECORD=(\S+) /#)
      XCTAssertNotNil(record, line)
      if let folder = record?.1 {
        XCTAssertFalse(FileManager.default.fileExists(atPath: String(folder)), "left behind")
      }
      return line.replacing(#/-x DDP_LAUNCH_TAG=[0-9]+-[0-9]+ /#, with: "")
        .replacing(#/-x DDP_STOP_RECORD=\S+ /#, with: "")
    }
    XCTAssertEqual(
      untagged(many.stdout),
      "-q -np \(cores + 1) --oversubscribe --bind-to none -x OPENBLAS_NUM_THREADS "
        + "-x OPENBLAS_CORETYPE /bin/true bench\n")
    let bound = try runProcess(
      "/bin/bash", [script, "-np", "1", "--bind-to", "core", "--", "bench"],
      environment: environment)
    XCTAssertEqual(
      untagged(bound.stdout),
      "-q -np 1 -x OPENBLAS_NUM_THREADS -x OPENBLAS_CORETYPE --bind-to core /bin/true bench\n")
  }

  /// Three workers (more than this 2-core machine has, so the script must add
  /// --oversubscribe), with an mpirun option passed through before `--`.
  func testRunsTheBenchmark() throws {
    _ = try requireDDPAndMPI()
    let outcome = try runProcess(
      "/bin/bash",
      [
        script, "-np", "3", "--timeout", "60", "--", "bench", "allreduce", "--max-bytes", "4096",
      ], environment: ["DDP_EXECUTABLE": ddpExecutable])
    XCTAssertFalse(outcome.timedOut)
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    let figures = try XCTUnwrap(lastJSONObject(outcome.stdout), outcome.stdout + outcome.stderr)
    XCTAssertEqual(figures["workers"] as? Int, 3)
    XCTAssertEqual(figures["all_verified"] as? Bool, true)
  }
}
