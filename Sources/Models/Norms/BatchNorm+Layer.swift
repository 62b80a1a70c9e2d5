import Kernels

/// BatchNorm over each channel across the worker's own B·T rows (local statistics), formulas in
/// `BatchNormStatistics`. Nothing is exchanged in forward or backward, so results depend on the
/// worker count; the running statistics differ per worker and are averaged across workers
/// before every evaluation, checkpoint and export (DESIGN.md section 4).
///
/// ### References
/// S. Ioffe, C. Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
/// Internal Covariate Shift", ICML 2015.
struct BatchNormLayer: NormLayer {
  static let displayName = "BatchNorm"
  static let usesBatchStatistics = true
  static let averagesRunningStatistics = true

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
    core.forward(out: out, inp: inp, exchange: nil)
  }

  func evalForward(out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>) {
    core.evalForward(out: out, inp: inp, rows: core.rows, rstdScratch: core.rstd)
  }

  func backward(
    dinp: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, exchange: NormStatisticsExchange?
  ) {
    core.backward(dinp: dinp, dout: dout, inp: inp, exchange: nil)
  }

  func evalRow(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    core.evalForward(out: out, inp: inp, rows: 1, rstdScratch: scratch)
  }
}
