import ArgumentParser

/// `ddp bench`: performance measurements.
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure training-step throughput and memory.",
    subcommands: [BenchModel.self], defaultSubcommand: BenchModel.self)
}
