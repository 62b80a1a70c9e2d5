import Foundation
import XCTest

/// `ddp bench attention`, run as a user would: the table, the JSON line, bad input.
final class BenchAttentionTests: XCTestCase {
  /// T = 32 and head size 16: the fused kernel's shape; both paths timed, a record each.
  func testPrintsBothPathsAndJSON() throws {
    let config = try writeConfig(
      "[model]\nd_model = 32\nn_heads = 2\nn_layers = 2\ncontext = 32\n[train]\nbatch = 2\n")
    let outcome = try runDDP(["bench", "attention", "--config", config, "--repeats", "3"])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    XCTAssertTrue(outcome.stdout.contains("B 2, T 32, C 32, H 2 (head size 16)"), outcome.stdout)
    XCTAssertTrue(outcome.stdout.contains("sgemm / fused, forward + backward"), outcome.stdout)
    XCTAssertTrue(
      outcome.stdout.contains("fused: its products alone, forward + backward"), outcome.stdout)
    let records = try lastJSONRecords(outcome.stdout)
    XCTAssertEqual(records.compactMap { $0["path"] as? String }, ["fused", "sgemm"])
    for record in records {
      for key in [
        "forward_ms", "backward_ms", "forward_median_ms", "backward_median_ms",
        "forward_cpu_median_ms", "backward_cpu_median_ms",
      ] {
        XCTAssertGreaterThan(record[key] as? Double ?? 0, 0, key)
      }
    }
    // The fused record alone carries its products' time (a timing: positive, no bound on it).
    XCTAssertGreaterThan(records[0]["products_alone_ms"] as? Double ?? 0, 0)
    XCTAssertNil(records[1]["products_alone_ms"])
  }

  func testRefusesBadInputInOneLine() throws {
    let config = try writeConfig("[model]\nattention = \"linear\"\n")
    for arguments in [
      ["bench", "attention", "--config", config, "--repeats", "0"],
      ["bench", "attention", "--config", config],
      ["bench", "attention", "--config", "/nonexistent/ddp.toml"],
    ] {
      let outcome = try runDDP(arguments)
      XCTAssertNotEqual(outcome.status, 0, "\(arguments)")
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
    }
  }
}
