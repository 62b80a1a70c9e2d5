import Foundation
import Training
import XCTest

/// `train.init_from`, discriminative rates, STLR and gradual unfreezing through the real
/// command, under real `mpirun`.
final class TransferTests: MPIJobTestCase {
  override class var workPrefix: String { "ddp-transfer" }

  /// d_model 32, 2 blocks, pre-LN: groups of 8704 (wte, wpe), 12704 (each block) and 64
  /// (norm_f) floats.
  func config(steps: Int = 8, norm: String = "layernorm", _ extra: String = "") throws -> String {
    let text = """
      [model]
      d_model = 32
      n_heads = 4
      n_layers = 2
      context = 16
      norm = "\(norm)"
      [train]
      steps = \(steps)
      batch = 12
      warmup = 0
      eval_every = 0
      eval_batches = 1
      checkpoint_every = 0
      \(extra)
      """
    let path = work.appendingPathComponent("\(UUID().uuidString).toml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// Trains a run with `workers` workers into `work/name` and returns the run folder.
  @discardableResult
  func train(_ name: String, workers: Int, config: String, _ sets: [String] = []) throws -> String {
    let out = work.appendingPathComponent(name).path
    let (outcome, _) = try runWorkers(
      workers, ["train", "--config", config, "--out", out] + sets.flatMap { ["--set", $0] })
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    return out
  }

  func evalLoss(_ checkpoint: String) throws -> Double {
    let outcome = try runDDP(["eval", "--checkpoint", checkpoint])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    return try XCTUnwrap(lastJSONLine(outcome.stdout)["loss"] as? Double)
  }

  /// Reduced loss in float after one update of lr 1e-30 (which moves no parameter of this
  /// size by an ulp): the same windows through the same weights give the same sum.
  static let sameLossTolerance = 1e-9

  /// A run started from a run folder, its checkpoint file or its export (on 2 workers: rank 0
  /// reads, the broadcast hands the weights on) scores the source's validation loss; the
  /// config records init_from and a resume continues from its own checkpoint.
  func testInitFromGivesTheSourceLoss() throws {
    let source = try train("source", workers: 1, config: try config())
    let exported = work.appendingPathComponent("source.safetensors").path
    let export = try runDDP(["export", "--checkpoint", source, "--output", exported])
    XCTAssertEqual(export.status, 0, export.stderr)
    let expected = try evalLoss(source)
    let still = try config(steps: 1, "lr = 1e-30\nmin_lr = 0")
    for (k, from) in [source, try CheckpointIO.resolve(source), exported].enumerated() {
      let out = work.appendingPathComponent("tuned-\(k)").path
      let (outcome, _) = try runWorkers(
        2, ["train", "--config", still, "--out", out, "--set", "train.init_from=\(from)"])
      XCTAssertEqual(outcome.status, 0, outcome.stderr)
      XCTAssertTrue(outcome.stdout.contains("init_from: 28 tensors from"), outcome.stdout)
      XCTAssertEqual(try evalLoss(out), expected, accuracy: Self.sameLossTolerance, from)
      let saved = try String(contentsOfFile: out + "/config.toml", encoding: .utf8)
      XCTAssertTrue(saved.contains("init_from = \"\(from)\""), saved)
    }
    let resumed = work.appendingPathComponent("tuned-0").path
    let (outcome, _) = try runWorkers(
      1, ["train", "--out", resumed, "--resume", "--set", "train.steps=2"])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    XCTAssertFalse(outcome.stdout.contains("init_from:"), "a resume must not re-initialize")
  }

  /// A model of another width is refused with one line naming the tensor and both shapes,
  /// exit code 2, on 1 and 2 workers, and no run folder is made.
  func testInitFromRefusesMismatchedShapes() throws {
    let source = try train("source", workers: 1, config: try config(steps: 1))
    let wide = try config(steps: 1)
    for workers in [1, 2] {
      let out = work.appendingPathComponent("wide-\(workers)").path
      let (outcome, seconds) = try runWorkers(
        workers,
        [
          "train", "--config", wide, "--out", out, "--set", "train.init_from=\(source)", "--set",
          "model.d_model=64",
        ])
      XCTAssertEqual(outcome.status, 2, outcome.stderr)
      XCTAssertLessThan(seconds, 20)
      let lines = outcome.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, outcome.stderr)
      XCTAssertTrue(
        outcome.stderr.hasPrefix(
          "ddp: train.init_from: tensor wte.weight has shape (256, 32) in \""),
        outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains("but (256, 64) in this model"), outcome.stderr)
      XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
  }

  /// SyncBatchNorm with gradual unfreezing: frozen blocks skip their backward, and with it
  /// their backward statistics all-reduce, on every rank alike (no hang), and 2 workers still
  /// match 1. Per step all 5 norm layers exchange forward statistics; backward ones come from
  /// norm_f alone in steps 1-2, + block 1's two in steps 3-4, all 5 in steps 5-6.
  func testGradualUnfreezingWithSyncBatchNorm() throws {
    let path = try config(
      steps: 6, norm: "syncbatchnorm", "unfreeze = \"gradual\"\nunfreeze_every = 2")
    let (single, _) = try trainAndRead(path, workers: 1, in: work)
    let (parallel, summary) = try trainAndRead(path, workers: 2, in: work)
    let difference = largestDifference(
      single, parallel, skipping: DistributedTrainingTests.gradientFree)
    XCTAssertLessThan(difference, summationOrderTolerance)
    XCTAssertEqual(
      collectiveCounters(summary, "norm_stats")["calls"] as? Int, 6 * 5 + 2 * (1 + 3 + 5))
  }

  /// Gradual unfreezing every 2 steps with discriminative rates and STLR: 2 workers end with
  /// 1 worker's parameters, and each step's gradient all-reduce carries exactly the trained
  /// groups' bytes (norm_f; + block 1; + block 0; + the embeddings).
  func testGradualUnfreezingTwoWorkersMatchOne() throws {
    let path = try config(
      "schedule = \"stlr\"\nlr_decay_per_layer = 2.6\nunfreeze = \"gradual\"\nunfreeze_every = 2")
    let (single, _) = try trainAndRead(path, workers: 1, in: work)
    let out = try train("parallel", workers: 2, config: path)
    let loaded = try Checkpoint.read(path: try CheckpointIO.resolve(out))
    var parallel: [String: [Float]] = [:]
    for entry in loaded.parameters.layout.entries {
      parallel[entry.name] = Array(loaded.parameters.values(entry.name) ?? [])
    }
    XCTAssertLessThan(largestDifference(single, parallel), summationOrderTolerance)
    let (head, block, embeddings) = (64, 12 * 32 * 32 + 13 * 32, 256 * 32 + 16 * 32)
    let trained = [head, head + block, head + 2 * block, head + 2 * block + embeddings]
    let expected = (0..<8).map { trained[$0 / 2] * 4 }
    let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
    let bytes = try metrics.split(separator: "\n").map { line in
      let record = try XCTUnwrap(
        JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      return collectiveCounters(record, "gradients")["bytes"] as? Int
    }
    XCTAssertEqual(bytes, expected)
  }
}
