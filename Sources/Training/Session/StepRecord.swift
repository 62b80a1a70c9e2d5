import Datasets
import Distributed
import Support

/// One line of `metrics.jsonl`: what one optimizer step did, written by the session (rank 0)
/// and read back by `RunMeasurement`. Keys as README documents them; NaN and infinities are
/// written as null and read back as NaN. Every key but `eval_loss` and `skipped` is required
/// on reading.
public struct StepRecord: Codable, Sendable {
  public var step: Int
  /// Mean training loss of the step over all workers (nats per token).
  public var loss: Double
  public var learningRate: Double
  /// Global gradient L2 norm before clipping.
  public var gradNorm: Double
  /// Wall seconds of the step on rank 0.
  public var stepSeconds: Double
  /// Tokens per second over all workers.
  public var tokensPerSecond: Double
  /// This step's collectives on rank 0, per category.
  public var comm: CollectiveSnapshot
  /// The communication of the step without the load imbalance (`LeastWaitObserver`).
  public var leastWait: LeastWaits
  /// Each worker's own compute in the step, mean and slowest over the workers
  /// (`ComputeTimeObserver`); nil in lines written before it was recorded.
  public var computeSeconds: ComputeSeconds?
  /// The validation loss, on the steps that evaluated.
  public var evalLoss: Double?
  /// The loss or gradient was not finite and the step updated nothing
  /// (`train.skip_nonfinite`); written only when true.
  public var skipped: Bool
  /// Every block's weight-gradient norms by tensor (`attn.qkv`, `attn.proj`, `mlp.fc`,
  /// `mlp.proj`; element l is block l), of the summed gradient the update used; written only
  /// with `train.log_layer_gradients`.
  public var layerGradientNorms: [String: [Double]]?

  public init(
    step: Int, loss: Double, learningRate: Double, gradNorm: Double, stepSeconds: Double,
    tokensPerSecond: Double, comm: CollectiveSnapshot, leastWait: LeastWaits,
    evalLoss: Double? = nil, skipped: Bool = false
  ) {
    (self.step, self.loss, self.learningRate, self.gradNorm) = (step, loss, learningRate, gradNorm)
    (self.stepSeconds, self.tokensPerSecond, self.comm) = (stepSeconds, tokensPerSecond, comm)
    (self.leastWait, self.evalLoss, self.skipped) = (leastWait, evalLoss, skipped)
  }

  enum CodingKeys: String, CodingKey {
    case step, loss, comm, skipped
    case learningRate = "lr"
    case gradNorm = "grad_norm"
    case stepSeconds = "step_seconds"
    case tokensPerSecond = "tokens_per_s"
    case leastWait = "least_wait_seconds"
    case computeSeconds = "compute_seconds"
    case evalLoss = "eval_loss"
    case layerGradientNorms = "layer_grad_norms"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    step = try c.decode(Int.self, forKey: .step)
    loss = try c.decodeFinite(forKey: .loss)
    learningRate = try c.decodeFinite(forKey: .learningRate)
    gradNorm = try c.decodeFinite(forKey: .gradNorm)
    stepSeconds = try c.decodeFinite(forKey: .stepSeconds)
    tokensPerSecond = try c.decodeFinite(forKey: .tokensPerSecond)
    comm = try c.decode(CollectiveSnapshot.self, forKey: .comm)
    leastWait = try c.decode(LeastWaits.self, forKey: .leastWait)
    computeSeconds = try c.decodeIfPresent(ComputeSeconds.self, forKey: .computeSeconds)
    evalLoss = c.contains(.evalLoss) ? try c.decodeFinite(forKey: .evalLoss) : nil
    skipped = try c.decodeIfPresent(Bool.self, forKey: .skipped) ?? false
    layerGradientNorms = try c.decodeIfPresent(
      [String: [Double]].self, forKey: .layerGradientNorms)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(step, forKey: .step)
    try c.encodeFinite(loss, forKey: .loss)
    try c.encodeFinite(learningRate, forKey: .learningRate)
    try c.encodeFinite(gradNorm, forKey: .gradNorm)
    try c.encodeFinite(stepSeconds, forKey: .stepSeconds)
    try c.encodeFinite(tokensPerSecond, forKey: .tokensPerSecond)
    try c.encode(comm, forKey: .comm)
    try c.encode(leastWait, forKey: .leastWait)
    try c.encodeIfPresent(computeSeconds, forKey: .computeSeconds)
    if let evalLoss { try c.encodeFinite(evalLoss, forKey: .evalLoss) }
    if skipped { try c.encode(true, forKey: .skipped) }
    if let layerGradientNorms { try c.encode(layerGradientNorms, forKey: .layerGradientNorms) }
  }

  /// The workers' own compute in the step (mean over the workers), 0 when not recorded.
  public var ownCompute: Double { computeSeconds?.mean ?? 0 }
  /// Seconds this step spent in `category`'s collectives.
  public func seconds(_ category: CollectiveCategory) -> Double { comm[category].seconds }
  /// Calls this step made in `category`.
  public func calls(_ category: CollectiveCategory) -> Double { Double(comm[category].calls) }
  /// Bytes this step contributed to `category`'s collectives.
  public func bytes(_ category: CollectiveCategory) -> Double { Double(comm[category].bytes) }
}

/// `least_wait_seconds`: `{"gradients": s, "norm_stats": s}`, keys from `CollectiveCategory`.
/// The least seconds any worker waited (0 with one worker): gradients, the least total wait
/// over the workers; norm statistics, the sum over the step's calls of each call's least wait.
public struct LeastWaits: Codable, Equatable, Sendable {
  public var gradients: Double
  public var normStatistics: Double

  public init(gradients: Double = 0, normStatistics: Double = 0) {
    (self.gradients, self.normStatistics) = (gradients, normStatistics)
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CategoryKey.self)
    gradients = try c.decodeFinite(forKey: CategoryKey(.gradients))
    normStatistics = try c.decodeFinite(forKey: CategoryKey(.normStats))
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CategoryKey.self)
    try c.encodeFinite(gradients, forKey: CategoryKey(.gradients))
    try c.encodeFinite(normStatistics, forKey: CategoryKey(.normStats))
  }
}

/// `compute_seconds`: `{"mean": s, "slowest": s}`, the CPU seconds of each worker's main
/// thread outside collectives in the step (its own work, without time spent waiting for other
/// workers or for a core), averaged over the workers and the largest of them.
public struct ComputeSeconds: Codable, Equatable, Sendable {
  public var mean: Double
  public var slowest: Double

  public init(mean: Double = 0, slowest: Double = 0) { (self.mean, self.slowest) = (mean, slowest) }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    mean = try c.decodeFinite(forKey: .mean)
    slowest = try c.decodeFinite(forKey: .slowest)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encodeFinite(mean, forKey: .mean)
    try c.encodeFinite(slowest, forKey: .slowest)
  }

  enum CodingKeys: String, CodingKey { case mean, slowest }
}

/// `summary.json`: the whole run, written by the session (rank 0) when training ends. Keys as
/// README documents them; a non-finite loss is written as null.
public struct RunSummary: Codable, Sendable {
  public var steps: Int
  public var finalTrainLoss: Double
  public var finalValidationLoss: Double
  /// Wall seconds of the session; NaN (null) when it trained no step (a finished run resumed
  /// for its lost summary).
  public var wallSeconds: Double
  /// Tokens per second over all workers and the whole session; NaN (null) when it trained no
  /// step.
  public var tokensPerSecond: Double
  /// Peak resident memory of rank 0, MB (0 where it cannot be read).
  public var peakMemoryMB: Double
  /// The session's workers; when it trained no step, those of the checkpoint it resumed from.
  public var workers: Int
  public var parameters: Int
  /// Every collective of the session on rank 0, per category.
  public var comm: CollectiveSnapshot
  /// The files the run trained on, with their hashes (`data` in the JSON); nil when unknown.
  public var data: DataFingerprint?

  public init(
    steps: Int, finalTrainLoss: Double, finalValidationLoss: Double, wallSeconds: Double,
    tokensPerSecond: Double, peakMemoryMB: Double, workers: Int, parameters: Int,
    comm: CollectiveSnapshot, data: DataFingerprint? = nil
  ) {
    (self.steps, self.finalTrainLoss, self.finalValidationLoss) =
      (steps, finalTrainLoss, finalValidationLoss)
    (self.wallSeconds, self.tokensPerSecond, self.peakMemoryMB) =
      (wallSeconds, tokensPerSecond, peakMemoryMB)
    (self.workers, self.parameters, self.comm, self.data) = (workers, parameters, comm, data)
  }

  enum CodingKeys: String, CodingKey {
    case steps, workers, parameters, comm, data
    case finalTrainLoss = "final_train_loss"
    case finalValidationLoss = "final_val_loss"
    case wallSeconds = "wall_seconds"
    case tokensPerSecond = "tokens_per_s"
    case peakMemoryMB = "peak_memory_mb"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    steps = try c.decode(Int.self, forKey: .steps)
    finalTrainLoss = try c.decodeFinite(forKey: .finalTrainLoss)
    finalValidationLoss = try c.decodeFinite(forKey: .finalValidationLoss)
    wallSeconds = try c.decodeFinite(forKey: .wallSeconds)
    tokensPerSecond = try c.decodeFinite(forKey: .tokensPerSecond)
    peakMemoryMB = try c.decodeFinite(forKey: .peakMemoryMB)
    workers = try c.decode(Int.self, forKey: .workers)
    parameters = try c.decode(Int.self, forKey: .parameters)
    comm = try c.decode(CollectiveSnapshot.self, forKey: .comm)
    data = try c.decodeIfPresent(DataFingerprint.self, forKey: .data)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(steps, forKey: .steps)
    try c.encodeFinite(finalTrainLoss, forKey: .finalTrainLoss)
    try c.encodeFinite(finalValidationLoss, forKey: .finalValidationLoss)
    try c.encodeFinite(wallSeconds, forKey: .wallSeconds)
    try c.encodeFinite(tokensPerSecond, forKey: .tokensPerSecond)
    try c.encodeFinite(peakMemoryMB, forKey: .peakMemoryMB)
    try c.encode(workers, forKey: .workers)
    try c.encode(parameters, forKey: .parameters)
    try c.encode(comm, forKey: .comm)
    try c.encodeIfPresent(data, forKey: .data)
  }

  /// The summary in `path` (a run's summary.json).
  ///
  /// - Throws: `RunError` when the file cannot be read; `JSONReadError` naming the file and key
  ///   when a key is missing.
  public static func read(path: String) throws -> RunSummary {
    let text: String
    do { text = try FileSystem.text(of: path) } catch { throw RunError("\(error)") }
    return try JSONStyle.decode(RunSummary.self, from: text, source: "\"\(path)\"")
  }
}
