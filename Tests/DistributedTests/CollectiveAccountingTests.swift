import Distributed
import Foundation
import Support
import XCTest

final class CollectiveAccountingTests: XCTestCase {
  func testRecordsPerCategory() {
    let accounting = CollectiveAccounting()
    accounting.record(.gradients, bytes: 400, seconds: 0.5)
    accounting.record(.gradients, bytes: 100, seconds: 0.25)
    accounting.addWaiting(.gradients, seconds: 0.125)
    accounting.record(.normStats, bytes: 12, seconds: 0.0625)
    let snapshot = accounting.snapshot()
    XCTAssertEqual(snapshot[.gradients], CollectiveCounters(calls: 2, bytes: 500, seconds: 0.875))
    XCTAssertEqual(snapshot[.normStats], CollectiveCounters(calls: 1, bytes: 12, seconds: 0.0625))
    XCTAssertEqual(snapshot[.control], .zero)
    XCTAssertEqual(snapshot.total, CollectiveCounters(calls: 3, bytes: 512, seconds: 0.9375))
  }

  /// A snapshot is a copy: later calls do not change it; `reset` zeroes the live counters.
  func testSnapshotIsACopyAndResetClears() {
    let accounting = CollectiveAccounting()
    accounting.record(.control, bytes: 8, seconds: 1)
    let before = accounting.snapshot()
    accounting.record(.control, bytes: 8, seconds: 1)
    XCTAssertEqual(before[.control].calls, 1)
    XCTAssertEqual(accounting.snapshot()[.control].calls, 2)
    accounting.reset()
    XCTAssertEqual(accounting.snapshot(), CollectiveSnapshot())
    XCTAssertEqual(before[.control].calls, 1)
  }

  /// Per-step figures: the difference of two snapshots.
  func testSubtractingGivesWhatHappenedBetween() {
    let accounting = CollectiveAccounting()
    accounting.record(.gradients, bytes: 1000, seconds: 2)
    let start = accounting.snapshot()
    accounting.record(.gradients, bytes: 1000, seconds: 3)
    accounting.record(.normStats, bytes: 20, seconds: 1)
    let step = accounting.snapshot().subtracting(start)
    XCTAssertEqual(step[.gradients], CollectiveCounters(calls: 1, bytes: 1000, seconds: 3))
    XCTAssertEqual(step[.normStats], CollectiveCounters(calls: 1, bytes: 20, seconds: 1))
    XCTAssertEqual(step[.control], .zero)
  }

  /// The snapshot encodes as summary.json's "comm" object, one object per category, and reads
  /// back equal.
  func testSnapshotHasTheSummaryShape() throws {
    let accounting = CollectiveAccounting()
    accounting.record(.gradients, bytes: 4096, seconds: 0.5)
    let snapshot = accounting.snapshot()
    let json = try JSONStyle.line(snapshot)
    XCTAssertEqual(
      json,
      #"{"control":{"bytes":0,"calls":0,"seconds":0},"gradients":{"bytes":4096,"calls":1,"#
        + #""seconds":0.5},"norm_stats":{"bytes":0,"calls":0,"seconds":0}}"#)
    XCTAssertEqual(
      try JSONStyle.decode(CollectiveSnapshot.self, from: json, source: "snapshot"), snapshot)
  }

  /// A category missing from a "comm" object is an error naming it, not zero counters.
  func testSnapshotMissingACategoryFailsNamingIt() {
    let json =
      #"{"control":{"bytes":0,"calls":0,"seconds":0},"gradients":{"bytes":4096,"calls":1,"#
      + #""seconds":0.5}}"#
    XCTAssertThrowsError(
      try JSONStyle.decode(CollectiveSnapshot.self, from: json, source: "\"x.json\"")
    ) { error in
      XCTAssertEqual("\(error)", #""x.json": no key "norm_stats""#)
    }
  }
}

extension CollectiveAccountingTests {
  func testTableHasARowPerCategoryAndATotal() {
    let accounting = CollectiveAccounting()
    accounting.record(.gradients, bytes: 2_000_000, seconds: 0.5)
    accounting.record(.control, bytes: 8, seconds: 0.25)
    let lines = accounting.snapshot().table().split(separator: "\n").map(String.init)
    XCTAssertEqual(
      lines,
      [
        "collective        calls          MB   seconds",
        "gradients             1       2.000     0.500",
        "norm_stats            0       0.000     0.000",
        "control               1       0.000     0.250",
        "total                 2       2.000     0.750",
      ])
  }
}
