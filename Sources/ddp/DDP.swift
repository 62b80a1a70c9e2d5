import ArgumentParser
import Experiments
import Reports
import Training

/// The `ddp` command: a data-parallel Transformer trainer on MPI and OpenBLAS.
struct DDP: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ddp",
    abstract: "Data-parallel Transformer language-model trainer on MPI and OpenBLAS.",
    discussion: """
      Measures what each normalization (LayerNorm, RMSNorm, BatchNorm, SyncBatchNorm) costs \
      across data-parallel workers. Example:

        ddp bench --config configs/bench.toml
      """,
    version: DDPVersion.text,
    subcommands: [
      TrainCommand.self, EvalCommand.self, ClassifyCommand.self, SampleCommand.self,
      ExportCommand.self, Bench.self,
      CompareCommand.self, ExperimentCommand.self, ProbeCommand.self, ModelCostCommand.self,
      ReportCommand.self, BLASCoreTypeCommand.self,
    ])
}
