import Kernels

/// What BatchNorm and SyncBatchNorm share: tensors, saved statistics, scratch and every pass,
/// all from ``BatchNormStatistics``. The two kinds differ in one thing, whether the per-channel
/// sums are summed across workers before use (`sumsAcrossWorkers`), and what follows from it:
/// SyncBatchNorm exchanges 2C + 1 floats forward and 2C backward and its running statistics
/// agree on every worker; local BatchNorm exchanges nothing and its running statistics are
/// averaged before every evaluation, checkpoint and export.
protocol BatchNormFamily: NormLayer {
  /// Whether the batch statistics are over the global batch (summed across workers).
  static var sumsAcrossWorkers: Bool { get }
  var core: BatchNormStatistics { get }
  /// The memberwise initializer of a conforming struct.
  init(core: BatchNormStatistics)
}

extension BatchNormFamily {
  static var usesBatchStatistics: Bool { true }
  static var averagesRunningStatistics: Bool { !sumsAcrossWorkers }

  static func exchangeCounts(channels c: Int) -> NormExchangeCounts {
    guard sumsAcrossWorkers else { return .none }
    return NormExchangeCounts(
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

  init(_ b: NormBinding) { self.init(core: BatchNormStatistics(b)) }

  func forward(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    exchange: NormStatisticsExchange?
  ) {
    core.forward(out: out, inp: inp, exchange: Self.sumsAcrossWorkers ? exchange : nil)
  }

  func evalForward(out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>) {
    core.evalForward(out: out, inp: inp, rows: core.rows, rstdScratch: core.rstd)
  }

  func backward(
    dinp: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, exchange: NormStatisticsExchange?
  ) {
    core.backward(
      dinp: dinp, dout: dout, inp: inp, exchange: Self.sumsAcrossWorkers ? exchange : nil)
  }

  func evalRow(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    core.evalForward(out: out, inp: inp, rows: 1, rstdScratch: scratch)
  }
}
