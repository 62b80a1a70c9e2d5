import Kernels
import TestSupport
import XCTest

final class GELUTests: XCTestCase {
  func testForwardMatchesReference() {
    let n = 203
    let inp = TestTensor(count: n, uniform: -6, 6, seed: 5)
    let out = TestTensor(count: n)
    geluForward(out: out.pointer, inp: inp.pointer, count: n)
    // tanhVector's absolute error (3e-7) times |x|/2 ≤ 3 bounds the difference.
    XCTAssertLessThan(maxRelativeError(out.array, Reference.gelu(inp.array)), 2e-6)
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
  /// The saved-derivative backward equals the recomputing one (same formula, same float ops).
  func testSavedDerivativeMatchesRecomputation() {
    let n = 45
    let inp = TestTensor(count: n, uniform: -4, 4, seed: 8)
    let dout = TestTensor(count: n, uniform: -1, 1, seed: 9)
    let (out, derivative) = (TestTensor(count: n), TestTensor(count: n))
    geluForward(out: out.pointer, derivative: derivative.pointer, inp: inp.pointer, count: n)
    let (recomputed, saved) = (TestTensor(count: n), TestTensor(count: n, value: .nan))
    geluBackward(dinp: recomputed.pointer, inp: inp.pointer, dout: dout.pointer, count: n)
    geluBackward(dinp: saved.pointer, derivative: derivative.pointer, dout: dout.pointer, count: n)
    XCTAssertLessThan(maxRelativeError(saved.array, recomputed.array), 1e-6)
  }
}
