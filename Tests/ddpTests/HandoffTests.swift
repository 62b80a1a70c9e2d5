import Config
import Distributed
import Experiments
import Foundation
import Reports
import Support
import Training
import XCTest

/// The typed hand-offs between processes, writer -> file -> reader: metrics.jsonl and
/// summary.json through the run directory and `RunMeasurement`, and a `ddp compare` point's
/// resolved config through its point.toml.
final class HandoffTests: XCTestCase {
  var work: URL!

  override func setUpWithError() throws { work = try temporaryWorkDirectory("ddp-handoffs") }

  func record(step: Int, loss: Double) -> StepRecord {
    var comm = CollectiveSnapshot()
    comm[.gradients] = CollectiveCounters(calls: 1, bytes: 400, seconds: 0.001 * Double(step))
    comm[.normStats] = CollectiveCounters(calls: 6, bytes: 264, seconds: 0.0005)
    return StepRecord(
      step: step, loss: loss, learningRate: 1e-3, gradNorm: 0.5, stepSeconds: 0.01 * Double(step),
      tokensPerSecond: 5000, comm: comm,
      leastWait: LeastWaits(gradients: 0.0002, normStatistics: 0.0001))
  }

  /// What the session logs is what `ddp compare` reads back, field by field.
  func testMetricsAndSummaryRoundTripThroughTheRunDirectory() throws {
    let path = work.appendingPathComponent("run").path
    let directory = try RunDirectory(
      path: path, configTOML: RunConfig().tomlText, resuming: false)
    var second = record(step: 2, loss: .nan)
    second.skipped = true
    second.evalLoss = 2.25
    try directory.log(record(step: 1, loss: 3.5))
    try directory.log(second)
    let measurement = try RunMeasurement(directory: path)
    XCTAssertEqual(measurement.steps.map(\.step), [1, 2])
    XCTAssertEqual(measurement.steps[0].loss, 3.5)
    XCTAssertTrue(measurement.steps[1].loss.isNaN, "a skipped step's null loss reads as NaN")
    XCTAssertEqual(measurement.steps[1].skipped, true)
    XCTAssertEqual(measurement.steps[1].evalLoss, 2.25)
    XCTAssertNil(measurement.steps[0].evalLoss)
    XCTAssertEqual(measurement.steps[1].comm, second.comm)
    XCTAssertEqual(measurement.steps[1].leastWait, second.leastWait)
    XCTAssertEqual(measurement.median(afterWarmup: 0) { $0.stepSeconds }, 0.015)
    XCTAssertEqual(measurement.mean(afterWarmup: 0) { $0.calls(.normStats) }, 6)

    let summary = RunSummary(
      steps: 2, finalTrainLoss: 3.5, finalValidationLoss: 2.25, wallSeconds: 0.5,
      tokensPerSecond: 4000, peakMemoryMB: 12, workers: 1, parameters: 99, comm: second.comm)
    try directory.writeSummary(summary)
    let back = try RunSummary.read(path: path + "/summary.json")
    XCTAssertEqual(back.steps, 2)
    XCTAssertEqual(back.finalValidationLoss, 2.25)
    XCTAssertEqual(back.comm, second.comm)
  }

  /// A metric renamed on the writer's side fails the reader with the file, the line and the
  /// key, where it used to read as 0.
  func testRenamedMetricFailsWithFileLineAndKey() throws {
    let path = work.appendingPathComponent("renamed").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let good = try JSONStyle.line(record(step: 1, loss: 3))
    let renamed = try JSONStyle.line(record(step: 2, loss: 3))
      .replacingOccurrences(of: #""least_wait_seconds""#, with: #""least_waits""#)
    try (good + "\n" + renamed + "\n").write(
      toFile: path + "/metrics.jsonl", atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try RunMeasurement(directory: path)) { error in
      XCTAssertEqual(
        "\(error)", #""\#(path)/metrics.jsonl" line 2: no key "least_wait_seconds""#)
    }
  }

  /// A compare point's point.toml is the resolved config the prediction uses: the sweep's
  /// config with the point's norm and batch, loading back equal.
  func testComparePointWritesItsResolvedConfig() throws {
    var base = RunConfig()
    base.train.batch = 4
    base.distributed.bucketMB = 3
    let sweep = CompareSweep(
      run: base, configPath: "unused.toml", overrides: [], workers: [1, 2],
      norms: [.syncbatchnorm], modes: [.weak], steps: 5, warmup: 1, tolerance: 1e-4,
      launchers: [
        JobLauncher(transport: .shm, executable: "/bin/false", clusterScript: nil, timeout: 10)
      ],
      folder: work.appendingPathComponent("sweep").path)
    let point = try XCTUnwrap(sweep.points.last)
    let config = sweep.config(point)
    XCTAssertEqual(config.model.norm, .syncbatchnorm)
    XCTAssertEqual(config.train.batch, 8, "weak scaling: 4 per worker")
    XCTAssertEqual(config.train.steps, 5)
    XCTAssertEqual(config.train.checkpointEvery, 0)
    XCTAssertEqual(config.train.keepCheckpoints, 1)
    XCTAssertTrue(config.distributed.timingBarriers)
    XCTAssertEqual(config.distributed.bucketMB, 3)
    XCTAssertEqual(try RunConfig.load(tomlText: config.tomlText), config)
    // The job fails (/bin/false), after writing point.toml.
    XCTAssertThrowsError(try sweep.train(point))
    let written = try String(
      contentsOfFile: sweep.folder + "/points/\(point.name)/point.toml", encoding: .utf8)
    XCTAssertEqual(written, config.tomlText)
  }

  /// `ddp model-cost --fit` reads the typed line of a `ddp bench allreduce` log, and names the
  /// file, line and key when the line lacks one.
  func testModelCostReadsTheBenchLine() throws {
    let result = AllReduceBenchResult(
      [], model: AllReduceCostModel(alpha: 12.5e-6, beta: 0.25e-9), workers: 2,
      communication: CollectiveSnapshot(), checked: false)
    let log = work.appendingPathComponent("allreduce.log").path
    let line = try JSONStyle.line(result)
    try ("# MPI_Allreduce table\n" + line + "\n").write(
      toFile: log, atomically: true, encoding: .utf8)
    let config = packageRoot.path + "/configs/compare.toml"
    let outcome = try runDDP(["model-cost", "--config", config, "--workers", "2", "--fit", log])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    XCTAssertTrue(
      outcome.stdout.contains("α = 12.500 µs, β = 0.2500 ns/byte (fit from \(log))"),
      outcome.stdout)

    let broken = work.appendingPathComponent("broken.log").path
    let renamed = line.replacingOccurrences(of: #""beta_ns_per_byte""#, with: #""beta""#)
    try ("# table\n" + renamed + "\n").write(toFile: broken, atomically: true, encoding: .utf8)
    let failed = try runDDP(["model-cost", "--config", config, "--workers", "2", "--fit", broken])
    XCTAssertNotEqual(failed.status, 0)
    XCTAssertTrue(
      failed.stderr.contains(#"--fit: "\#(broken)" line 2: no key "beta_ns_per_byte""#),
      failed.stderr)

    // Values the flags refuse are refused from a file too: a negative α predicted negative
    // milliseconds, 1e308 an infinite time.
    for (key, value) in [("alpha_us", "-5"), ("beta_ns_per_byte", "-1"), ("alpha_us", "1e308")] {
      let odd = work.appendingPathComponent("odd-\(key)\(value).log").path
      let original = key == "alpha_us" ? #""alpha_us":12.5"# : #""beta_ns_per_byte":0.25"#
      XCTAssertTrue(line.contains(original), line)
      let edited = line.replacingOccurrences(of: original, with: "\"\(key)\":\(value)")
      try (edited + "\n").write(toFile: odd, atomically: true, encoding: .utf8)
      let refused = try runDDP(["model-cost", "--config", config, "--workers", "2", "--fit", odd])
      XCTAssertEqual(refused.status, 2, refused.stderr)
      XCTAssertEqual(refused.stdout, "", "no partial table")
      XCTAssertTrue(
        refused.stderr.hasPrefix("ddp: run: --fit: \"\(odd)\" holds \(key) = "), refused.stderr)
    }
  }
}
