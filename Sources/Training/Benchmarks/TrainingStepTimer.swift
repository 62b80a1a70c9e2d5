import Config
import Models
import Support

/// One model and its optimizer, stepping on fixed random tokens: times whole training steps
/// (zero gradients, forward, backward, gradient norm, AdamW) as `ddp bench` does.
final class TrainingStepTimer {
  let model: Transformer
  let optimizer: AdamW
  let tokens: [Int32]
  let targets: [Int32]
  let lr: Float
  let clip: Double

  /// - Throws: the model's error for a config it cannot build.
  init(_ run: RunConfig, batch: Int) throws {
    model = try Transformer(config: run.model, batch: batch, seed: run.train.seed)
    optimizer = AdamW(
      layout: model.layout.parameters, beta1: Float(run.train.beta1),
      beta2: Float(run.train.beta2), weightDecay: Float(run.train.weightDecay))
    var rng = RandomNumbers(seed: run.train.seed)
    let n = batch * run.model.context
    tokens = (0..<n).map { _ in Int32(rng.nextInt(below: run.model.vocabSize)) }
    targets = (0..<n).map { _ in Int32(rng.nextInt(below: run.model.vocabSize)) }
    (lr, clip) = (Float(run.train.lr), run.train.clip)
  }

  /// Seconds of one training step.
  func step() -> Double {
    let start = monotonicSeconds()
    model.zeroGradients()
    _ = model.forward(tokens: tokens, targets: targets)
    model.backward()
    let scale = clippingScale(norm: gradientNorm(model.gradients), maxNorm: clip)
    optimizer.update(
      parameters: model.parameters, gradients: model.gradients, lr: lr, gradScale: scale)
    return monotonicSeconds() - start
  }
}
