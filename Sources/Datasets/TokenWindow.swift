/// Copies one window of a token stream into a row of inputs and a row of targets.
enum TokenWindow {
  /// `inputs[0..<context] = tokens[start..<start+context]` and
  /// `targets[0..<context] = tokens[start+1..<start+context+1]`, as `Int32`.
  static func copy(
    _ tokens: UnsafeBufferPointer<UInt8>, start: Int, context: Int,
    inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>
  ) {
    precondition(start >= 0 && start + context < tokens.count, "window outside the stream")
    for t in 0..<context {
      inputs[t] = Int32(tokens[start + t])
      targets[t] = Int32(tokens[start + t + 1])
    }
  }
}
