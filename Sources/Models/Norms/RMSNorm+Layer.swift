import Kernels

/// RMSNorm over the C channels of each row, with no centering and no bias:
///
/// ```
/// rstd = 1 / √(mean(x²) + 1e-6)
/// y = x · rstd · weight
/// ```
/// Tensors: `weight` (C). Saves `rstd` (N). Per row: no exchange.
///
/// ### References
/// B. Zhang, R. Sennrich, "Root Mean Square Layer Normalization", NeurIPS 2019.
/// J. W. Rae et al., "Scaling Language Models: Methods, Analysis & Insights from Training
/// Gopher", arXiv:2112.11446 (RMSNorm in a large LM).
struct RMSNormLayer: NormLayer {
  static let displayName = "RMSNorm"

  static func parameterShapes(channels c: Int) -> [NamedShape] { [NamedShape("weight", [c])] }

  static func savedShapes(rows n: Int, channels c: Int) -> [NamedShape] {
    [NamedShape("rstd", [n])]
  }

  static func rowScratchCount(channels c: Int) -> Int { 1 }

  let (rows, channels): (Int, Int)
  let weight, dweight: UnsafeMutablePointer<Float>
  let rstd: UnsafeMutablePointer<Float>  // (N)

  init(_ b: NormBinding) {
    (rows, channels) = (b.rows, b.channels)
    (weight, dweight) = (b.parameter("weight"), b.gradient("weight"))
    rstd = b.saved("rstd")
  }

  func forward(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    exchange: NormStatisticsExchange?
  ) {
    rmsNormForward(
      out: out, rstd: rstd, inp: inp, weight: weight, rows: rows, channels: channels)
  }

  func evalForward(out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>) {
    forward(out: out, inp: inp, exchange: nil)
  }

  func backward(
    dinp: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, exchange: NormStatisticsExchange?
  ) {
    rmsNormBackward(
      dinp: dinp, dweight: dweight, dout: dout, inp: inp, weight: weight, rstd: rstd,
      rows: rows, channels: channels)
  }

  func evalRow(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    rmsNormForward(out: out, rstd: scratch, inp: inp, weight: weight, rows: 1, channels: channels)
  }
}
