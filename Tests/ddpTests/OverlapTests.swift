import Foundation
import XCTest

/// `distributed.overlap = true` with buckets small enough that most of them are reduced by the
/// background thread while the backward runs: real `mpirun` jobs against one process.
final class OverlapTests: MPIJobTestCase {
  override class var workPrefix: String { "ddp-overlap" }

  /// A 3-block model whose 188 KB of gradients make 20 buckets (10 KiB, or one larger matrix),
  /// those of blocks 1 and 2 reduced during the backward; `steps` steps of batch 12 (divides
  /// among 1, 2, 3 and 4 workers).
  func config(norm: String, steps: Int = 10) throws -> String {
    let text = """
      [model]
      d_model = 32
      n_heads = 4
      n_layers = 3
      context = 16
      norm = "\(norm)"
      placement = "pre"
      [train]
      steps = \(steps)
      batch = 12
      warmup = 3
      eval_every = 0
      eval_batches = 1
      checkpoint_every = \(steps >= 100 ? 20 : 0)
      [distributed]
      bucket_mb = 0.01
      overlap = true
      """
    let path = work.appendingPathComponent("\(norm)-\(UUID().uuidString).toml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// LayerNorm with 2, 3 and 4 workers and SyncBatchNorm with 2 and 3 (its statistics
  /// all-reduces run on the main thread while the background thread reduces buckets) match one
  /// worker within summation order, and every step moves exactly the parameter bytes in
  /// more than one bucket.
  func testOverlappedBucketsMatchOneWorker() throws {
    for (norm, counts) in [("layernorm", [2, 3, 4]), ("syncbatchnorm", [2, 3])] {
      let path = try config(norm: norm)
      let (single, _) = try trainAndRead(path, workers: 1, in: work)
      let parameterCount = single.values.reduce(0) { $0 + $1.count }
      for workers in counts {
        let (parallel, summary) = try trainAndRead(path, workers: workers, in: work)
        let gradients = collectiveCounters(summary, "gradients")
        let skipped = norm == "syncbatchnorm" ? DistributedTrainingTests.gradientFree : []
        let difference = largestDifference(single, parallel, skipping: skipped)
        XCTAssertLessThan(difference, summationOrderTolerance, "\(norm), \(workers) workers")
        XCTAssertTrue(parallel.values.allSatisfy { $0.allSatisfy(\.isFinite) })
        XCTAssertEqual(gradients["bytes"] as? Int, 10 * parameterCount * 4, "\(norm)")
        XCTAssertGreaterThan(gradients["calls"] as? Int ?? 0, 10 * 10, "several buckets a step")
      }
    }
  }

  /// Starts a 2-worker LayerNorm job of 100,000 steps (checkpoints every 20) into `work/name`
  /// and returns once its step-40 checkpoint exists: the reduction threads are busy by then.
  func startLongJobPastStep40(named name: String) throws -> (job: BackgroundJob, out: String) {
    let path = try config(norm: "layernorm", steps: 100_000)
    let out = work.appendingPathComponent(name).path
    let job = try BackgroundJob(
      workers: 2, arguments: ["train", "--config", path, "--out", out], folder: work)
    XCTAssertTrue(waitUntil { checkpointSteps(out).contains(40) }, job.stderr)
    return (job, out)
  }

  /// A rank killed while the others' background threads are in their all-reduces ends the
  /// whole job within 10 s with a non-zero status: no thread keeps a survivor alive.
  func testKilledWorkerEndsOverlappedJob() throws {
    let (job, _) = try startLongJobPastStep40(named: "killed")
    kill(try XCTUnwrap(job.pid(ofRank: 1)), SIGKILL)
    let ended = try XCTUnwrap(job.wait(timeout: 30), "the job hung after a worker died")
    XCTAssertNotEqual(ended.status, 0)
    XCTAssertLessThan(ended.seconds, 10)
  }

  /// SIGTERM to mpirun while the ranks' reduction threads run: whichever thread of a rank
  /// takes the signal, the step finishes, a checkpoint is written and the job ends within 10 s.
  func testPreemptionStopsOverlappedJobWithACheckpoint() throws {
    let (job, out) = try startLongJobPastStep40(named: "preempted")
    kill(job.process.processIdentifier, SIGTERM)
    let ended = try XCTUnwrap(job.wait(timeout: 30), "the job did not stop")
    XCTAssertLessThan(ended.seconds, 10)
    let step = try XCTUnwrap(checkpointSteps(out).last)
    XCTAssertTrue(
      job.stdout.contains("stopped by SIGTERM after step \(step) with a checkpoint"),
      job.stdout + job.stderr)
  }

  /// A worker whose parameters drift (a silent fault injected on rank 1) is caught by
  /// `distributed.check_every`: the error ends every rank, background threads included, with
  /// one line and status 1.
  func testErrorOnOneRankEndsOverlappedJob() throws {
    let path = try config(norm: "layernorm", steps: 30)
    let outcome = try runMPI(
      [
        "-q", "-np", "2", "-x", "DDP_FAULT_DIVERGE=1:7", ddpExecutable, "train", "--config", path,
        "--out", work.appendingPathComponent("diverged").path, "--set",
        "distributed.check_every=5",
      ])
    XCTAssertEqual(outcome.status, 1, outcome.stderr)
    XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
    XCTAssertTrue(
      outcome.stderr.contains("step 10: rank 1's parameters differ from rank 0's"),
      outcome.stderr)
  }
}
