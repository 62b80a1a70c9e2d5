import Kernels
import TestSupport
import XCTest

final class FastWeightAttentionTests: XCTestCase {
  /// Parallel form (float sgemm, triangular solve and multiply) and the float step against the
  /// Double recurrence. Every output is a sum of ≤ T·hs products of φ entries (each in (0, 1))
  /// with values |v| ≤ 2, and the solve's matrix I + A has |A[t, s]| ≤ β_t·|k_t|·|k_s| < 1, so
  /// the float error stays a few ulps of the largest output times the solve's growth; measured
  /// below 3e-7 up to T = 33. 1e-5 leaves a 30× margin, while a wrong sign in A or a dropped
  /// diagonal shows as errors of 1e-2 or more.
  static let forwardTolerance: Float = 1e-5

  /// Analytic float gradients against central differences of the Double reference with step
  /// 1e-5: truncation ~1e-10 and rounding ~1e-16 / 1e-5 = 1e-11, so the error is the float
  /// backward's own rounding, measured about 2e-7 relative to the gradient's scale (T ≤ 16).
  /// 1e-5 leaves a 50× margin; each wrong or missing term tried in the backward showed as
  /// 1e-2 or more.
  static let doubleGradientTolerance: Float = 1e-5

  /// Random inputs: q, k in (−2, 2) so φ sees both branches of elu and normalizes unequal
  /// entries; v in (−2, 2); β logits in (−3, 3), so β spans (0.05, 0.95).
  struct Inputs {
    let b: Int, t: Int, c: Int, nh: Int
    let qkv: TestTensor
    let logits: TestTensor
    init(_ b: Int, _ t: Int, _ c: Int, _ nh: Int, seed: UInt64) {
      (self.b, self.t, self.c, self.nh) = (b, t, c, nh)
      qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: seed)
      logits = TestTensor(count: b * t * nh, uniform: -3, 3, seed: seed + 1)
    }
  }

  /// The forward's output and saved activations.
  final class Forward {
    let out, saved: TestTensor
    init(_ x: Inputs) {
      out = TestTensor(count: x.b * x.t * x.c)
      saved = TestTensor(
        count: fastWeightSavedCount(batch: x.b, time: x.t, channels: x.c, heads: x.nh))
      run(x)
    }
    func run(_ x: Inputs) {
      fastWeightAttentionForward(
        out: out.pointer, saved: saved.pointer, qkv: x.qkv.pointer,
        betaLogits: x.logits.pointer, batch: x.b, time: x.t, channels: x.c, heads: x.nh)
    }
    /// Adds the gradients of `Σ out ⊙ dout` into `dqkv` and `dlogits`.
    func backward(_ x: Inputs, dout: TestTensor, dqkv: TestTensor, dlogits: TestTensor) {
      let scratch = TestTensor(count: fastWeightScratchCount(time: x.t, headSize: x.c / x.nh))
      fastWeightAttentionBackward(
        dqkv: dqkv.pointer, dbetaLogits: dlogits.pointer, dout: dout.pointer,
        saved: saved.pointer, qkv: x.qkv.pointer, betaLogits: x.logits.pointer,
        scratch: scratch.pointer, batch: x.b, time: x.t, channels: x.c, heads: x.nh)
    }
  }

  func reference(_ x: Inputs) -> [Float] {
    fastWeightAttentionReference(
      qkv: x.qkv.array.map(Double.init), betaLogits: x.logits.array.map(Double.init), batch: x.b,
      time: x.t, channels: x.c, heads: x.nh
    ).map(Float.init)
  }

  func stepped(_ x: Inputs) -> [Float] {
    let out = TestTensor(count: x.b * x.t * x.c)
    for bi in 0..<x.b {
      let state = TestTensor(count: fastWeightStateCount(channels: x.c, heads: x.nh))
      for ti in 0..<x.t {
        let row = bi * x.t + ti
        fastWeightAttentionStep(
          out: out.pointer + row * x.c, state: state.pointer, qkv: x.qkv.pointer + row * 3 * x.c,
          betaLogits: x.logits.pointer + row * x.nh, channels: x.c, heads: x.nh)
      }
    }
    return out.array
  }

  /// The parallel (training) form, the Double recurrence and the generation step all agree.
  func testParallelEqualsRecurrenceAndStep() {
    for (b, t, c, nh) in [(2, 7, 8, 2), (2, 32, 64, 4), (1, 33, 48, 3)] {
      let x = Inputs(b, t, c, nh, seed: UInt64(10 + t))
      let want = reference(x)
      let parallel = maxRelativeError(Forward(x).out.array, want)
      let step = maxRelativeError(stepped(x), want)
      print("fastweight B=\(b) T=\(t) C=\(c) H=\(nh): parallel \(parallel), step \(step)")
      XCTAssertLessThan(parallel, Self.forwardTolerance, "parallel, T=\(t)")
      XCTAssertLessThan(step, Self.forwardTolerance, "step, T=\(t)")
    }
  }

  /// The backward against central differences of the float forward itself, on every entry of
  /// qkv and betaLogits, with the project's step and tolerance (`finiteDifferenceTolerance`).
  func testBackwardMatchesFiniteDifferencesOfForward() {
    let x = Inputs(2, 7, 8, 2, seed: 20)
    let projection = TestTensor(count: x.b * x.t * x.c, uniform: -1, 1, seed: 22)
    let forward = Forward(x)
    let dqkv = TestTensor(count: x.qkv.count)
    let dlogits = TestTensor(count: x.logits.count)
    forward.backward(x, dout: projection, dqkv: dqkv, dlogits: dlogits)
    func loss() -> Double {
      forward.run(x)
      return projectedLoss(forward.out, projection)
    }
    for (name, input, grad) in [("qkv", x.qkv, dqkv), ("betaLogits", x.logits, dlogits)] {
      let check = gradientCheckError(input: input, analytic: grad.array, loss: loss)
      print("fastweight float finite differences d\(name): \(check.error)")
      XCTAssertLessThan(check.error, finiteDifferenceTolerance, "d\(name)")
    }
  }

  /// The backward against central differences in Double of the reference recurrence, on every
  /// entry of qkv and betaLogits, which checks it to near float precision.
  func testBackwardMatchesDoubleFiniteDifferences() {
    for (b, t, c, nh) in [(2, 7, 8, 2), (1, 16, 32, 2)] {
      let x = Inputs(b, t, c, nh, seed: UInt64(30 + t))
      let projection = TestTensor(count: b * t * c, uniform: -1, 1, seed: 32)
      let dqkv = TestTensor(count: x.qkv.count)
      let dlogits = TestTensor(count: x.logits.count)
      Forward(x).backward(x, dout: projection, dqkv: dqkv, dlogits: dlogits)

      let (qkv, logits) = (x.qkv.array.map(Double.init), x.logits.array.map(Double.init))
      let weights = projection.array.map(Double.init)
      func loss(_ qkv: [Double], _ logits: [Double]) -> Double {
        let out = fastWeightAttentionReference(
          qkv: qkv, betaLogits: logits, batch: b, time: t, channels: c, heads: nh)
        return projectedLoss(out, weights)
      }
      let numericQKV = doubleFiniteDifferences(at: qkv) { loss($0, logits) }
      let numericLogits = doubleFiniteDifferences(at: logits) { loss(qkv, $0) }
      let errors = [
        ("qkv", maxRelativeError(dqkv.array, numericQKV, floor: 1e-3)),
        ("betaLogits", maxRelativeError(dlogits.array, numericLogits, floor: 1e-3)),
      ]
      for (name, error) in errors {
        print("fastweight double finite differences T=\(t) C=\(c) d\(name): \(error)")
        XCTAssertLessThan(error, Self.doubleGradientTolerance, "d\(name), T=\(t)")
      }
    }
  }

  /// The backward adds into its gradient buffers rather than overwriting them.
  func testBackwardAccumulates() {
    let x = Inputs(2, 7, 8, 2, seed: 40)
    let projection = TestTensor(count: x.b * x.t * x.c, uniform: -1, 1, seed: 42)
    let forward = Forward(x)
    let dqkv = TestTensor(count: x.qkv.count)
    let dlogits = TestTensor(count: x.logits.count)
    forward.backward(x, dout: projection, dqkv: dqkv, dlogits: dlogits)
    let once = (dqkv.array, dlogits.array)
    forward.backward(x, dout: projection, dqkv: dqkv, dlogits: dlogits)
    XCTAssertEqual(dqkv.array, once.0.map { 2 * $0 })
    XCTAssertEqual(dlogits.array, once.1.map { 2 * $0 })
  }

  /// β = 0 never writes to the fast weights, so the output is zero; the step agrees.
  func testZeroBetaGivesZeroOutput() {
    let x = Inputs(2, 9, 8, 2, seed: 50)
    for i in 0..<x.logits.count { x.logits[i] = -100 }  // sigmoid(−100) ≈ 4e-44 → β ≈ 0
    let out = Forward(x).out.array
    XCTAssertLessThan(out.map(abs).max() ?? 1, 1e-30)
    XCTAssertLessThan(stepped(x).map(abs).max() ?? 1, 1e-30)
  }

  /// The delta rule replaces, where linear attention would add: with β = 1 and (nearly)
  /// one-hot keys, writing a key twice keeps only the latest value, and writing another key
  /// leaves it alone. Linear attention would return a + b at t = 1.
  func testDeltaRuleOverwritesValue() {
    let (t, c) = (3, 4)
    let x = Inputs(1, t, c, 1, seed: 60)
    let hot: Float = 30  // φ of (30, −30, −30, −30) is e₀ within 1e-13
    let keys = [0, 0, 1]
    let values: [[Float]] = [[1, 2, 3, 4], [-5, 6, 0.5, 2], [7, -8, 9, 1]]
    for ti in 0..<t {
      for j in 0..<c {
        x.qkv[ti * 3 * c + j] = j == 0 ? hot : -hot  // query e₀
        x.qkv[ti * 3 * c + c + j] = j == keys[ti] ? hot : -hot
        x.qkv[ti * 3 * c + 2 * c + j] = values[ti][j]
      }
      x.logits[ti] = hot  // β = 1 in float
    }
    let want = values[0] + values[1] + values[1]
    XCTAssertLessThan(maxRelativeError(Forward(x).out.array, want), Self.forwardTolerance)
    XCTAssertLessThan(maxRelativeError(stepped(x), want), Self.forwardTolerance)
  }
}
