import Foundation
import XCTest

/// `ddp train --dry-run` as a user runs it, alone and under mpirun: it prints the resolved
/// config, the parameter count and the memory estimate, refuses bad input as a real run does,
/// and creates nothing.
final class DryRunTests: XCTestCase {
  var work: URL!

  override func setUpWithError() throws { work = try temporaryWorkDirectory("ddp-dry-run") }

  /// 256·32 + 16·32 embeddings, 2 blocks of 12C² + 13C with LayerNorm, final LayerNorm 2C.
  let tinyParameters = 256 * 32 + 16 * 32 + 2 * (12 * 32 * 32 + 13 * 32) + 2 * 32

  func writeConfig() throws -> String {
    let corpus = work.appendingPathComponent("corpus.txt").path
    try writeMadeUpCorpus(to: corpus)
    return try writeTinyRunConfig(in: work, corpus: corpus)
  }

  /// Every file under `work` with its size and modification time: what a dry run must leave
  /// exactly as it found it.
  func snapshot() throws -> [String: String] {
    var files: [String: String] = [:]
    let enumerator = FileManager.default.enumerator(atPath: work.path)
    while let name = enumerator?.nextObject() as? String {
      let attributes = try FileManager.default.attributesOfItem(
        atPath: work.appendingPathComponent(name).path)
      files[name] = "\(attributes[.size] ?? 0) \(attributes[.modificationDate] ?? 0)"
    }
    return files
  }

  func testDryRunPrintsConfigParametersAndEstimateAndCreatesNothing() throws {
    let config = try writeConfig()
    let out = work.appendingPathComponent("run").path
    let before = try snapshot()
    let outcome = try runDDP([
      "train", "--config", config, "--out", out, "--set", "train.steps=7", "--dry-run",
    ])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    XCTAssertTrue(outcome.stderr.isEmpty, outcome.stderr)
    for expected in [
      "[model]", "d_model = 32", "steps = 7", "[distributed]",
      "parameters: \(tinyParameters) in ",
      "batch: 4 sequences per step = 1 worker x 1 micro-step x 4 sequences",
      "memory: about ", " per worker", "dry run: nothing created",
    ] {
      XCTAssertTrue(outcome.stdout.contains(expected), "\(expected):\n\(outcome.stdout)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    XCTAssertEqual(try snapshot(), before)
  }

  /// Under `mpirun -np 2` rank 0 alone prints, the batch splits over two workers, every rank
  /// exits 0 promptly and nothing is created.
  func testDryRunUnderMPIPrintsOnceAndCreatesNothing() throws {
    let config = try writeConfig()
    let out = work.appendingPathComponent("run").path
    let before = try snapshot()
    let start = Date()
    let outcome = try runMPI([
      "-np", "2", ddpExecutable, "train", "--config", config, "--out", out, "--dry-run",
    ])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    XCTAssertLessThan(Date().timeIntervalSince(start), 30, "a dry run ends promptly")
    let lines = outcome.stdout.split(separator: "\n")
    XCTAssertEqual(lines.filter { $0.hasPrefix("parameters: ") }.count, 1, outcome.stdout)
    XCTAssertEqual(lines.filter { $0 == "[model]" }.count, 1, outcome.stdout)
    XCTAssertTrue(
      outcome.stdout.contains("batch: 4 sequences per step = 2 workers x 1 micro-step x 2"),
      outcome.stdout)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    XCTAssertEqual(try snapshot(), before)
  }

  /// With --resume the dry run names the checkpoint and step the run would continue from,
  /// and touches nothing in the run directory.
  func testDryRunWithResumeShowsTheCheckpointAndStep() throws {
    let config = try writeConfig()
    let out = work.appendingPathComponent("run").path
    let stopped = try runDDP(["train", "--config", config, "--out", out, "--stop-at", "5"])
    XCTAssertEqual(stopped.status, 0, stopped.stderr)
    let before = try snapshot()
    let outcome = try runDDP(["train", "--out", out, "--resume", "--dry-run"])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    XCTAssertTrue(
      outcome.stdout.contains("resume: from step 5 (\(out)/checkpoint-00000005.ckpt) to step 12"),
      outcome.stdout)
    XCTAssertTrue(outcome.stdout.contains("parameters: \(tinyParameters) in "), outcome.stdout)
    XCTAssertEqual(try snapshot(), before)
    let beyond = try runDDP(["train", "--out", out, "--resume", "--stop-at", "3", "--dry-run"])
    XCTAssertEqual(beyond.status, 2, beyond.stderr)
    XCTAssertEqual(beyond.stderr.split(separator: "\n").count, 1, beyond.stderr)
    XCTAssertTrue(beyond.stderr.contains("--stop-at 3"), beyond.stderr)
  }

  /// Bad input ends a dry run as it ends a real one: exit code 2, one line naming the problem,
  /// nothing on standard output, no run directory; under mpirun too.
  func testDryRunRefusesBadInputInOneLine() throws {
    let config = try writeConfig()
    let out = work.appendingPathComponent("run").path
    let cases: [([String], String)] = [
      (["--set", "model.norm=groupnorm"], "model.norm"),
      (["--set", "train.batch=0"], "train.batch"),
      (["--set", "data.path=/nonexistent/corpus"], "/nonexistent/corpus"),
      (["--set", "model.d_model=65536", "--set", "model.n_layers=64"], "needs about"),
    ]
    for (arguments, mention) in cases {
      let outcome = try runDDP(
        ["train", "--config", config, "--out", out, "--dry-run"] + arguments)
      XCTAssertEqual(outcome.status, 2, "\(arguments): \(outcome.stderr)")
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains(mention), "\(arguments): \(outcome.stderr)")
      XCTAssertTrue(outcome.stdout.isEmpty, "\(arguments): \(outcome.stdout)")
    }
    // A name the file system cannot take, which the run's mkdir would refuse.
    let long = String(repeating: "n", count: 300)
    assertRefusedInOneLine(
      try runDDP(["train", "--config", config, "--out", out + "/a/" + long, "--dry-run"]),
      "a name in it is 300 bytes, over the 255 allowed")
    let parallel = try runMPI([
      "-np", "2", ddpExecutable, "train", "--config", config, "--out", out, "--dry-run",
      "--set", "train.batch=3",
    ])
    XCTAssertNotEqual(parallel.status, 0)
    XCTAssertNotEqual(parallel.status, 124, "timed out: a rank hung")
    let messages = parallel.stderr.split(separator: "\n").filter { $0.contains("ddp: ") }
    XCTAssertEqual(messages.count, 1, parallel.stderr)
    XCTAssertTrue(parallel.stderr.contains("does not divide among 2 workers"), parallel.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out))
  }

  /// A folder the run could not write (a read-only mount) is refused by the dry run as the run
  /// refuses it, and so is a benchmark's --svg there, before the benchmark's work: one line,
  /// exit 2, nothing on standard output.
  func testFoldersThatCannotBeWrittenAreRefusedBeforeTheWork() throws {
    let config = try writeConfig()
    let folder = try ReadOnlyFolder(in: work) { inner in
      let trained = try runDDP(["train", "--config", config, "--out", inner, "--stop-at", "4"])
      XCTAssertEqual(trained.status, 0, trained.stderr)
    }
    defer { folder.remove() }
    let cases: [([String], String)] = [
      (["train", "--config", config, "--dry-run", "--out", folder.path + "/run"], folder.path),
      (["train", "--config", config, "--dry-run", "--out", folder.path + "/a/b"], folder.path),
      (["train", "--config", config, "--dry-run", "--out", folder.inner], folder.inner),
      (["train", "--config", config, "--out", folder.path + "/run"], folder.path + "/run"),
      (["train", "--dry-run", "--resume", "--out", folder.inner], folder.inner),
      (["train", "--resume", "--out", folder.inner], folder.inner),
      (
        [
          "bench", "generate", "--context", "64", "--positions", "32,64", "--repeats", "1",
          "--kinds", "softmax", "--svg", folder.path + "/g.svg",
        ], folder.path
      ),
    ]
    for (arguments, named) in cases {
      let outcome = try runDDP(arguments)
      let label = arguments.joined(separator: " ")
      XCTAssertEqual(outcome.status, 2, "\(label): \(outcome.stderr)")
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains("\"\(named)\""), "\(label): \(outcome.stderr)")
      XCTAssertTrue(
        outcome.stderr.contains("Read-only file system")
          || outcome.stderr.contains("Permission denied"), outcome.stderr)
      XCTAssertEqual(outcome.stdout, "", label)
    }
  }
}
