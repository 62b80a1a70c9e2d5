import Foundation
import Models
import Training
import XCTest

/// What the adversarial probe of 2026-12-05 found said nothing about: an older checkpoint read
/// in place of a damaged newest one by `eval` and `sample`, `metrics.jsonl` lines dropped after a
/// damaged one on `--resume`, and one-process commands printing once per rank under mpirun.
final class QuietFallbackTests: XCTestCase {
  var work: URL!

  override func setUpWithError() throws { work = try temporaryWorkDirectory("ddp-quiet") }

  /// A tiny run of 12 steps with checkpoints at 4, 8 and 12 and a metrics line per step.
  func trainedRun() throws -> String {
    let corpus = work.appendingPathComponent("corpus.txt").path
    try writeMadeUpCorpus(to: corpus)
    let config = try writeTinyRunConfig(in: work, corpus: corpus)
    let out = work.appendingPathComponent("run").path
    let trained = try runDDP(["train", "--config", config, "--out", out])
    XCTAssertEqual(trained.status, 0, trained.stderr)
    return out
  }

  func testReadersNameTheDamagedCheckpointTheyPassOver() throws {
    let out = try trainedRun()
    XCTAssertEqual(truncate(out + "/checkpoint-00000012.ckpt", 1000), 0)
    for arguments in [
      ["eval", "--checkpoint", out], ["sample", "--checkpoint", out, "--tokens", "5"],
    ] {
      let outcome = try runDDP(arguments)
      XCTAssertEqual(outcome.status, 0, outcome.stderr)
      XCTAssertTrue(
        outcome.stderr.hasPrefix(
          "ddp: note: skipped a damaged checkpoint, reading an older one: \"\(out)/checkpoint-00000012.ckpt\""
        ), "\(arguments[0]): \(outcome.stderr)")
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
    }
    // A checkpoint file named directly is read or refused, never replaced by another.
    let named = try runDDP(["eval", "--checkpoint", out + "/checkpoint-00000012.ckpt"])
    XCTAssertEqual(named.status, 2, named.stderr)
  }

  /// A checkpoint whose finite weights are all 3.4e38 (something else wrote it; training saves
  /// no such state) overflows every forward pass: `eval` and `probe` failed on a NaN in JSON
  /// with a Foundation message, `sample` printed NUL bytes. One line naming the file, exit 2,
  /// nothing on standard output.
  func testAModelWhoseForwardPassOverflowsIsRefused() throws {
    let out = try trainedRun()
    let path = out + "/checkpoint-00000012.ckpt"
    let loaded = try Checkpoint.read(path: path)
    func flat(_ group: CheckpointTensors, all value: Float? = nil) -> FlatTensors {
      let tensors = FlatTensors(layout: group.layout)
      for (index, stored) in group.values.enumerated() { tensors.pointer[index] = value ?? stored }
      return tensors
    }
    try Checkpoint.write(
      metadata: loaded.metadata, parameters: flat(loaded.parameters, all: 3.4e38),
      buffers: flat(loaded.buffers), firstMoment: flat(loaded.firstMoment),
      secondMoment: flat(loaded.secondMoment), to: path)
    for (arguments, what) in [
      (["eval", "--checkpoint", out], "loss values"),
      (
        ["eval", "--checkpoint", path, "--data", work.appendingPathComponent("corpus.txt").path],
        "loss values"
      ),
      (["sample", "--checkpoint", out, "--tokens", "5"], "next-byte probabilities"),
      (["probe", "--checkpoint", out, "--batches", "1"], "loss values"),
    ] {
      let outcome = try runDDP(arguments)
      XCTAssertEqual(outcome.status, 2, "\(arguments): \(outcome.stderr)")
      XCTAssertEqual(
        outcome.stderr,
        "ddp: \"\(path)\": the model's \(what) are not finite numbers: its weights overflow "
          + "32-bit floats in the forward pass (training never saves such a checkpoint)\n",
        "\(arguments)")
      XCTAssertEqual(outcome.stdout, "", "\(arguments)")
    }
  }

  /// A whole line of metrics.jsonl that is no step record cuts the history there on
  /// `--resume` (the file is cut in place, never rewritten): said in one note, with the count
  /// of later lines dropped with it. A partial last line (a crash) is dropped without one.
  func testResumeNamesADamagedMetricsLine() throws {
    let out = try trainedRun()
    let metrics = out + "/metrics.jsonl"
    var lines = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(lines.count, 12)
    lines[4] = "{\"broken"
    try (lines.joined(separator: "\n") + "\n").write(
      toFile: metrics, atomically: true, encoding: .utf8)
    let resumed = try runDDP(["train", "--out", out, "--resume", "--set", "train.steps=13"])
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertTrue(
      resumed.stdout.contains(
        "ddp train: note: \"\(metrics)\" line 5 does not read as a step record; it and the 7 "
          + "lines after it were dropped with it"), resumed.stdout)
    let kept = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(kept.count, 5, "steps 1-4 and the new step 13")

    // A partial last line, as a crash leaves it: dropped, no note.
    try (String(contentsOfFile: metrics, encoding: .utf8) + "{\"step\": 14, \"lo").write(
      toFile: metrics, atomically: true, encoding: .utf8)
    let again = try runDDP(["train", "--out", out, "--resume", "--set", "train.steps=14"])
    XCTAssertEqual(again.status, 0, again.stderr)
    XCTAssertFalse(again.stdout.contains("does not read as a step record"), again.stdout)
  }

  /// A `ddp` binary outside its package (copied elsewhere) has no `launch/ddp` above it to run
  /// its jobs with: `compare` and `experiment` say so before they make their folder (they left
  /// the folder and a job's config behind, exit 1).
  func testSweepsWithoutTheirLaunchScriptMakeNoFolder() throws {
    let corpus = work.appendingPathComponent("corpus.txt").path
    try writeMadeUpCorpus(to: corpus)
    let config = try writeTinyRunConfig(in: work, corpus: corpus)
    let copy = work.appendingPathComponent("ddp").path
    try FileManager.default.copyItem(atPath: ddpExecutable, toPath: copy)
    for arguments in [
      ["compare", "--config", config, "--workers", "1"], ["experiment", "depth", "--quick"],
    ] {
      let out = work.appendingPathComponent("sweep-\(arguments[0])").path
      let outcome = try runProcess("/usr/bin/timeout", ["60", copy] + arguments + ["--out", out])
      XCTAssertEqual(outcome.status, 2, "\(arguments): \(outcome.stderr)")
      XCTAssertEqual(
        outcome.stderr, "ddp: run: launch/ddp not found above \"\(copy)\"\n", "\(arguments)")
      XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(arguments) made --out")
    }
  }

  /// `report`, `model-cost`, `--version`, `--help` and the refusals of `compare` and
  /// `experiment` under mpirun: one process's work, printed once (by rank 0).
  func testOneProcessCommandsPrintOnceUnderMPI() throws {
    try requireMPIRun()
    let out = try trainedRun()
    let config = packageRoot.path + "/configs/compare.toml"
    let cases: [([String], Int32, String)] = [
      (["report", out, "--format", "csv"], 0, "step,"),
      (["model-cost", "--config", config, "--workers", "2"], 0, "workers"),
      (["--version"], 0, "."),
      (["report", "--help"], 0, "USAGE"),
      (["compare", "--config", config], 2, "ddp: run ddp compare without mpirun"),
      (["experiment", "depth"], 2, "ddp: run ddp experiment without mpirun"),
    ]
    for (arguments, status, marker) in cases {
      let (outcome, _) = try runWorkers(2, arguments)
      XCTAssertEqual(outcome.status, status, "\(arguments): \(outcome.stderr)")
      let text = outcome.stdout + outcome.stderr
      let firstLine = try XCTUnwrap(text.split(separator: "\n").first, "\(arguments)")
      XCTAssertEqual(
        text.components(separatedBy: String(firstLine)).count - 1, 1,
        "\(arguments) printed its first line more than once: \(text)")
      XCTAssertTrue(text.contains(marker), "\(arguments): \(text)")
    }
  }
}
