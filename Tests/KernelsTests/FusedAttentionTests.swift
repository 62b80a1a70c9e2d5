import Kernels
import TestSupport
import XCTest

/// The BLAS-free softmax attention (FusedSoftmaxAttention.swift) against the Double reference,
/// finite differences, and the per-head sgemm path it replaces.
final class FusedAttentionTests: XCTestCase {
  /// Shapes the fused kernel takes: head sizes of one and two vectors, several 8-row tiles.
  let shapes = [
    (b: 2, t: 48, c: 32, nh: 2), (b: 2, t: 32, c: 64, nh: 2), (b: 1, t: 128, c: 64, nh: 1),
  ]

  func testShapesTakeTheFusedPath() {
    XCTAssertTrue(fusedAttentionApplies(time: 128, headSize: 32))
    XCTAssertTrue(fusedAttentionApplies(time: 16, headSize: 16))
    XCTAssertFalse(fusedAttentionApplies(time: 21, headSize: 32))
    XCTAssertFalse(fusedAttentionApplies(time: 48, headSize: 8))
  }

  func testForwardMatchesReference() {
    for (b, t, c, nh) in shapes {
      let qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: 60)
      let out = TestTensor(count: b * t * c, value: .nan)
      let att = TestTensor(count: b * nh * t * t, value: .nan)  // stale values must not leak
      softmaxAttentionForward(
        out: out.pointer, att: att.pointer, qkv: qkv.pointer, batch: b, time: t, channels: c,
        heads: nh)
      let want = Reference.softmaxAttention(qkv.array, batch: b, time: t, channels: c, heads: nh)
      let error = maxRelativeError(out.array, want)
      XCTAssertLessThan(error, attentionTolerance, "T \(t), C \(c), H \(nh)")
    }
  }

  func testBackwardByFiniteDifferences() {
    let (b, t, c, nh) = (1, 16, 32, 2)
    let qkv = TestTensor(count: b * t * 3 * c, uniform: -1, 1, seed: 61)
    let projection = TestTensor(count: b * t * c, uniform: -1, 1, seed: 62)
    let out = TestTensor(count: b * t * c)
    let att = TestTensor(count: b * nh * t * t, value: .nan)
    func forward() -> Double {
      softmaxAttentionForward(
        out: out.pointer, att: att.pointer, qkv: qkv.pointer, batch: b, time: t, channels: c,
        heads: nh)
      return projectedLoss(out, projection)
    }
    _ = forward()
    let dqkv = TestTensor(count: b * t * 3 * c, value: .nan)  // written, not added to
    let scratch = TestTensor(count: softmaxAttentionScratchCount(time: t), value: .nan)
    softmaxAttentionBackward(
      dqkv: dqkv.pointer, dout: projection.pointer, att: att.pointer, qkv: qkv.pointer,
      scratch: scratch.pointer, batch: b, time: t, channels: c, heads: nh, accumulate: false)
    let check = gradientCheckError(input: qkv, analytic: dqkv.array, loss: forward)
    XCTAssertLessThan(check.error, finiteDifferenceTolerance)
  }

  /// Fused and per-head sgemm backward agree on every shape, written and accumulated.
  func testBackwardMatchesSgemmPath() {
    for (b, t, c, nh) in shapes {
      let qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: 63)
      let dout = TestTensor(count: b * t * c, uniform: -1, 1, seed: 64)
      let start = TestTensor(count: b * t * 3 * c, uniform: -1, 1, seed: 65)
      func gradients(fused: Bool) -> [Float] {
        let out = TestTensor(count: b * t * c)
        let att = TestTensor(count: b * nh * t * t, value: .nan)
        let scratch = TestTensor(count: softmaxAttentionScratchCount(time: t), value: .nan)
        let dqkv = TestTensor(start.array)
        softmaxAttentionForward(
          out: out.pointer, att: att.pointer, qkv: qkv.pointer, batch: b, time: t, channels: c,
          heads: nh, fused: fused)
        softmaxAttentionBackward(
          dqkv: dqkv.pointer, dout: dout.pointer, att: att.pointer, qkv: qkv.pointer,
          scratch: scratch.pointer, batch: b, time: t, channels: c, heads: nh, fused: fused)
        return dqkv.array
      }
      let error = maxRelativeError(gradients(fused: true), gradients(fused: false))
      XCTAssertLessThan(error, attentionTolerance, "T \(t), C \(c), H \(nh)")
    }
  }
}
