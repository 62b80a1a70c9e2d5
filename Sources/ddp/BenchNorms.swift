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

  func validate() throws {
    guard rows > 1 else { throw ValidationError("--rows must be at least 2, got \(rows)") }
    guard repeats > 0 else {
      throw ValidationError("--repeats must be positive, got \(repeats)")
    }
    _ = try widths()
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
