// Shapes: B = sequences, T = time, C = channels, V = vocabulary.

/// Token plus position embedding: `out[b, t] = wte[tokens[b, t]] + wpe[t]`.
///
/// - Parameters:
///   - out: (B, T, C).
///   - tokens: (B, T), each in 0..<V (the caller validates them).
///   - wte: (V, C).  wpe: (T_max, C) with T ≤ T_max.
public func embeddingForward(
  out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>, wte: UnsafePointer<Float>,
  wpe: UnsafePointer<Float>, batch b: Int, time t: Int, channels c: Int
) {
  for bt in 0..<(b * t) {
    let y = out + bt * c
    let token = wte + Int(tokens[bt]) * c
    let position = wpe + (bt % t) * c
    for i in 0..<c { y[i] = token[i] + position[i] }
  }
}

/// Backward of `embeddingForward`: scatters `dout` into the rows of `dwte` and `dwpe` it came
/// from, adding.
public func embeddingBackward(
  dwte: UnsafeMutablePointer<Float>, dwpe: UnsafeMutablePointer<Float>,
  dout: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, batch b: Int, time t: Int,
  channels c: Int
) {
  for bt in 0..<(b * t) {
    let dy = dout + bt * c
    let token = dwte + Int(tokens[bt]) * c
    let position = dwpe + (bt % t) * c
    for i in 0..<c {
      token[i] += dy[i]
      position[i] += dy[i]
    }
  }
}
