import ArgumentParser
import Config
import Datasets
import Distributed
import Experiments
import Foundation
import Kernels
import Models
import Reports
import Support
import Training

/// `ddp train`: trains a model from a config and writes a run directory.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a language model from a TOML config.",
    discussion: """
      Writes a run directory with config.toml (fully resolved), metrics.jsonl, checkpoints and \
      summary.json. --resume continues from the newest intact checkpoint in --out. \
      --dry-run prints the resolved config, the parameter count and the memory estimate per \
      worker (with --resume also the checkpoint and step it would continue from) and exits \
      without creating anything.

      Example:
        ddp train --config configs/fortunes.toml --out runs/fortunes
        ddp train --config configs/fortunes.toml --set model.norm=rmsnorm
        ddp train --out runs/fortunes --resume
        ddp train --config configs/fortunes.toml --set model.n_layers=12 --dry-run
      """)

  @Option(
    parsing: .unconditional,
    help: "TOML run configuration (optional with --resume: the run's own is used).")
  var config: String?
  @Option(
    name: .customLong("set"), parsing: .unconditionalSingleValue,
    help: "Override a key, e.g. --set train.steps=100.")
  var overrides: [String] = []
  @Option(parsing: .unconditional, help: "Run directory (default: runs/CONFIG-NAME-TIMESTAMP).")
  var out: String?
  @Flag(help: "Continue the run in --out from its newest intact checkpoint.") var resume = false
  @Flag(
    help: "Print the resolved config, parameter count and memory estimate; create nothing.")
  var dryRun = false
  @OptionGroup var threadsOption: ThreadsOption
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Stop after this step with a checkpoint, to continue later with --resume.",
      valueName: "step"))
  var stopAt: Int?

  func validate() throws {
    if resume && out == nil { throw ValidationError("--resume needs --out RUN_DIRECTORY") }
    if !resume && config == nil { throw ValidationError("--config FILE is required") }
    if let stopAt, stopAt <= 0 {
      throw ValidationError("--stop-at must be a positive step, got \(stopAt)")
    }
  }

  func run() throws {
    let blasThreads = BLASThreads.forThisProcess(option: threadsOption.threads)
    setBLASThreads(blasThreads.count)
    let communicator = makeWorldCommunicator()
    let request = TrainingRequest(
      configPath: config, overrides: overrides, runDirectory: runDirectoryPath(), resume: resume,
      stopAt: stopAt, blasThreads: blasThreads)
    if dryRun {
      let plan = try agree(communicator) { try DryRun(request, workers: communicator.size) }
      if communicator.rank == 0 { print(plan.text) }
      communicator.finalize()
      return
    }
    let session = try TrainingSession.prepare(request, communicator: communicator)
    let end: TrainingSession.End
    do {
      end = try session.train(stopAt: stopAt)
    } catch let failure as AgreedFailure {
      if communicator.rank == 0 { writeErrorLine("ddp: \(failure)") }
      communicator.finalize()
      throw ExitStatus(1)
    } catch {
      // Not bad input (that is refused before training): a failure of the work, such as a
      // summary.json a full disk cannot take.
      communicator.abort(message: "ddp: \(error)", code: 1)
    }
    if end == .preempted {
      PreemptionSignals.ignoreFurtherSignals()
      // Before finalizing: mpirun, when it was signalled itself, may end a rank inside it.
      StopRecord.write(rank: communicator.rank)
    }
    communicator.finalize()
    if end == .preempted { throw ExitStatus(TrainingSession.preemptedExitCode) }
  }

  /// The run directory: --out, or runs/NAME-TIMESTAMP for a fresh run.
  func runDirectoryPath() -> String {
    if let out { return out }
    let name = URL(fileURLWithPath: config ?? "run").deletingPathExtension().lastPathComponent
    let stamp = ISO8601DateFormatter().string(from: Date())
      .replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
    return "runs/\(name)-\(stamp)"
  }
}
