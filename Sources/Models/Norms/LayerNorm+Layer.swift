import Kernels

/// LayerNorm over the C channels of each row, with weight and bias:
///
/// ```
/// μ = mean(x),  σ² = mean((x − μ)²),  rstd = 1 / √(σ² + 1e-5)
/// y = (x − μ) · rstd · weight + bias
/// ```
/// Tensors: `weight` (C), `bias` (C). Saves `mean` and `rstd` (N each). Per row, so workers
/// never need each other's data: no exchange.
///
/// ### References
/// J. L. Ba, J. R. Kiros, G. E. Hinton, "Layer Normalization", arXiv:1607.06450.
struct LayerNormLayer: NormLayer {
  static let displayName = "LayerNorm"

  static func parameterShapes(channels c: Int) -> [NamedShape] {
    [NamedShape("weight", [c]), NamedShape("bias", [c])]
  }

  static func savedShapes(rows n: Int, channels c: Int) -> [NamedShape] {
    [NamedShape("mean", [n]), NamedShape("rstd", [n])]
  }

  static func rowScratchCount(channels c: Int) -> Int { 2 }

  let (rows, channels): (Int, Int)
  let weight, bias, dweight, dbias: UnsafeMutablePointer<Float>
  let mean, rstd: UnsafeMutablePointer<Float>  // (N) each

  init(_ b: NormBinding) {
    (rows, channels) = (b.rows, b.channels)
    (weight, bias) = (b.parameter("weight"), b.parameter("bias"))
    (dweight, dbias) = (b.gradient("weight"), b.gradient("bias"))
    (mean, rstd) = (b.saved("mean"), b.saved("rstd"))
  }

  func forward(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    exchange: NormStatisticsExchange?
  ) {
    layerNormForward(
      out: out, mean: mean, rstd: rstd, inp: inp, weight: weight, bias: bias, rows: rows,
      channels: channels)
  }

  func evalForward(out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>) {
    forward(out: out, inp: inp, exchange: nil)
  }

  func backward(
    dinp: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, exchange: NormStatisticsExchange?
  ) {
    layerNormBackward(
      dinp: dinp, dweight: dweight, dbias: dbias, dout: dout, inp: inp, weight: weight,
      mean: mean, rstd: rstd, rows: rows, channels: channels)
  }

  func evalRow(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    layerNormForward(
      out: out, mean: scratch, rstd: scratch + 1, inp: inp, weight: weight, bias: bias,
      rows: 1, channels: channels)
  }
}
