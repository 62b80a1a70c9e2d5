import Config
import Foundation
import Training
import XCTest

/// What a run keeps and rewrites across resumes, in real processes with 1 and 2 workers:
/// pruning counts only intact checkpoints (a damaged newest file never pushes the last good one
/// out), a resume says which checkpoint it skipped, and resuming a finished run to extend it
/// rewrites `summary.json` instead of failing on the existing file.
final class CheckpointKeepingTests: XCTestCase {
  func testDamagedNewestCheckpointIsSkippedAndNeverCountedAsKept() throws {
    let work = try temporaryWorkDirectory("ddp-keeping")
    let corpus = work.appendingPathComponent("corpus.txt").path
    try writeMadeUpCorpus(to: corpus)
    for workers in [1, 2] {
      let out = work.appendingPathComponent("run-\(workers)").path
      let first = try runWorkers(
        workers,
        [
          "train", "--config", packageRoot.path + "/configs/fortunes.toml", "--out", out,
          "--set", "data.path=\(corpus)", "--set", "train.steps=4", "--set", "model.n_layers=1",
          "--set", "model.d_model=16", "--set", "model.n_heads=2", "--set", "model.context=16",
          "--set", "train.batch=4", "--set", "train.eval_batches=1",
          "--set", "train.checkpoint_every=1", "--set", "train.keep_checkpoints=1",
        ]
      ).0
      XCTAssertEqual(first.status, 0, first.stderr)
      XCTAssertEqual(Checkpoint.list(inDirectory: out).map(\.step), [4])
      // A damaged file newer than the intact step-4 checkpoint (a bad disk, a partial copy):
      // resume says it skipped it and starts from step 4; before, pruning counted the damaged
      // file as the one to keep and deleted every intact checkpoint.
      let damaged = out + "/" + Checkpoint.fileName(step: 5)
      try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: damaged))
      // As a run killed after step 5 leaves metrics.jsonl: a record past the checkpoint and a
      // partial line. The resume cuts both, so each step is logged once.
      let metrics = try FileHandle(forWritingTo: URL(fileURLWithPath: out + "/metrics.jsonl"))
      metrics.seekToEndOfFile()
      metrics.write(Data("{\"step\":5,\"loss\":9}\n{\"step\":6,\"lo".utf8))
      try metrics.close()
      let resumed = try runWorkers(
        workers, ["train", "--out", out, "--resume", "--set", "train.steps=6"]
      ).0
      XCTAssertEqual(resumed.status, 0, resumed.stderr)
      XCTAssertTrue(
        resumed.stdout.contains("skipped a damaged checkpoint")
          && resumed.stdout.contains(damaged), resumed.stdout)
      // Step 5's good checkpoint replaced the damaged one; only intact files are kept.
      XCTAssertEqual(Checkpoint.list(inDirectory: out).map(\.step), [6])
      XCTAssertEqual(try loggedSteps(out), Array(1...6))
      XCTAssertNotNil(Checkpoint.newestIntact(inDirectory: out))
      // The finished run extended once more: summary.json is rewritten, no temporary remains.
      let extended = try runWorkers(
        workers, ["train", "--out", out, "--resume", "--set", "train.steps=7"]
      ).0
      XCTAssertEqual(extended.status, 0, extended.stderr)
      let summary =
        try JSONSerialization.jsonObject(
          with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as? [String: Any]
      XCTAssertEqual(summary?["steps"] as? Int, 7)
      XCTAssertEqual(try loggedSteps(out), Array(1...7))
      // The resumed value is the run's own now: the next resume and every reader see it.
      let config = try RunConfig.load(path: out + "/config.toml")
      XCTAssertEqual(config.train.steps, 7)
      let leftovers = try FileManager.default.contentsOfDirectory(atPath: out).filter {
        $0.contains(".tmp-")
      }
      XCTAssertEqual(leftovers, [])
    }
  }
}
