import Kernels

/// BatchNorm whose training statistics are over the global batch, across all workers
/// (formulas in `BatchNormStatistics`): per application, the forward sums (Σx, Σx², count),
/// 2C + 1 floats, and the backward sums (Σdy, Σdy·x̂), 2C floats, over the workers before using
/// them. Both are blocking: the next layer needs the result. N workers compute what one worker
/// computes on the whole batch, so running statistics agree and need no averaging. Without an
/// exchange (one worker) it equals `BatchNormLayer`.
///
/// ### References
/// S. Ioffe, C. Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
/// Internal Covariate Shift", ICML 2015.
/// PyTorch `torch.nn.SyncBatchNorm` (statistics all-reduced across processes).
struct SyncBatchNormLayer: NormLayer {
  static let displayName = "SyncBatchNorm"
  static let usesBatchStatistics = true
  static let averagesRunningStatistics = false

  static func exchangeCounts(channels c: Int) -> NormExchangeCounts {
    NormExchangeCounts(
      forward: batchNormStatisticsCount(channels: c),
      backward: batchNormGradientStatisticsCount(channels: c))
  }

  static func parameterShapes(channels c: Int) -> [NamedShape] {
    BatchNormStatistics.parameterShapes(channels: c)
  }
  static func bufferShapes(channels c: Int) -> [NamedShape] {
    BatchNormStatistics.bufferShapes(channels: c)
  }
  static func savedShapes(rows n: Int, channels c: Int) -> [NamedShape] {
    BatchNormStatistics.savedShapes(rows: n, channels: c)
  }
  static func scratchCount(channels c: Int) -> Int {
    BatchNormStatistics.scratchCount(channels: c)
  }
  static func rowScratchCount(channels c: Int) -> Int {
    BatchNormStatistics.rowScratchCount(channels: c)
  }

  let core: BatchNormStatistics

  init(_ b: NormBinding) { core = BatchNormStatistics(b) }

  func forward(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    exchange: NormStatisticsExchange?
  ) {
    core.forward(out: out, inp: inp, exchange: exchange)
  }

  func evalForward(out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>) {
    core.evalForward(out: out, inp: inp, rows: core.rows, rstdScratch: core.rstd)
  }

  func backward(
    dinp: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, exchange: NormStatisticsExchange?
  ) {
    core.backward(dinp: dinp, dout: dout, inp: inp, exchange: exchange)
  }

  func evalRow(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    core.evalForward(out: out, inp: inp, rows: 1, rstdScratch: scratch)
  }
}
