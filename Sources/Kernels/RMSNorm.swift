// Shapes: N = rows (B·T), C = channels.

/// The ε of `rmsNormForward`.
public let rmsNormEpsilon: Float = 1e-6

/// RMSNorm over the channels of each row, with no centering and no bias:
///
/// ```
/// rstd = 1 / √(mean(x²) + 1e-6)
/// y = x · rstd · weight
/// ```
/// Saves `rstd` (N) for the backward.
///
/// ### References
/// B. Zhang, R. Sennrich, "Root Mean Square Layer Normalization", NeurIPS 2019.
/// J. W. Rae et al., "Scaling Language Models: Methods, Analysis & Insights from Training
/// Gopher", arXiv:2112.11446 (RMSNorm in a large LM).
public func rmsNormForward(
  out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows n: Int, channels c: Int
) {
  for r in 0..<n {
    let x = inp + r * c
    let y = out + r * c
    let s = 1 / (vectorDot(x, x, c) / Float(c) + rmsNormEpsilon).squareRoot()
    for i in 0..<c { y[i] = x[i] * s * weight[i] }
    rstd[r] = s
  }
}

/// Backward of `rmsNormForward`, adding into `dinp` and `dweight`:
///
/// ```
/// x̂ = x · rstd,  g = dout · weight
/// dinp    += rstd · (g − x̂ · mean(g · x̂))
/// dweight += Σ_rows dout · x̂
/// ```
public func rmsNormBackward(
  dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
  dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  rstd: UnsafePointer<Float>, rows n: Int, channels c: Int
) {
  for r in 0..<n {
    let x = inp + r * c
    let dy = dout + r * c
    let dx = dinp + r * c
    let s = rstd[r]
    var gxMean: Float = 0
    for i in 0..<c {
      let xhat = x[i] * s
      gxMean += dy[i] * weight[i] * xhat
      dweight[i] += dy[i] * xhat
    }
    gxMean /= Float(c)
    for i in 0..<c { dx[i] += s * (dy[i] * weight[i] - x[i] * s * gxMean) }
  }
}
