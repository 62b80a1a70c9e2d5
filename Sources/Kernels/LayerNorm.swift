// Shapes: N = rows (B·T), C = channels.

/// The ε of `layerNormForward`, as PyTorch's default.
public let layerNormEpsilon: Float = 1e-5

/// LayerNorm over the channels of each row:
///
/// ```
/// μ = mean(x),  σ² = mean((x − μ)²),  rstd = 1 / √(σ² + 1e-5)
/// y = (x − μ) · rstd · weight + bias
/// ```
/// Saves `mean` and `rstd` (N each) for the backward.
///
/// ### References
/// J. L. Ba, J. R. Kiros, G. E. Hinton, "Layer Normalization", arXiv:1607.06450.
public func layerNormForward(
  out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
  rstd: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  bias: UnsafePointer<Float>, rows n: Int, channels c: Int
) {
  let invC = 1 / Float(c)
  let vectorEnd = c - c % vectorWidth
  for r in 0..<n {
    let x = inp + r * c
    let y = out + r * c
    let m = rowSum(x, c) * invC
    let s = 1 / (rowSquaredDeviationSum(x, m, c) * invC + layerNormEpsilon).squareRoot()
    for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
      storeVector(
        (loadVector(x + i) - m) * s * loadVector(weight + i) + loadVector(bias + i), y + i)
    }
    for i in vectorEnd..<c { y[i] = (x[i] - m) * s * weight[i] + bias[i] }
    mean[r] = m
    rstd[r] = s
  }
}

/// Backward of `layerNormForward`, adding into `dinp`, `dweight` and `dbias`:
///
/// ```
/// x̂ = (x − μ)·rstd,  g = dout · weight
/// dinp    += rstd · (g − mean(g) − x̂ · mean(g · x̂))
/// dweight += Σ_rows dout · x̂,   dbias += Σ_rows dout
/// ```
public func layerNormBackward(
  dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
  dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
  weight: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
  rows n: Int, channels c: Int
) {
  let invC = 1 / Float(c)
  let vectorEnd = c - c % vectorWidth
  for r in 0..<n {
    let x = inp + r * c
    let dy = dout + r * c
    let dx = dinp + r * c
    let m = mean[r]
    let s = rstd[r]
    var gAcc = FloatVector()
    var gxAcc = FloatVector()
    for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
      let xhat = (loadVector(x + i) - m) * s
      let d = loadVector(dy + i)
      let g = d * loadVector(weight + i)
      gAcc += g
      gxAcc += g * xhat
      storeVector(loadVector(dbias + i) + d, dbias + i)
      storeVector(loadVector(dweight + i) + d * xhat, dweight + i)
    }
    var gMean = treeSum(gAcc)
    var gxMean = treeSum(gxAcc)
    for i in vectorEnd..<c {
      let xhat = (x[i] - m) * s
      let g = dy[i] * weight[i]
      gMean += g
      gxMean += g * xhat
      dbias[i] += dy[i]
      dweight[i] += dy[i] * xhat
    }
    gMean *= invC
    gxMean *= invC
    for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
      let xhat = (loadVector(x + i) - m) * s
      let g = loadVector(dy + i) * loadVector(weight + i)
      storeVector(loadVector(dx + i) + s * (g - gMean - xhat * gxMean), dx + i)
    }
    for i in vectorEnd..<c {
      let xhat = (x[i] - m) * s
      dx[i] += s * (dy[i] * weight[i] - gMean - xhat * gxMean)
    }
  }
}
