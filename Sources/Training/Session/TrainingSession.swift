import Config
import Datasets
import Distributed
import Foundation
import Kernels
import Models
import Support

/// A training run from start (or resume) to summary, on every worker: data, trainer, run
/// directory (rank 0), the loop with evaluation, checkpoints, metrics and progress (rank 0).
public final class TrainingSession {
  public let run: RunConfig
  public let corpus: Corpus
  /// The labelled data of a classifier run (or of a language-model run beside class files).
  public var classes: ClassificationCorpus?
  public let trainer: Trainer
  /// The run directory, on rank 0 only: other ranks write nothing.
  public let directory: RunDirectory?
  public let path: String
  public let validation: ValidationWindows
  /// The validation windows evaluated during training, spread over the split.
  public let evaluationWindows: [Int]
  /// The checkpoints this session wrote: intact, so pruning does not read them again.
  var writtenCheckpoints: Set<String> = []
  /// Each step's communication without the load imbalance, for metrics.jsonl (attached to the
  /// trainer on every rank: it rides on the step's gather).
  public let leastWaits = LeastWaitObserver()
  /// Each step's compute per worker (CPU seconds outside collectives), for metrics.jsonl.
  public let computeTimes = ComputeTimeObserver()
  /// The OpenBLAS threads per worker the command set (rank 0's), for the run's first line
  /// (with the kernels OpenBLAS loaded, `blasCoreName`).
  public var blasThreads: BLASThreads?
  /// The workers of the session that wrote the checkpoint this one resumed from; nil for a
  /// fresh run.
  public var checkpointWorkers: Int?
  public var communicator: any Communicator { trainer.communicator }

  public init(
    run: RunConfig, corpus: Corpus, trainer: Trainer, directory: RunDirectory?, path: String
  ) {
    (self.run, self.corpus, self.trainer, self.directory, self.path) =
      (run, corpus, trainer, directory, path)
    validation = ValidationWindows(tokens: corpus.validation, context: run.model.context)
    evaluationWindows = Evaluator.evenlySpaced(
      run.train.evalBatches * run.train.batch / run.train.gradAccum, of: validation.count)
    trainer.observer = StepObservers([leastWaits, computeTimes])
  }

  /// Checks everything (config, data, model, checkpoint) before the run directory is touched.
  /// Every rank checks; the first failure anywhere ends all ranks (see `agree`).
  public static func prepare(_ request: TrainingRequest, communicator: any Communicator) throws
    -> TrainingSession
  {
    let path = request.runDirectory
    var classes: ClassificationCorpus?
    var held: DirectoryLock?
    var checkpointWorkers: Int?
    let (run, corpus, trainer) = try agree(communicator) {
      () throws -> (RunConfig, Corpus, Trainer) in
      let run = try loadConfig(request)
      if request.resume && communicator.rank == 0 {
        // Before the checkpoints are read: a run training in the folder may be pruning them.
        held = try RunDirectory.holdForResume(path)
      }
      try MemoryCheck.require(
        run, microBatch: run.train.batch / (communicator.size * run.train.gradAccum))
      let data = try TrainingData.load(run)
      let corpus = data.corpus
      classes = data.classes
      try corpus.check(context: run.model.context)
      let trainer = try Trainer(
        run: run, trainTokens: corpus.train,
        classDocuments: run.model.head == .classifier ? data.classes?.train : nil,
        communicator: communicator)
      // A run stopped before its first checkpoint (a full disk, a kill) has nothing to resume
      // from: it starts over, from its own config.toml.
      let startsOver = request.resume && Checkpoint.list(inDirectory: path).isEmpty
      if startsOver && communicator.rank == 0 {
        print(
          "ddp train: note: \(MessageText.quoted(path)) holds no checkpoint yet (the run stopped "
            + "before its first); starting it over from step 1")
      }
      if request.resume && !startsOver {
        let checkpoint = try Checkpoint.requireNewestIntact(inDirectory: path) { problem in
          if communicator.rank == 0 {
            print("ddp train: skipped a damaged checkpoint, resuming from an older one: \(problem)")
          }
        }
        let metadata = try CheckpointIO.restore(trainer, from: checkpoint)
        checkpointWorkers = metadata.workers
        try run.requireResumable(from: RunConfig.load(tomlText: metadata.configTOML))
        try requireSameData(corpus, as: metadata, checkpoint: checkpoint, communicator)
        try requireStepsLeft(after: trainer.step, of: run.train.steps, in: path)
        if let stopAt = request.stopAt, stopAt <= trainer.step {
          throw RunError(
            "--stop-at \(stopAt) is not after step \(trainer.step), where the run resumes")
        }
      } else if !run.train.initFrom.isEmpty, communicator.rank == 0 {
        // Rank 0 alone reads it (the file need only be where rank 0 runs, as run folders
        // are); broadcastState below hands the weights to the other ranks.
        let outcome = try InitialWeights.load(
          from: run.train.initFrom, parameters: trainer.model.parameters,
          buffers: trainer.model.buffers)
        print("ddp train: " + outcome.summary)
      }
      return (run, corpus, trainer)
    }
    communicator.watchdog.timeoutSeconds = run.distributed.timeoutS
    try agree(communicator) { try checkSameConfig(run, communicator) }
    try agree(communicator) { try checkSameData(corpus, communicator) }
    try agree(communicator) { try checkSameStep(trainer.step, communicator) }
    trainer.broadcastState()
    let directory = try agree(communicator) { () throws -> RunDirectory? in
      guard communicator.rank == 0 else { return nil }
      return try RunDirectory(
        path: path, configTOML: run.tomlText, resuming: request.resume,
        resumedStep: trainer.step, held: held)
    }
    let session = TrainingSession(
      run: run, corpus: corpus, trainer: trainer, directory: directory, path: path)
    session.blasThreads = request.blasThreads
    session.checkpointWorkers = checkpointWorkers
    session.classes = classes
    return session
  }

  /// Refuses to resume a run that has trained all its steps: it would train none and write a
  /// summary without results over the one it has.
  /// A finished run whose summary.json is missing or damaged (it could not be written: a full
  /// disk) is let through: it trains no step and writes the summary.
  static func requireStepsLeft(after step: Int, of steps: Int, in path: String) throws {
    guard step < steps || !RunDirectory.holdsSummary(path) else {
      throw RunError(
        "--resume: the run in \(MessageText.quoted(path)) already finished (step \(step) of "
          + "\(steps)); to train it further raise train.steps, e.g. --set train.steps=\(2 * steps)")
    }
  }

  /// The config a fresh run reads from `configPath`; a resumed run reads the run's own
  /// `config.toml`, and a `configPath` given with `resume` must resolve to the same config.
  public static func loadConfig(_ request: TrainingRequest) throws -> RunConfig {
    let path = request.runDirectory
    let own = path + "/config.toml"
    guard request.resume else {
      return try RunConfig.load(path: request.configPath ?? own, overrides: request.overrides)
    }
    let saved = try RunConfig.load(path: own, overrides: request.overrides)
    if let config = request.configPath {
      let given = try RunConfig.load(path: config, overrides: request.overrides)
      guard given == saved else {
        throw RunError(
          "--resume: \"\(config)\" differs from the run's own config.toml in \"\(path)\"; "
            + "drop --config to use the run's")
      }
    }
    return saved
  }

  /// Refuses to start when the ranks resolved different configs (a different file or --set).
  public static func checkSameConfig(_ run: RunConfig, _ communicator: any Communicator) throws {
    guard communicator.size > 1 else { return }
    let hashes = communicator.allGather([FNV1a64.hash(run.tomlText.utf8)], category: .control)
    if let odd = hashes.firstIndex(where: { $0 != hashes[0] }) {
      throw RunError(
        "rank \(odd) resolved a different config from rank 0 (check --config and --set on "
          + "every rank)")
    }
  }

  /// Refuses to start when the ranks resume from different steps. Each rank reads the run
  /// folder where it runs (a copy per host), and one whose newest checkpoint is damaged or
  /// missing falls back to an older one. Parameters, buffers and moments are broadcast from
  /// rank 0, but the step decides the batches and the schedule: ranks a step apart would
  /// train different data, and one would wait for the other at the end until
  /// `distributed.timeout_s`. One all-gather of the step.
  public static func checkSameStep(_ step: Int, _ communicator: any Communicator) throws {
    guard communicator.size > 1 else { return }
    let steps = communicator.allGather([UInt64(step)], category: .control)
    if let odd = steps.firstIndex(where: { $0 != steps[0] }) {
      throw RunError(
        "rank \(odd) resumes from step \(steps[odd][0]) but rank 0 from step \(steps[0][0]): the "
          + "run folder differs between their hosts (copy rank 0's folder to every host, then "
          + "--resume)")
    }
  }

  /// Refuses to start when the ranks read different bytes for the same `data.path` (a per-host
  /// copy that differs, a relative path from different working directories): one all-gather of
  /// the 64-bit fingerprint and the file count; on a mismatch, rank 0's per-file words are
  /// broadcast and each rank's first differing file gathered, so the message names it.
  public static func checkSameData(_ corpus: Corpus, _ communicator: any Communicator) throws {
    guard communicator.size > 1 else { return }
    let fingerprint = corpus.fingerprint
    let gathered = communicator.allGather(
      [fingerprint.value, UInt64(fingerprint.files.count)], category: .control)
    let odd = gathered.indices.filter { gathered[$0][0] != gathered[0][0] }
    guard let first = odd.first else { return }
    // Every rank saw the same gather, so every rank takes this path, with the same counts:
    // rank 0's file count sizes the broadcast of its per-file words.
    let referenceCount = Int(gathered[0][1])
    var reference = Array(fingerprint.fileWords.prefix(referenceCount))
    reference += repeatElement(0, count: referenceCount - reference.count)
    communicator.broadcast(&reference, root: 0, category: .control)
    let mine = DataFingerprint.firstDifference(fingerprint.fileWords, reference) ?? -1
    let firsts = communicator.allGather([Int64(mine)], category: .control)
    let index = Int(firsts[first][0])
    var which = ""
    if index >= 0 && index < fingerprint.files.count {
      which = "; first difference: file \(MessageText.quoted(fingerprint.files[index].name))"
    } else if index >= 0 {
      which = "; rank \(first) has \(gathered[first][1]) files, rank 0 \(fingerprint.files.count)"
    }
    throw DataError(
      "rank\(odd.count == 1 ? "" : "s") \(odd.map(String.init).joined(separator: ", ")) read "
        + "different data from rank 0 for data.path = \(MessageText.quoted(corpus.path)) "
        + "(rank 0: \(fingerprint.summary)\(which)); every rank must read the same corpus")
  }

  /// Refuses a resume whose corpus differs from the one the checkpoint was trained on (a
  /// continued run would no longer be the one the checkpoint started); a checkpoint written
  /// before fingerprints were recorded resumes with a note on rank 0.
  static func requireSameData(
    _ corpus: Corpus, as metadata: CheckpointMetadata, checkpoint: String,
    _ communicator: any Communicator
  ) throws {
    guard let trained = metadata.data else {
      if communicator.rank == 0 {
        print(
          "ddp train: \(checkpoint) records no data fingerprint (written by an older ddp); the "
            + "data is not checked against it")
      }
      return
    }
    guard let difference = corpus.fingerprint.difference(from: trained) else { return }
    throw DataError(
      "\(MessageText.quoted(corpus.path)) changed since the run's checkpoint was written "
        + "(\(difference); \(corpus.fingerprint.summary), was \(trained.summary)); resume with "
        + "the data the run was trained on")
  }

  /// How a call of `train` ended.
  public enum End: Sendable, Equatable {
    /// `train.steps` reached, summary written.
    case finished
    /// `--stop-at` reached, with a checkpoint.
    case stopped
    /// SIGTERM or SIGINT on some worker: stopped after the step, with a checkpoint.
    case preempted
  }

  /// The exit code of a run stopped by a signal with a checkpoint, ready to `--resume`:
  /// `EX_TEMPFAIL` of sysexits.h ("temporary failure, the user is invited to retry"), so a
  /// batch scheduler's epilogue can tell "requeue me" from success (0) and failure (1, 2).
  public static let preemptedExitCode: Int32 = 75

  /// Trains to `train.steps`, or stops with a checkpoint after step `stopAt` or a signal.
  @discardableResult
  public func train(stopAt: Int? = nil) throws -> End {
    let steps = run.train.steps
    let start = trainer.step
    let root = communicator.rank == 0
    var progress = ProgressReporter(totalSteps: steps, enabled: root)
    // The OpenBLAS threads and kernels, the two settings a slow run is first checked for.
    let threadsNote = blasThreads.map { ", \($0), \(blasCoreName) kernels" } ?? ""
    progress.note(
      start == 0
        ? "ddp train: \(trainer.model.parameterCount) parameters, about "
          + "\(MemoryCheck.size(run.footprint(microBatch: trainer.microBatch)?.bytes ?? 0)) "
          + "per worker (estimated), \(counted(communicator.size, "worker"))\(threadsNote), "
          + "\(corpus.train.count) "
          + "train / \(corpus.validation.count) validation tokens (data "
          + "\(corpus.fingerprint.summary)), run directory \(path)"
        : "ddp train: resuming \(path) at step \(start) of \(steps)\(threadsNote)")
    let began = monotonicSeconds()
    var lastTrainLoss = Double.nan
    var lastValidationLoss = Double.nan
    var tokens = 0
    PreemptionSignals.install()
    while trainer.step < steps {
      communicator.watchdog.step = trainer.step + 1
      FaultInjection.fromEnvironment.beforeStep(trainer.step + 1, rank: communicator.rank)
      let stepStart = monotonicSeconds()
      let before = communicator.accounting.snapshot()
      let step = trainer.step + 1
      let stats = FaultInjection.fromEnvironment.reported(
        trainer.trainStep(stopRequested: PreemptionSignals.received != 0), step: step)
      let now = monotonicSeconds()
      computeTimes.stepEnds(communicator.accounting)
      tokens += stats.tokens * communicator.size
      if stats.nonFinite {
        let what =
          "the loss or gradient is not finite (loss \(stats.loss), grad norm \(stats.gradNorm))"
        guard run.train.skipNonFinite else {
          let kept =
            Checkpoint.list(inDirectory: path).isEmpty
            ? "the run has no checkpoint yet; lower train.lr and start again"
            : "the newest checkpoint holds the last good state"
          throw AgreedFailure(
            "step \(step): \(what); stopped without updating, \(kept) (set "
              + "train.skip_nonfinite = true to skip such steps)")
        }
        progress.note("step \(step): \(what); step skipped, parameters unchanged")
      } else {
        lastTrainLoss = stats.loss
      }
      if step == run.train.nudgeStep { trainer.model.parameters.nudgeEveryValueByOneULP() }
      FaultInjection.fromEnvironment.afterStep(
        step, rank: communicator.rank, parameters: trainer.model.parameters)
      try checkConsistency(step: step)
      var record = StepRecord(
        step: step, loss: stats.loss, learningRate: stats.learningRate,
        gradNorm: stats.gradNorm, stepSeconds: now - stepStart,
        tokensPerSecond: Double(stats.tokens * communicator.size) / max(now - stepStart, 1e-9),
        comm: communicator.accounting.snapshot().subtracting(before),
        leastWait: leastWaits.waits, skipped: stats.nonFinite)
      record.computeSeconds = computeTimes.seconds
      if run.train.logLayerGradients && root {
        record.layerGradientNorms = layerGradientNorms()
      }
      let stopping = step == stopAt || stats.stopRequested
      let last = step == steps || stopping
      let evaluating = run.train.evalEvery > 0 && step % run.train.evalEvery == 0 || last
      let checkpointing =
        run.train.checkpointEvery > 0 && step % run.train.checkpointEvery == 0 || last
      // Local BatchNorm statistics differ per rank: one average serves both.
      if evaluating || checkpointing { trainer.averageRunningStatistics() }
      if evaluating && root {
        let (loss, accuracy) = evaluateWithAccuracy()
        lastValidationLoss = loss
        record.evalLoss = lastValidationLoss
        progress.note(
          "step \(step): train loss \(fmt(stats.loss, 4)), validation loss "
            + "\(fmt(lastValidationLoss, 4))" + (accuracy.map { ", accuracy \(fmt($0, 4))" } ?? ""))
      }
      do { try directory?.log(record) } catch {
        communicator.abort(message: "ddp: \(error)", code: 1)
      }
      if checkpointing, let directory {
        do {
          writtenCheckpoints.insert(
            try CheckpointIO.save(
              trainer, in: directory.path, keep: run.train.keepCheckpoints,
              knownIntact: writtenCheckpoints, data: corpus.fingerprint))
        } catch {
          communicator.abort(message: "ddp: \(error)", code: 1)
        }
      }
      progress.update(
        step: step, loss: stats.loss, tokensPerSecond: Double(tokens) / (now - began),
        elapsed: now - began, stepsThisSession: step - start)
      if stopping {
        progress.finish()
        let reason =
          stats.stopRequested
          ? "stopped by \(PreemptionSignals.receivedName ?? "a signal to another worker")"
          : "stopped"
        let line =
          "ddp train: \(reason) after step \(step) with a checkpoint; continue with: "
          + "ddp train --out \(path) --resume"
        progress.note(line)
        // Standard output is gone: say it where it can still be read.
        if PreemptionSignals.received == SIGPIPE && root { writeErrorLine(line) }
        return stats.stopRequested ? .preempted : .stopped
      }
    }
    progress.finish()
    if trainer.step == start && root {
      // A finished run resumed for its missing summary: the losses of its last step.
      progress.note(
        "ddp train: the run finished at step \(start) without its summary.json; writing it")
      lastValidationLoss = evaluateWithAccuracy().0
      lastTrainLoss = directory?.lastLoggedLoss() ?? .nan
    }
    try finish(
      trainLoss: lastTrainLoss, validationLoss: lastValidationLoss, tokens: tokens,
      seconds: monotonicSeconds() - began, trained: trainer.step > start)
    return .finished
  }

  /// Every `distributed.check_every` steps, compares the workers' parameter checksums: a
  /// difference means they diverged silently (a bad node, a lost message), and the run stops
  /// before it checkpoints a model only one rank holds.
  public func checkConsistency(step: Int) throws {
    let every = run.distributed.checkEvery
    guard every > 0, communicator.size > 1, step % every == 0 else { return }
    let checksums = trainer.stateChecksums()
    if let odd = checksums.firstIndex(where: { $0 != checksums[0] }) {
      throw AgreedFailure(
        "step \(step): rank \(odd)'s parameters differ from rank 0's (checksums "
          + "\(String(checksums[odd], radix: 16)) and \(String(checksums[0], radix: 16))); the "
          + "workers diverged, stopping without a checkpoint")
    }
  }

  /// summary.json and the closing lines, with the communication table, on rank 0, after
  /// checking that every rank holds the same parameters. A session that `trained` no step (a
  /// finished run resumed for its lost summary) knows neither the training's wall time nor its
  /// throughput: both are written as null, and the workers are those of the session that wrote
  /// the last checkpoint.
  public func finish(
    trainLoss: Double, validationLoss: Double, tokens: Int, seconds: Double, trained: Bool = true
  ) throws {
    let checksums = trainer.stateChecksums()
    if let odd = checksums.firstIndex(where: { $0 != checksums[0] }) {
      throw AgreedFailure(
        "rank \(odd)'s parameters differ from rank 0's at the end of training (checksums "
          + "\(String(checksums[odd], radix: 16)) and \(String(checksums[0], radix: 16)))")
    }
    let comm = communicator.accounting.snapshot()
    guard let directory else { return }
    let summary = RunSummary(
      steps: trainer.step, finalTrainLoss: trainLoss, finalValidationLoss: validationLoss,
      wallSeconds: trained ? seconds : .nan,
      tokensPerSecond: trained ? Double(tokens) / max(seconds, 1e-9) : .nan,
      peakMemoryMB: Double(peakResidentBytes() ?? 0) / 1e6,
      workers: trained ? communicator.size : checkpointWorkers ?? communicator.size,
      parameters: trainer.model.parameterCount, comm: comm, data: corpus.fingerprint)
    try directory.writeSummary(summary)
    print(comm.table())
    if communicator.size > 1 {
      print(
        "ddp train: parameters identical on all \(counted(communicator.size, "worker")) (checksum "
          + "\(String(checksums[0], radix: 16)))")
    }
    print(
      "ddp train: done, \(counted(trainer.step, "step")), validation loss \(fmt(validationLoss, 4)) "
        + (trainer.classDocuments == nil ? "nats/byte" : "nats/document")
        + "; \(directory.path)/summary.json")
  }

  /// The block weight-gradient norms of the step just taken, by tensor, for metrics.jsonl.
  func layerGradientNorms() -> [String: [Double]] {
    let blocks = trainer.model.blockGradientNorms()
    var byTensor: [String: [Double]] = [:]
    for (k, name) in BlockGradientNorms.tensorNames.enumerated() {
      byTensor[name] = blocks.map { $0.values[k] }
    }
    return byTensor
  }

  /// Validation loss over `eval_batches` batches of windows spread over the split; for a
  /// classifier, the mean cross-entropy over every validation document.
  public func evaluate() -> Double { evaluateWithAccuracy().loss }

  /// ``evaluate()``, with the accuracy for a classifier (nil for a language model).
  func evaluateWithAccuracy() -> (loss: Double, accuracy: Double?) {
    if trainer.classDocuments != nil, let classes {
      let result = ClassifierEvaluator.evaluate(trainer.model, documents: classes.validation)
      return (result.loss, result.accuracy)
    }
    return (
      Evaluator.loss(of: trainer.model, windows: validation, indices: evaluationWindows).loss, nil
    )
  }
}

/// A failure every rank detects alike (the values checked were reduced over the workers first):
/// rank 0 reports it and every rank exits with code 1, without MPI_Abort.
public struct AgreedFailure: Error, CustomStringConvertible {
  public let description: String
  public init(_ message: String) { description = message }
}

/// Runs `body` on every rank and ends all ranks together when any of them failed: rank 0
/// reports its own error, or, when it had none, the failing rank reports `rank N: ...`. Every
/// rank then exits with code 2, so bad input never leaves some ranks waiting in a collective.
public func agree<T>(_ communicator: any Communicator, _ body: () throws -> T) throws -> T {
  var result: Result<T, any Error>
  do { result = .success(try body()) } catch { result = .failure(error) }
  guard communicator.size > 1 else { return try reportingInputErrors { try result.get() } }
  let failed: Double = if case .failure = result { 1 } else { 0 }
  var flags = [failed, communicator.rank == 0 ? failed : 0]
  communicator.allReduceSum(&flags, category: .control)
  guard flags[0] > 0 else { return try result.get() }
  if case .failure(let error) = result {
    if communicator.rank == 0 {
      writeErrorLine("ddp: \(error)")
    } else if flags[1] == 0 {
      writeErrorLine("rank \(communicator.rank): ddp: \(error)")
    }
  }
  communicator.finalize()
  throw ExitStatus(2)
}
