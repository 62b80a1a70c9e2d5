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
