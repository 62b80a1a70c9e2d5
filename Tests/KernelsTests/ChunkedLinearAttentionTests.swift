import Kernels
import TestSupport
import XCTest

/// The chunkwise linear attention kernels against the parallel T × T kernels they replace in
/// training (`linearAttentionForward` / `...Backward`, the references), for ragged and whole
/// chunks, and against finite differences.
final class ChunkedLinearAttentionTests: XCTestCase {
  /// Both kernels compute each output as the same sums of float products in a different order
  /// (within-chunk sgemm plus a carried state, against one T-long sgemm), so they differ by
  /// float rounding: measured below 1e-6 relative to the tensor's largest entry for T ≤ 100.
  /// 1e-5 (the bound) leaves a 10× margin; a missing carry or a wrong mask is 1e-1.
  static let tolerance: Float = 1e-5

  /// (B, T, C, H) shapes: T = 1, T below, equal to and above the chunks, and T = 100, which no
  /// chunk of 16 or 64 divides (a ragged last chunk).
  static let shapes = [(2, 1, 8, 2), (2, 7, 8, 2), (1, 33, 48, 3), (2, 64, 16, 2), (1, 100, 64, 2)]
  static let chunks = [1, 4, 16, 64, 1000]

  /// Forward and backward of both kernels on the same inputs and output gradient.
  struct Results {
    var out: [Float]
    var dqkv: [Float]
  }

  func reference(_ qkv: TestTensor, _ dout: TestTensor, _ b: Int, _ t: Int, _ c: Int, _ nh: Int)
    -> Results
  {
    let out = TestTensor(count: b * t * c)
    let phi = TestTensor(count: b * t * 2 * c)
    let att = TestTensor(count: b * nh * t * t)
    linearAttentionForward(
      out: out.pointer, phi: phi.pointer, att: att.pointer, qkv: qkv.pointer, batch: b, time: t,
      channels: c, heads: nh)
    let dqkv = TestTensor(count: qkv.count)
    let scratch = TestTensor(count: linearAttentionScratchCount(time: t, headSize: c / nh))
    linearAttentionBackward(
      dqkv: dqkv.pointer, dout: dout.pointer, out: out.pointer, phi: phi.pointer,
      att: att.pointer, qkv: qkv.pointer, scratch: scratch.pointer, batch: b, time: t,
      channels: c, heads: nh)
    return Results(out: out.array, dqkv: dqkv.array)
  }

  func chunked(
    _ qkv: TestTensor, _ dout: TestTensor, _ b: Int, _ t: Int, _ c: Int, _ nh: Int, chunk: Int
  ) -> Results {
    let out = TestTensor(count: b * t * c)
    let phi = TestTensor(count: b * t * 2 * c)
    let den = TestTensor(count: b * t * nh)
    let scratch = TestTensor(
      count: chunkedLinearAttentionScratchCount(time: t, headSize: c / nh, chunk: chunk))
    chunkedLinearAttentionForward(
      out: out.pointer, phi: phi.pointer, scalars: den.pointer, qkv: qkv.pointer,
      scratch: scratch.pointer, batch: b, time: t, channels: c, heads: nh, chunk: chunk,
      form: .linear)
    let dqkv = TestTensor(count: qkv.count)
    chunkedLinearAttentionBackward(
      dqkv: dqkv.pointer, dout: dout.pointer, out: out.pointer, phi: phi.pointer,
      scalars: den.pointer, qkv: qkv.pointer, scratch: scratch.pointer, batch: b, time: t,
      channels: c, heads: nh, chunk: chunk, form: .linear)
    return Results(out: out.array, dqkv: dqkv.array)
  }

  /// Output and every gradient (dq, dk, dv of every head) equal the T × T kernels' for every
  /// shape and chunk.
  func testChunkedMatchesParallelForm() {
    for (b, t, c, nh) in Self.shapes {
      let qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: UInt64(50 + t))
      let dout = TestTensor(count: b * t * c, uniform: -1, 1, seed: UInt64(60 + t))
      let want = reference(qkv, dout, b, t, c, nh)
      for chunk in Self.chunks {
        let got = chunked(qkv, dout, b, t, c, nh, chunk: chunk)
        let (forward, backward) = (
          maxRelativeError(got.out, want.out), maxRelativeError(got.dqkv, want.dqkv)
        )
        let label = "B=\(b) T=\(t) C=\(c) H=\(nh) chunk=\(chunk)"
        print("chunked linear \(label): out \(forward), dqkv \(backward)")
        XCTAssertLessThan(forward, Self.tolerance, "out, " + label)
        XCTAssertLessThan(backward, Self.tolerance, "dqkv, " + label)
      }
    }
  }

  /// The chunked backward against central differences of the chunked forward itself.
  func testBackwardMatchesFiniteDifferences() {
    let (b, t, c, nh, chunk) = (2, 11, 8, 2, 4)
    let qkv = TestTensor(count: b * t * 3 * c, uniform: -1.5, 1.5, seed: 70)
    let projection = TestTensor(count: b * t * c, uniform: -1, 1, seed: 71)
    let out = TestTensor(count: b * t * c)
    let phi = TestTensor(count: b * t * 2 * c)
    let den = TestTensor(count: b * t * nh)
    let scratch = TestTensor(
      count: chunkedLinearAttentionScratchCount(time: t, headSize: c / nh, chunk: chunk))
    func forward() -> Double {
      chunkedLinearAttentionForward(
        out: out.pointer, phi: phi.pointer, scalars: den.pointer, qkv: qkv.pointer,
        scratch: scratch.pointer, batch: b, time: t, channels: c, heads: nh, chunk: chunk,
        form: .linear)
      return projectedLoss(out, projection)
    }
    _ = forward()
    let dqkv = TestTensor(count: qkv.count)
    chunkedLinearAttentionBackward(
      dqkv: dqkv.pointer, dout: projection.pointer, out: out.pointer, phi: phi.pointer,
      scalars: den.pointer, qkv: qkv.pointer, scratch: scratch.pointer, batch: b, time: t,
      channels: c, heads: nh, chunk: chunk, form: .linear)
    // Step 1e-3: the elu+1 feature map has a kink in its second derivative at 0.
    let check = gradientCheckError(input: qkv, analytic: dqkv.array, step: 1e-3, loss: forward)
    print("chunked linear finite differences: \(check.error)")
    XCTAssertLessThan(check.error, finiteDifferenceTolerance)
  }
}
