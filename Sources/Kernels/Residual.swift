/// Residual connection: `out = a + b` over n elements (`out` may alias `a`).
public func residualForward(
  out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
  count n: Int
) {
  for i in 0..<n { out[i] = a[i] + b[i] }
}

/// Backward of `residualForward`: the gradient flows unchanged to both inputs,
/// `da += dout`, `db += dout`.
public func residualBackward(
  da: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
  count n: Int
) {
  for i in 0..<n {
    da[i] += dout[i]
    db[i] += dout[i]
  }
}

/// `y += x` over n elements.
public func accumulate(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count n: Int) {
  for i in 0..<n { y[i] += x[i] }
}
