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
/// With `derivative`, also stores gelu′(x) (see `geluBackward`) there, so the backward is one
/// multiplication instead of a second tanh: the forward already has t = tanh(u) in a register.
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
  let scaleVector = FloatVector(repeating: geluScale)
  let half = FloatVector(repeating: 0.5)
  var i = 0
  while i + vectorWidth <= n {
    var x = loadVector(inp + i)
    if let bias { x += loadVector(bias + i) }
    let x2 = x * x
    let u = x * fusedMultiplyAdd(x2, FloatVector(repeating: geluScale * geluCubic), scaleVector)
    let t = tanhVector(u)
    let halfX = 0.5 * x
    storeVector(fusedMultiplyAdd(halfX, t, halfX), out + i)  // ½x(1 + t)
    if let derivative {
      let du = fusedMultiplyAdd(x2, FloatVector(repeating: 3 * geluScale * geluCubic), scaleVector)
      let sech2 = fusedMultiplyAdd(-t, t, FloatVector(repeating: 1))  // 1 − t²
      let halfOnePlusT = fusedMultiplyAdd(t, half, half)  // ½(1 + t)
      storeVector(fusedMultiplyAdd(halfX * sech2, du, halfOnePlusT), derivative + i)
    }
    i += vectorWidth
  }
  while i < n {
    let x = inp[i] + (bias?[i] ?? 0)
    let t = fastTanh(geluScale * (x + geluCubic * x * x * x))
    out[i] = 0.5 * x * (1 + t)
    if let derivative {
      let du = geluScale * (1 + 3 * geluCubic * x * x)
      derivative[i] = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
    }
    i += 1
  }
}

/// Backward of `geluForward`, adding into `dinp`:
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
    let x = loadVector(inp + i)
    let x2 = x * x
    let t = tanhVector(geluScale * (x + geluCubic * x2 * x))
    let du = geluScale * (1 + 3 * geluCubic * x2)
    let grad = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
    storeVector(loadVector(dinp + i) + grad * loadVector(dout + i), dinp + i)
    i += vectorWidth
  }
  while i < n {
    let x = inp[i]
    let t = fastTanh(geluScale * (x + geluCubic * x * x * x))
    let du = geluScale * (1 + 3 * geluCubic * x * x)
    dinp[i] += dout[i] * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
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
