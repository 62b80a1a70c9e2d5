#if canImport(Glibc)
  import Glibc
#endif

// Shapes: B = rows (sequences), K = classes.

/// Softmax and mean cross-entropy over K classes, one label per row:
///
/// ```
/// p    = softmax(logits) per row                 (B, K), written over the logits
/// loss = −(1/B) Σ_b log p[b, label_b]
/// ```
/// Returns the loss; `logits` holds the probabilities afterwards.
public func classCrossEntropyForward(
  logits: UnsafeMutablePointer<Float>, labels: UnsafePointer<Int32>, rows b: Int,
  classes k: Int
) -> Float {
  var loss: Double = 0
  for r in 0..<b {
    let row = logits + r * k
    softmaxInPlace(row, count: k)
    loss -= Double(logf(max(row[Int(labels[r])], Float.leastNormalMagnitude)))
  }
  return Float(loss / Double(b))
}

/// Backward of ``classCrossEntropyForward`` for `dloss` = ∂objective/∂loss:
/// `dlogits = dloss · (p − onehot(label)) / B`, written to `dlogits` (it may be `probs`).
public func classCrossEntropyBackward(
  dlogits: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>,
  labels: UnsafePointer<Int32>, dloss: Float, rows b: Int, classes k: Int
) {
  let scale = dloss / Float(b)
  for r in 0..<b {
    for j in 0..<k {
      let target: Float = j == Int(labels[r]) ? 1 : 0
      dlogits[r * k + j] = scale * (probs[r * k + j] - target)
    }
  }
}
