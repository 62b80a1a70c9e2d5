import Foundation
import XCTest

/// `ddp bench context`, run as a user would: a table, the findings and one JSON line; bad
/// options refused in one line.
final class BenchContextTests: XCTestCase {
  let tiny = """
    [model]
    d_model = 16
    n_heads = 2
    n_layers = 1
    chunk = 4
    """

  /// Two fixed-token contexts and one long one, for every kind: every point measured, the
  /// sequences per step follow the tokens, and each kind has a slope.
  func testPrintsTableFindingsAndJSON() throws {
    let config = try writeConfig(tiny)
    let outcome = try runDDP([
      "bench", "context", "--config", config, "--contexts", "8,16", "--long", "32",
      "--tokens", "32", "--repeats", "1", "--threads", "1",
    ])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    XCTAssertTrue(outcome.stdout.contains("4 × 8"), outcome.stdout)
    XCTAssertTrue(outcome.stdout.contains("linear: log-log slope"), outcome.stdout)
    let json = try lastJSONLine(outcome.stdout)
    let points = try XCTUnwrap(json["points"] as? [[String: Any]])
    XCTAssertEqual(points.count, 12, outcome.stdout)
    for point in points {
      XCTAssertGreaterThan(point["ms_per_step"] as? Double ?? 0, 0, "\(point)")
      let context = point["context"] as? Int ?? 0
      XCTAssertEqual(point["batch"] as? Int, max(1, 32 / context), "\(point)")
    }
    let slopes = try XCTUnwrap(json["slopes"] as? [String: Double])
    XCTAssertEqual(Set(slopes.keys), ["softmax", "linear", "fastweight", "fastweight_sum"])
  }

  func testBadOptionsAreOneLine() throws {
    let config = try writeConfig(tiny)
    for (arguments, mention) in [
      (["--contexts", "48", "--tokens", "64"], "--contexts"),
      (["--contexts", "8,x"], "--contexts"),
      (["--kinds", "linear,cosine"], "cosine"),
      (["--repeats", "0"], "--repeats"),
      (["--set", "model.chunk=0"], "model.chunk"),
    ] {
      let outcome = try runDDP(["bench", "context", "--config", config, "--long", ""] + arguments)
      XCTAssertEqual(outcome.status, 2, "\(arguments): \(outcome.stderr)")
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains(mention), outcome.stderr)
    }
  }
}
