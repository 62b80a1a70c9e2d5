import Kernels
import TestSupport
import XCTest

/// Concat pooling, ReLU and the class cross-entropy: forward against the definition, backward
/// against central finite differences (``finiteDifferenceTolerance``).
final class ClassifierKernelTests: XCTestCase {
  let (b, t, c) = (3, 5, 4)
  /// Lengths 5 (no padding), 2 and 1 (the last position is the only one).
  let lengths: [Int32] = [5, 2, 1]

  func pool(_ h: TestTensor, out: TestTensor, argmax: inout [Int32]) {
    concatPoolForward(
      out: out.pointer, argmax: &argmax, h: h.pointer, lengths: lengths, batch: b, time: t,
      channels: c)
  }

  /// Each pooled feature is the definition's, read over the real positions only: padding
  /// rows set to a huge value change nothing.
  func testPoolingReadsOnlyRealPositions() {
    let h = TestTensor(count: b * t * c, uniform: -1, 1, seed: 1)
    for s in 0..<b {
      for position in Int(lengths[s])..<t {
        for j in 0..<c { h[(s * t + position) * c + j] = 1e6 }
      }
    }
    let out = TestTensor(count: b * 3 * c)
    var argmax = [Int32](repeating: -1, count: b * c)
    pool(h, out: out, argmax: &argmax)
    for s in 0..<b {
      let length = Int(lengths[s])
      for j in 0..<c {
        let column = (0..<length).map { h[(s * t + $0) * c + j] }
        XCTAssertEqual(out[s * 3 * c + j], column[length - 1])
        XCTAssertEqual(out[s * 3 * c + c + j], column.max()!)
        XCTAssertEqual(
          out[s * 3 * c + 2 * c + j], column.reduce(0, +) / Float(length), accuracy: 1e-6)
        XCTAssertLessThan(Int(argmax[s * c + j]), length)
      }
    }
  }

  /// ∂ of a random projection of the pooled features with respect to h; padding gets 0.
  /// (Distinct uniform values keep each maximum more than the step away from the runner-up.)
  func testPoolingBackwardMatchesFiniteDifferences() {
    let h = TestTensor(count: b * t * c)
    var rng = SplitMix64(seed: 5)
    let values = (0..<h.count).map { Float($0) * 0.05 }.shuffled(using: &rng)
    for i in 0..<h.count { h[i] = values[i] }
    let projection = TestTensor(count: b * 3 * c, uniform: -1, 1, seed: 2)
    let out = TestTensor(count: b * 3 * c)
    var argmax = [Int32](repeating: 0, count: b * c)
    pool(h, out: out, argmax: &argmax)
    let dh = TestTensor(count: b * t * c)
    concatPoolBackward(
      dh: dh.pointer, dout: projection.pointer, argmax: argmax, lengths: lengths, batch: b,
      time: t, channels: c)
    let check = gradientCheckError(input: h, analytic: dh.array, step: 1e-3) {
      pool(h, out: out, argmax: &argmax)
      return projectedLoss(out, projection)
    }
    XCTAssertLessThan(check.error, finiteDifferenceTolerance)
    for s in 0..<b {
      for position in Int(lengths[s])..<t {
        for j in 0..<c { XCTAssertEqual(dh[(s * t + position) * c + j], 0) }
      }
    }
  }

  /// The class cross-entropy's gradient with respect to the logits, and its value against
  /// −log softmax computed in Double.
  func testClassCrossEntropyMatchesDefinitionAndFiniteDifferences() {
    let (rows, k) = (4, 5)
    let labels: [Int32] = [0, 4, 2, 2]
    let logits = TestTensor(count: rows * k, uniform: -2, 2, seed: 3)
    let work = TestTensor(count: rows * k)
    func loss() -> Double {
      work.pointer.update(from: logits.pointer, count: rows * k)
      return Double(
        classCrossEntropyForward(logits: work.pointer, labels: labels, rows: rows, classes: k))
    }
    var want = 0.0
    for r in 0..<rows {
      let row = (0..<k).map { Double(logits[r * k + $0]) }
      let logSum = log(row.map { exp($0) }.reduce(0, +))
      want -= row[Int(labels[r])] - logSum
    }
    XCTAssertEqual(loss(), want / Double(rows), accuracy: 1e-5)
    let dlogits = TestTensor(count: rows * k)
    classCrossEntropyBackward(
      dlogits: dlogits.pointer, probs: work.pointer, labels: labels, dloss: 1, rows: rows,
      classes: k)
    let check = gradientCheckError(input: logits, analytic: dlogits.array, loss: loss)
    XCTAssertLessThan(check.error, finiteDifferenceTolerance)
    for r in 0..<rows {
      XCTAssertEqual((0..<k).map { work[r * k + $0] }.reduce(0, +), 1, accuracy: 1e-6)
    }
  }

  func testReLUAndItsBackward() {
    let x = TestTensor([-1, 0, 2, -3, 4])
    reluForward(x.pointer, count: 5)
    XCTAssertEqual(x.array, [0, 0, 2, 0, 4])
    let d = TestTensor([1, 1, 1, 1, 1])
    reluBackward(d.pointer, out: x.pointer, count: 5)
    XCTAssertEqual(d.array, [0, 0, 1, 0, 1])
  }
}

extension Array {
  fileprivate func shuffled(using rng: inout SplitMix64) -> [Element] {
    var copy = self
    for i in stride(from: copy.count - 1, to: 0, by: -1) {
      copy.swapAt(i, Int(rng.next() % UInt64(i + 1)))
    }
    return copy
  }
}
