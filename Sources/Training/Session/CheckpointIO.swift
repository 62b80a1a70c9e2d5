import Config
import Datasets
import Foundation
import Models
import Support

/// Glue between a `Trainer` and checkpoint files: what a checkpoint holds and how a run or a
/// command is restored from one.
public enum CheckpointIO {
  /// Writes the trainer's full state as `checkpoint-<step>.ckpt` in `directory` (atomically)
  /// and removes those older than the newest `keep` intact ones.
  ///
  /// - Parameters:
  ///   - knownIntact: checkpoints this run wrote before (pruning does not re-read them).
  ///   - data: the fingerprint of the corpus the run reads, for a resume to compare.
  /// - Returns: the path written.
  @discardableResult
  public static func save(
    _ trainer: Trainer, in directory: String, keep: Int, knownIntact: Set<String> = [],
    data: DataFingerprint? = nil
  ) throws -> String {
    let metadata = CheckpointMetadata(
      configTOML: trainer.run.tomlText, step: trainer.step,
      optimizerStep: trainer.optimizer.step,
      sampler: RandomNumbers(state: trainer.sampler.state), workers: trainer.communicator.size,
      data: data)
    let model = trainer.model
    let path = directory + "/" + Checkpoint.fileName(step: trainer.step)
    try Checkpoint.write(
      metadata: metadata, parameters: model.parameters, buffers: model.buffers,
      firstMoment: trainer.optimizer.firstMoment, secondMoment: trainer.optimizer.secondMoment,
      to: path, afterGroup: FaultInjection.fromEnvironment.checkpointHook(step: trainer.step))
    _ = try Checkpoint.prune(
      directory: directory, keep: keep, knownIntact: knownIntact.union([path]))
    return path
  }

  /// Restores parameters, buffers, AdamW state, step and data position from `path`.
  ///
  /// - Returns: the checkpoint's metadata (its config, its step).
  @discardableResult
  public static func restore(_ trainer: Trainer, from path: String) throws -> CheckpointMetadata {
    let loaded = try Checkpoint.read(path: path)
    try loaded.requireUsable()
    let model = trainer.model
    try loaded.load(
      parameters: model.parameters, buffers: model.buffers,
      firstMoment: trainer.optimizer.firstMoment, secondMoment: trainer.optimizer.secondMoment)
    trainer.step = loaded.metadata.step
    trainer.optimizer.step = loaded.metadata.optimizerStep
    trainer.sampler = BatchSampler(
      tokens: trainer.sampler.tokens, context: trainer.sampler.context,
      state: loaded.metadata.sampler.state)
    return loaded.metadata
  }

  /// The checkpoint file `path` names: itself, or a run directory's newest intact checkpoint.
  /// Each newer checkpoint passed over as damaged is named in one line on standard error
  /// (`skipped`), as `--resume` names it: `eval`, `sample`, `probe` used an older one silently.
  public static func resolve(
    _ path: String,
    skipped: (String) -> Void = {
      writeErrorLine("ddp: note: skipped a damaged checkpoint, reading an older one: \($0)")
    }
  ) throws -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw CheckpointError("cannot read \"\(path)\": No such file or directory")
    }
    guard isDirectory.boolValue else { return path }
    return try Checkpoint.requireNewestIntact(inDirectory: path, skipped: skipped)
  }

  /// A model for inference from a checkpoint file or run directory, with micro-batch `batch`,
  /// with the run's config, the checkpoint file read, the step it was written after and the
  /// fingerprint of the corpus it was trained on (nil from an older ddp).
  public static func loadModel(from path: String, batch: Int) throws -> (
    run: RunConfig, model: Transformer, path: String, step: Int, data: DataFingerprint?
  ) {
    let file = try resolve(path)
    let loaded = try Checkpoint.read(path: file)
    try loaded.requireUsable()
    let run = try RunConfig.load(tomlText: loaded.metadata.configTOML)
    try MemoryCheck.require(run, microBatch: batch)
    let model = try Transformer(config: run.model, batch: batch, seed: run.train.seed)
    let moments = (
      FlatTensors(layout: model.layout.parameters),
      FlatTensors(layout: model.layout.parameters)
    )
    try loaded.load(
      parameters: model.parameters, buffers: model.buffers, firstMoment: moments.0,
      secondMoment: moments.1)
    return (run, model, file, loaded.metadata.step, loaded.metadata.data)
  }
}
