import Kernels
import TestSupport
import XCTest

final class EmbeddingTests: XCTestCase {
  let (b, t, c, v) = (2, 3, 4, 5)
  let tokens: [Int32] = [4, 0, 2, 2, 1, 4]

  func testForwardMatchesReference() {
    let wte = TestTensor(count: v * c, uniform: -1, 1, seed: 8)
    let wpe = TestTensor(count: t * c, uniform: -1, 1, seed: 9)
    let out = TestTensor(count: b * t * c)
    embeddingForward(
      out: out.pointer, tokens: tokens, wte: wte.pointer, wpe: wpe.pointer,
      batch: b, time: t, channels: c)
    let want = Reference.embedding(tokens, wte.array, wpe.array, batch: b, time: t, channels: c)
    XCTAssertEqual(out.array, want)
  }

  func testBackwardMatchesFiniteDifferences() {
    let wte = TestTensor(count: v * c, uniform: -1, 1, seed: 8)
    let wpe = TestTensor(count: t * c, uniform: -1, 1, seed: 9)
    let projection = TestTensor(count: b * t * c, uniform: -1, 1, seed: 10)
    let out = TestTensor(count: b * t * c)
    let dwte = TestTensor(count: v * c)
    let dwpe = TestTensor(count: t * c)
    embeddingBackward(
      dwte: dwte.pointer, dwpe: dwpe.pointer, dout: projection.pointer,
      tokens: tokens, batch: b, time: t, channels: c)
    func loss() -> Double {
      embeddingForward(
        out: out.pointer, tokens: tokens, wte: wte.pointer, wpe: wpe.pointer,
        batch: b, time: t, channels: c)
      return projectedLoss(out, projection)
    }
    XCTAssertLessThan(
      gradientCheckError(input: wte, analytic: dwte.array, loss: loss).error,
      finiteDifferenceTolerance, "dwte")
    XCTAssertLessThan(
      gradientCheckError(input: wpe, analytic: dwpe.array, loss: loss).error,
      finiteDifferenceTolerance, "dwpe")
  }
}
