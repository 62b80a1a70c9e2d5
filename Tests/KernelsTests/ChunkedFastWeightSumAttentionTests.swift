import Kernels
import TestSupport
import XCTest

/// The sum-rule fast weights trained chunkwise (`chunkedLinearAttentionForward` /
/// `...Backward` with `.fastWeightSum`) against the parallel T × T kernels they replace in
/// training (`fastWeightSumAttentionForward` / `...Backward`, the references), for ragged and
/// whole chunks and several head sizes, against finite differences in float and in Double.
final class ChunkedFastWeightSumAttentionTests: XCTestCase {
  /// Both kernels compute each output and gradient as the same sums of float products in a
  /// different order (within-chunk sgemm plus a carried state, against one T-long sgemm), so
  /// they differ by float rounding, a few ulps of the tensor's largest entry times log T.
  /// 1e-5 (the bound) is 10x above that; a missing carry, a wrong mask or a dropped
  /// normalization term shows as 1e-2 or more.
  static let tolerance: Float = 1e-5

  /// (B, T, C, H): head sizes 4, 8, 16 and 32; T = 1, T below, equal to and above the chunks,
  /// and T = 33 and 100, which no chunk of 4, 16 or 64 divides (ragged last chunks).
  static let shapes = [
    (2, 1, 8, 2), (2, 7, 8, 2), (1, 33, 48, 3), (2, 64, 16, 2), (1, 100, 64, 2), (1, 50, 64, 8),
  ]
  /// c = 1 (the recurrence), middle values, and c ≥ T for every shape (the parallel form).
  static let chunks = [1, 4, 16, 64, 1000]

  /// Output and dqkv of one kernel on the same inputs and output gradient.
  struct Results {
    var out: [Float]
    var dqkv: [Float]
  }

  func reference(_ qkv: TestTensor, _ dout: TestTensor, _ b: Int, _ t: Int, _ c: Int, _ nh: Int)
    -> Results
  {
    let out = TestTensor(count: b * t * c)
    let saved = TestTensor(
      count: fastWeightSumSavedCount(batch: b, time: t, channels: c, heads: nh))
    fastWeightSumAttentionForward(
      out: out.pointer, saved: saved.pointer, qkv: qkv.pointer, batch: b, time: t,
      channels: c, heads: nh)
    let dqkv = TestTensor(count: qkv.count)
    let scratch = TestTensor(count: fastWeightSumScratchCount(time: t, headSize: c / nh))
    fastWeightSumAttentionBackward(
      dqkv: dqkv.pointer, dout: dout.pointer, saved: saved.pointer, qkv: qkv.pointer,
      scratch: scratch.pointer, batch: b, time: t, channels: c, heads: nh)
    return Results(out: out.array, dqkv: dqkv.array)
  }

  /// The chunked kernels with their saved tensors and scratch, for one shape and chunk.
  final class Chunked {
    let (b, t, c, nh, chunk): (Int, Int, Int, Int, Int)
    let out, phi, invSums, scratch: TestTensor

    init(_ b: Int, _ t: Int, _ c: Int, _ nh: Int, chunk: Int) {
      (self.b, self.t, self.c, self.nh, self.chunk) = (b, t, c, nh, chunk)
      out = TestTensor(count: b * t * c)
      phi = TestTensor(count: b * t * 2 * c)
      invSums = TestTensor(count: b * t * 2 * nh)
      scratch = TestTensor(
        count: chunkedLinearAttentionScratchCount(time: t, headSize: c / nh, chunk: chunk))
    }

    func forward(_ qkv: TestTensor) {
      chunkedLinearAttentionForward(
        out: out.pointer, phi: phi.pointer, scalars: invSums.pointer, qkv: qkv.pointer,
        scratch: scratch.pointer, batch: b, time: t, channels: c, heads: nh, chunk: chunk,
        form: .fastWeightSum)
    }

    /// Adds the gradient of `Σ out ⊙ dout` into `dqkv`; after `forward(qkv)`.
    func backward(_ qkv: TestTensor, dout: TestTensor, dqkv: TestTensor) {
      chunkedLinearAttentionBackward(
        dqkv: dqkv.pointer, dout: dout.pointer, out: out.pointer, phi: phi.pointer,
        scalars: invSums.pointer, qkv: qkv.pointer, scratch: scratch.pointer, batch: b,
        time: t, channels: c, heads: nh, chunk: chunk, form: .fastWeightSum)
    }

    func results(_ qkv: TestTensor, _ dout: TestTensor) -> Results {
      forward(qkv)
      let dqkv = TestTensor(count: qkv.count)
      backward(qkv, dout: dout, dqkv: dqkv)
      return Results(out: out.array, dqkv: dqkv.array)
    }
  }

  /// dq, dk or dv (`part` 0, 1, 2) out of a (B·T, 3C) gradient, so each is held to its own
  /// scale.
  func part(_ dqkv: [Float], _ part: Int, channels c: Int) -> [Float] {
    stride(from: 0, to: dqkv.count, by: 3 * c).flatMap {
      dqkv[($0 + part * c)..<($0 + part * c + c)]
    }
  }

  /// Output, dq, dk and dv equal the T × T kernels' within 1e-5 of each tensor's largest entry,
  /// for every shape and chunk.
  func testChunkedMatchesParallelForm() {
    var worst: Float = 0
    for (b, t, c, nh) in Self.shapes {
      let qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: UInt64(150 + t))
      let dout = TestTensor(count: b * t * c, uniform: -1, 1, seed: UInt64(160 + t))
      let want = reference(qkv, dout, b, t, c, nh)
      for chunk in Self.chunks {
        let got = Chunked(b, t, c, nh, chunk: chunk).results(qkv, dout)
        let label = "B=\(b) T=\(t) C=\(c) H=\(nh) chunk=\(chunk)"
        var errors = [("out", maxRelativeError(got.out, want.out))]
        for (i, name) in ["dq", "dk", "dv"].enumerated() {
          let error = maxRelativeError(
            part(got.dqkv, i, channels: c), part(want.dqkv, i, channels: c))
          errors.append((name, error))
        }
        print(
          "chunked fastweight_sum \(label): "
            + errors.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        for (name, error) in errors {
          XCTAssertLessThan(error, Self.tolerance, "\(name), " + label)
          worst = max(worst, error)
        }
      }
    }
    print("chunked fastweight_sum vs T x T: largest relative error \(worst)")
  }

  /// With one chunk (c ≥ T) the chunked forward runs the T × T kernel's products on the same
  /// operands, plus φ(Q)·S with S = 0: its output is the T × T kernel's bit for bit, so a
  /// model evaluated with `model.chunk` ≥ T gives exactly the loss of the T × T kernel.
  func testOneChunkIsTheParallelFormExactly() {
    for (b, t, c, nh) in Self.shapes {
      let qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: UInt64(170 + t))
      let dout = TestTensor(count: b * t * c, uniform: -1, 1, seed: 171)
      let want = reference(qkv, dout, b, t, c, nh)
      let got = Chunked(b, t, c, nh, chunk: t).results(qkv, dout)
      XCTAssertEqual(got.out, want.out, "B=\(b) T=\(t) C=\(c) H=\(nh)")
    }
  }

  /// The chunked backward against central differences of the chunked forward itself, on every
  /// entry of qkv, three chunks the last ragged.
  func testBackwardMatchesFiniteDifferences() {
    let (b, t, c, nh, chunk) = (2, 11, 8, 2, 4)
    let qkv = TestTensor(count: b * t * 3 * c, uniform: -1.5, 1.5, seed: 180)
    let projection = TestTensor(count: b * t * c, uniform: -1, 1, seed: 181)
    let kernel = Chunked(b, t, c, nh, chunk: chunk)
    kernel.forward(qkv)
    let dqkv = TestTensor(count: qkv.count)
    kernel.backward(qkv, dout: projection, dqkv: dqkv)
    // Step 1e-3: elu + 1 has a kink in its second derivative at 0.
    let check = gradientCheckError(input: qkv, analytic: dqkv.array, step: 1e-3) {
      kernel.forward(qkv)
      return projectedLoss(kernel.out, projection)
    }
    print("chunked fastweight_sum finite differences: \(check.error)")
    XCTAssertLessThan(check.error, finiteDifferenceTolerance)
  }

  /// The chunked backward against central differences in Double of the reference recurrence
  /// (`fastWeightSumAttentionReference`), which checks it to near float precision: step 1e-5
  /// leaves truncation ~1e-10 and rounding ~1e-11, so what remains is the float backward's own
  /// rounding (about 1e-7); 1e-5 as for the T × T kernel (`FastWeightSumAttentionTests`).
  func testBackwardMatchesDoubleFiniteDifferences() {
    for (b, t, c, nh, chunk) in [(2, 7, 8, 2, 3), (1, 16, 32, 2, 5)] {
      let qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: UInt64(190 + t))
      let projection = TestTensor(count: b * t * c, uniform: -1, 1, seed: 191)
      let kernel = Chunked(b, t, c, nh, chunk: chunk)
      kernel.forward(qkv)
      let dqkv = TestTensor(count: qkv.count)
      kernel.backward(qkv, dout: projection, dqkv: dqkv)
      let weights = projection.array.map(Double.init)
      let numeric = doubleFiniteDifferences(at: qkv.array.map(Double.init)) { input in
        projectedLoss(
          fastWeightSumAttentionReference(qkv: input, batch: b, time: t, channels: c, heads: nh),
          weights)
      }
      let error = maxRelativeError(dqkv.array, numeric, floor: 1e-3)
      print("chunked fastweight_sum double finite differences T=\(t) chunk=\(chunk): \(error)")
      XCTAssertLessThan(error, Self.tolerance, "T=\(t) chunk=\(chunk)")
    }
  }

  /// The backward adds into its gradient buffer rather than overwriting it: into a random
  /// buffer it gives that buffer plus the gradient, up to the rounding of the adds (each entry
  /// gets several `sgemm` contributions, so the sum is not bit-exact; 1e-5 as above).
  func testBackwardAccumulates() {
    let (b, t, c, nh) = (2, 9, 8, 2)
    let qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: 200)
    let dout = TestTensor(count: b * t * c, uniform: -1, 1, seed: 201)
    let kernel = Chunked(b, t, c, nh, chunk: 4)
    kernel.forward(qkv)
    let gradient = TestTensor(count: qkv.count)
    kernel.backward(qkv, dout: dout, dqkv: gradient)
    let dqkv = TestTensor(count: qkv.count, uniform: -1, 1, seed: 202)
    let want = zip(dqkv.array, gradient.array).map { $0 + $1 }
    kernel.backward(qkv, dout: dout, dqkv: dqkv)
    XCTAssertLessThan(maxRelativeError(dqkv.array, want), Self.tolerance)
  }
}
