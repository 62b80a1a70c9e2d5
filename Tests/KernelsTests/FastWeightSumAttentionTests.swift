import Kernels
import TestSupport
import XCTest

final class FastWeightSumAttentionTests: XCTestCase {
  /// Parallel form (two float sgemm) and the float step against the Double recurrence. Every
  /// output is a sum of ≤ T·hs products of φ entries (each in (0, 1)) with values |v| ≤ 2, so
  /// float rounding stays a few ulps of the largest output times log T; 1e-5 leaves a wide
  /// margin, while a dropped diagonal or an unmasked future key shows as 1e-2 or more.
  static let forwardTolerance: Float = 1e-5

  /// Analytic float gradients against central differences of the Double reference with step
  /// 1e-5: truncation ~1e-10 and rounding ~1e-11, so what remains is the float backward's own
  /// rounding (about 1e-7 of the gradient's scale). 1e-5 leaves a wide margin; a missing term
  /// (the ⟨dφ, φ⟩ of the normalization, dV) shows as 1e-2 or more.
  static let doubleGradientTolerance: Float = 1e-5

  /// Random qkv in (−2, 2): φ sees both branches of elu and normalizes unequal entries.
  struct Inputs {
    let b: Int, t: Int, c: Int, nh: Int
    let qkv: TestTensor
    init(_ b: Int, _ t: Int, _ c: Int, _ nh: Int, seed: UInt64) {
      (self.b, self.t, self.c, self.nh) = (b, t, c, nh)
      qkv = TestTensor(count: b * t * 3 * c, uniform: -2, 2, seed: seed)
    }
  }

  /// The forward's output and saved activations.
  final class Forward {
    let out, saved: TestTensor
    init(_ x: Inputs) {
      out = TestTensor(count: x.b * x.t * x.c)
      saved = TestTensor(
        count: fastWeightSumSavedCount(batch: x.b, time: x.t, channels: x.c, heads: x.nh))
      run(x)
    }
    func run(_ x: Inputs) {
      fastWeightSumAttentionForward(
        out: out.pointer, saved: saved.pointer, qkv: x.qkv.pointer, batch: x.b, time: x.t,
        channels: x.c, heads: x.nh)
    }
    /// Adds the gradient of `Σ out ⊙ dout` into `dqkv`.
    func backward(_ x: Inputs, dout: TestTensor, dqkv: TestTensor) {
      let scratch = TestTensor(count: fastWeightSumScratchCount(time: x.t, headSize: x.c / x.nh))
      fastWeightSumAttentionBackward(
        dqkv: dqkv.pointer, dout: dout.pointer, saved: saved.pointer, qkv: x.qkv.pointer,
        scratch: scratch.pointer, batch: x.b, time: x.t, channels: x.c, heads: x.nh)
    }
  }

  func reference(_ x: Inputs) -> [Float] {
    fastWeightSumAttentionReference(
      qkv: x.qkv.array.map(Double.init), batch: x.b, time: x.t, channels: x.c, heads: x.nh
    ).map(Float.init)
  }

  func stepped(_ x: Inputs) -> [Float] {
    let out = TestTensor(count: x.b * x.t * x.c)
    for bi in 0..<x.b {
      let state = TestTensor(count: fastWeightSumStateCount(channels: x.c, heads: x.nh))
      for ti in 0..<x.t {
        let row = bi * x.t + ti
        fastWeightSumAttentionStep(
          out: out.pointer + row * x.c, state: state.pointer,
          qkv: x.qkv.pointer + row * 3 * x.c, channels: x.c, heads: x.nh)
      }
    }
    return out.array
  }

  /// The parallel (training) form, the Double recurrence and the generation step all agree.
  func testParallelEqualsRecurrenceAndStep() {
    for (b, t, c, nh) in [(2, 7, 8, 2), (2, 32, 64, 4), (1, 33, 48, 3)] {
      let x = Inputs(b, t, c, nh, seed: UInt64(110 + t))
      let want = reference(x)
      let parallel = maxRelativeError(Forward(x).out.array, want)
      let step = maxRelativeError(stepped(x), want)
      print("fastweight_sum B=\(b) T=\(t) C=\(c) H=\(nh): parallel \(parallel), step \(step)")
      XCTAssertLessThan(parallel, Self.forwardTolerance, "parallel, T=\(t)")
      XCTAssertLessThan(step, Self.forwardTolerance, "step, T=\(t)")
    }
  }

  /// The backward against central differences of the float forward itself, on every entry of
  /// qkv, with the project's step and tolerance (`finiteDifferenceTolerance`).
  func testBackwardMatchesFiniteDifferencesOfForward() {
    let x = Inputs(2, 7, 8, 2, seed: 120)
    let projection = TestTensor(count: x.b * x.t * x.c, uniform: -1, 1, seed: 122)
    let forward = Forward(x)
    let dqkv = TestTensor(count: x.qkv.count)
    forward.backward(x, dout: projection, dqkv: dqkv)
    let check = gradientCheckError(input: x.qkv, analytic: dqkv.array) {
      forward.run(x)
      return projectedLoss(forward.out, projection)
    }
    print("fastweight_sum float finite differences dqkv: \(check.error)")
    XCTAssertLessThan(check.error, finiteDifferenceTolerance)
  }

  /// The backward against central differences in Double of the reference recurrence, on every
  /// entry of qkv, which checks it to near float precision.
  func testBackwardMatchesDoubleFiniteDifferences() {
    for (b, t, c, nh) in [(2, 7, 8, 2), (1, 16, 32, 2)] {
      let x = Inputs(b, t, c, nh, seed: UInt64(130 + t))
      let projection = TestTensor(count: b * t * c, uniform: -1, 1, seed: 132)
      let dqkv = TestTensor(count: x.qkv.count)
      Forward(x).backward(x, dout: projection, dqkv: dqkv)
      let weights = projection.array.map(Double.init)
      let numeric = doubleFiniteDifferences(at: x.qkv.array.map(Double.init)) { qkv in
        projectedLoss(
          fastWeightSumAttentionReference(qkv: qkv, batch: b, time: t, channels: c, heads: nh),
          weights)
      }
      let error = maxRelativeError(dqkv.array, numeric, floor: 1e-3)
      print("fastweight_sum double finite differences T=\(t) C=\(c) dqkv: \(error)")
      XCTAssertLessThan(error, Self.doubleGradientTolerance, "dqkv, T=\(t)")
    }
  }

  /// The backward adds into its gradient buffer rather than overwriting it.
  func testBackwardAccumulates() {
    let x = Inputs(2, 7, 8, 2, seed: 140)
    let projection = TestTensor(count: x.b * x.t * x.c, uniform: -1, 1, seed: 142)
    let forward = Forward(x)
    let dqkv = TestTensor(count: x.qkv.count)
    forward.backward(x, dout: projection, dqkv: dqkv)
    let once = dqkv.array
    forward.backward(x, dout: projection, dqkv: dqkv)
    XCTAssertEqual(dqkv.array, once.map { 2 * $0 })
  }

  /// The sum rule adds where the delta rule replaces: with (nearly) one-hot keys, writing a
  /// key twice returns the sum of both values (the delta rule with β = 1 returns the latest,
  /// `FastWeightAttentionTests.testDeltaRuleOverwritesValue`), and another key adds nothing.
  func testSumRuleAddsValues() {
    let (t, c) = (3, 4)
    let x = Inputs(1, t, c, 1, seed: 160)
    let hot: Float = 30  // φ of (30, −30, −30, −30) is e₀ within 1e-13
    let keys = [0, 0, 1]
    let values: [[Float]] = [[1, 2, 3, 4], [-5, 6, 0.5, 2], [7, -8, 9, 1]]
    for ti in 0..<t {
      for j in 0..<c {
        x.qkv[ti * 3 * c + j] = j == 0 ? hot : -hot  // query e₀
        x.qkv[ti * 3 * c + c + j] = j == keys[ti] ? hot : -hot
        x.qkv[ti * 3 * c + 2 * c + j] = values[ti][j]
      }
    }
    let sum = zip(values[0], values[1]).map { $0 + $1 }
    let want = values[0] + sum + sum
    XCTAssertLessThan(maxRelativeError(Forward(x).out.array, want), Self.forwardTolerance)
    XCTAssertLessThan(maxRelativeError(stepped(x), want), Self.forwardTolerance)
  }

}
