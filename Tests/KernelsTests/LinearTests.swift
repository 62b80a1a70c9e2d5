import Kernels
import TestSupport
import XCTest

/// Float sgemm against a Double reference over inner dimensions of ~10: a few float ulps.
let blasTolerance: Float = 1e-5

final class LinearTests: XCTestCase {
  let (n, ic, oc) = (6, 5, 7)

  func testForwardMatchesReference() {
    let inp = TestTensor(count: n * ic, uniform: -1, 1, seed: 1)
    let weight = TestTensor(count: oc * ic, uniform: -1, 1, seed: 2)
    let bias = TestTensor(count: oc, uniform: -1, 1, seed: 3)
    let out = TestTensor(count: n * oc)
    linearForward(
      out: out.pointer, inp: inp.pointer, weight: weight.pointer,
      bias: bias.pointer, rows: n, inChannels: ic, outChannels: oc)
    let want = Reference.linear(
      inp.array, weight.array, bias.array, rows: n, inChannels: ic,
      outChannels: oc)
    XCTAssertLessThan(maxRelativeError(out.array, want), blasTolerance)
  }

  func testBackwardMatchesFiniteDifferences() {
    let inp = TestTensor(count: n * ic, uniform: -1, 1, seed: 1)
    let weight = TestTensor(count: oc * ic, uniform: -1, 1, seed: 2)
    let bias = TestTensor(count: oc, uniform: -1, 1, seed: 3)
    let projection = TestTensor(count: n * oc, uniform: -1, 1, seed: 4)
    let out = TestTensor(count: n * oc)
    func loss() -> Double {
      linearForward(
        out: out.pointer, inp: inp.pointer, weight: weight.pointer,
        bias: bias.pointer, rows: n, inChannels: ic, outChannels: oc)
      return projectedLoss(out, projection)
    }
    let dinp = TestTensor(count: n * ic)
    let dweight = TestTensor(count: oc * ic)
    let dbias = TestTensor(count: oc)
    linearBackward(
      dinp: dinp.pointer, dweight: dweight.pointer, dbias: dbias.pointer,
      dout: projection.pointer, inp: inp.pointer, weight: weight.pointer, rows: n,
      inChannels: ic, outChannels: oc)
    for (name, x, g) in [("inp", inp, dinp), ("weight", weight, dweight), ("bias", bias, dbias)] {
      let check = gradientCheckError(input: x, analytic: g.array, loss: loss)
      XCTAssertLessThan(check.error, finiteDifferenceTolerance, "d\(name)")
    }
  }
}
