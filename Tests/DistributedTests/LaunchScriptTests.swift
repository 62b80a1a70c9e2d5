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
    ]
    for (arguments, message) in cases {
      let outcome = try runProcess("/bin/bash", [script] + arguments)
      XCTAssertEqual(outcome.status, 2, "\(arguments)")
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, "\(arguments)")
      XCTAssertTrue(outcome.stderr.hasPrefix("launch/ddp: "), outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
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
