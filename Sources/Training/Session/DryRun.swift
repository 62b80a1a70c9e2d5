import Config
import Foundation
import Models
import Support

/// What `ddp train --dry-run` shows: the config a run would resolve, its parameter count, the
/// memory estimate per worker and, with `--resume`, the checkpoint and step it would continue
/// from; worked out from the config and the checkpoint headers alone.
///
/// Nothing is allocated, created or written, and the corpus is not read (a real run reads and
/// checks it; the dry run only checks that `data.path` exists), so a dry run answers in
/// moments for a model far larger than this machine.
public struct DryRun: Sendable {
  /// The resolved configuration, as the run would write it to `config.toml`.
  public let run: RunConfig
  /// Workers the launch started (mpirun's ranks, or 1).
  public let workers: Int
  /// Sequences per worker and micro-step: batch / (workers · grad_accum).
  public let microBatch: Int
  /// Trainable parameters, counted from the model's own layout (``ModelLayout``).
  public let parameters: Int
  /// Tensors in the layout, and the values of BatchNorm's running statistics (not trained).
  public let tensors: Int, bufferValues: Int
  /// The memory estimate per worker (``Footprint``), already checked to fit.
  public let footprint: Footprint
  /// With `--resume`: the checkpoint the run would continue from and its step.
  public let resumeFrom: (path: String, step: Int)?
  /// A `--resume` of a run that stopped before its first checkpoint: it starts over.
  public let startsOver: Bool
  /// The run directory the run would write.
  public let runDirectory: String

  /// Resolves `request` as ``TrainingSession/prepare(_:communicator:)`` would, for `workers`
  /// workers, and refuses what the run would refuse before its first step: a bad config, a
  /// batch that does not divide among the workers, a run that does not fit in memory, a
  /// missing `data.path`, a run directory that holds another run, a `train.init_from` that
  /// cannot be read or holds NaN, and with `--resume` a missing, damaged or unusable checkpoint,
  /// a finished run or a config the checkpoint cannot continue.
  ///
  /// - Throws: ``ConfigError``, ``RunError``, ``CheckpointError`` with one-line messages.
  public init(_ request: TrainingRequest, workers: Int) throws {
    let run = try TrainingSession.loadConfig(request)
    let shares = workers * run.train.gradAccum
    guard run.train.batch % shares == 0 else {
      throw RunError(
        "train.batch = \(run.train.batch) does not divide among \(counted(workers, "worker")) x "
          + "train.grad_accum = \(run.train.gradAccum); use a multiple of \(shares)")
    }
    microBatch = run.train.batch / shares
    footprint = try MemoryCheck.require(run, microBatch: microBatch)
    guard FileManager.default.fileExists(atPath: run.data.path) else {
      throw RunError("data.path \(MessageText.quoted(run.data.path)): No such file or directory")
    }
    let layout = ModelLayout(run.model)
    (parameters, tensors) = (layout.parameters.totalCount, layout.parameters.entries.count)
    bufferValues = layout.buffers.totalCount
    do { try FileSystem.requireCreatableFolder(request.runDirectory) } catch let error as FileError
    {
      throw RunError(error.description)
    }
    try RunDirectory.requireNotInUse(request.runDirectory)
    startsOver = request.resume && Checkpoint.list(inDirectory: request.runDirectory).isEmpty
    if request.resume && !startsOver {
      let path = try Checkpoint.requireNewestIntact(inDirectory: request.runDirectory)
      let loaded = try Checkpoint.read(path: path)
      try loaded.requireUsable()
      let metadata = loaded.metadata
      try run.requireResumable(from: RunConfig.load(tomlText: metadata.configTOML))
      try TrainingSession.requireStepsLeft(
        after: metadata.step, of: run.train.steps, in: request.runDirectory)
      if let stopAt = request.stopAt, stopAt <= metadata.step {
        throw RunError(
          "--stop-at \(stopAt) is not after step \(metadata.step), where the run resumes")
      }
      resumeFrom = (path, metadata.step)
    } else {
      // What the run's start would refuse: a folder holding another run, a bad init_from.
      if !startsOver { try RunDirectory.requireClaimable(request.runDirectory) }
      if !run.train.initFrom.isEmpty { _ = try InitialWeights.read(run.train.initFrom) }
      resumeFrom = nil
    }
    (self.run, self.workers, runDirectory) = (run, workers, request.runDirectory)
  }

  /// The report rank 0 prints: the resolved TOML, then one line each for the parameters,
  /// the batch split, the memory estimate and what the run would read and write.
  public var text: String {
    let buffers = bufferValues > 0 ? " + \(bufferValues) running-statistics values" : ""
    var lines = [
      run.tomlText,
      "parameters: \(parameters) in \(tensors) tensors\(buffers)",
      "batch: \(counted(run.train.batch, "sequence")) per step = \(counted(workers, "worker")) x "
        + "\(counted(run.train.gradAccum, "micro-step")) x \(counted(microBatch, "sequence"))",
      "memory: about \(MemoryCheck.size(footprint.bytes)) per worker (parameters, gradients, "
        + "AdamW moments, activations, scratch)"
        + (availableMemoryBytes().map { ", \(MemoryCheck.size($0)) available here" } ?? ""),
    ]
    if startsOver {
      lines.append("resume: no checkpoint yet; the run starts over from step 1")
    }
    if let resumeFrom {
      lines.append(
        "resume: from step \(resumeFrom.step) (\(resumeFrom.path)) to step \(run.train.steps)")
    }
    lines.append(
      "dry run: nothing created; the run would write \(MessageText.quoted(runDirectory))")
    return lines.joined(separator: "\n")
  }
}
