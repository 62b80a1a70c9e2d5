import Datasets
import Foundation
import Kernels
import Models
import Training

/// A training run from start (or resume) to summary: data, trainer, run directory, the loop
/// with evaluation, checkpoints, metrics and progress.
final class TrainingSession {
  let run: RunConfig
  let corpus: Corpus
  let trainer: Trainer
  let directory: RunDirectory
  let evaluationWindows: [Int]

  init(run: RunConfig, corpus: Corpus, trainer: Trainer, directory: RunDirectory) {
    (self.run, self.corpus, self.trainer, self.directory) = (run, corpus, trainer, directory)
    let available = Evaluator.windowCount(
      tokens: corpus.validation.count, context: run.model.context)
    evaluationWindows = Evaluator.evenlySpaced(
      run.train.evalBatches * trainer.microBatch,
      of: available)
  }

  /// Checks everything (config, data, model, checkpoint) before the run directory is touched.
  static func prepare(_ command: TrainCommand) throws -> TrainingSession {
    let path = command.runDirectoryPath()
    let run: RunConfig
    if command.resume {
      let saved = try RunConfig.load(path: path + "/config.toml", overrides: command.overrides)
      if let config = command.config {
        let given = try RunConfig.load(path: config, overrides: command.overrides)
        guard given == saved else {
          throw RunError(
            "--resume: \"\(config)\" differs from the run's own config.toml in \"\(path)\"; "
              + "drop --config to use the run's")
        }
      }
      run = saved
    } else {
      run = try RunConfig.load(path: command.config!, overrides: command.overrides)
    }
    let corpus = try Corpus.load(path: run.data.path, valFraction: run.data.valFraction)
    try corpus.check(context: run.model.context)
    let trainer = try Trainer(run: run, trainTokens: corpus.train)
    if command.resume {
      guard let checkpoint = Checkpoint.newestIntact(inDirectory: path) else {
        throw RunError("--resume: no intact checkpoint in \"\(path)\"")
      }
      try CheckpointIO.restore(trainer, from: checkpoint)
    }
    let directory = try RunDirectory(
      path: path, configTOML: run.tomlText, resuming: command.resume)
    return TrainingSession(run: run, corpus: corpus, trainer: trainer, directory: directory)
  }

  /// Trains to `train.steps`, or stops with a checkpoint after step `stopAt`.
  func train(stopAt: Int? = nil) throws {
    let steps = run.train.steps
    let start = trainer.step
    var progress = ProgressReporter(totalSteps: steps)
    if start == 0 {
      progress.note(
        "ddp train: \(trainer.model.parameterCount) parameters, \(corpus.train.count) train / "
          + "\(corpus.validation.count) validation tokens, run directory \(directory.path)")
    } else {
      progress.note("ddp train: resuming \(directory.path) at step \(start) of \(steps)")
    }
    let began = monotonicSeconds()
    var lastTrainLoss = Double.nan
    var lastValidationLoss = Double.nan
    var tokens = 0
    while trainer.step < steps {
      let stepStart = monotonicSeconds()
      let stats = trainer.trainStep()
      let now = monotonicSeconds()
      tokens += stats.tokens
      lastTrainLoss = stats.loss
      guard stats.loss.isFinite, stats.gradNorm.isFinite else {
        throw RunError(
          "step \(trainer.step): the loss or gradient is not finite (loss \(stats.loss), "
            + "grad norm \(stats.gradNorm)); no checkpoint was written for this step")
      }
      var record: [String: Any] = [
        "step": trainer.step, "loss": stats.loss, "lr": stats.learningRate,
        "grad_norm": stats.gradNorm,
        "tokens_per_s": Double(stats.tokens) / max(now - stepStart, 1e-9),
      ]
      let step = trainer.step
      let stopping = step == stopAt
      let last = step == steps || stopping
      if run.train.evalEvery > 0 && step % run.train.evalEvery == 0 || last {
        lastValidationLoss = evaluate()
        record["eval_loss"] = lastValidationLoss
        progress.note(
          "step \(step): train loss \(fmt(stats.loss, 4)), validation loss "
            + "\(fmt(lastValidationLoss, 4))")
      }
      directory.log(record)
      if run.train.checkpointEvery > 0 && step % run.train.checkpointEvery == 0 || last {
        try CheckpointIO.save(trainer, in: directory.path, keep: run.train.keepCheckpoints)
      }
      progress.update(
        step: step, loss: stats.loss, tokensPerSecond: Double(tokens) / (now - began),
        elapsed: now - began, stepsThisSession: step - start)
      if stopping {
        progress.finish()
        print(
          "ddp train: stopped after step \(step) as asked; continue with: ddp train --out "
            + "\(directory.path) --resume")
        return
      }
    }
    progress.finish()
    let seconds = monotonicSeconds() - began
    let summary: [String: Any] = [
      "steps": trainer.step, "final_train_loss": lastTrainLoss,
      "final_val_loss": lastValidationLoss, "wall_seconds": seconds,
      "tokens_per_s": Double(tokens) / max(seconds, 1e-9),
      "peak_memory_mb": Double(peakResidentBytes() ?? 0) / 1e6, "workers": 1,
      "parameters": trainer.model.parameterCount,
    ]
    try directory.writeSummary(summary)
    print(
      "ddp train: done, \(trainer.step) steps, validation loss \(fmt(lastValidationLoss, 4)) "
        + "nats/byte; \(directory.path)/summary.json")
  }

  /// Validation loss over `eval_batches` micro-batches of windows spread over the split.
  func evaluate() -> Double {
    Evaluator.loss(of: trainer.model, tokens: corpus.validation, windows: evaluationWindows).loss
  }
}
