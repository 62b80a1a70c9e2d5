import TestSupport
import XCTest

@testable import Kernels

/// The parts of the fused softmax attention (FusedSoftmaxAttention.swift) against their slow
/// obvious forms: the blocked transpose against element-by-element copying, the paired,
/// tree-reduced row softmax and its backward against `causalSoftmaxRow` /
/// `softmaxRowBackward`, which the per-head sgemm path still runs. The whole kernel is checked
/// in FusedAttentionTests.
final class FusedAttentionPartsTests: XCTestCase {
  /// The rows differ only in the order of the 16 lanes' sums (a tree instead of a chain) and
  /// in one fused multiply-add: a few ulp of values at most 1, far below this.
  let rowTolerance: Float = 1e-6
  /// The backward subtracts the row's Σ p·dp (of size ~1) from each dp in (−1, 1): the few ulp
  /// by which the two sums differ survive the cancellation, relative to dS entries up to ~0.25.
  let rowBackwardTolerance: Float = 1e-5

  /// The vector-rounded width of the 8-row tile holding the row with `valid` entries.
  func tileLength(valid: Int) -> Int {
    let visible = (valid + attentionTileRows - 1) / attentionTileRows * attentionTileRows
    return (visible + vectorWidth - 1) / vectorWidth * vectorWidth
  }

  func testTransposeHeadMatchesElementwise() {
    for (rows, columns, ld) in [(8, 8, 8), (48, 32, 100), (128, 16, 3 * 256)] {
      let m = TestTensor(count: rows * ld, uniform: -1, 1, seed: 70)
      let out = TestTensor(count: rows * columns, value: .nan)
      transposeHead(m.pointer, ld: ld, rows: rows, columns: columns, into: out.pointer)
      for d in 0..<columns {
        for s in 0..<rows where out[d * rows + s] != m[s * ld + d] {
          return XCTFail("(\(rows), \(columns)), ld \(ld): entry (\(d), \(s)) differs")
        }
      }
    }
  }

  func testTreeReductionsMatchLaneLoops() {
    var rng = SplitMix64(seed: 71)
    for _ in 0..<100 {
      let v = FloatVector((0..<vectorWidth).map { _ in rng.nextUnitFloat() * 200 - 100 })
      XCTAssertEqual(treeMax(v), horizontalMax(v))
      XCTAssertEqual(treeSum(v), horizontalSum(v), accuracy: 1e-5 * 100 * Float(vectorWidth))
    }
  }

  /// Every pair of rows of the 8-row tiles up to T = 128 (valid counts 2j + 1 and 2j + 2), at
  /// the tile's vector length; the lanes past each diagonal hold NaN, which neither form may
  /// read into its result.
  func testRowSoftmaxPairMatchesScalarRows() {
    for first in stride(from: 1, through: 127, by: 2) {
      let length = tileLength(valid: first)
      let rows = TestTensor(count: 2 * length, uniform: -6, 6, seed: UInt64(first))
      for r in 0..<2 {
        for i in (first + r)..<length { rows[r * length + i] = .nan }
      }
      let want = TestTensor(rows.array)
      causalSoftmaxRow(want.pointer, valid: first, length: length)
      causalSoftmaxRow(want.pointer + length, valid: first + 1, length: length)
      fusedCausalSoftmaxRowPair(rows.pointer, ld: length, valid: first, length: length)
      XCTAssertLessThan(maxRelativeError(rows.array, want.array), rowTolerance, "valid \(first)")
      for r in 0..<2 {
        let tail = rows.array[(r * length + first + r)..<((r + 1) * length)]
        XCTAssertEqual(Array(tail), [Float](repeating: 0, count: length - first - r))
      }
    }
  }

  func testRowSoftmaxBackwardMatchesScalarRows() {
    let scale: Float = 0.25
    for valid in 1...128 {
      let length = tileLength(valid: valid)
      let p = TestTensor(count: length, uniform: -6, 6, seed: UInt64(200 + valid))
      causalSoftmaxRow(p.pointer, valid: valid, length: length)
      let dp = TestTensor(count: length, uniform: -1, 1, seed: UInt64(400 + valid))
      let want = TestTensor(dp.array)
      softmaxRowBackward(
        want.pointer, probabilities: p.pointer, valid: valid, length: length, scale: scale)
      fusedSoftmaxRowBackward(
        dp.pointer, probabilities: p.pointer, valid: valid, length: length, scale: scale)
      XCTAssertLessThan(
        maxRelativeError(dp.array, want.array), rowBackwardTolerance, "valid \(valid)")
      XCTAssertEqual(Array(dp.array[valid...]), [Float](repeating: 0, count: length - valid))
    }
  }
}
