import Kernels
import TestSupport
import XCTest

/// Attention in float with sgemm against a Double reference, over sums of ≤ 16 terms and one
/// softmax: a few float ulps, with headroom for the normalization by small denominators.
let attentionTolerance: Float = 2e-5

final class AttentionTests: XCTestCase {
  let (b, t, c, nh) = (2, 5, 8, 2)

  func testSoftmaxAttentionMatchesReference() {
    let qkv = TestTensor(count: b * t * 3 * c, uniform: -1, 1, seed: 40)
    let out = TestTensor(count: b * t * c)
    let att = TestTensor(count: b * nh * t * t)
    softmaxAttentionForward(
      out: out.pointer, att: att.pointer, qkv: qkv.pointer, batch: b,
      time: t, channels: c, heads: nh)
    let want = Reference.softmaxAttention(qkv.array, batch: b, time: t, channels: c, heads: nh)
    XCTAssertLessThan(maxRelativeError(out.array, want), attentionTolerance)
  }

  /// Several causal blocks, one of them partial, with rows that are not whole vectors.
  func testBlockedSoftmaxAttention() {
    let (b, t, c, nh) = (1, 21, 8, 2)
    let qkv = TestTensor(count: b * t * 3 * c, uniform: -1, 1, seed: 46)
    let projection = TestTensor(count: b * t * c, uniform: -1, 1, seed: 47)
    let out = TestTensor(count: b * t * c)
    let att = TestTensor(count: b * nh * t * t, value: .nan)  // stale values must not leak
    func forward() -> Double {
      softmaxAttentionForward(
        out: out.pointer, att: att.pointer, qkv: qkv.pointer, batch: b, time: t, channels: c,
        heads: nh, blockRows: 8)
      return projectedLoss(out, projection)
    }
    _ = forward()
    let want = Reference.softmaxAttention(qkv.array, batch: b, time: t, channels: c, heads: nh)
    XCTAssertLessThan(maxRelativeError(out.array, want), attentionTolerance)
    let dqkv = TestTensor(count: b * t * 3 * c)
    let scratch = TestTensor(count: softmaxAttentionScratchCount(time: t), value: .nan)
    softmaxAttentionBackward(
      dqkv: dqkv.pointer, dout: projection.pointer, att: att.pointer, qkv: qkv.pointer,
      scratch: scratch.pointer, batch: b, time: t, channels: c, heads: nh, blockRows: 8)
    let check = gradientCheckError(input: qkv, analytic: dqkv.array, loss: forward)
    XCTAssertLessThan(check.error, finiteDifferenceTolerance)
  }

  /// Rows of whole vectors take the masked vector path of the row softmax and its backward.
  func testSoftmaxAttentionVectorPath() {
    let (b, t, c, nh) = (2, 48, 16, 2)
    let qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: 48)
    let out = TestTensor(count: b * t * c)
    let att = TestTensor(count: b * nh * t * t)
    softmaxAttentionForward(
      out: out.pointer, att: att.pointer, qkv: qkv.pointer, batch: b, time: t, channels: c,
      heads: nh)
    let want = Reference.softmaxAttention(qkv.array, batch: b, time: t, channels: c, heads: nh)
    XCTAssertLessThan(maxRelativeError(out.array, want), attentionTolerance)
    for row in [0, 15, 16, 47] {  // each probability row sums to 1 and is 0 in the future
      let p = Array(att.array[(row * t)..<((row + 1) * t)])
      XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-5, "row \(row)")
      XCTAssertEqual(p[(row + 1)...].reduce(0) { $0 + abs($1) }, 0, "row \(row)")
    }
  }

  func testSoftmaxAttentionBackward() {
    let qkv = TestTensor(count: b * t * 3 * c, uniform: -1, 1, seed: 41)
    let projection = TestTensor(count: b * t * c, uniform: -1, 1, seed: 42)
    let out = TestTensor(count: b * t * c)
    let att = TestTensor(count: b * nh * t * t)
    func forward() -> Double {
      softmaxAttentionForward(
        out: out.pointer, att: att.pointer, qkv: qkv.pointer, batch: b,
        time: t, channels: c, heads: nh)
      return projectedLoss(out, projection)
    }
    _ = forward()
    let dqkv = TestTensor(count: b * t * 3 * c)
    let scratch = TestTensor(count: softmaxAttentionScratchCount(time: t))
    softmaxAttentionBackward(
      dqkv: dqkv.pointer, dout: projection.pointer, att: att.pointer,
      qkv: qkv.pointer, scratch: scratch.pointer, batch: b, time: t, channels: c, heads: nh)
    let check = gradientCheckError(input: qkv, analytic: dqkv.array, loss: forward)
    XCTAssertLessThan(check.error, finiteDifferenceTolerance)
  }

  /// The parallel (training) form, the Double recurrence and the generation step all agree.
  func testLinearAttentionParallelEqualsRecurrence() {
    let (b, t, c, nh) = (2, 33, 16, 2)
    let qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: 43)
    let out = TestTensor(count: b * t * c)
    let phi = TestTensor(count: b * t * 2 * c)
    let att = TestTensor(count: b * nh * t * t)
    linearAttentionForward(
      out: out.pointer, phi: phi.pointer, att: att.pointer,
      qkv: qkv.pointer, batch: b, time: t, channels: c, heads: nh)
    let recurrence = Reference.linearAttention(
      qkv.array, batch: b, time: t, channels: c,
      heads: nh)
    XCTAssertLessThan(maxRelativeError(out.array, recurrence), attentionTolerance)
    let stepped = TestTensor(count: b * t * c)
    for bi in 0..<b {
      let state = TestTensor(count: linearAttentionStateCount(channels: c, heads: nh))
      for ti in 0..<t {
        linearAttentionStep(
          out: stepped.pointer + (bi * t + ti) * c, state: state.pointer,
          qkv: qkv.pointer + (bi * t + ti) * 3 * c, channels: c, heads: nh)
      }
    }
    XCTAssertLessThan(maxRelativeError(stepped.array, recurrence), attentionTolerance)
  }

  func testLinearAttentionBackward() {
    let qkv = TestTensor(count: b * t * 3 * c, uniform: -1.5, 1.5, seed: 44)
    let projection = TestTensor(count: b * t * c, uniform: -1, 1, seed: 45)
    let out = TestTensor(count: b * t * c)
    let phi = TestTensor(count: b * t * 2 * c)
    let att = TestTensor(count: b * nh * t * t)
    func forward() -> Double {
      linearAttentionForward(
        out: out.pointer, phi: phi.pointer, att: att.pointer,
        qkv: qkv.pointer, batch: b, time: t, channels: c, heads: nh)
      return projectedLoss(out, projection)
    }
    _ = forward()
    let dqkv = TestTensor(count: b * t * 3 * c)
    let scratch = TestTensor(count: linearAttentionScratchCount(time: t, headSize: c / nh))
    linearAttentionBackward(
      dqkv: dqkv.pointer, dout: projection.pointer, out: out.pointer,
      phi: phi.pointer, att: att.pointer, qkv: qkv.pointer, scratch: scratch.pointer, batch: b,
      time: t, channels: c, heads: nh)
    // Step 1e-3: the elu+1 feature map has a kink in its second derivative at 0.
    let check = gradientCheckError(input: qkv, analytic: dqkv.array, step: 1e-3, loss: forward)
    XCTAssertLessThan(check.error, finiteDifferenceTolerance)
  }
}

final class AttentionStepTests: XCTestCase {
  /// Token-by-token attention with a key/value cache equals the parallel form.
  func testSoftmaxStepMatchesParallelForm() {
    let (t, c, nh) = (19, 16, 4)
    let qkv = TestTensor(count: t * 3 * c, uniform: -1.5, 1.5, seed: 50)
    let out = TestTensor(count: t * c)
    let att = TestTensor(count: nh * t * t)
    softmaxAttentionForward(
      out: out.pointer, att: att.pointer, qkv: qkv.pointer, batch: 1, time: t, channels: c,
      heads: nh)
    let (keys, values) = (TestTensor(count: t * c), TestTensor(count: t * c))
    let (scores, stepped) = (TestTensor(count: t), TestTensor(count: t * c))
    for position in 0..<t {
      softmaxAttentionStep(
        out: stepped.pointer + position * c, keys: keys.pointer, values: values.pointer,
        scores: scores.pointer, qkv: qkv.pointer + position * 3 * c, position: position,
        channels: c, heads: nh)
    }
    XCTAssertLessThan(maxRelativeError(stepped.array, out.array), attentionTolerance)
  }
}
