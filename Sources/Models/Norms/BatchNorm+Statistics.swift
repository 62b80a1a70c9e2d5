import Kernels

/// What BatchNorm and SyncBatchNorm share: the per-channel forward and backward over the rows,
/// split where SyncBatchNorm sums its statistics across workers (`exchange`; nil for local
/// BatchNorm, whose statistics stay on the worker).
///
/// ```
/// training:  μ, σ² per channel over the rows (of all workers when exchanged)
///            y = (x − μ) / √(σ² + 1e-5) · weight + bias
///            running ← 0.9 · running + 0.1 · batch (unbiased var)
/// eval:      y = (x − running_mean) / √(running_var + 1e-5) · weight + bias
/// ```
/// Tensors: `weight`, `bias` (C); buffers `running_mean`, `running_var` (C). Saves `mean`,
/// `rstd` (C each) and `rows` (1): the row count the statistics were taken over, all workers'
/// rows for SyncBatchNorm, which the backward divides by.
struct BatchNormStatistics {
  static func parameterShapes(channels c: Int) -> [NamedShape] {
    [NamedShape("weight", [c]), NamedShape("bias", [c])]
  }

  static func bufferShapes(channels c: Int) -> [NamedShape] {
    [NamedShape("running_mean", [c]), NamedShape("running_var", [c])]
  }

  static func savedShapes(rows n: Int, channels c: Int) -> [NamedShape] {
    [NamedShape("mean", [c]), NamedShape("rstd", [c]), NamedShape("rows", [1])]
  }

  /// (Σx, Σx², count) in the forward, (Σdy, Σdy·x̂) in the backward, reusing one buffer.
  static func scratchCount(channels c: Int) -> Int {
    max(batchNormStatisticsCount(channels: c), batchNormGradientStatisticsCount(channels: c))
  }

  /// The eval step's rstd, (C).
  static func rowScratchCount(channels c: Int) -> Int { c }

  let (rows, channels): (Int, Int)
  let weight, bias, dweight, dbias: UnsafeMutablePointer<Float>
  let runningMean, runningVar: UnsafeMutablePointer<Float>  // (C) each
  let mean, rstd: UnsafeMutablePointer<Float>  // (C) each
  /// Rows over all workers the last training forward's statistics came from. (1)
  let globalRows: UnsafeMutablePointer<Float>
  let stats: UnsafeMutablePointer<Float>  // shared scratch

  init(_ b: NormBinding) {
    (rows, channels) = (b.rows, b.channels)
    (weight, bias) = (b.parameter("weight"), b.parameter("bias"))
    (dweight, dbias) = (b.gradient("weight"), b.gradient("bias"))
    (runningMean, runningVar) = (b.buffer("running_mean"), b.buffer("running_var"))
    (mean, rstd, globalRows) = (b.saved("mean"), b.saved("rstd"), b.saved("rows"))
    stats = b.scratch
  }

  func forward(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    exchange: NormStatisticsExchange?
  ) {
    let c = channels
    batchNormStatistics(stats: stats, inp: inp, rows: rows, channels: c)
    exchange?.sumAcrossWorkers(stats, count: batchNormStatisticsCount(channels: c))
    batchNormNormalize(
      out: out, mean: mean, rstd: rstd, runningMean: runningMean, runningVar: runningVar,
      inp: inp, weight: weight, bias: bias, stats: stats, rows: rows, channels: c)
    globalRows.pointee = stats[2 * c]
  }

  func evalForward(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>, rows n: Int,
    rstdScratch: UnsafeMutablePointer<Float>
  ) {
    batchNormEvalForward(
      out: out, rstdScratch: rstdScratch, inp: inp, weight: weight, bias: bias,
      runningMean: runningMean, runningVar: runningVar, rows: n, channels: channels)
  }

  func backward(
    dinp: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, exchange: NormStatisticsExchange?
  ) {
    let c = channels
    batchNormGradientStatistics(
      stats: stats, dweight: dweight, dbias: dbias, dout: dout, inp: inp, mean: mean,
      rstd: rstd, rows: rows, channels: c)
    exchange?.sumAcrossWorkers(stats, count: batchNormGradientStatisticsCount(channels: c))
    batchNormBackward(
      dinp: dinp, dout: dout, inp: inp, weight: weight, mean: mean, rstd: rstd, stats: stats,
      count: globalRows.pointee, rows: rows, channels: c)
  }
}
