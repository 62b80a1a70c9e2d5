import Foundation
import XCTest

/// `ddp train`, `eval`, `sample` and `export` run as a user runs them, on a small synthetic
/// corpus written to a temporary directory.
final class TrainCommandTests: XCTestCase {
  var work: URL!

  override func setUpWithError() throws { work = try temporaryWorkDirectory("ddp-train") }

  /// 300 paragraphs of made-up sentences, so the corpus splits into documents.
  func writeCorpus() throws -> String {
    let path = work.appendingPathComponent("corpus.txt").path
    try writeMadeUpCorpus(to: path)
    return path
  }

  func writeConfig(corpus: String, extra: String = "") throws -> String {
    try writeTinyRunConfig(in: work, corpus: corpus, extra: extra)
  }

  /// Parameters of a checkpoint, read back through `ddp export` and the safetensors reader.
  func exportedBytes(_ checkpoint: String) throws -> Data {
    let output = work.appendingPathComponent("\(UUID().uuidString).safetensors").path
    let outcome = try runDDP(["export", "--checkpoint", checkpoint, "--output", output])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    return try Data(contentsOf: URL(fileURLWithPath: output))
  }

  /// Trains `config` into `out` (to its end, or as `extra` says), asserting success.
  func train(_ config: String, into out: String, _ extra: [String] = []) throws {
    let outcome = try runDDP(["train", "--config", config, "--out", out] + extra)
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
  }

  /// Two runs of the tiny config end with the same parameters at its last step (12), bit for bit.
  func assertSameFinalParameters(
    _ first: String, _ second: String, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    XCTAssertEqual(
      try exportedBytes(first + "/checkpoint-00000012.ckpt"),
      try exportedBytes(second + "/checkpoint-00000012.ckpt"), file: file, line: line)
  }

  func testTrainWritesRunDirectory() throws {
    let config = try writeConfig(corpus: try writeCorpus())
    let out = work.appendingPathComponent("run").path
    let outcome = try runDDP(["train", "--config", config, "--out", out])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    // The first line names the OpenBLAS threads and their source, and the kernels OpenBLAS
    // loaded (launch/test sets ddp's pick); the tests' one thread holds.
    let firstLine = String(outcome.stdout.split(separator: "\n").first ?? "")
    XCTAssertTrue(firstLine.contains(" per worker ("), firstLine)
    let requested = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? ""
    if !requested.isEmpty {
      XCTAssertTrue(
        firstLine.lowercased().contains(", \(requested.lowercased()) kernels, "), firstLine)
    } else {
      XCTAssertTrue(firstLine.contains(" kernels, "), firstLine)
    }
    if ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == "1" {
      XCTAssertTrue(
        firstLine.contains("1 worker, 1 BLAS thread per worker (OPENBLAS_NUM_THREADS)"), firstLine)
    }
    let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
    XCTAssertEqual(
      files,
      [
        "checkpoint-00000004.ckpt", "checkpoint-00000008.ckpt", "checkpoint-00000012.ckpt",
        "config.toml", "metrics.jsonl", "summary.json",
      ])
    let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
      .split(separator: "\n")
    XCTAssertEqual(lines.count, 12)
    let last = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(lines[11].utf8)) as? [String: Any])
    for key in ["step", "loss", "lr", "grad_norm", "tokens_per_s", "eval_loss"] {
      XCTAssertNotNil(last[key], key)
    }
    let summary = try XCTUnwrap(
      JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")))
        as? [String: Any])
    XCTAssertEqual(summary["steps"] as? Int, 12)
    let first = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    XCTAssertLessThan(last["loss"] as? Double ?? 9, first["loss"] as? Double ?? 0, "loss falls")
  }

  /// A run stopped at step 5 and resumed ends with bit-identical parameters to one that never
  /// stopped: parameters, AdamW state, step, schedule and data position all come back.
  func testStopAndResumeIsBitIdentical() throws {
    let config = try writeConfig(corpus: try writeCorpus())
    let straight = work.appendingPathComponent("straight").path
    let stopped = work.appendingPathComponent("stopped").path
    try train(config, into: straight)
    let first = try runDDP(["train", "--config", config, "--out", stopped, "--stop-at", "5"])
    XCTAssertEqual(first.status, 0, first.stderr)
    XCTAssertTrue(first.stdout.contains("--resume"), first.stdout)
    let second = try runDDP(["train", "--out", stopped, "--resume"])
    XCTAssertEqual(second.status, 0, second.stderr)
    try assertSameFinalParameters(straight, stopped)
    XCTAssertNotEqual(
      try exportedBytes(straight + "/checkpoint-00000008.ckpt"),
      try exportedBytes(straight + "/checkpoint-00000012.ckpt"))
  }

  /// A run that stopped before its first checkpoint (its folder holds config.toml and a log,
  /// as a kill or a full disk leaves it) is resumed by starting it over: one note, the log
  /// begun again, and the parameters of a run that never stopped, bit for bit. Its dry run
  /// says so too.
  func testResumeBeforeTheFirstCheckpointStartsOver() throws {
    let config = try writeConfig(corpus: try writeCorpus())
    let straight = work.appendingPathComponent("straight").path
    let stopped = work.appendingPathComponent("stopped-early").path
    try train(config, into: straight)
    try train(config, into: stopped)
    for name in try FileManager.default.contentsOfDirectory(atPath: stopped)
    where name.hasPrefix("checkpoint-") || name == "summary.json" {
      try FileManager.default.removeItem(atPath: stopped + "/" + name)
    }
    let dry = try runDDP(["train", "--out", stopped, "--resume", "--dry-run"])
    XCTAssertEqual(dry.status, 0, dry.stderr)
    XCTAssertTrue(
      dry.stdout.contains("resume: no checkpoint yet; the run starts over from step 1"), dry.stdout)
    let resumed = try runDDP(["train", "--out", stopped, "--resume"])
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertTrue(resumed.stdout.contains("holds no checkpoint yet"), resumed.stdout)
    XCTAssertEqual(try loggedSteps(stopped), Array(1...12))
    try assertSameFinalParameters(straight, stopped)
  }

  /// A finished run whose summary.json could not be written (a full disk) gets it from
  /// `--resume`: no step trained, the same losses as the summary it lost; with summary.json
  /// there, the resume is refused.
  func testResumeOfAFinishedRunWithoutItsSummaryWritesIt() throws {
    let config = try writeConfig(corpus: try writeCorpus())
    let out = work.appendingPathComponent("no-summary").path
    // Trained by two workers, the summary rebuilt by one.
    let trained = try runMPI(["-np", "2", ddpExecutable, "train", "--config", config, "--out", out])
    XCTAssertEqual(trained.status, 0, trained.stderr)
    let summaryPath = out + "/summary.json"
    func summary() throws -> [String: Any] {
      let data = try Data(contentsOf: URL(fileURLWithPath: summaryPath))
      return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
    let lost = try summary()
    // A damaged (empty) summary counts as missing, and so does none.
    try Data().write(to: URL(fileURLWithPath: summaryPath))
    let dry = try runDDP(["train", "--out", out, "--resume", "--dry-run"])
    XCTAssertEqual(dry.status, 0, dry.stderr)
    try FileManager.default.removeItem(atPath: summaryPath)
    let resumed = try runDDP(["train", "--out", out, "--resume"])
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertTrue(resumed.stdout.contains("without its summary.json; writing it"), resumed.stdout)
    let written = try summary()
    XCTAssertEqual(written["steps"] as? Int, 12)
    // The training loss is the last logged one; the validation loss is evaluated again, by one
    // worker instead of two: the same sum in another order, to 1e-6.
    XCTAssertEqual(
      try XCTUnwrap(written["final_train_loss"] as? Double),
      try XCTUnwrap(lost["final_train_loss"] as? Double))
    XCTAssertEqual(
      try XCTUnwrap(written["final_val_loss"] as? Double),
      try XCTUnwrap(lost["final_val_loss"] as? Double), accuracy: 1e-6)
    // The training's workers, from its checkpoint; its time and throughput are unknown (null),
    // not this session's, which trained nothing.
    XCTAssertEqual(lost["workers"] as? Int, 2)
    XCTAssertEqual(written["workers"] as? Int, 2)
    XCTAssertGreaterThan(lost["tokens_per_s"] as? Double ?? 0, 0)
    for key in ["tokens_per_s", "wall_seconds"] {
      XCTAssertTrue(written[key] is NSNull, "\(key): \(written[key] ?? "missing")")
    }
    // The report reads the nulls: the summary's wall time and tokens/s are shown as "-".
    let reportPath = work.appendingPathComponent("no-summary.html").path
    let report = try runDDP(["report", out, "--out", reportPath])
    XCTAssertEqual(report.status, 0, report.stderr)
    let html = try String(contentsOfFile: reportPath, encoding: .utf8)
    XCTAssertTrue(html.contains("<dt>tokens/s</dt><dd>-</dd>"), html)
    XCTAssertEqual(try loggedSteps(out), Array(1...12))
    let again = try runDDP(["train", "--out", out, "--resume"])
    XCTAssertEqual(again.status, 2, again.stderr)
    XCTAssertTrue(again.stderr.contains("already finished (step 12 of 12)"), again.stderr)
  }

  /// A resume whose metrics.jsonl was deleted says so once and logs from the resumed step on;
  /// with the log present it says nothing of it.
  func testResumeWithoutItsMetricsLogSaysSo() throws {
    let config = try writeConfig(corpus: try writeCorpus())
    let out = work.appendingPathComponent("lost-log").path
    try train(config, into: out, ["--stop-at", "8"])
    let kept = work.appendingPathComponent("kept-log").path
    try train(config, into: kept, ["--stop-at", "8"])
    try FileManager.default.removeItem(atPath: out + "/metrics.jsonl")
    for (folder, noted) in [(out, true), (kept, false)] {
      let resumed = try runDDP(["train", "--out", folder, "--resume"])
      XCTAssertEqual(resumed.status, 0, resumed.stderr)
      let notes = resumed.stdout.split(separator: "\n").filter {
        $0.contains("metrics.jsonl\" is missing; the new one logs from step 9 on")
      }
      XCTAssertEqual(notes.count, noted ? 1 : 0, resumed.stdout)
      let steps = try loggedSteps(folder)
      XCTAssertEqual(steps, noted ? Array(9...12) : Array(1...12), folder)
    }
  }

  /// numpy recomputes `ddp eval --data` from the exported tensors and the documented formulas.
  func testExportedModelMatchesNumpyReference() throws {
    guard
      (try? runProcess("/usr/bin/env", ["python3", "-c", "import safetensors, numpy"]))?.status
        == 0
    else { throw XCTSkip("python3 with safetensors and numpy is not installed") }
    let corpus = try writeCorpus()
    let text = work.appendingPathComponent("eval.txt").path
    try String(repeating: "a mat on the cat and dogs far away ", count: 6)
      .write(toFile: text, atomically: true, encoding: .utf8)
    for (norm, placement) in [("layernorm", "pre"), ("rmsnorm", "post"), ("none", "residual")] {
      let config = try writeConfig(corpus: corpus)
      let out = work.appendingPathComponent("\(norm)-\(placement)").path
      let train = try runDDP([
        "train", "--config", config, "--out", out, "--set", "model.norm=\(norm)",
        "--set", "model.placement=\(placement)",
      ])
      XCTAssertEqual(train.status, 0, train.stderr)
      let model = work.appendingPathComponent("\(norm).safetensors").path
      XCTAssertEqual(try runDDP(["export", "--checkpoint", out, "--output", model]).status, 0)
      let eval = try runDDP(["eval", "--checkpoint", out, "--data", text])
      XCTAssertEqual(eval.status, 0, eval.stderr)
      let script = packageRoot.appendingPathComponent("Tests/python/reference_loss.py").path
      let numpy = try runProcess("/usr/bin/env", ["python3", script, model, text])
      XCTAssertEqual(numpy.status, 0, numpy.stderr)
      let ours = try lastJSONLine(eval.stdout)
      let theirs = try lastJSONLine(numpy.stdout)
      XCTAssertEqual(ours["tokens"] as? Int, theirs["tokens"] as? Int)
      // Float32 against float64 over a tiny model: agreement to ~1e-6 relative is expected.
      let (a, b) = (ours["loss"] as? Double ?? 0, theirs["loss"] as? Double ?? 1)
      XCTAssertEqual(a, b, accuracy: 1e-4 * b, "\(norm)/\(placement): \(a) vs \(b)")
    }
  }

  func testSampleAndEvalPrintResults() throws {
    let config = try writeConfig(corpus: try writeCorpus())
    let out = work.appendingPathComponent("run").path
    XCTAssertEqual(try runDDP(["train", "--config", config, "--out", out]).status, 0)
    let sample = try runDDP(["sample", "--checkpoint", out, "--prompt", "the ", "--tokens", "40"])
    XCTAssertEqual(sample.status, 0, sample.stderr)
    XCTAssertTrue(sample.stdout.hasPrefix("the "), sample.stdout)
    XCTAssertGreaterThanOrEqual(sample.stdout.utf8.count, 40)
    let eval = try runDDP(["eval", "--checkpoint", out])
    XCTAssertEqual(eval.status, 0, eval.stderr)
    let figures = try lastJSONLine(eval.stdout)
    XCTAssertGreaterThan(figures["tokens"] as? Int ?? 0, 0)
    XCTAssertLessThan(figures["loss"] as? Double ?? 9, 5.55, "better than uniform over bytes")
  }

  /// Bad input: exit code 2, one line naming the problem, and no run directory left behind.
  func testBadInputLeavesNoRunDirectory() throws {
    let corpus = try writeCorpus()
    let tiny = work.appendingPathComponent("tiny.txt").path
    try "too short".write(toFile: tiny, atomically: true, encoding: .utf8)
    let cases: [([String], String)] = [
      (["--set", "data.path=/nonexistent/corpus"], "/nonexistent/corpus"),
      (["--set", "data.path=\(tiny)"], "tiny.txt"),
      (["--set", "model.norm=groupnorm"], "model.norm"),
      (["--set", "train.batch=0"], "train.batch"),
    ]
    for (arguments, mention) in cases {
      let config = try writeConfig(corpus: corpus)
      let out = work.appendingPathComponent("bad-\(UUID().uuidString)").path
      let outcome = try runDDP(["train", "--config", config, "--out", out] + arguments)
      XCTAssertEqual(outcome.status, 2, "\(arguments): \(outcome.stderr)")
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains(mention), "\(arguments): \(outcome.stderr)")
      XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(arguments) left \(out)")
    }
  }

  /// Damaged or mismatched checkpoints are refused with one line.
  func testBadCheckpointsAreRefused() throws {
    let config = try writeConfig(corpus: try writeCorpus())
    let out = work.appendingPathComponent("run").path
    XCTAssertEqual(try runDDP(["train", "--config", config, "--out", out]).status, 0)
    let file = out + "/checkpoint-00000012.ckpt"
    let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
    let truncated = work.appendingPathComponent("truncated.ckpt").path
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
    var flipped = bytes
    flipped[bytes.count / 2] ^= 0x40
    let damaged = work.appendingPathComponent("flipped.ckpt").path
    try flipped.write(to: URL(fileURLWithPath: damaged))
    for (arguments, mention) in [
      (["eval", "--checkpoint", truncated], "truncated.ckpt"),
      (["eval", "--checkpoint", damaged], "flipped.ckpt"),
      (["sample", "--checkpoint", work.appendingPathComponent("none").path], "none"),
      (["train", "--out", out, "--resume", "--set", "model.d_model=64"], "the model needs"),
    ] {
      let outcome = try runDDP(arguments)
      XCTAssertEqual(outcome.status, 2, "\(arguments): \(outcome.stderr)")
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains(mention), "\(arguments): \(outcome.stderr)")
    }
  }
}
