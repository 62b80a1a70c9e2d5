import Config
import Datasets
import Models

/// Mean next-token loss of a model over windows of a token stream, in evaluation mode
/// (BatchNorm uses running statistics).
///
/// Windows are the non-overlapping windows of `ValidationWindows`. Batches of the model's
/// micro-batch size are filled with the chosen windows; a last partial batch repeats its final
/// window in the spare rows, whose losses are not counted.
public enum Evaluator {
  /// Mean loss in nats per token over the windows numbered `indices`, and the number of tokens
  /// scored.
  public static func loss(
    of model: Transformer, windows: ValidationWindows, indices: [Int]
  ) -> (loss: Double, tokens: Int) {
    let (b, t) = (model.batch, model.config.context)
    var inputs = [Int32](repeating: 0, count: b * t)
    var targets = [Int32](repeating: 0, count: b * t)
    var total: Double = 0
    var scored = 0
    var start = 0
    while start < indices.count {
      let chunk = Array(indices[start..<min(indices.count, start + b)])
      inputs.withUnsafeMutableBufferPointer { inputs in
        targets.withUnsafeMutableBufferPointer { targets in
          for row in 0..<b {
            let window = chunk[min(row, chunk.count - 1)]
            windows.fill(
              windows: window..<(window + 1), inputs: inputs.baseAddress! + row * t,
              targets: targets.baseAddress! + row * t)
          }
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
