import ArgumentParser
import Config
import Foundation
import Support
import Training

/// `ddp bench norms`: ns per row of LayerNorm, RMSNorm and BatchNorm, forward and backward
/// (`NormBenchmark` does the measuring).
struct BenchNorms: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "norms",
    abstract: "Time the normalization kernels: ns per row, forward and backward.",
    discussion: """
      For each width C, times LayerNorm, RMSNorm and BatchNorm (forward, then backward) over \
      --rows rows, each kernel once per repeat in turn, so a busy machine slows them alike; \
      prints the best of the repeats in ns per row and RMSNorm's speedup over LayerNorm, then \
      one JSON line (best and median of each). Single-threaded: no BLAS. With --config, times \
      the config's own shape instead (rows = micro-batch x context, C = d_model) and prints \
      what the norms of one training step cost with each kind.

      Example:
        ddp bench norms --rows 4096 --channels 64,128,256,512,1024 --repeats 30
        ddp bench norms --config configs/bench.toml --repeats 100
      """)

  @Option(parsing: .unconditional, help: "Rows per call (N).") var rows = 4096
  @Option(parsing: .unconditional, help: "Widths C, comma-separated.") var channels =
    "64,128,256,512,1024"
  @Option(
    parsing: .unconditional, help: "Timed calls of each kernel at each width; the best counts.")
  var repeats = 30
  @Option(
    parsing: .unconditional,
    help: "A run configuration: time its rows and d_model, and its norms per step.")
  var config: String?
  @Option(
    name: .customLong("set"), parsing: .unconditionalSingleValue,
    help: "Override a key of --config.")
  var overrides: [String] = []

  /// The most floats of one (N, C) tensor: four of them are timed, 1 GiB in all.
  static let largestTensor = 1 << 26

  func validate() throws {
    guard (2...Self.largestTensor).contains(rows) else {
      throw ValidationError("--rows must be in 2...\(Self.largestTensor), got \(rows)")
    }
    guard (1...1_000_000).contains(repeats) else {
      throw ValidationError("--repeats must be in 1...1000000, got \(repeats)")
    }
    if config == nil && !overrides.isEmpty {
      throw ValidationError("--set overrides a key of --config; give --config too")
    }
    if config == nil, let widest = try widths().max() {
      try Self.requireSize(rows: rows, channels: widest)
    }
  }

  /// Refuses an (N, C) tensor over ``largestTensor`` floats before allocating four of them.
  static func requireSize(rows: Int, channels: Int) throws {
    let (floats, overflow) = rows.multipliedReportingOverflow(by: channels)
    guard !overflow, floats <= largestTensor else {
      throw ValidationError(
        "\(rows) rows x \(channels) channels is more than \(largestTensor) floats per tensor "
          + "(1 GiB for the four timed); take fewer rows or narrower channels")
    }
  }

  func widths() throws -> [Int] {
    let parts = channels.split(separator: ",", omittingEmptySubsequences: false)
    let values = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else {
      throw ValidationError(
        "--channels must be positive integers separated by commas (e.g. 64,256), got "
          + "'\(channels)'")
    }
    return values.compactMap { $0 }
  }

  func run() throws {
    // A single-process measurement: under mpirun only rank 0 measures and prints (the others
    // leave at once, so they neither disturb it nor print a second table).
    if LaunchEnvironment.current.rank != 0 { return }
    var bench = NormBenchmark(rows: rows, channels: try widths(), repeats: repeats)
    var share: NormBenchmark.StepShare?
    if let config {
      let run = try reportingInputErrors { try RunConfig.load(path: config, overrides: overrides) }
      let step = NormBenchmark.StepShare(run: run)
      try Self.requireSize(rows: step.rows, channels: step.channels)
      (bench.rows, bench.channels, share) = (step.rows, [step.channels], step)
    }
    print(
      "ddp bench norms: \(bench.rows) rows, best of \(repeats) interleaved calls, ns per row, "
        + "1 thread")
    let timings = bench.measure()
    print(NormBenchmark.table(timings))
    if let share, let config {
      print("per training step of \(config):")
      print(share.summary(timings))
    }
    print(try JSONStyle.line(timings))
  }
}
