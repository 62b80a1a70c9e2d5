import Models

/// Mean next-token loss of a model over windows of a token stream, in evaluation mode
/// (BatchNorm uses running statistics).
///
/// Windows are non-overlapping: window i holds tokens [i·T, i·T + T + 1), its inputs the first
/// T and its targets the last T. Batches of the model's micro-batch size are filled with
/// consecutive windows; a last partial batch repeats its final window in the spare rows, whose
/// losses are not counted.
public enum Evaluator {
  /// Number of non-overlapping windows of `context + 1` tokens in `count` tokens.
  public static func windowCount(tokens count: Int, context: Int) -> Int {
    count > context ? (count - 1) / context : 0
  }

  /// Mean loss in nats per token over `windows` (indices into the stream's windows), and the
  /// number of tokens scored.
  public static func loss(
    of model: Transformer, tokens: [UInt8], windows: [Int]
  ) -> (loss: Double, tokens: Int) {
    let (b, t) = (model.batch, model.config.context)
    var inputs = [Int32](repeating: 0, count: b * t)
    var targets = [Int32](repeating: 0, count: b * t)
    var total: Double = 0
    var scored = 0
    var start = 0
    while start < windows.count {
      let chunk = Array(windows[start..<min(windows.count, start + b)])
      for row in 0..<b {
        let base = chunk[min(row, chunk.count - 1)] * t
        for j in 0..<t {
          inputs[row * t + j] = Int32(tokens[base + j])
          targets[row * t + j] = Int32(tokens[base + j + 1])
        }
      }
      model.forward(tokens: inputs, targets: targets, training: false)
      total += model.summedLoss(sequences: 0..<chunk.count)
      scored += chunk.count * t
      start += b
    }
    return (scored > 0 ? total / Double(scored) : .nan, scored)
  }

  /// `count` window indices spread evenly over `available` windows (all when fewer).
  public static func evenlySpaced(_ count: Int, of available: Int) -> [Int] {
    guard count < available else { return Array(0..<available) }
    return (0..<count).map { $0 * available / count }
  }
}
