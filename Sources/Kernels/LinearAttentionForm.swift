// Shapes: B = sequences, T = time, C = channels, H = heads, hs = C / H, N = B·T rows.
// qkv (N, 3C): q at channels [0, C), k at [C, 2C), v at [2C, 3C); phi (N, 2C): φ(q) then φ(k).

/// The two attention kinds `chunkedLinearAttentionForward` trains: one chunkwise kernel, two
/// choices. Per head, with the state `S_t = Σ_{s≤t} φ(k_s) v_sᵀ` (hs, hs):
///
/// ```
/// linear          φ(x) = elu(x) + 1            y_t = φ(q_t)ᵀ S_t / (φ(q_t)ᵀ z_t + 1e-6)
/// fastWeightSum   φ(x) = p / Σ_j p_j,          y_t = φ(q_t)ᵀ S_t  (= W_t φ(q_t), W_t = S_tᵀ)
///                 p = elu(x) + 1
/// ```
/// with `z_t = Σ_{s≤t} φ(k_s)`. `fastWeightSum` is the sum update `W_t = W_{t−1} + v_t φ(k_t)ᵀ`
/// with the delta rule's normalized φ (`fastWeightAttentionForward`) and no denominator: the
/// normalization of φ replaces it.
///
/// ### References
/// A. Katharopoulos, A. Vyas, N. Pappas, F. Fleuret, "Transformers are RNNs: Fast
/// Autoregressive Transformers with Linear Attention", ICML 2020 (`linear`).
/// I. Schlag, K. Irie, J. Schmidhuber, "Linear Transformers Are Secretly Fast Weight
/// Programmers", ICML 2021, section 4.1 (`fastWeightSum`, the sum update rule).
public enum LinearAttentionForm: Sendable, CaseIterable {
  case linear
  case fastWeightSum

  /// Whether each output is divided by `φ(q_t)ᵀ z_t + 1e-6`.
  public var hasDenominator: Bool { self == .linear }

  /// Floats per token and head the forward saves beside φ, in `scalars` (N, scalarsPerHead·H):
  /// the denominator for `linear`; 1/Σ(elu(q)+1), then 1/Σ(elu(k)+1) for `fastWeightSum`.
  public var scalarsPerHead: Int { self == .linear ? 1 : 2 }
}

/// φ(q) and φ(k) of every row into `phi` (N, 2C), and for `fastWeightSum` the inverse sums
/// into `scalars` (N, 2H): per row, 1/Σ(elu(q)+1) of heads 0..<H, then those of k.
func fillFeatures(
  _ form: LinearAttentionForm, phi: UnsafeMutablePointer<Float>,
  scalars: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>, rows: Int, channels c: Int,
  heads nh: Int
) {
  let hs = c / nh
  for row in 0..<rows {
    let x = qkv + row * 3 * c
    let p = phi + row * 2 * c
    switch form {
    case .linear:
      for i in 0..<(2 * c) { p[i] = eluPlusOne(x[i]) }
    case .fastWeightSum:
      for part in 0..<2 {
        for h in 0..<nh {
          let o = part * c + h * hs
          scalars[row * 2 * nh + part * nh + h] = normalizedEluPlusOne(p + o, x + o, hs)
        }
      }
    }
  }
}

/// `dx += ∂φ/∂x · dφ` for `rows` rows of one head's q or k (`part` 0 or 1). Row strides: `dx`,
/// `x` 3C, `phi` 2C, `dphi` hs; `scalars` points at the chunk's first row, stride 2H (unused
/// for `linear`).
@inline(__always)
func addThroughFeatureMap(
  _ form: LinearAttentionForm, part: Int, dx: UnsafeMutablePointer<Float>,
  dphi: UnsafePointer<Float>, x: UnsafePointer<Float>, phi: UnsafePointer<Float>,
  scalars: UnsafePointer<Float>, rows n: Int, channels c: Int, heads nh: Int
) {
  switch form {
  case .linear:
    addThroughEluPlusOne(
      dx: dx, dphi: dphi, x: x, phi: phi, time: n, headSize: c / nh, channels: c)
  case .fastWeightSum:
    addThroughNormalizedEluPlusOne(
      dx: dx, dphi: dphi, x: x, phi: phi, invSum: scalars + part * nh, invSumStride: 2 * nh,
      time: n, channels: c, heads: nh)
  }
}
