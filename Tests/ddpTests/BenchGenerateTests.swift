import Foundation
import XCTest

/// `ddp bench generate`, run as a user would: the table, the JSON line's state bytes (exact:
/// they follow from the shape) and its refusals. Times are only required to be positive here;
/// their growth with the position is measured on a quiet machine (README "Generation speed").
final class BenchGenerateTests: XCTestCase {
  /// d_model 32, 4 heads (hs = 8), 2 layers, context 128, two positions.
  let arguments = [
    "bench", "generate", "--context", "128", "--repeats", "1", "--window", "16",
    "--set", "model.d_model=32", "--set", "model.n_layers=2", "--positions", "32,128",
  ]

  func testStateBytesGrowOnlyForTheKeyValueCache() throws {
    let outcome = try runDDP(arguments)
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    XCTAssertTrue(outcome.stdout.contains("softmax ms/token"), outcome.stdout)
    XCTAssertTrue(outcome.stdout.contains("speedup over softmax"), outcome.stdout)
    let report = try lastJSONLine(outcome.stdout)
    let series = try XCTUnwrap(report["series"] as? [[String: Any]])
    XCTAssertEqual(
      series.compactMap { $0["attention"] as? String },
      ["softmax", "linear", "fastweight", "fastweight_sum"])
    let (c, layers, hs, heads) = (32, 2, 8, 4)
    // Bytes in use after `position` tokens, all layers: softmax's cache holds k and v of
    // every token; the recurrent states are fixed: (S, z) for linear, W for the fast weights.
    let expected: [String: (Int) -> Int] = [
      "softmax": { 4 * layers * 2 * $0 * c },
      "linear": { _ in 4 * layers * heads * (hs * hs + hs) },
      "fastweight": { _ in 4 * layers * heads * hs * hs },
      "fastweight_sum": { _ in 4 * layers * heads * hs * hs },
    ]
    for kind in series {
      let name = try XCTUnwrap(kind["attention"] as? String)
      let points = try XCTUnwrap(kind["points"] as? [[String: Any]])
      XCTAssertEqual(points.compactMap { $0["position"] as? Int }, [32, 128], name)
      for point in points {
        let position = try XCTUnwrap(point["position"] as? Int)
        XCTAssertEqual(point["state_bytes"] as? Int, expected[name]?(position), name)
        XCTAssertGreaterThan(point["ms_per_token"] as? Double ?? 0, 0, name)
      }
      let allocated = try XCTUnwrap(kind["allocated_state_bytes"] as? Int)
      XCTAssertEqual(allocated, expected[name]?(128), name)
    }
    let speedups = try XCTUnwrap(report["speedup_over_softmax"] as? [String: Double])
    XCTAssertEqual(speedups["softmax"], 1)
  }

  /// Bad options: one line naming the option, exit status 64 (usage) or 2 (input).
  func testBadOptionsAreRefusedInOneLine() throws {
    for (bad, needle) in [
      (["--kinds", "softmax,quadratic"], "quadratic"),
      (["--positions", "8,5000"], "--positions"),
      (["--window", "0"], "--window"),
      (["--set", "model.n_heads=5"], "n_heads"),
    ] {
      let outcome = try runDDP(["bench", "generate", "--context", "64"] + bad)
      XCTAssertNotEqual(outcome.status, 0, "\(bad)")
      let lines = outcome.stderr.split(separator: "\n").filter { !$0.isEmpty }
      XCTAssertEqual(lines.count, 1, "\(bad): \(outcome.stderr)")
      XCTAssertTrue(outcome.stderr.contains(needle), "\(bad): \(outcome.stderr)")
    }
  }
}
