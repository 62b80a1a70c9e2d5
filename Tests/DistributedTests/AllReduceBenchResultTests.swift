import Foundation
import Support
import XCTest

@testable import Distributed

/// The JSON line of `ddp bench allreduce`: one type for its writer and its readers.
final class AllReduceBenchResultTests: XCTestCase {
  func sample() -> AllReduceBenchResult {
    let measurements = [
      AllReduceMeasurement(
        bytes: 4, iterations: 100, seconds: 2e-6, minimumSeconds: 1.5e-6, maximumSeconds: 2.5e-6,
        leastOverRanksSeconds: 1e-6, verified: true, wrongElements: 0),
      AllReduceMeasurement(
        bytes: 1 << 20, iterations: 10, seconds: 2e-4, minimumSeconds: 1.5e-4,
        maximumSeconds: 2.5e-4, leastOverRanksSeconds: 1e-4, verified: true, wrongElements: 0),
    ]
    var comm = CollectiveSnapshot()
    comm[.gradients] = CollectiveCounters(calls: 220, bytes: 1000, seconds: 0.5)
    return AllReduceBenchResult(
      measurements, model: AllReduceCostModel(alpha: 1e-6, beta: 1e-10), workers: 2,
      communication: comm, checked: false)
  }

  /// The keys README documents, and the line read back from a log with table lines before it.
  func testRoundTripsThroughALog() throws {
    let result = sample()
    let line = try JSONStyle.line(result)
    let object = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    XCTAssertEqual(
      Set(object.keys),
      [
        "workers", "alpha_us", "beta_ns_per_byte", "fit_max_relative_error", "all_verified",
        "collectives_checked", "sizes", "comm",
      ])
    let sizes = try XCTUnwrap(object["sizes"] as? [[String: Any]])
    XCTAssertEqual(
      Set(sizes[0].keys),
      [
        "bytes", "iterations", "latency_us", "min_latency_us", "max_latency_us",
        "least_latency_us", "algbw_gbps", "busbw_gbps", "verified",
      ])
    XCTAssertEqual(result.sizes[1].busBandwidthGBps, Double(1 << 20) / 2e-4 / 1e9)
    let log = "# MPI_Allreduce ...\n     4  100  2.00\n" + line + "\n"
    let back = try AllReduceBenchResult.read(log: log, source: "bench.log")
    XCTAssertEqual(back, result)
    XCTAssertEqual(back.costModel.alpha, 1e-6, accuracy: 1e-18)
    XCTAssertEqual(back.costModel.beta, 1e-10, accuracy: 1e-22)
  }

  /// A non-finite figure is written as null and read back as NaN.
  func testNonFiniteIsNull() throws {
    var result = sample()
    result.fitMaximumRelativeError = .nan
    let line = try JSONStyle.line(result)
    XCTAssertTrue(line.contains(#""fit_max_relative_error":null"#), line)
    let back = try AllReduceBenchResult.read(log: line, source: "x")
    XCTAssertTrue(back.fitMaximumRelativeError.isNaN)
  }

  /// A log without the line, or a line without a key, fails naming the file, line and key.
  func testMissingLineOrKeyFailsNamingIt() throws {
    XCTAssertThrowsError(try AllReduceBenchResult.read(log: "mpirun: oops\n", source: "b.log")) {
      XCTAssertEqual("\($0)", "b.log: no JSON line of `ddp bench allreduce`")
    }
    let line = try JSONStyle.line(sample())
      .replacingOccurrences(of: #""beta_ns_per_byte""#, with: #""beta_ns""#)
    XCTAssertThrowsError(try AllReduceBenchResult.read(log: "table\n" + line, source: "b.log")) {
      XCTAssertEqual("\($0)", #"b.log line 2: no key "beta_ns_per_byte""#)
    }
  }
}
