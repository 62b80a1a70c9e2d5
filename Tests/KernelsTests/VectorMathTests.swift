import Foundation
import Kernels
import XCTest

final class VectorMathTests: XCTestCase {
  /// expVector promises relative error below 2e-7 (a couple of float ulps) on [-87, 88].
  func testExpMatchesLibm() {
    var worst: Double = 0
    var x: Float = -87
    while x < 88 {
      let got = Double(expVector(FloatVector(repeating: x))[3])
      let want = Foundation.exp(Double(x))
      worst = max(worst, abs(got - want) / want)
      x += 0.0137
    }
    XCTAssertLessThan(worst, 4e-7, "max relative error of expVector")
  }

  /// Inside the clamps the unclamped exponential is the same computation: equal bit for bit.
  func testExpInRangeEqualsExpInsideTheClamps() {
    var x: Float = -87.3
    while x <= 88.3 {
      let v = FloatVector(repeating: x)
      XCTAssertEqual(expVectorInRange(v)[5], expVector(v)[5], "x = \(x)")
      x += 0.0173
    }
    XCTAssertTrue(expVectorInRange(FloatVector(repeating: .nan))[0].isNaN)
  }

  /// tanhVector promises absolute error below 3e-7 everywhere, saturating to ±1.
  func testTanhMatchesLibm() {
    var worst: Double = 0
    var x: Float = -30
    while x < 30 {
      worst = max(worst, abs(Double(fastTanh(x)) - Foundation.tanh(Double(x))))
      x += 0.0031
    }
    XCTAssertLessThan(worst, 3e-7, "max absolute error of tanhVector")
    XCTAssertEqual(fastTanh(1000), 1)
    XCTAssertEqual(fastTanh(-1000), -1)
  }

  func testReductionsMatchPlainLoops() {
    let a = (0..<37).map { Float($0) * 0.25 - 3 }
    let b = (0..<37).map { Float(($0 * 7) % 11) - 5 }
    XCTAssertEqual(vectorSum(a, 37), a.reduce(0, +), accuracy: 1e-4)
    XCTAssertEqual(vectorDot(a, b, 37), zip(a, b).map(*).reduce(0, +), accuracy: 1e-3)
    XCTAssertEqual(vectorMax(b, 37), b.max())
  }
}
