import CBLAS

#if canImport(Glibc)
  import Glibc
#endif

// Shapes: N = rows (B·T positions), C = channels, V = vocabulary.

/// Tied language-model head and mean cross-entropy:
///
/// ```
/// logits = h · wteᵀ                     (N, V)
/// p      = softmax(logits) per row
/// loss   = −(1/N) Σ_n log p[n, target_n]
/// ```
/// Leaves the probabilities in `probs` (N, V) for the backward; returns the loss.
public func crossEntropyForward(
  probs: UnsafeMutablePointer<Float>, h: UnsafePointer<Float>, wte: UnsafePointer<Float>,
  targets: UnsafePointer<Int32>, rows n: Int, channels c: Int, vocabulary v: Int
) -> Float {
  cblas_sgemm(
    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(v), Int32(c),
    1, h, Int32(c), wte, Int32(c), 0, probs, Int32(v))
  var loss: Double = 0
  for r in 0..<n {
    let row = probs + r * v
    softmaxInPlace(row, count: v)
    loss -= Double(logf(max(row[Int(targets[r])], Float.leastNormalMagnitude)))
  }
  return Float(loss / Double(n))
}

/// Backward of `crossEntropyForward` for `dloss` = ∂objective/∂loss:
///
/// ```
/// dlogits = dloss · (p − onehot(target)) / N      (written over probs)
/// dh   += dlogits · wte
/// dwte += dlogitsᵀ · h
/// ```
/// Overwrites `probs` with `dlogits`. A nil `dwte` skips its GEMM (wte frozen: gradual
/// unfreezing).
public func crossEntropyBackward(
  dh: UnsafeMutablePointer<Float>, dwte: UnsafeMutablePointer<Float>?,
  probs: UnsafeMutablePointer<Float>, h: UnsafePointer<Float>, wte: UnsafePointer<Float>,
  targets: UnsafePointer<Int32>, dloss: Float, rows n: Int, channels c: Int, vocabulary v: Int
) {
  let scale = dloss / Float(n)
  for r in 0..<n {
    let row = probs + r * v
    row[Int(targets[r])] -= 1
    for j in 0..<v { row[j] *= scale }
  }
  cblas_sgemm(
    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(c), Int32(v),
    1, probs, Int32(v), wte, Int32(c), 1, dh, Int32(c))
  guard let dwte else { return }
  cblas_sgemm(
    CblasRowMajor, CblasTrans, CblasNoTrans, Int32(v), Int32(c), Int32(n),
    1, probs, Int32(v), h, Int32(c), 1, dwte, Int32(c))
}

/// `x ← softmax(x)` over n ≥ 1 entries, max-subtracted.
@inline(__always)
public func softmaxInPlace(_ x: UnsafeMutablePointer<Float>, count n: Int) {
  let m = vectorMax(x, n)
  var acc = FloatVector()
  var i = 0
  while i + vectorWidth <= n {
    let e = expVector(loadVector(x + i) - m)
    storeVector(e, x + i)
    acc += e
    i += vectorWidth
  }
  var sum = acc.sum()
  while i < n {
    x[i] = fastExp(x[i] - m)
    sum += x[i]
    i += 1
  }
  let inv = 1 / sum
  for j in 0..<n { x[j] *= inv }
}
