import Distributed
import Foundation
import Support
import Training
import XCTest

/// The compute figure of metrics.jsonl: CPU seconds of the thread outside collectives, the mean
/// and the slowest over the workers, on the real thread CPU clock.
final class ComputeTimeObserverTests: XCTestCase {
  /// Spins the calling thread for about `seconds` of its own CPU time.
  func burn(_ seconds: Double) {
    let start = threadCPUSeconds()
    var x = 1.0
    while threadCPUSeconds() - start < seconds { x = x * 1.000_000_1 + 1e-9 }
    XCTAssertGreaterThan(x, 0)
  }

  /// Sleeping (what a rank waiting for a core or a peer does) is not compute, and CPU time the
  /// communicator reports as spent inside collectives is taken out.
  func testComputeIsOwnCPUTimeOutsideCollectives() {
    let accounting = CollectiveAccounting()
    let observer = ComputeTimeObserver()
    observer.stepBegins(accounting)
    burn(0.03)
    usleep(60_000)
    accounting.addCPUInside(seconds: 0.01)
    observer.stepEnds(accounting)
    // Tolerance: the burn overshoots by one clock read, and the loop around it (the test's own
    // calls) costs well under 5 ms of CPU; the sleep would add 60 ms if it were counted.
    XCTAssertEqual(observer.seconds.mean, 0.02, accuracy: 0.005)
    XCTAssertEqual(observer.seconds.slowest, observer.seconds.mean)
  }

  /// With a gather: each rank's figure up to the gather plus this rank's compute after it (the
  /// update, the same work everywhere); the mean and the largest over the ranks.
  func testGatheredFiguresGiveTheMeanAndTheSlowestWorker() throws {
    let accounting = CollectiveAccounting()
    let observer = ComputeTimeObserver()
    observer.stepBegins(accounting)
    burn(0.01)
    let own = try XCTUnwrap(observer.figures(accounting).first)
    observer.gathered([[own], [0.05], [0.002]])
    burn(0.01)
    observer.stepEnds(accounting)
    let tail = observer.seconds.slowest - 0.05
    XCTAssertEqual(tail, 0.01, accuracy: 0.004)
    XCTAssertEqual(observer.seconds.mean, (own + 0.05 + 0.002) / 3 + tail, accuracy: 1e-12)
  }

  /// Two observers on one gather each get back their own slice of every rank's figures.
  func testStepObserversSliceTheGather() {
    let accounting = CollectiveAccounting()
    let waits = LeastWaitObserver()
    let compute = ComputeTimeObserver()
    let both = StepObservers([waits, compute])
    both.stepBegins(accounting)
    accounting.record(.normStats, bytes: 8, seconds: 0.25)
    accounting.record(.gradients, bytes: 400, seconds: 0.5)
    let figures = both.figures(accounting)
    XCTAssertEqual(Array(figures.prefix(2)), [0.5, 0.25])
    XCTAssertEqual(figures.count, 3)
    both.gathered([[0.5, 0.25, 0.125], [0.375, 0.5, 0.25]])
    XCTAssertEqual(waits.waits, LeastWaits(gradients: 0.375, normStatistics: 0.25))
    compute.stepEnds(accounting)
    XCTAssertGreaterThanOrEqual(compute.seconds.slowest, 0.25)
  }

  /// `compute_seconds` is written when set and read back; lines without it (older runs) read
  /// as nil.
  func testComputeSecondsRoundTripAndMayBeAbsent() throws {
    var record = StepRecord(
      step: 1, loss: 2, learningRate: 1e-3, gradNorm: 1, stepSeconds: 0.05, tokensPerSecond: 10,
      comm: CollectiveSnapshot(), leastWait: LeastWaits())
    let plain = try JSONStyle.line(record)
    XCTAssertFalse(plain.contains("compute_seconds"))
    XCTAssertNil(try JSONStyle.decode(StepRecord.self, from: plain, source: "test").computeSeconds)
    record.computeSeconds = ComputeSeconds(mean: 0.0125, slowest: 0.015625)
    let line = try JSONStyle.line(record)
    XCTAssertTrue(line.contains(#""compute_seconds":{"mean":0.0125,"slowest":0.015625}"#), line)
    XCTAssertEqual(
      try JSONStyle.decode(StepRecord.self, from: line, source: "test").computeSeconds,
      record.computeSeconds)
  }
}
