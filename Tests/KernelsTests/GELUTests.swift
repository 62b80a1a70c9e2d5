import Foundation
import Kernels
import TestSupport
import XCTest

final class GELUTests: XCTestCase {
  func testForwardMatchesReference() {
    let n = 203
    let inp = TestTensor(count: n, uniform: -6, 6, seed: 5)
    let out = TestTensor(count: n)
    geluForward(out: out.pointer, inp: inp.pointer, count: n)
    // x·σ(2u) is within 1.2e-7·max(1, |x|) of the Double value (below), so 2e-6 of the largest
    // output (~6) is a wide margin.
    XCTAssertLessThan(maxRelativeError(out.array, Reference.gelu(inp.array)), 2e-6)
  }

  /// Value and derivative on a dense grid over [−12, 12] (every regime: σ saturated at 0 and
  /// at 1, the bend in between, the clamps at ±10) against the tanh form in Double. The value
  /// rounds at the magnitude of x (one float ulp of x is 1.2e-7·|x|) and σ's error adds about
  /// as much: measured worst 1.3e-7·max(1, |x|); the derivative (at most 1.13) 1.9e-7.
  func testValueAndDerivativeMatchDouble() {
    let n = 24_001
    let inp = TestTensor((0..<n).map { -12 + 24 * Float($0) / Float(n - 1) })
    let (out, derivative) = (TestTensor(count: n), TestTensor(count: n))
    geluForward(out: out.pointer, derivative: derivative.pointer, inp: inp.pointer, count: n)
    var (valueError, slopeError): (Double, Double) = (0, 0)
    for i in 0..<n {
      let x = Double(inp[i])
      let u = (2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)
      let t = Foundation.tanh(u)
      let du = (2 / Double.pi).squareRoot() * (1 + 3 * 0.044715 * x * x)
      let slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
      valueError = max(valueError, abs(Double(out[i]) - 0.5 * x * (1 + t)) / max(1, abs(x)))
      slopeError = max(slopeError, abs(Double(derivative[i]) - slope))
    }
    XCTAssertLessThan(valueError, 2e-7, "value error relative to max(1, |x|)")
    XCTAssertLessThan(slopeError, 5e-7, "derivative error")
  }

  /// Far out GELU is x with derivative 1 exactly, and 0 with derivative 0 to float precision
  /// (below 1e-35 in magnitude) however negative x is; NaN stays NaN.
  func testSaturatesAndPropagatesNaN() {
    let far: [Float] = [1000, 30, 3e38, -30, -1000, -3e38]
    let inp = TestTensor(far + [.nan] + [Float](repeating: 1, count: 9))
    let (out, derivative) = (TestTensor(count: 16), TestTensor(count: 16))
    geluForward(out: out.pointer, derivative: derivative.pointer, inp: inp.pointer, count: 16)
    XCTAssertEqual(Array(out.array[0..<3]), [1000, 30, 3e38])
    XCTAssertEqual(Array(derivative.array[0..<3]), [1, 1, 1])
    for i in 3..<6 {
      XCTAssertLessThan(abs(out[i]), 1e-35, "gelu(\(inp[i]))")
      XCTAssertLessThan(abs(derivative[i]), 1e-35, "gelu′(\(inp[i]))")
    }
    XCTAssertTrue(out[6].isNaN && derivative[6].isNaN)
  }

  func testBackwardMatchesFiniteDifferences() {
    let n = 37
    let inp = TestTensor(count: n, uniform: -3, 3, seed: 6)
    let projection = TestTensor(count: n, uniform: -1, 1, seed: 7)
    let out = TestTensor(count: n)
    let dinp = TestTensor(count: n)
    geluBackward(dinp: dinp.pointer, inp: inp.pointer, dout: projection.pointer, count: n)
    let check = gradientCheckError(input: inp, analytic: dinp.array) {
      geluForward(out: out.pointer, inp: inp.pointer, count: n)
      return projectedLoss(out, projection)
    }
    XCTAssertLessThan(check.error, finiteDifferenceTolerance)
  }
}

final class GELUDerivativeTests: XCTestCase {
  /// The saved-derivative backward equals the recomputing one bit for bit: both take gelu′ from
  /// the same `geluVector`, and 0 + a·b rounds as a·b.
  func testSavedDerivativeMatchesRecomputation() {
    let n = 45
    let inp = TestTensor(count: n, uniform: -4, 4, seed: 8)
    let dout = TestTensor(count: n, uniform: -1, 1, seed: 9)
    let (out, derivative) = (TestTensor(count: n), TestTensor(count: n))
    geluForward(out: out.pointer, derivative: derivative.pointer, inp: inp.pointer, count: n)
    let (recomputed, saved) = (TestTensor(count: n), TestTensor(count: n, value: .nan))
    geluBackward(dinp: recomputed.pointer, inp: inp.pointer, dout: dout.pointer, count: n)
    geluBackward(dinp: saved.pointer, derivative: derivative.pointer, dout: dout.pointer, count: n)
    XCTAssertEqual(saved.array, recomputed.array)
  }
}
