import Foundation
import XCTest

/// Training on recall episodes (`data.recall_pairs`) with real `mpirun` jobs: two workers end
/// with the one-worker parameters (the episodes of a global batch are drawn alike on every
/// rank and each keeps its shard; the answer-only loss counts one position per sequence on
/// every rank, so the average of the ranks' gradients is the one-worker gradient), and
/// `ddp eval` scores held-out episodes.
final class RecallTrainingTests: MPIJobTestCase {
  override class var workPrefix: String { "ddp-recall" }

  func testTwoWorkersMatchOneAndEvalScoresEpisodes() throws {
    for attention in ["fastweight_sum", "fastweight"] {
      let path = work.appendingPathComponent("\(attention).toml").path
      try """
      [model]
      d_model = 32
      n_heads = 4
      n_layers = 1
      context = 9
      attention = "\(attention)"
      [train]
      steps = 10
      batch = 8
      warmup = 2
      eval_every = 0
      eval_batches = 1
      checkpoint_every = 0
      [data]
      recall_pairs = 8
      recall_overwrite = true
      """.write(toFile: path, atomically: true, encoding: .utf8)
      let (single, _) = try trainAndRead(path, workers: 1, in: work)
      let (parallel, _) = try trainAndRead(path, workers: 2, in: work)
      let difference = largestDifference(single, parallel)
      XCTAssertLessThan(difference, summationOrderTolerance, attention)

      let out = work.appendingPathComponent("eval-\(attention)").path
      let trained = try runDDP(["train", "--config", path, "--out", out])
      XCTAssertEqual(trained.status, 0, trained.stderr)
      let eval = try runDDP(["eval", "--checkpoint", out, "--episodes", "100", "--batch", "16"])
      XCTAssertEqual(eval.status, 0, eval.stderr)
      let result = try lastJSONLine(eval.stdout)
      XCTAssertEqual(result["tokens"] as? Int, 100)
      let accuracy = try XCTUnwrap(result["accuracy"] as? Double)
      XCTAssertTrue((0...1).contains(accuracy), "\(accuracy)")
      XCTAssertGreaterThan(result["loss"] as? Double ?? 0, 0)
      // With --data the run is scored on that text, where episodes mean nothing.
      let text = work.appendingPathComponent("text.txt").path
      try String(repeating: "some plain text. ", count: 20).write(
        toFile: text, atomically: true, encoding: .utf8)
      let scoredOnText = try runDDP([
        "eval", "--checkpoint", out, "--episodes", "100", "--data", text,
      ])
      XCTAssertEqual(scoredOnText.status, 2, scoredOnText.stderr)
      XCTAssertTrue(
        scoredOnText.stderr.hasSuffix("this run is scored on --data\n"), scoredOnText.stderr)
    }
  }

  /// A context that is not one episode is refused in one line before anything runs.
  func testContextMustHoldOneEpisode() throws {
    let path = work.appendingPathComponent("plain.toml").path
    try "[model]\nd_model = 32\n".write(toFile: path, atomically: true, encoding: .utf8)
    let outcome = try runDDP([
      "train", "--config", path, "--out", work.appendingPathComponent("refused").path, "--set",
      "data.recall_pairs=8", "--set", "model.context=16",
    ])
    XCTAssertEqual(outcome.status, 2, outcome.stderr)
    XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
    XCTAssertTrue(outcome.stderr.contains("data.recall_pairs + 1 = 9"), outcome.stderr)
  }
}
