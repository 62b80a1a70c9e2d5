import ArgumentParser
import Config
import Foundation
import Kernels
import Reports
import Support
import Training

/// `ddp bench context`: ms per training step against the context T at fixed tokens per step,
/// for softmax, linear, fastweight and fastweight_sum attention (`ContextBenchmark` does the
/// measuring).
struct BenchContext: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "context",
    abstract: "Time training steps against the context length, per attention kind.",
    discussion: """
      For each context T, builds the config's model with each attention kind and times whole \
      training steps (forward, backward, AdamW) on random tokens at --tokens tokens per step \
      (tokens / T sequences), then at the --long contexts with one sequence per step. The \
      kinds take turns within every repeat, so a busy machine slows them alike; the best of \
      the repeats counts. Prints ms/step per kind and T, each kind's T=2048 / T=256 ratio, \
      the speedup over softmax and the log-log slope of ms/step against T, then one JSON \
      line. A point whose memory estimate exceeds half the available memory is skipped. \
      --svg FILE also writes the chart (ms/step vs T, log-log, one line per kind, slopes in \
      the legend) as a self-contained SVG file, atomically.

      Example:
        ddp bench context --config configs/bench.toml --repeats 3
        ddp bench context --contexts 256,2048 --long "" --set model.chunk=32
        ddp bench context --contexts 64,256,1024 --long "" --svg context.svg
      """)

  @Option(
    parsing: .unconditional, help: "TOML run configuration (its model; context and attention vary)."
  )
  var config = "configs/bench.toml"
  @Option(
    name: .customLong("set"), parsing: .unconditionalSingleValue,
    help: "Override a key, e.g. --set model.chunk=32.")
  var overrides: [String] = []
  @Option(
    parsing: .unconditional,
    help: "Contexts at --tokens tokens per step, comma-separated; each divides --tokens.")
  var contexts = "64,128,256,512,1024,2048"
  @Option(
    parsing: .unconditional,
    help: "Longer contexts with one sequence per step, comma-separated (may be empty).")
  var long = "4096,8192"
  @Option(parsing: .unconditional, help: "Tokens per step.") var tokens = 2048
  @Option(parsing: .unconditional, help: "Attention kinds, comma-separated.") var kinds =
    "softmax,linear,fastweight,fastweight_sum"
  @Option(
    parsing: .unconditional, help: "Timed steps of each kind at each context; the best counts.")
  var repeats = 3
  @Option(
    parsing: .unconditional, help: "Also write the chart (ms/step vs T, log-log) to this SVG file.")
  var svg: String?
  @OptionGroup var threadsOption: ThreadsOption

  func validate() throws {
    guard (1...1 << 24).contains(tokens) else {
      throw ValidationError("--tokens must be in 1...\(1 << 24), got \(tokens)")
    }
    guard (1...1_000_000).contains(repeats) else {
      throw ValidationError("--repeats must be in 1...1000000, got \(repeats)")
    }
    let fixed = try Self.integers(contexts, option: "--contexts", allowEmpty: false)
    if let bad = fixed.first(where: { tokens % $0 != 0 }) {
      throw ValidationError("--contexts: \(bad) does not divide --tokens \(tokens)")
    }
    _ = try Self.integers(long, option: "--long", allowEmpty: true)
    _ = try attentionKinds()
  }

  static func integers(_ text: String, option: String, allowEmpty: Bool) throws -> [Int] {
    if allowEmpty && text.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    let values = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard values.allSatisfy({ (1...1 << 20).contains($0 ?? 0) }) else {
      throw ValidationError(
        "\(option) must be integers in 1...\(1 << 20) separated by commas (e.g. 256,2048), got "
          + "'\(text)'")
    }
    return values.compactMap { $0 }
  }

  func attentionKinds() throws -> [AttentionKind] {
    try kinds.split(separator: ",").map { name in
      let trimmed = name.trimmingCharacters(in: .whitespaces)
      guard let kind = AttentionKind(rawValue: trimmed) else {
        throw ValidationError(
          "--kinds: '\(trimmed)' is not an attention kind; expected one of "
            + AttentionKind.allCases.map(\.rawValue).joined(separator: ", "))
      }
      return kind
    }
  }

  func run() throws {
    // A single-process measurement: under mpirun only rank 0 measures and prints.
    if let rank = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"], rank != "0" {
      return
    }
    let blasThreads = BLASThreads.forThisProcess(option: threadsOption.threads)
    setBLASThreads(blasThreads.count)
    let run = try reportingInputErrors { () throws -> RunConfig in
      // A target the chart cannot replace is refused before minutes of measuring.
      if let svg {
        try FileSystem.requireWritableTarget(svg, replacing: true, hint: "")
        try FileSystem.requireNotAnInput(svg, inputs: [config])
      }
      return try RunConfig.load(path: config, overrides: overrides)
    }
    let fixed = try Self.integers(contexts, option: "--contexts", allowEmpty: false)
    let bench = ContextBenchmark(
      run: run, contexts: fixed,
      longContexts: try Self.integers(
        long, option: "--long",
        allowEmpty: true),
      tokens: tokens, kinds: try attentionKinds(), repeats: repeats)
    let m = run.model
    print(
      "ddp bench context: \(config), d_model \(m.dModel), \(counted(m.nLayers, "layer")), "
        + "\(counted(m.nHeads, "head")), chunk \(m.chunk), \(counted(tokens, "token")) per step (one sequence per step beyond), "
        + "best of \(repeats) interleaved steps, "
        + counted(blasThreads.count, "BLAS thread"))
    let points = try bench.measure {
      print($0)
      fflush(nil)
    }
    let summary = ContextBenchSummary(points: points, contexts: fixed, kinds: bench.kinds)
    print(summary.table)
    print(summary.findings)
    print(try JSONStyle.line(summary))
    if let svg {
      let chart = ContextBenchChart(summary: summary, fixedContexts: fixed, tokens: tokens)
      try reportingInputErrors { try AtomicFile.write(text: chart.svgDocument(), to: svg) }
    }
  }
}
