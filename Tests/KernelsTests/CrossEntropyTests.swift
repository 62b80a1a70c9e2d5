import Kernels
import TestSupport
import XCTest

final class CrossEntropyTests: XCTestCase {
  let (n, c, v) = (5, 4, 11)
  let targets: [Int32] = [3, 0, 10, 3, 7]

  func testForwardMatchesReference() {
    let h = TestTensor(count: n * c, uniform: -2, 2, seed: 11)
    let wte = TestTensor(count: v * c, uniform: -2, 2, seed: 12)
    let probs = TestTensor(count: n * v)
    let loss = crossEntropyForward(
      probs: probs.pointer, h: h.pointer, wte: wte.pointer,
      targets: targets, rows: n, channels: c, vocabulary: v)
    let want = Reference.crossEntropy(
      h.array, wte.array, targets, rows: n, channels: c,
      vocabulary: v)
    XCTAssertEqual(Double(loss), want, accuracy: 1e-5 * want)
    for r in 0..<n {
      XCTAssertEqual(probs.array[(r * v)..<((r + 1) * v)].reduce(0, +), 1, accuracy: 1e-6)
    }
  }

  func testBackwardMatchesFiniteDifferences() {
    let h = TestTensor(count: n * c, uniform: -2, 2, seed: 11)
    let wte = TestTensor(count: v * c, uniform: -2, 2, seed: 12)
    let probs = TestTensor(count: n * v)
    let dh = TestTensor(count: n * c)
    let dwte = TestTensor(count: v * c)
    func loss() -> Double {
      Double(
        crossEntropyForward(
          probs: probs.pointer, h: h.pointer, wte: wte.pointer,
          targets: targets, rows: n, channels: c, vocabulary: v))
    }
    _ = loss()
    crossEntropyBackward(
      dh: dh.pointer, dwte: dwte.pointer, probs: probs.pointer,
      h: h.pointer, wte: wte.pointer, targets: targets, dloss: 1, rows: n, channels: c,
      vocabulary: v)
    XCTAssertLessThan(
      gradientCheckError(input: h, analytic: dh.array, loss: loss).error,
      finiteDifferenceTolerance, "dh")
    XCTAssertLessThan(
      gradientCheckError(input: wte, analytic: dwte.array, loss: loss).error,
      finiteDifferenceTolerance, "dwte")
  }
}
