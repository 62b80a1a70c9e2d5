// Shapes: B = sequences, T = context, C = channels; L_b = lengths[b], 1 <= L_b <= T.

/// Concat pooling over the real positions of each sequence (ULMFiT's classifier input):
///
/// ```
/// out[b] = [ h[b, L_b − 1],  max_{t < L_b} h[b, t],  (1/L_b) Σ_{t < L_b} h[b, t] ]    (3C)
/// ```
/// Positions `t >= L_b` (padding) are never read. `argmax` (B, C) records, per channel, the
/// position of the maximum (the first one on ties) for the backward.
///
/// - Parameters:
///   - out: (B, 3C), overwritten.
///   - argmax: (B, C), overwritten.
///   - h: (B, T, C).
///   - lengths: (B), each in 1...T.
///
/// ### References
/// J. Howard and S. Ruder, "Universal Language Model Fine-tuning for Text Classification",
/// ACL 2018, section 3.3.
public func concatPoolForward(
  out: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>,
  h: UnsafePointer<Float>, lengths: UnsafePointer<Int32>, batch b: Int, time t: Int,
  channels c: Int
) {
  for s in 0..<b {
    let length = Int(lengths[s])
    precondition(length >= 1 && length <= t, "length \(length) outside 1...\(t)")
    let (rows, pooled, index) = (h + s * t * c, out + s * 3 * c, argmax + s * c)
    let last = rows + (length - 1) * c
    for j in 0..<c {
      pooled[j] = last[j]
      pooled[c + j] = rows[j]
      pooled[2 * c + j] = 0
      index[j] = 0
    }
    for position in 0..<length {
      let row = rows + position * c
      for j in 0..<c {
        if row[j] > pooled[c + j] {
          pooled[c + j] = row[j]
          index[j] = Int32(position)
        }
        pooled[2 * c + j] += row[j]
      }
    }
    let inverse = 1 / Float(length)
    for j in 0..<c { pooled[2 * c + j] *= inverse }
  }
}

/// Backward of ``concatPoolForward``; adds into `dh`:
///
/// ```
/// dh[b, L_b − 1]        += dout[b, 0..<C]
/// dh[b, argmax[b, j], j] += dout[b, C + j]
/// dh[b, t]               += dout[b, 2C..<3C] / L_b      for t < L_b
/// ```
/// Padding positions get nothing.
public func concatPoolBackward(
  dh: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
  lengths: UnsafePointer<Int32>, batch b: Int, time t: Int, channels c: Int
) {
  for s in 0..<b {
    let length = Int(lengths[s])
    let (rows, grad, index) = (dh + s * t * c, dout + s * 3 * c, argmax + s * c)
    let last = rows + (length - 1) * c
    for j in 0..<c {
      last[j] += grad[j]
      rows[Int(index[j]) * c + j] += grad[c + j]
    }
    let inverse = 1 / Float(length)
    for position in 0..<length {
      let row = rows + position * c
      for j in 0..<c { row[j] += grad[2 * c + j] * inverse }
    }
  }
}
