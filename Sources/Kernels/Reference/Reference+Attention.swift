#if canImport(Glibc)
  import Glibc
#endif

extension Reference {
  /// Causal softmax attention from qkv (B, T, 3C) → (B, T, C), one dot product at a time.
  public static func softmaxAttention(
    _ qkv: [Float], batch b: Int, time t: Int, channels c: Int,
    heads nh: Int
  ) -> [Float] {
    let hs = c / nh
    var out = [Float](repeating: 0, count: b * t * c)
    func at(_ bi: Int, _ ti: Int, _ part: Int, _ h: Int, _ j: Int) -> Double {
      Double(qkv[(bi * t + ti) * 3 * c + part * c + h * hs + j])
    }
    for bi in 0..<b {
      for h in 0..<nh {
        for ti in 0..<t {
          let scores = (0...ti).map { s in
            (0..<hs).reduce(0.0) { $0 + at(bi, ti, 0, h, $1) * at(bi, s, 1, h, $1) }
              / Double(hs).squareRoot()
          }
          let m = scores.max() ?? 0
          let weights = scores.map { exp($0 - m) }
          let total = weights.reduce(0, +)
          for j in 0..<hs {
            var y: Double = 0
            for s in 0...ti { y += weights[s] / total * at(bi, s, 2, h, j) }
            out[(bi * t + ti) * c + h * hs + j] = Float(y)
          }
        }
      }
    }
    return out
  }

  /// Causal linear attention as the step-by-step recurrence of Katharopoulos et al.:
  /// `S_t = S_{t−1} + φ(k_t) v_tᵀ`, `z_t = z_{t−1} + φ(k_t)`,
  /// `y_t = φ(q_t)ᵀ S_t / (φ(q_t)ᵀ z_t + ε)`, with φ(x) = elu(x) + 1.
  public static func linearAttention(
    _ qkv: [Float], batch b: Int, time t: Int, channels c: Int,
    heads nh: Int
  ) -> [Float] {
    let hs = c / nh
    var out = [Float](repeating: 0, count: b * t * c)
    func phi(_ x: Float) -> Double { x > 0 ? Double(x) + 1 : exp(Double(x)) }
    for bi in 0..<b {
      for h in 0..<nh {
        var s = [Double](repeating: 0, count: hs * hs)
        var z = [Double](repeating: 0, count: hs)
        for ti in 0..<t {
          let row = (bi * t + ti) * 3 * c + h * hs
          for i in 0..<hs {
            let k = phi(qkv[row + c + i])
            z[i] += k
            for j in 0..<hs { s[i * hs + j] += k * Double(qkv[row + 2 * c + j]) }
          }
          let q = (0..<hs).map { phi(qkv[row + $0]) }
          let den = (0..<hs).reduce(0.0) { $0 + q[$1] * z[$1] } + Double(linearAttentionEpsilon)
          for j in 0..<hs {
            let num = (0..<hs).reduce(0.0) { $0 + q[$1] * s[$1 * hs + j] }
            out[(bi * t + ti) * c + h * hs + j] = Float(num / den)
          }
        }
      }
    }
    return out
  }
}
