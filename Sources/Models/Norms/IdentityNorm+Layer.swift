import Kernels

/// The identity, `y = x`, for ablations (`none`): no tensors, no statistics, no exchange.
struct IdentityNormLayer: NormLayer {
  static let displayName = "no norm"

  static func parameterShapes(channels c: Int) -> [NamedShape] { [] }

  static func savedShapes(rows n: Int, channels c: Int) -> [NamedShape] { [] }

  static func rowScratchCount(channels c: Int) -> Int { 0 }

  let (count, channels): (Int, Int)  // N·C, C

  init(_ b: NormBinding) { (count, channels) = (b.rows * b.channels, b.channels) }

  func forward(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    exchange: NormStatisticsExchange?
  ) {
    if out != inp { out.update(from: inp, count: count) }
  }

  func evalForward(out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>) {
    forward(out: out, inp: inp, exchange: nil)
  }

  func backward(
    dinp: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, exchange: NormStatisticsExchange?
  ) {
    accumulate(dinp, dout, count: count)
  }

  func evalRow(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    out.update(from: inp, count: channels)
  }
}
