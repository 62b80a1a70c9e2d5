// Shapes: N = rows (B·T, the worker's micro-batch), C = channels.
//
// BatchNorm is split at the two points where SyncBatchNorm exchanges statistics between workers:
// `batchNormStatistics` produces per-channel sums that may be summed across workers, then
// `batchNormNormalize` uses them; likewise `batchNormGradientStatistics` and
// `batchNormBackward` in the backward pass. With one worker nothing is exchanged.

/// The ε of BatchNorm, as PyTorch's default.
public let batchNormEpsilon: Float = 1e-5
/// The weight of the newest batch in the running statistics, as PyTorch's default.
public let batchNormMomentum: Float = 0.1

/// Number of floats `batchNormStatistics` writes: Σx (C), Σx² (C), row count (1).
public func batchNormStatisticsCount(channels c: Int) -> Int { 2 * c + 1 }

/// Per-channel sums over the rows of x: `stats = [Σ_rows x (C), Σ_rows x² (C), N]`.
public func batchNormStatistics(
  stats: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows n: Int, channels c: Int
) {
  stats.initialize(repeating: 0, count: 2 * c + 1)
  for r in 0..<n {
    let x = inp + r * c
    for i in 0..<c {
      stats[i] += x[i]
      stats[c + i] += x[i] * x[i]
    }
  }
  stats[2 * c] = Float(n)
}

/// BatchNorm in training mode with statistics from `batchNormStatistics` (summed over workers
/// for SyncBatchNorm):
///
/// ```
/// μ = Σx / N,  σ² = Σx² / N − μ²,  rstd = 1 / √(σ² + 1e-5)
/// y = (x − μ) · rstd · weight + bias
/// running_mean ← (1 − 0.1)·running_mean + 0.1·μ
/// running_var  ← (1 − 0.1)·running_var  + 0.1·σ²·N/(N − 1)
/// ```
/// Saves `mean` and `rstd` (C each) for the backward.
///
/// ### References
/// S. Ioffe, C. Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
/// Internal Covariate Shift", ICML 2015.
public func batchNormNormalize(
  out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
  rstd: UnsafeMutablePointer<Float>, runningMean: UnsafeMutablePointer<Float>,
  runningVar: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
  weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, stats: UnsafePointer<Float>,
  rows n: Int, channels c: Int
) {
  let count = stats[2 * c]
  for i in 0..<c {
    let m = stats[i] / count
    let variance = max(stats[c + i] / count - m * m, 0)
    mean[i] = m
    rstd[i] = 1 / (variance + batchNormEpsilon).squareRoot()
    let unbiased = count > 1 ? variance * count / (count - 1) : variance
    runningMean[i] = (1 - batchNormMomentum) * runningMean[i] + batchNormMomentum * m
    runningVar[i] = (1 - batchNormMomentum) * runningVar[i] + batchNormMomentum * unbiased
  }
  applyChannelAffine(
    out: out, inp: inp, mean: mean, rstd: rstd, weight: weight, bias: bias,
    rows: n, channels: c)
}

/// BatchNorm in evaluation mode: `y = (x − running_mean) / √(running_var + 1e-5) · weight + bias`.
/// `rstdScratch` (C) receives `1/√(running_var + ε)`.
public func batchNormEvalForward(
  out: UnsafeMutablePointer<Float>, rstdScratch: UnsafeMutablePointer<Float>,
  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
  runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>, rows n: Int,
  channels c: Int
) {
  for i in 0..<c { rstdScratch[i] = 1 / (runningVar[i] + batchNormEpsilon).squareRoot() }
  applyChannelAffine(
    out: out, inp: inp, mean: runningMean, rstd: rstdScratch, weight: weight,
    bias: bias, rows: n, channels: c)
}

/// `y[r, i] = (x[r, i] − mean[i]) · rstd[i] · weight[i] + bias[i]`.
@inline(__always)
func applyChannelAffine(
  out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, mean: UnsafePointer<Float>,
  rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
  rows n: Int, channels c: Int
) {
  for r in 0..<n {
    let x = inp + r * c
    let y = out + r * c
    for i in 0..<c { y[i] = (x[i] - mean[i]) * rstd[i] * weight[i] + bias[i] }
  }
}

/// Number of floats `batchNormGradientStatistics` writes: Σ dy (C), Σ dy·x̂ (C).
public func batchNormGradientStatisticsCount(channels c: Int) -> Int { 2 * c }

/// Per-channel sums of the backward, `stats = [Σ_rows dout (C), Σ_rows dout·x̂ (C)]`, and their
/// local part added into `dbias` and `dweight` (which are exactly these sums).
public func batchNormGradientStatistics(
  stats: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
  dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows n: Int, channels c: Int
) {
  stats.initialize(repeating: 0, count: 2 * c)
  for r in 0..<n {
    let x = inp + r * c
    let dy = dout + r * c
    for i in 0..<c {
      stats[i] += dy[i]
      stats[c + i] += dy[i] * (x[i] - mean[i]) * rstd[i]
    }
  }
  for i in 0..<c {
    dbias[i] += stats[i]
    dweight[i] += stats[c + i]
  }
}

/// Backward of `batchNormNormalize` with gradient statistics over all `count` rows (summed over
/// workers for SyncBatchNorm), adding into `dinp`:
///
/// ```
/// x̂ = (x − μ)·rstd
/// dinp += weight · rstd · (dout − Σdout / N − x̂ · Σ(dout·x̂) / N)
/// ```
public func batchNormBackward(
  dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
  weight: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
  stats: UnsafePointer<Float>, count: Float, rows n: Int, channels c: Int
) {
  for r in 0..<n {
    let x = inp + r * c
    let dy = dout + r * c
    let dx = dinp + r * c
    for i in 0..<c {
      let xhat = (x[i] - mean[i]) * rstd[i]
      dx[i] += weight[i] * rstd[i] * (dy[i] - stats[i] / count - xhat * stats[c + i] / count)
    }
  }
}
