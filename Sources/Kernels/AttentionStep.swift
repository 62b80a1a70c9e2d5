// Shapes: C = channels, H = heads, hs = C / H, T_max = the context the cache holds.

/// One token of causal softmax attention against a cache of the keys and values so far, for
/// generation: appends this token's k and v at row `position` of the caches, then per head
///
/// ```
/// s_j = q · k_j / √hs  for j ≤ position,   p = softmax(s),   y = Σ_j p_j v_j
/// ```
/// - Parameters:
///   - out: (C), overwritten.   qkv: (3C), this token's projections.
///   - keys, values: (T_max, C) caches; rows 0 ..< position hold earlier tokens.
///   - scores: (T_max) scratch.
/// - Complexity: O(position · C) per token.
public func softmaxAttentionStep(
  out: UnsafeMutablePointer<Float>, keys: UnsafeMutablePointer<Float>,
  values: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
  qkv: UnsafePointer<Float>, position: Int, channels c: Int, heads nh: Int
) {
  let hs = c / nh
  let scale = 1 / Float(hs).squareRoot()
  (keys + position * c).update(from: qkv + c, count: c)
  (values + position * c).update(from: qkv + 2 * c, count: c)
  let n = position + 1
  for h in 0..<nh {
    let q = qkv + h * hs
    for j in 0..<n { scores[j] = vectorDot(q, keys + j * c + h * hs, hs) * scale }
    softmaxInPlace(scores, count: n)
    let y = out + h * hs
    for i in 0..<hs { y[i] = 0 }
    for j in 0..<n {
      let v = values + j * c + h * hs
      for i in 0..<hs { y[i] += scores[j] * v[i] }
    }
  }
}
