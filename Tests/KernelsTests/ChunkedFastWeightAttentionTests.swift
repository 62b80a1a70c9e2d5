import Kernels
import TestSupport
import XCTest

/// The chunkwise delta rule against the T × T kernels it replaces in training
/// (`fastWeightAttentionForward` / `...Backward`, the references), for ragged and whole chunks,
/// and against finite differences.
final class ChunkedFastWeightAttentionTests: XCTestCase {
  /// The chunked and T × T forms solve the same triangular systems in blocks instead of whole,
  /// so they differ by float rounding only: measured below 1e-6 relative to the tensor's
  /// largest entry for T ≤ 100. 1e-5 (the bound) leaves a 10× margin; a wrong sign in
  /// the state's correction K·Wᵀ or a missing dW carry shows as 1e-2 or more.
  static let tolerance: Float = 1e-5

  static let shapes = [(2, 1, 8, 2), (2, 7, 8, 2), (1, 33, 48, 3), (2, 64, 16, 2), (1, 100, 64, 2)]
  static let chunks = [1, 4, 16, 64, 1000]

  struct Results {
    var out: [Float]
    var dqkv: [Float]
    var dlogits: [Float]
  }

  func reference(
    _ qkv: TestTensor, _ logits: TestTensor, _ dout: TestTensor, _ b: Int, _ t: Int, _ c: Int,
    _ nh: Int
  ) -> Results {
    let out = TestTensor(count: b * t * c)
    let saved = TestTensor(count: fastWeightSavedCount(batch: b, time: t, channels: c, heads: nh))
    fastWeightAttentionForward(
      out: out.pointer, saved: saved.pointer, qkv: qkv.pointer, betaLogits: logits.pointer,
      batch: b, time: t, channels: c, heads: nh)
    let dqkv = TestTensor(count: qkv.count)
    let dlogits = TestTensor(count: logits.count)
    let scratch = TestTensor(count: fastWeightScratchCount(time: t, headSize: c / nh))
    fastWeightAttentionBackward(
      dqkv: dqkv.pointer, dbetaLogits: dlogits.pointer, dout: dout.pointer,
      saved: saved.pointer, qkv: qkv.pointer, betaLogits: logits.pointer,
      scratch: scratch.pointer, batch: b, time: t, channels: c, heads: nh)
    return Results(out: out.array, dqkv: dqkv.array, dlogits: dlogits.array)
  }

  /// The chunked kernels with their own buffers.
  final class Chunked {
    let (b, t, c, nh, chunk): (Int, Int, Int, Int, Int)
    let out, saved, scratch: TestTensor
    init(_ b: Int, _ t: Int, _ c: Int, _ nh: Int, chunk: Int) {
      (self.b, self.t, self.c, self.nh, self.chunk) = (b, t, c, nh, chunk)
      out = TestTensor(count: b * t * c)
      saved = TestTensor(
        count: chunkedFastWeightSavedCount(batch: b, time: t, channels: c, heads: nh))
      scratch = TestTensor(
        count: chunkedFastWeightScratchCount(time: t, headSize: c / nh, chunk: chunk))
    }
    func forward(_ qkv: TestTensor, _ logits: TestTensor) {
      chunkedFastWeightAttentionForward(
        out: out.pointer, saved: saved.pointer, qkv: qkv.pointer, betaLogits: logits.pointer,
        scratch: scratch.pointer, batch: b, time: t, channels: c, heads: nh, chunk: chunk)
    }
    func backward(_ qkv: TestTensor, _ logits: TestTensor, _ dout: TestTensor) -> Results {
      let dqkv = TestTensor(count: qkv.count)
      let dlogits = TestTensor(count: logits.count)
      chunkedFastWeightAttentionBackward(
        dqkv: dqkv.pointer, dbetaLogits: dlogits.pointer, dout: dout.pointer,
        saved: saved.pointer, qkv: qkv.pointer, betaLogits: logits.pointer,
        scratch: scratch.pointer, batch: b, time: t, channels: c, heads: nh, chunk: chunk)
      return Results(out: out.array, dqkv: dqkv.array, dlogits: dlogits.array)
    }
  }

  /// Output, dqkv and dβ-logits equal the T × T kernels' for every shape and chunk. Inputs as
  /// in FastWeightAttentionTests: q, k, v in (−2, 2), β logits in (−3, 3).
  func testChunkedMatchesParallelForm() {
    for (b, t, c, nh) in Self.shapes {
      let qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: UInt64(80 + t))
      let logits = TestTensor(count: b * t * nh, uniform: -3, 3, seed: UInt64(90 + t))
      let dout = TestTensor(count: b * t * c, uniform: -1, 1, seed: UInt64(100 + t))
      let want = reference(qkv, logits, dout, b, t, c, nh)
      for chunk in Self.chunks {
        let kernels = Chunked(b, t, c, nh, chunk: chunk)
        kernels.forward(qkv, logits)
        let got = kernels.backward(qkv, logits, dout)
        let errors = [
          maxRelativeError(got.out, want.out), maxRelativeError(got.dqkv, want.dqkv),
          maxRelativeError(got.dlogits, want.dlogits),
        ]
        let label = "B=\(b) T=\(t) C=\(c) H=\(nh) chunk=\(chunk)"
        print("chunked fastweight \(label): out, dqkv, dlogits \(errors)")
        for (name, error) in zip(["out", "dqkv", "dlogits"], errors) {
          XCTAssertLessThan(error, Self.tolerance, name + ", " + label)
        }
      }
    }
  }

  /// The chunked backward against central differences of the chunked forward itself, on
  /// every entry of qkv and the β logits.
  func testBackwardMatchesFiniteDifferences() {
    let (b, t, c, nh) = (2, 11, 8, 2)
    let qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: 110)
    let logits = TestTensor(count: b * t * nh, uniform: -3, 3, seed: 111)
    let projection = TestTensor(count: b * t * c, uniform: -1, 1, seed: 112)
    let kernels = Chunked(b, t, c, nh, chunk: 4)
    kernels.forward(qkv, logits)
    let got = kernels.backward(qkv, logits, projection)
    func loss() -> Double {
      kernels.forward(qkv, logits)
      return projectedLoss(kernels.out, projection)
    }
    for (name, input, grad) in [("qkv", qkv, got.dqkv), ("betaLogits", logits, got.dlogits)] {
      let check = gradientCheckError(input: input, analytic: grad, loss: loss)
      print("chunked fastweight finite differences d\(name): \(check.error)")
      XCTAssertLessThan(check.error, finiteDifferenceTolerance, "d\(name)")
    }
  }
}
