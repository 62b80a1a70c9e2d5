import Datasets
import Foundation
import Models
import Support

/// Answer accuracy and loss of a model on held-out recall episodes, in evaluation mode.
///
/// ```
/// accuracy = (1/E) Σ_e [argmax_v p(v | episode e) = answer_e]
/// loss     = −(1/E) Σ_e log p(answer_e | episode e)          (nats, answer position only)
/// ```
/// Episodes come from a generator seeded apart from training's (`seed`), so they are new
/// draws of the same distribution (with S ≥ 2 a repeat of a training episode is vanishingly
/// rare).
public enum RecallEvaluator {
  public struct Result: Sendable, Equatable {
    public var accuracy: Double
    public var loss: Double
    public var episodes: Int
  }

  /// Scores `count` episodes in batches of the model's micro-batch (the last batch's spare
  /// rows are filled but not counted).
  ///
  /// - Precondition: `episodes.length == model.config.context`.
  public static func evaluate(
    _ model: Transformer, episodes: RecallEpisodes, count: Int, seed: UInt64
  ) -> Result {
    let (b, t, v) = (model.batch, model.config.context, model.config.vocabSize)
    precondition(episodes.length == t, "a recall episode must fill the context")
    var rng = RandomNumbers(seed: seed)
    var inputs = [Int32](repeating: 0, count: b * t)
    var targets = [Int32](repeating: 0, count: b * t)
    var (correct, loss, scored) = (0, 0.0, 0)
    while scored < count {
      inputs.withUnsafeMutableBufferPointer { inputs in
        targets.withUnsafeMutableBufferPointer { targets in
          for row in 0..<b {
            episodes.fill(
              inputs: inputs.baseAddress! + row * t, targets: targets.baseAddress! + row * t,
              rng: &rng)
          }
        }
      }
      model.forward(tokens: inputs, targets: targets, training: false)
      for row in 0..<min(b, count - scored) {
        let p = model.nextTokenProbabilities(sequence: row, position: t - 1)
        let answer = Int(targets[row * t + t - 1])
        var best = 0
        for j in 1..<v where p[j] > p[best] { best = j }
        if best == answer { correct += 1 }
        loss -= Double(log(max(p[answer], Float.leastNormalMagnitude)))
        scored += 1
      }
    }
    return Result(
      accuracy: Double(correct) / Double(scored), loss: loss / Double(scored), episodes: scored)
  }
}
