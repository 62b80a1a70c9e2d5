import Foundation
import Training
import XCTest

/// Trains `config` with `workers` ranks (a plain process for 1) into a new folder under `work`
/// and returns the final parameters by name and summary.json; with several workers, checks
/// that the job confirmed identical parameters on every rank.
func trainAndRead(_ config: String, workers: Int, in work: URL) throws -> (
  parameters: [String: [Float]], summary: [String: Any]
) {
  let out = work.appendingPathComponent("run-\(UUID().uuidString)").path
  let arguments = ["train", "--config", config, "--out", out]
  let outcome =
    workers == 1
    ? try runDDP(arguments)
    : try runMPI(["-np", "\(workers)", ddpExecutable] + arguments)
  XCTAssertEqual(outcome.status, 0, outcome.stderr)
  if workers > 1 {
    XCTAssertTrue(
      outcome.stdout.contains("parameters identical on all \(workers) workers"), outcome.stdout)
  }
  let checkpoint = try XCTUnwrap(Checkpoint.newestIntact(inDirectory: out))
  let loaded = try Checkpoint.read(path: checkpoint)
  var parameters: [String: [Float]] = [:]
  for entry in loaded.parameters.layout.entries {
    parameters[entry.name] = Array(loaded.parameters.values(entry.name) ?? [])
  }
  let summary = try XCTUnwrap(
    JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")))
      as? [String: Any])
  return (parameters, summary)
}

/// The counters of one collective category (`gradients`, `norm_stats`, `control`) in a
/// summary.json: calls, bytes, seconds.
func collectiveCounters(_ summary: [String: Any], _ category: String) -> [String: Any] {
  ((summary["comm"] as? [String: Any])?[category] as? [String: Any]) ?? [:]
}

/// The largest absolute difference over the parameters of two runs, except those named with a
/// suffix in `skipped`; every tensor must have the same size in both.
func largestDifference(
  _ a: [String: [Float]], _ b: [String: [Float]], skipping skipped: [String] = []
) -> Float {
  var worst: Float = 0
  for (name, values) in a where !skipped.contains(where: { name.hasSuffix($0) }) {
    XCTAssertEqual(values.count, b[name]?.count, name)
    for (x, y) in zip(values, b[name] ?? []) { worst = max(worst, abs(x - y)) }
  }
  return worst
}
