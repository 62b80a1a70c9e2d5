import ArgumentParser
import Config
import Foundation
import Kernels
import Reports
import Support
import Training

/// `ddp bench generate`: ms per generated token and attention-state bytes against the
/// position, for each attention kind (`GenerationBenchmark` does the measuring).
struct BenchGenerate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Time token-by-token generation: ms per token and state bytes vs position.",
    discussion: """
      For each attention kind, builds a model of the config's shape with random \
      (initialization) weights and context --context, feeds --context random bytes one at a \
      time through the generator (softmax reads its key/value cache, the linear kinds run \
      their recurrence), --repeats times, and keeps the least time of each position. Prints \
      the median over the --window tokens before each position in ms per token, the \
      attention state in use (the KV cache grows with the position, the recurrent states do \
      not), the growth from the first position to the last, the speedup over softmax at the \
      last, and one JSON line. One thread, one process. --svg FILE also writes the chart \
      (ms/token vs position, log-log, one line per kind) as a self-contained SVG file, \
      atomically.

      Example:
        ddp bench generate --context 4096
        ddp bench generate --context 1024 --kinds softmax,fastweight_sum --repeats 5
        ddp bench generate --context 2048 --svg docs/bench-generate.svg
      """)

  @Option(
    parsing: .unconditional,
    help: "A run configuration whose [model] shape is timed (default: the defaults).")
  var config: String?
  @Option(
    name: .customLong("set"), parsing: .unconditionalSingleValue,
    help: "Override a key, e.g. --set model.d_model=256.")
  var overrides: [String] = []
  @Option(parsing: .unconditional, help: "Context: positions fed, and the model's context.")
  var context = 4096
  @Option(parsing: .unconditional, help: "Attention kinds, comma-separated.")
  var kinds = AttentionKind.allCases.map(\.rawValue).joined(separator: ",")
  @Option(
    parsing: .unconditional,
    help: "Positions reported, comma-separated (default: 64, 256, 1024, ..., context).")
  var positions: String?
  @Option(
    parsing: .unconditional,
    help: "Passes over the context per kind; the least time per position counts.")
  var repeats = 3
  @Option(parsing: .unconditional, help: "Tokens before each position whose median is its figure.")
  var window = 32
  @Option(
    parsing: .unconditional,
    help: "Also write the chart (ms/token vs position, log-log) to this SVG file.")
  var svg: String?

  func validate() throws {
    guard (2...1 << 20).contains(context) else {
      throw ValidationError("--context must be in 2...\(1 << 20), got \(context)")
    }
    guard (1...1_000_000).contains(repeats) else {
      throw ValidationError("--repeats must be in 1...1000000, got \(repeats)")
    }
    guard window > 0, window <= context else {
      throw ValidationError("--window must be in 1...\(context) (the context), got \(window)")
    }
    _ = try attentionKinds()
    _ = try reportedPositions()
  }

  func attentionKinds() throws -> [AttentionKind] {
    let chosen = try kinds.split(separator: ",", omittingEmptySubsequences: false).map { part in
      let name = part.trimmingCharacters(in: .whitespaces)
      guard let kind = AttentionKind(rawValue: name) else {
        throw ValidationError(
          "--kinds: '\(name)' is not an attention kind; accepted: "
            + AttentionKind.allCases.map(\.rawValue).joined(separator: ", "))
      }
      return kind
    }
    if let twice = chosen.first(where: { kind in chosen.filter { $0 == kind }.count > 1 }) {
      throw ValidationError("--kinds names \(twice.rawValue) twice")
    }
    return chosen
  }

  func reportedPositions() throws -> [Int] {
    guard let positions else {
      return GenerationBenchmark.defaultPositions(context: context, window: window)
    }
    let parts = positions.split(separator: ",", omittingEmptySubsequences: false)
    let values = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard values.allSatisfy({ ($0 ?? 0) >= window && ($0 ?? 0) <= context }) else {
      throw ValidationError(
        "--positions must be integers in \(window)...\(context) (--window ... --context) "
          + "separated by commas, got '\(positions)'")
    }
    return values.compactMap { $0 }.sorted()
  }

  func run() throws {
    // A single-process measurement: under mpirun only rank 0 measures and prints.
    if let rank = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"], rank != "0" {
      return
    }
    setBLASThreads(1)
    var run = try reportingInputErrors { () throws -> RunConfig in
      // A target the chart cannot replace is refused before minutes of measuring.
      if let svg {
        try FileSystem.requireWritableTarget(svg, replacing: true, hint: "")
        try FileSystem.requireNotAnInput(svg, inputs: config.map { [$0] } ?? [])
      }
      return try config.map { try RunConfig.load(path: $0, overrides: overrides) }
        ?? RunConfig.load(tomlText: "", overrides: overrides)
    }
    run.model.context = context
    // The generator's model also holds training activations (B·H·T² per layer at B = 1):
    // refused in one line when they cannot fit, rather than by the kernel's OOM killer.
    _ = try reportingInputErrors {
      try run.validate()
      return try MemoryCheck.require(run, microBatch: 1)
    }
    let bench = GenerationBenchmark(
      model: run.model, kinds: try attentionKinds(), positions: try reportedPositions(),
      repeats: repeats, window: window, seed: run.train.seed)
    let m = run.model
    print(
      "ddp bench generate: d_model \(m.dModel), \(counted(m.nHeads, "head")), "
        + "\(counted(m.nLayers, "layer")), "
        + "context \(context), random weights; least of \(repeats) passes, median of the "
        + "\(counted(window, "token")) before each position, 1 thread")
    let report = try reportingInputErrors {
      try bench.measure { print("  " + $0) }
    }
    print(report.tables)
    print(try JSONStyle.line(report))
    if let svg {
      let chart = GenerationBenchChart(report: report).svgDocument()
      try reportingInputErrors { try AtomicFile.write(text: chart, to: svg) }
    }
  }
}
