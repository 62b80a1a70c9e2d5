import ArgumentParser
import Distributed
import Experiments
import Foundation
import Reports
import Support
import Training

/// `ddp bench allreduce`: MPI_Allreduce latency and bus bandwidth by message size.
///
/// For each size n from `--min-bytes` to `--max-bytes` (×`--factor` steps), every rank times
/// its own calls and the ranks' means are averaged (osu_allreduce's latency t). Bandwidths, as
/// nccl-tests' doc/PERFORMANCE.md defines them for all-reduce:
///
/// ```
/// algbw = n / t
/// busbw = algbw · 2(N − 1)/N
/// ```
///
/// Then t(n) = α + β·n is fitted to each size's least time over the ranks per call (median over
/// calls; what a training step measures after its timing barrier): α from the small sizes
/// (latency), β from the large ones (bandwidth), see `AllReduceCostModel.fitRegimes`. Rank 0
/// prints a table and, last, one JSON line.
struct BenchAllReduce: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "allreduce",
    abstract: "Measure MPI_Allreduce latency and bus bandwidth by message size.",
    discussion: """
      osu_allreduce style: sum of Floats, in place, each call timed alone and \
      followed by a barrier; latency = the ranks' mean time per call. \
      busbw = bytes/latency · 2(N−1)/N (nccl-tests). Each size is verified \
      first: rank r contributes r+1, every element must be N(N+1)/2. \
      The least column: per call the least time over the ranks, median over \
      calls. Fits t(n) = α + β·n to it (α: median ≤ 1 KiB; β: least squares \
      over sizes ≥ 256 KiB). Sizes above \
      --large-bytes run --large-iterations calls, fewer where that would move \
      more than 1 GiB per rank (at least 10). Rank 0 prints a table, then one \
      JSON line.

      Example:
        mpirun -np 2 .build/release/ddp bench allreduce --max-bytes 1048576
      """)

  @Option(parsing: .unconditional, help: "Smallest message in bytes (a multiple of 4).")
  var minBytes = 4
  @Option(parsing: .unconditional, help: "Largest message in bytes (a multiple of 4).")
  var maxBytes = 64 << 20
  @Option(
    parsing: .unconditional,
    help: "Size step: each size is this many times the previous one (2 or more).")
  var factor = 2
  @Option(parsing: .unconditional, help: "Timed calls per size up to --large-bytes.")
  var iterations = 1000
  @Option(parsing: .unconditional, help: "Timed calls per size above --large-bytes.")
  var largeIterations = 100
  @Option(parsing: .unconditional, help: "Sizes above this many bytes count as large.")
  var largeBytes = 8192
  @Option(
    parsing: .unconditional,
    help: "Idle milliseconds before each timed call (0: back to back, as osu_allreduce).")
  var idleMs = 0.0
  @Flag(help: "First check every collective (all-reduce, broadcast, all-gather, non-blocking).")
  var checkCollectives = false
  @Flag(
    help: """
      MPI's blocking calls, spinning, without the watchdog (distributed.timeout_s): to measure \
      what the watchdog's polled wait costs.
      """)
  var blocking = false
  /// A test hook: this rank makes an invalid MPI call (a broadcast from a root that does not
  /// exist), to show that a failure on one rank ends the whole job with MPI's message.
  @Option(parsing: .unconditional, help: .hidden) var failRank: Int?

  /// The most a single size may be: 1 GiB, well above what the trainer reduces at once.
  static let largestAllowedBytes = 1 << 30
  /// The bytes each rank may move per size before big sizes run fewer iterations.
  static let bytesPerSize = 1 << 30
  /// The fewest timed calls any size runs.
  static let fewestIterations = 10

  /// A description of what is wrong with the options, or nil.
  func problem() -> String? {
    if minBytes < 4 || minBytes % 4 != 0 {
      return "--min-bytes must be a positive multiple of 4 (whole Floats), got \(minBytes)"
    }
    if maxBytes < minBytes || maxBytes % 4 != 0 || maxBytes > Self.largestAllowedBytes {
      return "--max-bytes must be a multiple of 4 from --min-bytes (\(minBytes)) to "
        + "\(Self.largestAllowedBytes), got \(maxBytes)"
    }
    if factor < 2 { return "--factor must be at least 2, got \(factor)" }
    if !(1...10_000_000).contains(iterations) {
      return "--iterations must be in 1...10000000, got \(iterations)"
    }
    if !(1...10_000_000).contains(largeIterations) {
      return "--large-iterations must be in 1...10000000, got \(largeIterations)"
    }
    if largeBytes < 0 { return "--large-bytes must be ≥ 0, got \(largeBytes)" }
    if !(idleMs >= 0 && idleMs <= 10_000) {
      return "--idle-ms must be from 0 to 10000, got \(idleMs)"
    }
    return nil
  }

  /// One worker has nothing to reduce: its "bandwidth" would be a memory copy's (tens of
  /// millions of GB/s were reported), so the benchmark needs mpirun with 2 or more ranks.
  func workersProblem(_ workers: Int) -> String? {
    workers >= 2
      ? nil
      : "bench allreduce needs 2 or more workers; run it as launch/ddp -np 2 bench allreduce "
        + "(one worker has nothing to reduce)"
  }

  /// The message sizes: minBytes, minBytes·factor, ... up to maxBytes, in whole Floats.
  func sizes() -> [Int] {
    var result: [Int] = []
    var size = minBytes
    while size <= maxBytes {
      result.append(size)
      let (next, overflow) = size.multipliedReportingOverflow(by: factor)
      if overflow { break }
      size = next
    }
    return result
  }

  /// Timed calls for an n-byte message: `iterations` up to `largeBytes`, then
  /// `largeIterations`, capped so that calls · n ≤ 1 GiB, but at least 10 (osu_allreduce
  /// likewise runs fewer iterations above 8 KiB).
  func timedCalls(bytes: Int) -> Int {
    guard bytes > largeBytes else { return iterations }
    return min(largeIterations, max(Self.fewestIterations, Self.bytesPerSize / bytes))
  }

  func run() throws {
    let communicator = makeWorldCommunicator(blockingCollectives: blocking)
    if let problem = problem() ?? workersProblem(communicator.size) {
      if communicator.isRoot { writeErrorLine("ddp: \(problem)") }
      communicator.finalize()
      throw ExitStatus(2)
    }
    if let failRank, failRank == communicator.rank {
      // A test hook: an invalid root makes MPI fail on this rank alone.
      var byte: UInt8 = 0
      communicator.broadcast(&byte, bytes: 1, root: communicator.size, category: .control)
    }
    if checkCollectives {
      let failures = communicator.checkCollectives()
      var failing = [Double(failures.isEmpty ? 0 : 1)]
      communicator.allReduceSum(&failing, category: .control)
      if !failures.isEmpty {
        communicator.abort(message: "collective check failed: \(failures[0])", code: 1)
      }
      if failing[0] > 0 {
        // Another rank found a wrong result and is aborting the job with its message.
        communicator.barrier(category: .control)
      }
      communicator.accounting.reset()
    }

    let measurements = sizes().map { bytes in
      let calls = timedCalls(bytes: bytes)
      return measureAllReduce(
        on: communicator, bytes: bytes, iterations: calls, warmup: max(2, calls / 10),
        idleSeconds: idleMs / 1e3)
    }
    let model = AllReduceCostModel.fitRegimes(
      bytes: measurements.map(\.bytes), seconds: measurements.map(\.leastOverRanksSeconds))
    if communicator.isRoot {
      printReport(
        measurements, model: model, workers: communicator.size,
        communication: communicator.accounting.snapshot(), checked: checkCollectives)
    }
    let wrong = measurements.filter { !$0.verified }
    if communicator.isRoot, !wrong.isEmpty {
      let list = wrong.map { "\($0.bytes)" }.joined(separator: ", ")
      let workers = communicator.size
      writeErrorLine(
        "ddp: MPI_Allreduce gave wrong sums at \(list) bytes "
          + "(every element must be \(workers * (workers + 1) / 2))")
    }
    communicator.finalize()
    if !wrong.isEmpty { throw ExitStatus(1) }
  }

  /// Prints the table and the JSON line (rank 0 only).
  func printReport(
    _ measurements: [AllReduceMeasurement], model: AllReduceCostModel?, workers: Int,
    communication: CollectiveSnapshot, checked: Bool
  ) {
    print("# MPI_Allreduce (sum, float, in place), \(workers) worker(s), osu_allreduce style")
    // Right-aligned columns one space apart (osu_allreduce's layout), the check after two.
    let numeric: [(title: String, width: Int)] = [
      ("bytes", 10), ("calls", 6), ("avg µs", 10), ("min µs", 10), ("max µs", 10),
      ("least µs", 10), ("algbw GB/s", 11), ("busbw GB/s", 11),
    ]
    var table = TextTable(
      numeric.map { TextTable.Column($0.title, alignment: .right, minimumWidth: $0.width, gap: 1) }
        + [TextTable.Column("check")])
    for m in measurements {
      let algbw = AllReduceCostModel.algorithmBandwidth(bytes: m.bytes, seconds: m.seconds)
      let busbw = AllReduceCostModel.busBandwidth(
        bytes: m.bytes, seconds: m.seconds, workers: workers)
      table.append([
        "\(m.bytes)", "\(m.iterations)", fixed(m.seconds * 1e6, 2),
        fixed(m.minimumSeconds * 1e6, 2), fixed(m.maximumSeconds * 1e6, 2),
        fixed(m.leastOverRanksSeconds * 1e6, 2), fixed(algbw / 1e9, 3), fixed(busbw / 1e9, 3),
        m.verified ? "ok" : "WRONG (\(m.wrongElements) elements)",
      ])
    }
    print(table.text())
    let sizes = measurements.map(\.bytes)
    let times = measurements.map(\.leastOverRanksSeconds)
    let alpha = model?.alpha ?? 0
    let beta = model?.beta ?? 0
    let fitError = model?.maximumRelativeError(bytes: sizes, seconds: times) ?? 0
    print(
      "fit of the least µs, t(n) = α + β·n (α: median ≤ 1 KiB, β: sizes ≥ 256 KiB): α = \(fixed(alpha * 1e6, 3)) µs, "
        + "β = \(fixed(beta * 1e9, 4)) ns/byte (1/β = \(fixed(beta > 0 ? 1 / beta / 1e9 : 0, 3))"
        + " GB/s), largest relative error \(fixed(fitError * 100, 1))%")
    let result = AllReduceBenchResult(
      measurements, model: model, workers: workers, communication: communication,
      checked: checked)
    // The JSON line last (AllReduceBenchResult: what `ddp compare` and `ddp model-cost --fit`
    // read back).
    do {
      print(try JSONStyle.line(result))
    } catch {
      writeErrorLine("ddp: cannot encode the result: \(error)")
    }
  }
}

/// `value` with `digits` decimals.
private func fixed(_ value: Double, _ digits: Int) -> String {
  String(format: "%.\(digits)f", value)
}
