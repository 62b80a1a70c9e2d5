import Foundation
import XCTest

/// Standard output holds a command's result: a write that fails (a full disk, `/dev/full`) or
/// an output closed from the start is one line on standard error and a non-zero exit, never a
/// crash trace or a silent exit 0.
final class StandardOutputTests: XCTestCase {
  /// Runs `ddp ARGUMENTS` through `sh -c` with standard output redirected as `redirection`
  /// says (`> /dev/full`, `>&-`).
  func runRedirected(_ arguments: [String], _ redirection: String) throws -> Outcome {
    let quoted = ([ddpExecutable] + arguments).map { "'\($0)'" }.joined(separator: " ")
    return try runProcess("/bin/sh", ["-c", "exec \(quoted) \(redirection)"])
  }

  func testAFullOutputIsOneLineAndExitCodeOne() throws {
    // Results printed at the end (help, the model-cost table), flushed by the exit check.
    let config = packageRoot.appendingPathComponent("configs/bench.toml").path
    for arguments in [["--help"], ["model-cost", "--config", config], ["train", "--help"]] {
      let outcome = try runRedirected(arguments, "> /dev/full")
      XCTAssertEqual(outcome.status, 1, "\(arguments): \(outcome.stderr)")
      XCTAssertEqual(
        outcome.stderr, "ddp: cannot write standard output: No space left on device\n",
        "\(arguments)")
    }
  }

  func testAClosedOutputIsRefusedBeforeAnyWork() throws {
    let config = packageRoot.appendingPathComponent("configs/bench.toml").path
    for arguments in [["--help"], ["model-cost", "--config", config]] {
      let outcome = try runRedirected(arguments, ">&-")
      XCTAssertEqual(outcome.status, 2, "\(arguments)")
      XCTAssertEqual(
        outcome.stderr,
        "ddp: standard output is closed; redirect it to a file or to /dev/null\n", "\(arguments)")
    }
  }

  /// `ddp sample` writes as it generates (unbuffered): the first failed write ends it.
  func testSampleStopsAtTheFirstFailedWrite() throws {
    let work = try makeWorkDirectory("ddp-stdout")
    defer { try? FileManager.default.removeItem(at: work) }
    try writeMadeUpCorpus(to: work.path + "/corpus.txt")
    let config = try writeTinyRunConfig(in: work, corpus: work.path + "/corpus.txt")
    let run = work.appendingPathComponent("run").path
    let trained = try runDDP(["train", "--config", config, "--out", run])
    XCTAssertEqual(trained.status, 0, trained.stderr)
    let outcome = try runRedirected(
      ["sample", "--checkpoint", run, "--tokens", "50"], "> /dev/full")
    XCTAssertEqual(outcome.status, 1, outcome.stderr)
    XCTAssertEqual(outcome.stderr, "ddp: cannot write standard output: No space left on device\n")
  }
}
