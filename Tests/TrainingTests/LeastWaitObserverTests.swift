import Distributed
import Training
import XCTest

/// The least-wait figures of metrics.jsonl, from made-up collective times.
final class LeastWaitObserverTests: XCTestCase {
  /// This rank's figures: its gradient seconds since the step began, then the seconds of each
  /// norm-statistics call of the step.
  func testFiguresAreTheStepsGradientWaitAndNormStatisticsCalls() {
    let accounting = CollectiveAccounting()
    accounting.record(.gradients, bytes: 8, seconds: 9)  // before the step: not counted
    accounting.record(.normStats, bytes: 8, seconds: 9)
    let observer = LeastWaitObserver()
    observer.stepBegins(accounting)
    accounting.record(.normStats, bytes: 8, seconds: 0.25)
    accounting.record(.gradients, bytes: 400, seconds: 0.5)
    accounting.record(.control, bytes: 8, seconds: 7)
    accounting.addWaiting(.gradients, seconds: 0.125)
    accounting.record(.normStats, bytes: 8, seconds: 0.375)
    XCTAssertEqual(observer.figures(accounting), [0.625, 0.25, 0.375])
  }

  /// Gradients: the least total over the ranks; norm statistics: per call the least over the
  /// ranks, summed. One worker (no gather) leaves both 0.
  func testGatheredTakesTheLeastOverRanks() {
    let accounting = CollectiveAccounting()
    let observer = LeastWaitObserver()
    observer.stepBegins(accounting)
    observer.gathered([[0.5, 0.25, 0.0625], [0.375, 0.125, 0.5], [0.75, 0.5, 0.25]])
    XCTAssertEqual(observer.waits, LeastWaits(gradients: 0.375, normStatistics: 0.1875))
    observer.stepBegins(accounting)
    XCTAssertEqual(observer.waits, LeastWaits())
    observer.gathered([[0.5], [0.25]])
    XCTAssertEqual(observer.waits, LeastWaits(gradients: 0.25, normStatistics: 0))
  }
}
