import ArgumentParser
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
      one JSON line (best and median of each). Single-threaded: no BLAS.

      Example:
        ddp bench norms --rows 4096 --channels 64,128,256,512,1024 --repeats 30
      """)

  @Option(help: "Rows per call (N).") var rows = 4096
  @Option(help: "Widths C, comma-separated.") var channels = "64,128,256,512,1024"
  @Option(help: "Timed calls of each kernel at each width; the best counts.") var repeats = 30

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
    let bench = NormBenchmark(rows: rows, channels: try widths(), repeats: repeats)
    print(
      "ddp bench norms: \(rows) rows, best of \(repeats) interleaved calls, ns per row, "
        + "1 thread")
    let timings = bench.measure()
    print(NormBenchmark.table(timings))
    print(try JSONStyle.line(timings))
  }
}
