// Shapes: N = number of elements (B·T·4C in the MLP).

/// √(2/π), the scale inside the tanh approximation of GELU.
let geluScale: Float = 0.797_884_56
/// The cubic coefficient of the tanh approximation.
let geluCubic: Float = 0.044_715

/// GELU, tanh approximation, as GPT-2, of `inp + bias` (bias per column of `columns`):
///
/// ```
/// x = inp + bias
/// gelu(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
/// ```
/// computed as `x·σ(2u)` (`geluVector`), the same function with a third fewer instructions.
/// With `derivative`, also stores gelu′(x) (see `geluBackward`) there, so the backward is one
/// multiplication instead of a second exponential: the forward already has σ in a register.
/// Taking the preceding layer's bias here saves that layer a pass over its output; `out` may be
/// `inp` (in place).
///
/// ### References
/// D. Hendrycks, K. Gimpel, "Gaussian Error Linear Units (GELUs)", arXiv:1606.08415.
public func geluForward(
  out: UnsafeMutablePointer<Float>, derivative: UnsafeMutablePointer<Float>? = nil,
  inp: UnsafePointer<Float>, bias: UnsafePointer<Float>? = nil, columns: Int = 0, count n: Int
) {
  guard let bias, columns > 0 else {
    geluRow(out: out, derivative: derivative, inp: inp, bias: nil, count: n)
    return
  }
  for start in stride(from: 0, to: n, by: columns) {
    geluRow(
      out: out + start, derivative: derivative.map { $0 + start }, inp: inp + start,
      bias: bias, count: min(columns, n - start))
  }
}

@inline(__always)
func geluRow(
  out: UnsafeMutablePointer<Float>, derivative: UnsafeMutablePointer<Float>?,
  inp: UnsafePointer<Float>, bias: UnsafePointer<Float>?, count n: Int
) {
  var i = 0
  while i + vectorWidth <= n {
    var x = loadVector(inp + i)
    if let bias { x += loadVector(bias + i) }
    let (value, slope) = geluVector(x)
    storeVector(value, out + i)
    if let derivative { storeVector(slope, derivative + i) }
    i += vectorWidth
  }
  while i < n {  // the tail through the same lanes, so it rounds as they do
    let (value, slope) = geluVector(FloatVector(repeating: inp[i] + (bias?[i] ?? 0)))
    out[i] = value[0]
    derivative?[i] = slope[0]
    i += 1
  }
}

/// GELU and its derivative per lane, through the logistic function σ(v) = 1 / (1 + e⁻ᵛ):
///
/// ```
/// u = √(2/π)·(x + 0.044715·x³),   e = e⁻²ᵘ,   σ = σ(2u) = 1 / (1 + e)
/// gelu(x)  = ½·x·(1 + tanh u) = x·σ                    (½(1 + tanh u) = σ(2u))
/// gelu′(x) = σ + x·σ·(1 − σ)·2u′ = σ + (x·σ)·(e·σ)·2√(2/π)·(1 + 3·0.044715·x²)
/// ```
/// One exponential and one division, where the tanh form needs the exponential, a reciprocal
/// with its Newton step and the sign handling of `tanhVector`. Taking 1 − σ as e·σ avoids
/// the cancellation of 1 − σ (and of the tanh form's 1 − t²) as σ → 1, and x·σ keeps its
/// relative accuracy as x → −∞, where ½x(1 + t) loses it to 1 + t → 0: absolute error below
/// ulp(x) and 2e-7 for the derivative (measured on [−12, 12] against Double).
///
/// x is clamped to [−10, 10] inside: above 10, σ = 1 in float (gelu = x·1, gelu′ = 1); below
/// −10, σ would turn subnormal and x·σ grow again with |x|, so there gelu and gelu′ are their
/// values at −10, −1.2e-37 and −3e-36: 0 to float precision. No term overflows, whatever x;
/// NaN stays NaN.
@_transparent
func geluVector(_ x: FloatVector) -> (value: FloatVector, derivative: FloatVector) {
  var low = x  // x, at least −10
  low.replace(with: FloatVector(repeating: -10), where: x .< -10)
  var clamped = low  // x in [−10, 10]
  clamped.replace(with: FloatVector(repeating: 10), where: low .> 10)
  let x2 = clamped * clamped
  let minusTwoU =
    clamped
    * fusedMultiplyAdd(
      x2, FloatVector(repeating: -2 * geluScale * geluCubic), FloatVector(repeating: -2 * geluScale)
    )
  let e = expVectorInRange(minusTwoU)  // |2u| ≤ 87.31 for |x| ≤ 10
  let sigma = 1 / (e + 1)
  let twoDu = fusedMultiplyAdd(
    x2, FloatVector(repeating: 6 * geluScale * geluCubic), FloatVector(repeating: 2 * geluScale))
  return (low * sigma, fusedMultiplyAdd((clamped * sigma) * (e * sigma), twoDu, sigma))
}

/// Backward of `geluForward`, adding into `dinp`, gelu′ recomputed from `inp` as `geluVector`
/// computes it:
///
/// ```
/// u = √(2/π)·(x + 0.044715·x³),  t = tanh(u)
/// gelu′(x) = ½·(1 + t) + ½·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)
/// dinp += dout · gelu′(x)
/// ```
public func geluBackward(
  dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>,
  count n: Int
) {
  var i = 0
  while i + vectorWidth <= n {
    let slope = geluVector(loadVector(inp + i)).derivative
    storeVector(loadVector(dinp + i) + slope * loadVector(dout + i), dinp + i)
    i += vectorWidth
  }
  while i < n {
    dinp[i] += dout[i] * geluVector(FloatVector(repeating: inp[i])).derivative[0]
    i += 1
  }
}

/// Backward of `geluForward` from the derivative it saved, written, not added (the model's MLP
/// uses it on a scratch buffer); `dinp` may be `dout` (in place). With `biasGradient`, it also
/// adds the gradient of the bias that `geluForward` took, per column of `columns`, in the same
/// pass: the fc layer's backward would otherwise read all of `dinp` again for it.
///
/// ```
/// dinp   = dout · gelu′(x)        (N)
/// dbias += Σ_rows dinp            (columns)
/// ```
/// The column sums add row after row, as `addColumnSums` does, so they equal it bit for bit.
/// - Complexity: one read of `dout` and `derivative`, one write of `dinp`; memory-bound.
public func geluBackward(
  dinp: UnsafeMutablePointer<Float>, derivative: UnsafePointer<Float>,
  dout: UnsafePointer<Float>, count n: Int, biasGradient dbias: UnsafeMutablePointer<Float>? = nil,
  columns: Int = 0
) {
  guard let dbias, columns > 0 else {
    multiplyElementwise(out: dinp, dout, derivative, count: n)
    return
  }
  for start in stride(from: 0, to: n, by: columns) {
    let (y, a, b) = (dinp + start, dout + start, derivative + start)
    let width = min(columns, n - start)
    var i = 0
    while i + vectorWidth <= width {
      let d = loadVector(a + i) * loadVector(b + i)
      storeVector(d, y + i)
      storeVector(loadVector(dbias + i) + d, dbias + i)
      i += vectorWidth
    }
    while i < width {
      y[i] = a[i] * b[i]
      dbias[i] += y[i]
      i += 1
    }
  }
}
