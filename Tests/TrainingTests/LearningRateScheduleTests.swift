import Training
import XCTest

final class LearningRateScheduleTests: XCTestCase {
  let schedule = LearningRateSchedule(
    peak: 1e-3, minimum: 1e-4, warmup: 100, steps: 2000, shape: .cosine)

  func testWarmupIsLinearFromPeakOverWarmup() {
    XCTAssertEqual(schedule.rate(at: 0), 1e-5, accuracy: 1e-12)
    XCTAssertEqual(schedule.rate(at: 49), 5e-4, accuracy: 1e-12)
    XCTAssertEqual(schedule.rate(at: 99), 1e-3, accuracy: 1e-12)
  }

  func testCosineEndsAtMinimumAndIsMonotone() {
    XCTAssertEqual(schedule.rate(at: 100), 1e-3, accuracy: 1e-12)
    XCTAssertEqual(schedule.rate(at: 1999), 1e-4, accuracy: 1e-12)
    let midpoint = 100 + (1999 - 100) / 2
    XCTAssertEqual(schedule.rate(at: midpoint), 5.5e-4, accuracy: 1e-6)
    for step in 100..<1999 {
      XCTAssertLessThanOrEqual(schedule.rate(at: step + 1), schedule.rate(at: step))
    }
  }

  func testConstantAfterWarmup() {
    var constant = schedule
    constant.shape = .constant
    XCTAssertEqual(constant.rate(at: 1500), 1e-3)
  }
}
