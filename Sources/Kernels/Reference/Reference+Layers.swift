#if canImport(Glibc)
  import Glibc
#endif

/// Slow, obvious implementations of the forward kernels in Double, one plain loop per formula,
/// for tests to compare the optimized kernels against. Inputs and outputs are row-major arrays
/// with the shapes of the kernel they mirror.
public enum Reference {
  /// `out = inp · weightᵀ + bias`; inp (N, IC), weight (OC, IC) → (N, OC).
  public static func linear(
    _ inp: [Float], _ weight: [Float], _ bias: [Float]?, rows n: Int,
    inChannels ic: Int, outChannels oc: Int
  ) -> [Float] {
    var out = [Float](repeating: 0, count: n * oc)
    for r in 0..<n {
      for o in 0..<oc {
        var s = Double(bias?[o] ?? 0)
        for i in 0..<ic { s += Double(inp[r * ic + i]) * Double(weight[o * ic + i]) }
        out[r * oc + o] = Float(s)
      }
    }
    return out
  }

  /// LayerNorm of each row of a (N, C) matrix.
  public static func layerNorm(
    _ x: [Float], _ weight: [Float], _ bias: [Float], rows n: Int,
    channels c: Int
  ) -> [Float] {
    var out = x
    for r in 0..<n {
      let row = (0..<c).map { Double(x[r * c + $0]) }
      let mean = row.reduce(0, +) / Double(c)
      let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
      let rstd = 1 / (variance + Double(layerNormEpsilon)).squareRoot()
      for i in 0..<c {
        out[r * c + i] = Float((row[i] - mean) * rstd * Double(weight[i]) + Double(bias[i]))
      }
    }
    return out
  }

  /// RMSNorm of each row of a (N, C) matrix.
  public static func rmsNorm(_ x: [Float], _ weight: [Float], rows n: Int, channels c: Int)
    -> [Float]
  {
    var out = x
    for r in 0..<n {
      let row = (0..<c).map { Double(x[r * c + $0]) }
      let meanSquare = row.map { $0 * $0 }.reduce(0, +) / Double(c)
      let rstd = 1 / (meanSquare + Double(rmsNormEpsilon)).squareRoot()
      for i in 0..<c { out[r * c + i] = Float(row[i] * rstd * Double(weight[i])) }
    }
    return out
  }

  /// BatchNorm in training mode: each channel of a (N, C) matrix over its N rows, biased
  /// variance.
  public static func batchNorm(
    _ x: [Float], _ weight: [Float], _ bias: [Float], rows n: Int,
    channels c: Int
  ) -> [Float] {
    var out = x
    for i in 0..<c {
      let column = (0..<n).map { Double(x[$0 * c + i]) }
      let mean = column.reduce(0, +) / Double(n)
      let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
      let rstd = 1 / (variance + Double(batchNormEpsilon)).squareRoot()
      for r in 0..<n {
        out[r * c + i] = Float((column[r] - mean) * rstd * Double(weight[i]) + Double(bias[i]))
      }
    }
    return out
  }

  /// GELU, tanh approximation, with libm's tanh.
  public static func gelu(_ x: [Float]) -> [Float] {
    x.map { v in
      let x = Double(v)
      let u = (2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)
      return Float(0.5 * x * (1 + tanh(u)))
    }
  }

  /// Token plus position embedding → (B, T, C).
  public static func embedding(
    _ tokens: [Int32], _ wte: [Float], _ wpe: [Float], batch b: Int,
    time t: Int, channels c: Int
  ) -> [Float] {
    var out = [Float](repeating: 0, count: b * t * c)
    for bi in 0..<b {
      for ti in 0..<t {
        let token = Int(tokens[bi * t + ti])
        for i in 0..<c { out[(bi * t + ti) * c + i] = wte[token * c + i] + wpe[ti * c + i] }
      }
    }
    return out
  }

  /// Mean cross-entropy of `h · wteᵀ` against targets; h (N, C), wte (V, C).
  public static func crossEntropy(
    _ h: [Float], _ wte: [Float], _ targets: [Int32], rows n: Int,
    channels c: Int, vocabulary v: Int
  ) -> Double {
    var loss: Double = 0
    for r in 0..<n {
      let logits = (0..<v).map { j in
        (0..<c).reduce(0.0) { $0 + Double(h[r * c + $1]) * Double(wte[j * c + $1]) }
      }
      let m = logits.max() ?? 0
      let logSum = log(logits.map { exp($0 - m) }.reduce(0, +)) + m
      loss += logSum - logits[Int(targets[r])]
    }
    return loss / Double(n)
  }
}
