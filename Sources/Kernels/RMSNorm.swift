// Shapes: N = rows (B·T), C = channels.

/// The ε of `rmsNormForward`.
public let rmsNormEpsilon: Float = 1e-6

/// RMSNorm over the channels of each row, with no centering and no bias:
///
/// ```
/// rstd = 1 / √(mean(x²) + 1e-6)
/// y = x · rstd · weight
/// ```
/// Saves `rstd` (N) for the backward. Two passes over each row (Σx², then the scaling) against
/// LayerNorm's three (Σx, Σ(x − μ)², then the affine map), in the same `FloatVector` style as
/// `layerNormForward`, so that `ddp bench norms` compares the formulas and not the code.
/// `Reference.rmsNorm` is the slow obvious version the tests hold it to.
///
/// - Complexity: O(N·C), two reads of x and one write of y per row.
///
/// ### References
/// B. Zhang, R. Sennrich, "Root Mean Square Layer Normalization", NeurIPS 2019.
/// J. W. Rae et al., "Scaling Language Models: Methods, Analysis & Insights from Training
/// Gopher", arXiv:2112.11446 (RMSNorm in a large LM).
public func rmsNormForward(
  out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows n: Int, channels c: Int
) {
  let invC = 1 / Float(c)
  let vectorEnd = c - c % vectorWidth
  for r in 0..<n {
    let x = inp + r * c  // (C)
    let y = out + r * c  // (C)
    let s = 1 / (rowSquaredDeviationSum(x, 0, c) * invC + rmsNormEpsilon).squareRoot()
    for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
      storeVector(loadVector(x + i) * s * loadVector(weight + i), y + i)
    }
    for i in vectorEnd..<c { y[i] = x[i] * s * weight[i] }
    rstd[r] = s
  }
}
