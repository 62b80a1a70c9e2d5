import Config
import Datasets
import Distributed
import Kernels
import Models
import Support

/// Figures of one optimizer step.
public struct StepStatistics: Sendable {
  /// Mean training loss over the step's micro-batches (nats per token).
  public var loss: Double
  /// Global L2 norm of the gradient before clipping.
  public var gradNorm: Double
  public var learningRate: Double
  /// Tokens this process trained on in the step.
  public var tokens: Int
  /// The loss or the gradient held NaN or Inf, so no update was made (the same on every worker:
  /// both are reduced over the workers before the check).
  public var nonFinite = false
  /// Some worker asked to stop after this step (every worker gets the same answer).
  public var stopRequested = false
}

/// One worker's training state and its step: its shard of every global batch, gradient
/// accumulation, the gradient all-reduce, global-norm clipping, the schedule and AdamW.
///
/// ```
/// for each of grad_accum micro-batches:  forward, backward with loss scale 1/(W·grad_accum)
/// g ← Σ_workers g                           (one all-reduce, after the last micro-batch)
/// g ← g · min(1, clip / ‖g‖)
/// θ ← AdamW(θ, g, lr(step))
/// ```
/// With W workers each micro-batch holds batch / (W·grad_accum) sequences; the sum of the
/// workers' scaled gradients is the gradient of the mean loss over the global batch, so every
/// rank applies the update one worker would (DESIGN.md section 4).
/// Everything a step reads from (parameters, moments, step, sampler state) is what a checkpoint
/// stores, so a resumed run continues bit for bit.
public final class Trainer {
  public let run: RunConfig
  public let model: Transformer
  public let optimizer: AdamW
  public let schedule: LearningRateSchedule
  /// ULMFiT's layer groups: discriminative rates and gradual unfreezing act on them.
  public let groups: LayerGroups
  /// Which groups train in each step (`train.unfreeze`).
  public let unfreezing: Unfreezing
  /// Per parameter entry, its group's learning-rate factor; nil when every group trains at
  /// `lr` (`train.lr_decay_per_layer = 1`).
  let rateScales: [Float]?
  public var sampler: BatchSampler
  /// The classifier's training documents (`model.head = "classifier"`), drawn with the
  /// sampler's generator (so a checkpoint's sampler state is their data position too); nil
  /// for a language model.
  public let classDocuments: [LabelledDocument]?
  /// Optimizer steps completed.
  public var step = 0
  /// Sequences per micro-batch on this worker.
  public let microBatch: Int
  public let communicator: any Communicator
  let inputs: UnsafeMutablePointer<Int32>
  let targets: UnsafeMutablePointer<Int32>
  /// (B) lengths and labels of a classifier's micro-batch.
  let lengths: UnsafeMutablePointer<Int32>
  let labels: UnsafeMutablePointer<Int32>
  let buckets: GradientBuckets
  /// BatchNorm running statistics before the step, restored when the step is not finite.
  let buffersBeforeStep: FlatTensors
  /// Watches every step's collectives (attached on every rank or on none).
  public var observer: (any StepObserver)?

  /// Builds the model and optimizer for `run` on one worker, drawing training windows from
  /// `trainTokens`.
  ///
  /// - Throws: `ModelError` for impossible shapes.
  public init(
    run: RunConfig, trainTokens: [UInt8], classDocuments: [LabelledDocument]? = nil,
    communicator: any Communicator = SingleProcessCommunicator()
  ) throws {
    self.run = run
    self.classDocuments = classDocuments
    self.communicator = communicator
    let shares = communicator.size * run.train.gradAccum
    guard run.train.batch % shares == 0 else {
      throw ModelError(
        "train.batch = \(run.train.batch) does not divide among \(counted(communicator.size, "worker")) x "
          + "train.grad_accum = \(run.train.gradAccum); use a multiple of \(shares)")
    }
    microBatch = run.train.batch / shares
    model = try Transformer(config: run.model, batch: microBatch, seed: run.train.seed)
    if run.model.norm.exchangesStatistics, communicator.size > 1 {
      model.statisticsExchange = StatisticsExchange(
        communicator, timingBarrier: run.distributed.timingBarriers)
    }
    optimizer = AdamW(
      layout: model.layout.parameters, beta1: Float(run.train.beta1),
      beta2: Float(run.train.beta2), weightDecay: Float(run.train.weightDecay))
    var schedule = LearningRateSchedule(
      peak: run.train.lr, minimum: run.train.minLR, warmup: run.train.warmup,
      steps: run.train.steps, shape: Self.shape(run.train.schedule))
    (schedule.cutFraction, schedule.ratio) = (run.train.stlrCutFrac, run.train.stlrRatio)
    self.schedule = schedule
    groups = LayerGroups(parameters: model.layout.parameters, layers: run.model.nLayers)
    unfreezing = Unfreezing(
      kind: run.train.unfreeze, every: run.train.unfreezeEvery, top: groups.top)
    rateScales =
      run.train.lrDecayPerLayer == 1 ? nil : groups.rateScales(decay: run.train.lrDecayPerLayer)
    // The data generator is seeded apart from initialization, so both can be reasoned about.
    sampler = BatchSampler(
      tokens: trainTokens, context: run.model.context,
      seed: run.train.seed &+ 0x9E37_79B9)
    if run.data.recallPairs > 0 {
      sampler.episodes = RecallEpisodes(
        pairs: run.data.recallPairs, keys: run.data.recallKeys, values: run.data.recallValues,
        overwrite: run.data.recallOverwrite)
    }
    buckets = GradientBuckets(
      model: model, communicator: communicator, bucketMB: run.distributed.bucketMB)
    buffersBeforeStep = FlatTensors(layout: model.layout.buffers)
    let n = microBatch * run.model.context
    inputs = .allocate(capacity: n)
    inputs.initialize(repeating: 0, count: n)
    targets = .allocate(capacity: n)
    targets.initialize(repeating: 0, count: n)
    lengths = .allocate(capacity: microBatch)
    lengths.initialize(repeating: 1, count: microBatch)
    labels = .allocate(capacity: microBatch)
    labels.initialize(repeating: 0, count: microBatch)
  }

  deinit {
    inputs.deallocate()
    targets.deallocate()
    lengths.deallocate()
    labels.deallocate()
  }

  /// Runs optimizer step `step` and advances it.
  ///
  /// A step whose loss or gradient norm is not finite updates nothing (parameters and moments
  /// stay as they were, so no checkpoint can hold NaN) and says so in `nonFinite`; the caller
  /// stops or carries on. `stopRequested` (this worker's wish to stop after the step) is
  /// combined over the workers in the step's own gather, at no extra collective.
  public func trainStep(stopRequested: Bool = false) -> StepStatistics {
    let accumulation = run.train.gradAccum
    let workers = communicator.size
    observer?.stepBegins(communicator.accounting)
    let lowestGroup = unfreezing.lowestTrained(at: step)
    let frozenBelow = groups.firstOffset(ofGroup: lowestGroup)
    buckets.firstTrainable = frozenBelow
    profiled(.optimizer) { model.zeroGradients() }
    buffersBeforeStep.copy(from: model.buffers)
    var loss: Double = 0
    var stopping = stopRequested
    for micro in 0..<accumulation {
      loss += forwardMicroBatch(workers: workers)
      // Only the last micro-batch communicates; with overlap its buckets start mid-backward.
      let overlap = workers > 1 && micro == accumulation - 1 && run.distributed.overlap
      model.backward(
        lossScale: 1 / Float(accumulation * workers),
        firstBlock: lowestGroup > 0 ? lowestGroup - 1 : nil,  // group g + 1 is block g
        onBlockDone: overlap
          ? { [buckets] done in profiled(.communication) { buckets.blockDone(done) } } : nil)
    }
    if workers > 1 {
      profiled(.communication) {
        if run.distributed.timingBarriers { communicator.barrier(category: .control) }
        buckets.finish()
      }
      // One small gather serves the mean loss (summed in rank order, so every rank computes
      // the same mean), the stop wish and the observer's figures.
      let all = profiled(.communication) {
        communicator.allGather(
          [loss, stopRequested ? 1 : 0] + (observer?.figures(communicator.accounting) ?? []),
          category: .control)
      }
      loss = all.map { $0[0] }.reduce(0, +) / Double(workers)
      stopping = all.contains { $0[1] != 0 }
      observer?.gathered(all.map { Array($0.dropFirst(2)) })
    }
    let norm = profiled(.optimizer) { gradientNorm(model.gradients) }
    let lr = schedule.rate(at: step)
    let finite = loss.isFinite && norm.isFinite
    if finite {
      profiled(.optimizer) {
        optimizer.update(
          parameters: model.parameters, gradients: model.gradients, lr: Float(lr),
          gradScale: clippingScale(norm: norm, maxNorm: run.train.clip), rateScales: rateScales,
          frozenBelow: frozenBelow, skippedUpdates: skippedUpdates(at: step))
      }
    } else {
      model.buffers.copy(from: buffersBeforeStep)
    }
    step += 1
    return StepStatistics(
      loss: loss / Double(accumulation), gradNorm: norm, learningRate: lr,
      tokens: accumulation * microBatch * run.model.context, nonFinite: !finite,
      stopRequested: stopping)
  }

  /// Per parameter entry, the steps before `step` in which its group was frozen (nil without
  /// gradual unfreezing): AdamW's bias correction counts each group's own updates.
  func skippedUpdates(at step: Int) -> [Int]? {
    guard run.train.unfreeze == .gradual else { return nil }
    return groups.groupOfEntry.map { min(step, unfreezing.firstStep(ofGroup: $0)) }
  }

  /// The schedule shape of a `train.schedule` value.
  static func shape(_ kind: ScheduleKind) -> LearningRateSchedule.Shape {
    switch kind {
    case .cosine: .cosine
    case .constant: .constant
    case .stlr: .stlr
    }
  }

  /// Draws this rank's shard of the next micro-batch and runs the training forward: the
  /// language model's loss, or the classifier's on documents of the training split.
  func forwardMicroBatch(workers: Int) -> Double {
    guard let classDocuments else {
      sampler.nextBatch(
        globalBatch: microBatch * workers, rank: communicator.rank, workers: workers,
        inputs: inputs, targets: targets)
      return Double(model.forward(tokens: inputs, targets: targets, training: true))
    }
    ClassBatch.drawShard(
      from: classDocuments, generator: &sampler.generator, globalBatch: microBatch * workers,
      rank: communicator.rank, workers: workers, context: run.model.context, tokens: inputs,
      lengths: lengths, labels: labels)
    return Double(model.classify(tokens: inputs, lengths: lengths, labels: labels))
  }

  /// Makes every rank's state rank 0's: parameters, buffers, AdamW moments (a broadcast, so a
  /// resumed or freshly seeded run starts identical everywhere).
  public func broadcastState() {
    guard communicator.size > 1 else { return }
    for tensors in [
      model.parameters, model.buffers, optimizer.firstMoment, optimizer.secondMoment,
    ] where tensors.count > 0 {
      communicator.broadcast(
        tensors.pointer, bytes: tensors.count * MemoryLayout<Float>.stride, root: 0,
        category: .control)
    }
  }

  /// Seconds to sum the current gradient buffer over the workers bucket by bucket, with
  /// nothing to overlap: the gradient all-reduce on its own, for benchmarks. Changes the
  /// gradients (they are summed).
  public func timeGradientReduction() -> Double {
    let start = monotonicSeconds()
    buckets.finish()
    return monotonicSeconds() - start
  }

  /// FNV-1a 64 of the parameter and buffer bytes on every rank (rank order), to check that the
  /// workers hold the same model.
  public func stateChecksums() -> [UInt64] {
    var fnv = FNV1a64()
    for tensors in [model.parameters, model.buffers] {
      fnv.update(
        UnsafeRawBufferPointer(
          start: tensors.pointer, count: tensors.count * MemoryLayout<Float>.stride))
    }
    return communicator.allGather([fnv.value], category: .control).map { $0[0] }
  }

  /// Averages local BatchNorm running statistics over the workers (they differ per rank), before
  /// evaluation, checkpoints and export; accounted as norm statistics.
  public func averageRunningStatistics() {
    guard communicator.size > 1, model.buffers.count > 0, run.model.norm.averagesRunningStatistics
    else {
      return
    }
    communicator.allReduceSum(
      model.buffers.pointer, count: model.buffers.count, category: .normStats)
    let scale = 1 / Float(communicator.size)
    for i in 0..<model.buffers.count { model.buffers.pointer[i] *= scale }
  }
}

/// SyncBatchNorm's statistics exchange over a communicator (after a barrier with
/// `distributed.timing_barriers`, so the all-reduce's seconds are communication alone).
final class StatisticsExchange: NormStatisticsExchange {
  let communicator: any Communicator
  let timingBarrier: Bool
  init(_ communicator: any Communicator, timingBarrier: Bool) {
    self.communicator = communicator
    self.timingBarrier = timingBarrier
  }
  func sumAcrossWorkers(_ values: UnsafeMutablePointer<Float>, count: Int) {
    if timingBarrier { communicator.barrier(category: .control) }
    communicator.allReduceSum(values, count: count, category: .normStats)
  }
}
