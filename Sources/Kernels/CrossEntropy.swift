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
/// loss   = −(1/N') Σ_{n: target_n ≥ 0} log p[n, target_n]
/// ```
/// A negative target (`-1`) marks a position without loss (a loss mask, as for the answer-only
/// loss of `RecallEpisodes`); N' counts the others, so with no masked position N' = N.
/// Leaves the probabilities in `probs` (N, V) for the backward; returns the loss (0 when every
/// position is masked).
public func crossEntropyForward(
  probs: UnsafeMutablePointer<Float>, h: UnsafePointer<Float>, wte: UnsafePointer<Float>,
  targets: UnsafePointer<Int32>, rows n: Int, channels c: Int, vocabulary v: Int
) -> Float {
  profiled(.elementwise) {  // the row softmax; the product is charged to GEMM
    crossEntropyLoss(
      probs: probs, h: h, wte: wte, targets: targets, rows: n, channels: c, vocabulary: v)
  }
}

/// `crossEntropyForward`'s body.
private func crossEntropyLoss(
  probs: UnsafeMutablePointer<Float>, h: UnsafePointer<Float>, wte: UnsafePointer<Float>,
  targets: UnsafePointer<Int32>, rows n: Int, channels c: Int, vocabulary v: Int
) -> Float {
  sgemm(
    transposeB: true, m: n, n: v, k: c, a: h, lda: c, b: wte, ldb: c, beta: 0, c: probs, ldc: v)
  var loss: Double = 0
  var scored = 0
  for r in 0..<n {
    let row = probs + r * v
    softmaxInPlace(row, count: v)
    guard targets[r] >= 0 else { continue }
    loss -= Double(logf(max(row[Int(targets[r])], Float.leastNormalMagnitude)))
    scored += 1
  }
  return scored > 0 ? Float(loss / Double(scored)) : 0
}

/// Positions of `targets` (n) that carry loss: those with a target ≥ 0.
@inline(__always)
func scoredCount(_ targets: UnsafePointer<Int32>, _ n: Int) -> Int {
  var scored = 0
  for r in 0..<n where targets[r] >= 0 { scored += 1 }
  return scored
}

/// Backward of `crossEntropyForward` for `dloss` = ∂objective/∂loss:
///
/// ```
/// dlogits = dloss · (p − onehot(target)) / N'     (written over probs; 0 where target < 0)
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
  profiled(.elementwise) {  // dlogits; the products are charged to GEMM
    let scored = scoredCount(targets, n)
    let scale = scored > 0 ? dloss / Float(scored) : 0
    for r in 0..<n {
      let row = probs + r * v
      guard targets[r] >= 0 else {
        row.update(repeating: 0, count: v)
        continue
      }
      row[Int(targets[r])] -= 1
      for j in 0..<v { row[j] *= scale }
    }
    sgemm(m: n, n: c, k: v, a: probs, lda: v, b: wte, ldb: c, beta: 1, c: dh, ldc: c)
    guard let dwte else { return }
    sgemm(
      transposeA: true, m: v, n: c, k: n, a: probs, lda: v, b: h, ldb: c, beta: 1, c: dwte,
      ldc: c)
  }
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
