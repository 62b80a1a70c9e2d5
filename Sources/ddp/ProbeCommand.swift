import ArgumentParser
import Config
import Datasets
import Distributed
import Foundation
import Kernels
import Models
import Support
import Training

/// `ddp probe`: per-layer gradient norms and sublayer update ratios of a model on real data.
struct ProbeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "probe",
    abstract: "Measure per-layer gradient norms and update ratios, as JSON.",
    discussion: """
      Probes a freshly initialized model (--config, --set) or a trained one (--checkpoint, a \
      file or run directory) on training windows of its corpus: --batches rounds of one \
      forward and backward per worker, no update. Prints (or writes to --out) the mean \
      Frobenius norm of each block's weight gradients (attn.qkv, attn.proj, mlp.fc, mlp.proj) \
      and each sublayer's ‖f(x)‖ / ‖x‖. Under mpirun each worker probes its own shard of \
      every round and the figures are averaged over all of them. `ddp experiment gradients` \
      and `ddp experiment depth` run it.

      Example:
        ddp probe --config configs/experiment.toml --set model.placement=post
        ddp probe --checkpoint runs/fortunes --out probe.json
      """)

  @Option(
    parsing: .unconditional, help: "TOML run configuration of a model to probe at initialization.")
  var config: String?
  @Option(
    name: .customLong("set"), parsing: .unconditionalSingleValue,
    help: "Override a key, e.g. --set model.n_layers=12.")
  var overrides: [String] = []
  @Option(
    parsing: .unconditional,
    help: "Checkpoint file or run directory to probe instead of a fresh model.")
  var checkpoint: String?
  @Option(parsing: .unconditional, help: "Rounds of batches, each worker one batch a round.")
  var batches = 4
  @Option(parsing: .unconditional, help: "Sequences per batch.") var batch = 8
  @Option(parsing: .unconditional, help: "Seed of the batches drawn.") var seed: UInt64 = 7
  @Option(
    parsing: .unconditional, help: "Write the JSON here (atomically) instead of standard output.")
  var out: String?

  func validate() throws {
    guard (config == nil) != (checkpoint == nil) else {
      throw ValidationError("give one of --config and --checkpoint")
    }
    if checkpoint != nil && !overrides.isEmpty {
      throw ValidationError("--set applies to --config, not to --checkpoint")
    }
    guard (1...100_000).contains(batches) else {
      throw ValidationError("--batches must be in 1...100000, got \(batches)")
    }
    guard (1...1_000_000).contains(batch) else {
      throw ValidationError("--batch must be in 1...1000000, got \(batch)")
    }
  }

  func run() throws {
    setBLASThreads(1)
    if let out {  // before the work, not after it
      try reportingInputErrors {
        try FileSystem.requireWritableTarget(out, replacing: true, hint: "")
        try FileSystem.requireNotAnInput(out, inputs: [checkpoint, config].compactMap { $0 })
      }
    }
    let communicator = makeWorldCommunicator()
    // The file the model came from: the checkpoint read, or the config.
    let (run, model, trained, source) = try reportingInputErrors {
      () throws -> (RunConfig, Transformer, DataFingerprint?, String) in
      if let checkpoint {
        let loaded = try CheckpointIO.loadModel(from: checkpoint, batch: batch)
        try requireLanguageModel(loaded.run, path: loaded.path, command: "probe")
        return (loaded.run, loaded.model, loaded.data, loaded.path)
      }
      let run = try RunConfig.load(path: config ?? "", overrides: overrides)
      try requireLanguageModel(run, path: config ?? "", command: "probe")
      try MemoryCheck.require(run, microBatch: batch)
      let model = try Transformer(config: run.model, batch: batch, seed: run.train.seed)
      return (run, model, nil, config ?? "")
    }
    let corpus = try reportingInputErrors { () throws -> Corpus in
      let corpus = try Corpus.load(path: run.data.path, valFraction: run.data.valFraction)
      try corpus.check(context: run.model.context)
      if communicator.rank == 0 { noteChangedData(corpus, trained: trained) }
      return corpus
    }
    let result = LayerProbe.measure(
      model: model, tokens: corpus.train, seed: seed, steps: batches,
      communicator: communicator)
    if !result.loss.isFinite {
      // The loss is the mean over every rank: all of them refuse, rank 0 says so.
      communicator.finalize()
      try NonFiniteOutput.require([result.loss], "loss values", path: source)
    }
    if communicator.rank == 0 {
      let json = try JSONStyle.document(result)
      if let out {
        try reportingInputErrors { try AtomicFile.write(text: json, to: out) }
      } else {
        print(json, terminator: "")
      }
    }
    communicator.finalize()
  }
}
