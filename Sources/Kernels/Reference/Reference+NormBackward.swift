extension Reference {
  /// Gradients of `Σ dout · layerNorm(x)` for a (N, C) matrix, in Double, straight from the
  /// formulas of `layerNormBackward` with the statistics recomputed: (dinp (N, C), dweight (C),
  /// dbias (C)).
  public static func layerNormBackward(
    _ dout: [Float], _ x: [Float], _ weight: [Float], rows n: Int, channels c: Int
  ) -> (dinp: [Float], dweight: [Float], dbias: [Float]) {
    var dinp = [Float](repeating: 0, count: n * c)
    var dweight = [Double](repeating: 0, count: c)
    var dbias = [Double](repeating: 0, count: c)
    for r in 0..<n {
      let row = (0..<c).map { Double(x[r * c + $0]) }
      let mean = row.reduce(0, +) / Double(c)
      let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
      let rstd = 1 / (variance + Double(layerNormEpsilon)).squareRoot()
      let xhat = row.map { ($0 - mean) * rstd }
      let g = (0..<c).map { Double(dout[r * c + $0]) * Double(weight[$0]) }
      let gMean = g.reduce(0, +) / Double(c)
      let gxMean = (0..<c).map { g[$0] * xhat[$0] }.reduce(0, +) / Double(c)
      for i in 0..<c {
        dinp[r * c + i] = Float(rstd * (g[i] - gMean - xhat[i] * gxMean))
        dweight[i] += Double(dout[r * c + i]) * xhat[i]
        dbias[i] += Double(dout[r * c + i])
      }
    }
    return (dinp, dweight.map { Float($0) }, dbias.map { Float($0) })
  }

  /// Gradients of `Σ dout · rmsNorm(x)` for a (N, C) matrix, in Double, one plain loop per term
  /// of `rmsNormBackward` (the scalar loops that kernel had before it was vectorized):
  /// (dinp (N, C), dweight (C)).
  public static func rmsNormBackward(
    _ dout: [Float], _ x: [Float], _ weight: [Float], rows n: Int, channels c: Int
  ) -> (dinp: [Float], dweight: [Float]) {
    var dinp = [Float](repeating: 0, count: n * c)
    var dweight = [Double](repeating: 0, count: c)
    for r in 0..<n {
      let row = (0..<c).map { Double(x[r * c + $0]) }
      let meanSquare = row.map { $0 * $0 }.reduce(0, +) / Double(c)
      let rstd = 1 / (meanSquare + Double(rmsNormEpsilon)).squareRoot()
      var gxMean: Double = 0
      for i in 0..<c {
        gxMean += Double(dout[r * c + i]) * Double(weight[i]) * row[i] * rstd
      }
      gxMean /= Double(c)
      for i in 0..<c {
        let xhat = row[i] * rstd
        dinp[r * c + i] = Float(
          rstd * (Double(dout[r * c + i]) * Double(weight[i]) - xhat * gxMean))
        dweight[i] += Double(dout[r * c + i]) * xhat
      }
    }
    return (dinp, dweight.map { Float($0) })
  }
}
