import Distributed
import XCTest

/// The ring and recursive-doubling predictions against their formulas, written out by hand.
final class AllReduceAlgorithmsTests: XCTestCase {
  let fit = AllReduceCostModel(alpha: 2e-6, beta: 0.5e-9)
  var algorithms: AllReduceAlgorithms { AllReduceAlgorithms(twoWorkers: fit) }
  /// Exact up to the rounding of a few double operations.
  let tolerance = 1e-15

  func testTwoWorkersGiveTheFitForBothAlgorithms() {
    for bytes in [4, 4096, 1 << 24] {
      XCTAssertEqual(
        algorithms.ring(workers: 2, bytes: bytes), fit.seconds(bytes: bytes), accuracy: tolerance)
      XCTAssertEqual(
        algorithms.recursiveDoubling(workers: 2, bytes: bytes), fit.seconds(bytes: bytes),
        accuracy: tolerance)
    }
  }

  func testRingLatencyGrowsLinearlyAndBandwidthTendsToTwice() {
    let n = 1 << 20
    // (p − 1)·α₂ + 2(p − 1)/p · n·β₂ at p = 4: 3·2 µs + 1.5 · 2^20 · 0.5 ns.
    XCTAssertEqual(
      algorithms.ring(workers: 4, bytes: n), 3 * 2e-6 + 1.5 * Double(n) * 0.5e-9,
      accuracy: tolerance)
    XCTAssertEqual(
      algorithms.ring(workers: 1024, bytes: n), 1023 * 2e-6 + 2 * 1023 / 1024 * Double(n) * 0.5e-9,
      accuracy: tolerance)
  }

  func testRecursiveDoublingTakesCeilingLogRounds() {
    let one = fit.seconds(bytes: 1028)
    for (workers, rounds) in [(3, 2.0), (4, 2), (5, 3), (8, 3), (4096, 12), (4097, 13)] {
      XCTAssertEqual(
        algorithms.recursiveDoubling(workers: workers, bytes: 1028), rounds * one,
        accuracy: tolerance, "\(workers) workers")
    }
  }

  func testOneWorkerSendsNothing() {
    XCTAssertEqual(algorithms.ring(workers: 1, bytes: 1 << 20), 0)
    XCTAssertEqual(algorithms.recursiveDoubling(workers: 1, bytes: 1 << 20), 0)
  }
}
