import Datasets
import Kernels
import Models

/// Figures of one optimizer step.
public struct StepStatistics: Sendable {
  /// Mean training loss over the step's micro-batches (nats per token).
  public var loss: Double
  /// Global L2 norm of the gradient before clipping.
  public var gradNorm: Double
  public var learningRate: Double
  /// Tokens this process trained on in the step.
  public var tokens: Int
}

/// One worker's training state and its step: micro-batches with gradient accumulation,
/// global-norm clipping, the learning-rate schedule and AdamW.
///
/// ```
/// for each of grad_accum micro-batches:  forward, backward with loss scale 1/grad_accum
/// g ← g · min(1, clip / ‖g‖)
/// θ ← AdamW(θ, g, lr(step))
/// ```
/// Everything a step reads from (parameters, moments, step, sampler state) is what a checkpoint
/// stores, so a resumed run continues bit for bit.
public final class Trainer {
  public let run: RunConfig
  public let model: Transformer
  public let optimizer: AdamW
  public let schedule: LearningRateSchedule
  public var sampler: BatchSampler
  /// Optimizer steps completed.
  public var step = 0
  /// Sequences per micro-batch on this worker.
  public let microBatch: Int
  let inputs: UnsafeMutablePointer<Int32>
  let targets: UnsafeMutablePointer<Int32>

  /// Builds the model and optimizer for `run` on one worker, drawing training windows from
  /// `trainTokens`.
  ///
  /// - Throws: `ModelError` for impossible shapes.
  public init(run: RunConfig, trainTokens: [UInt8]) throws {
    self.run = run
    microBatch = run.train.batch / run.train.gradAccum
    model = try Transformer(config: run.model, batch: microBatch, seed: run.train.seed)
    optimizer = AdamW(
      layout: model.layout.parameters, beta1: Float(run.train.beta1),
      beta2: Float(run.train.beta2), weightDecay: Float(run.train.weightDecay))
    schedule = LearningRateSchedule(
      peak: run.train.lr, minimum: run.train.minLR, warmup: run.train.warmup,
      steps: run.train.steps, shape: run.train.schedule == .cosine ? .cosine : .constant)
    // The data generator is seeded apart from initialization, so both can be reasoned about.
    sampler = BatchSampler(
      tokens: trainTokens, context: run.model.context,
      seed: run.train.seed &+ 0x9E37_79B9)
    let n = microBatch * run.model.context
    inputs = .allocate(capacity: n)
    inputs.initialize(repeating: 0, count: n)
    targets = .allocate(capacity: n)
    targets.initialize(repeating: 0, count: n)
  }

  deinit {
    inputs.deallocate()
    targets.deallocate()
  }

  /// Runs optimizer step `step` and advances it.
  public func trainStep() -> StepStatistics {
    let accumulation = run.train.gradAccum
    model.zeroGradients()
    var loss: Double = 0
    for _ in 0..<accumulation {
      sampler.nextBatch(
        globalBatch: microBatch, rank: 0, workers: 1, inputs: inputs, targets: targets)
      loss += Double(model.forward(tokens: inputs, targets: targets, training: true))
      model.backward(lossScale: 1 / Float(accumulation))
    }
    let norm = gradientNorm(model.gradients)
    let lr = schedule.rate(at: step)
    optimizer.update(
      parameters: model.parameters, gradients: model.gradients, lr: Float(lr),
      gradScale: clippingScale(norm: norm, maxNorm: run.train.clip))
    step += 1
    return StepStatistics(
      loss: loss / Double(accumulation), gradNorm: norm, learningRate: lr,
      tokens: accumulation * microBatch * run.model.context)
  }
}
