/// Central finite differences of `loss` with respect to every entry of `input`, compared with
/// `analytic` as whole tensors.
///
/// Returns `max_i |analytic_i − numeric_i| / max(max_i |numeric_i|, floor)`: the largest error
/// relative to the tensor's scale, so one tiny entry cannot dominate and no entry is skipped.
/// `loss` runs the float forward, so the numeric gradient carries rounding error of about
/// `ulp(loss) / step`; tests choose their tolerance from that (see `finiteDifferenceTolerance`).
public func gradientCheckError(
  input: TestTensor, analytic: [Float], step: Float = 1e-2, floor: Float = 1e-3,
  loss: () -> Double
) -> (error: Float, numeric: [Float]) {
  precondition(analytic.count == input.count, "analytic gradient has the wrong size")
  var numeric = [Float](repeating: 0, count: input.count)
  for i in 0..<input.count {
    let saved = input[i]
    input[i] = saved + step
    let plus = loss()
    input[i] = saved - step
    let minus = loss()
    input[i] = saved
    numeric[i] = Float((plus - minus) / (2 * Double(step)))
  }
  return (maxRelativeError(analytic, numeric, floor: floor), numeric)
}

/// `max_i |a_i − b_i| / max(max_i |b_i|, floor)`.
public func maxRelativeError(_ a: [Float], _ b: [Float], floor: Float = 1e-6) -> Float {
  precondition(a.count == b.count, "tensors differ in size: \(a.count) vs \(b.count)")
  var diff: Float = 0
  var scale: Float = floor
  for i in 0..<a.count {
    diff = max(diff, abs(a[i] - b[i]))
    scale = max(scale, abs(b[i]))
  }
  return a.isEmpty ? 0 : diff / scale
}

/// The relative tolerance for float finite differences with a step of 1e-2: the truncation
/// error of central differences is O(step²·f‴) ≈ 1e-4 relative on these smooth layers, and
/// float rounding of a loss of size ~10 is ~1e-6 / 2e-2 = 5e-5 per entry; 5e-3 leaves a margin
/// of 10× over both, while a wrong term in a backward shows as errors of 1e-1 or more.
public let finiteDifferenceTolerance: Float = 5e-3

/// `Σ_i out_i · weights_i` in Double: a random linear functional of a layer's output, whose
/// gradient with respect to `out` is `weights`.
public func projectedLoss(_ out: TestTensor, _ weights: TestTensor) -> Double {
  var s: Double = 0
  for i in 0..<out.count { s += Double(out[i]) * Double(weights[i]) }
  return s
}

/// Central finite differences in Double of `loss` at `point`, one entry at a time:
///
/// ```
/// numeric_i = (loss(x + h·e_i) − loss(x − h·e_i)) / 2h,   h = step
/// ```
/// For a reference computed in Double, h = 1e-5 leaves a truncation error of O(h²) ≈ 1e-10 and
/// rounding of about 1e-16 / 1e-5, so a float backward can be checked to near float precision.
public func doubleFiniteDifferences(
  at point: [Double], step: Double = 1e-5, loss: ([Double]) -> Double
) -> [Float] {
  var x = point
  return (0..<x.count).map { i in
    let saved = x[i]
    x[i] = saved + step
    let plus = loss(x)
    x[i] = saved - step
    let minus = loss(x)
    x[i] = saved
    return Float((plus - minus) / (2 * step))
  }
}

/// `Σ_i out_i · weights_i`: the Double twin of `projectedLoss` for reference forwards.
public func projectedLoss(_ out: [Double], _ weights: [Double]) -> Double {
  zip(out, weights).reduce(0) { $0 + $1.0 * $1.1 }
}
