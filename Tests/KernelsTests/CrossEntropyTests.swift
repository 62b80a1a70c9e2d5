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

  /// A target of −1 masks its position: the loss is the mean over the other rows alone (the
  /// reference on those rows), the masked rows get no gradient, and the backward still matches
  /// finite differences.
  func testMaskedPositionsCarryNoLoss() {
    let masked: [Int32] = [3, -1, 10, -1, 7]
    let kept: [Int32] = [3, 10, 7]
    let h = TestTensor(count: n * c, uniform: -2, 2, seed: 21)
    let wte = TestTensor(count: v * c, uniform: -2, 2, seed: 22)
    let probs = TestTensor(count: n * v)
    let keptRows = [0, 2, 4].flatMap { Array(h.array[($0 * c)..<(($0 + 1) * c)]) }
    let want = Reference.crossEntropy(
      keptRows, wte.array, kept, rows: 3, channels: c, vocabulary: v)
    func loss() -> Double {
      Double(
        crossEntropyForward(
          probs: probs.pointer, h: h.pointer, wte: wte.pointer, targets: masked, rows: n,
          channels: c, vocabulary: v))
    }
    XCTAssertEqual(loss(), want, accuracy: 1e-5 * want)
    let dh = TestTensor(count: n * c)
    let dwte = TestTensor(count: v * c)
    crossEntropyBackward(
      dh: dh.pointer, dwte: dwte.pointer, probs: probs.pointer, h: h.pointer, wte: wte.pointer,
      targets: masked, dloss: 1, rows: n, channels: c, vocabulary: v)
    for row in [1, 3] {
      XCTAssertEqual(Array(dh.array[(row * c)..<((row + 1) * c)]), [Float](repeating: 0, count: c))
    }
    XCTAssertLessThan(
      gradientCheckError(input: h, analytic: dh.array, loss: loss).error,
      finiteDifferenceTolerance, "dh")
    XCTAssertLessThan(
      gradientCheckError(input: wte, analytic: dwte.array, loss: loss).error,
      finiteDifferenceTolerance, "dwte")
  }
}
