// Shapes: N = number of elements (B·T·4C in the MLP).

/// √(2/π), the scale inside the tanh approximation of GELU.
let geluScale: Float = 0.797_884_56
/// The cubic coefficient of the tanh approximation.
let geluCubic: Float = 0.044_715

/// GELU, tanh approximation, as GPT-2:
///
/// ```
/// gelu(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
/// ```
///
/// ### References
/// D. Hendrycks, K. Gimpel, "Gaussian Error Linear Units (GELUs)", arXiv:1606.08415.
public func geluForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count n: Int) {
  var i = 0
  while i + vectorWidth <= n {
    let x = loadVector(inp + i)
    let t = tanhVector(geluScale * (x + geluCubic * x * x * x))
    storeVector(0.5 * x * (1 + t), out + i)
    i += vectorWidth
  }
  while i < n {
    let x = inp[i]
    out[i] = 0.5 * x * (1 + fastTanh(geluScale * (x + geluCubic * x * x * x)))
    i += 1
  }
}

/// Backward of `geluForward`, adding into `dinp`:
///
/// ```
/// u = √(2/π)·(x + 0.044715·x³),  t = tanh(u)
/// dinp += dout · (½·(1 + t) + ½·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²))
/// ```
/// With `overwrite`, `dinp` is written instead of added to.
public func geluBackward(
  dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>,
  count n: Int, overwrite: Bool = false
) {
  let keep: Float = overwrite ? 0 : 1
  var i = 0
  while i + vectorWidth <= n {
    let x = loadVector(inp + i)
    let x2 = x * x
    let t = tanhVector(geluScale * (x + geluCubic * x2 * x))
    let du = geluScale * (1 + 3 * geluCubic * x2)
    let grad = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
    storeVector(keep * loadVector(dinp + i) + grad * loadVector(dout + i), dinp + i)
    i += vectorWidth
  }
  while i < n {
    let x = inp[i]
    let t = fastTanh(geluScale * (x + geluCubic * x * x * x))
    let du = geluScale * (1 + 3 * geluCubic * x * x)
    dinp[i] = keep * dinp[i] + dout[i] * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
    i += 1
  }
}
