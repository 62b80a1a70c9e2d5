import Distributed
import XCTest

final class SingleProcessCommunicatorTests: XCTestCase {
  func testIsRankZeroOfOne() {
    let communicator = SingleProcessCommunicator()
    XCTAssertEqual(communicator.rank, 0)
    XCTAssertEqual(communicator.size, 1)
    XCTAssertTrue(communicator.isRoot)
  }

  /// Sums over one rank are the rank's own values; each call is counted with its bytes.
  func testCollectivesKeepValuesAndAreCounted() {
    let communicator = SingleProcessCommunicator()
    var floats: [Float] = [1, -2, 3.5]
    communicator.allReduceSum(&floats, category: .gradients)
    XCTAssertEqual(floats, [1, -2, 3.5])
    var doubles: [Double] = [0.25, 7]
    communicator.allReduceSum(&doubles, category: .normStats)
    XCTAssertEqual(doubles, [0.25, 7])
    var bytes: [UInt8] = [9, 8, 7, 6, 5]
    communicator.broadcast(&bytes, root: 0, category: .control)
    XCTAssertEqual(bytes, [9, 8, 7, 6, 5])
    XCTAssertEqual(communicator.allGather([UInt64(42), 43], category: .control), [[42, 43]])
    communicator.barrier(category: .control)

    let counts = communicator.accounting.snapshot()
    XCTAssertEqual(counts[.gradients], CollectiveCounters(calls: 1, bytes: 12, seconds: 0))
    XCTAssertEqual(counts[.normStats], CollectiveCounters(calls: 1, bytes: 16, seconds: 0))
    // Broadcast 5 bytes, all-gather 16 bytes per rank, barrier 0 bytes.
    XCTAssertEqual(counts[.control], CollectiveCounters(calls: 3, bytes: 21, seconds: 0))
  }

  func testNonBlockingReductionCompletesAtOnce() {
    let communicator = SingleProcessCommunicator()
    var values: [Float] = [1, 2, 3, 4]
    values.withUnsafeMutableBufferPointer { buffer in
      let pending = communicator.startAllReduceSum(
        buffer.baseAddress!, count: buffer.count, category: .gradients)
      XCTAssertEqual(pending.count, 4)
      XCTAssertEqual(pending.category, .gradients)
      XCTAssertTrue(communicator.testCompletion(pending))
      communicator.wait(pending)
      communicator.wait(pending)
      XCTAssertTrue(pending.isCompleted)
    }
    XCTAssertEqual(values, [1, 2, 3, 4])
    XCTAssertEqual(
      communicator.accounting.snapshot()[.gradients],
      CollectiveCounters(calls: 1, bytes: 16, seconds: 0))
  }

  /// The self-check of every collective passes on one worker.
  func testCheckCollectivesFindsNothingWrong() {
    let communicator = SingleProcessCommunicator()
    XCTAssertEqual(communicator.checkCollectives(), [])
    XCTAssertEqual(communicator.accounting.snapshot()[.gradients].calls, 0)
    XCTAssertGreaterThan(communicator.accounting.snapshot()[.control].calls, 0)
  }

  /// The benchmark's measurement runs on one worker: verified, timed, counted.
  func testMeasureAllReduceOnOneWorker() {
    let communicator = SingleProcessCommunicator()
    let result = measureAllReduce(on: communicator, bytes: 64, iterations: 5, warmup: 2)
    XCTAssertTrue(result.verified)
    XCTAssertEqual(result.wrongElements, 0)
    XCTAssertEqual(result.iterations, 5)
    XCTAssertGreaterThanOrEqual(result.seconds, 0)
    XCTAssertEqual(result.minimumSeconds, result.maximumSeconds)
    let counts = communicator.accounting.snapshot()
    XCTAssertEqual(counts[.gradients], CollectiveCounters(calls: 8, bytes: 8 * 64, seconds: 0))
  }

  /// Tests do not run under mpirun, so the process's communicator is a single worker.
  func testWorldCommunicatorOutsideMPIRunIsSingleProcess() throws {
    try XCTSkipIf(MPICommunicator.detectMPILaunch(), "the tests themselves run under mpirun")
    XCTAssertTrue(makeWorldCommunicator() is SingleProcessCommunicator)
  }
}
