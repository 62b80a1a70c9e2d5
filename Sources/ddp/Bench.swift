import ArgumentParser
import Experiments
import Reports
import Training

/// `ddp bench`: performance measurements.
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure training-step throughput and memory.",
    discussion: """
      Without a subcommand, runs `model`. Example:

        ddp bench --config configs/bench.toml --set train.batch=16
      """,
    subcommands: [
      BenchModel.self, BenchAllReduce.self, BenchNorms.self, BenchGenerate.self, BenchContext.self,
      BenchAttention.self,
    ],
    defaultSubcommand: BenchModel.self)
}
