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

/// Backward of `rmsNormForward`, adding into `dinp` and `dweight`:
///
/// ```
/// x̂ = x · rstd,  g = dout · weight
/// dinp    += rstd · (g − x̂ · mean(g · x̂))  =  rstd · g − x · k,   k = rstd³ · Σ(g · x) / C
/// dweight += Σ_rows dout · x̂
/// ```
/// Two passes over each row: Σ g·x with the `dweight` update, then `dinp` as two fused
/// multiply-adds per vector.
///
/// - Complexity: O(N·C).
public func rmsNormBackward(
  dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
  dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  rstd: UnsafePointer<Float>, rows n: Int, channels c: Int
) {
  let invC = 1 / Float(c)
  let vectorEnd = c - c % vectorWidth
  for r in 0..<n {
    let x = inp + r * c  // (C)
    let dy = dout + r * c  // (C)
    let dx = dinp + r * c  // (C)
    let s = rstd[r]
    var gxAcc = FloatVector()
    for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
      let xv = loadVector(x + i)
      let d = loadVector(dy + i)
      gxAcc.addProduct(d * loadVector(weight + i), xv)
      storeVector(loadVector(dweight + i).addingProduct(d, xv * s), dweight + i)
    }
    var gxSum = treeSum(gxAcc)
    for i in vectorEnd..<c {
      gxSum += dy[i] * weight[i] * x[i]
      dweight[i] += dy[i] * x[i] * s
    }
    let k = s * s * s * gxSum * invC
    let sv = FloatVector(repeating: s)
    let minusK = FloatVector(repeating: -k)
    for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
      let g = loadVector(dy + i) * loadVector(weight + i)
      storeVector(
        loadVector(dx + i).addingProduct(g, sv).addingProduct(loadVector(x + i), minusK), dx + i)
    }
    for i in vectorEnd..<c { dx[i] += s * dy[i] * weight[i] - x[i] * k }
  }
}
