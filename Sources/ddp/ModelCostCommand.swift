import ArgumentParser
import Config
import Distributed
import Experiments
import Foundation
import Models
import Reports
import Support
import Training

/// `ddp model-cost`: predicted communication per optimizer step for worker counts and model
/// shapes beyond this machine, from an α–β fit of the all-reduce (see `AllReduceAlgorithms`
/// and `CommunicationPrediction` for the formulas).
struct ModelCostCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "model-cost",
    abstract: "Predict per-step gradient and norm-statistics communication time.",
    discussion: """
      Gradients: one ring all-reduce per bucket, t = (p−1)·α + 2(p−1)/p·n·β. SyncBatchNorm \
      statistics: two recursive-doubling all-reduces per norm layer and micro-step (forward \
      4(2C+1) bytes, backward 8C bytes), t = ⌈log₂ p⌉·(α + n·β). LayerNorm, RMSNorm, local \
      BatchNorm and none send no statistics. α and β are a two-worker fit of t(n) = α + β·n: by \
      default a constant, not a measurement of the machine you run on: two workers over shared \
      memory on the 2-core VM of the README's figures (α = 0.72 µs, β = 0.138 ns/byte, \
      `launch/ddp -np 2 bench allreduce`, 2026-11-29). Pass --fit with the saved output of \
      that command on your machine and transport, or --alpha-us and --beta-ns.

      Example:
        ddp model-cost --workers 8,64,512,4096 --config configs/bench.toml
        mpirun -np 2 ddp bench allreduce > fit.txt
        ddp model-cost --fit fit.txt --config configs/bench.toml
      """)

  @Option(
    parsing: .unconditional, help: "TOML run configuration (the model shape, batch and buckets).")
  var config: String
  @Option(
    name: .customLong("set"), parsing: .unconditionalSingleValue,
    help: "Override a key, e.g. --set model.d_model=4096.")
  var overrides: [String] = []
  @Option(parsing: .unconditional, help: "Worker counts, comma-separated.") var workers =
    "8,64,512,4096"
  @Option(
    parsing: .unconditional,
    help: "Output of `ddp bench allreduce` with 2 workers (its last JSON line is read).")
  var fit: String?
  @Option(parsing: .unconditional, help: "α of the two-worker fit, in microseconds.") var alphaUs:
    Double?
  @Option(parsing: .unconditional, help: "β of the two-worker fit, in nanoseconds per byte.")
  var betaNs: Double?

  static let deepestModel = 10_000
  /// The largest α (µs) or β (ns per byte) taken, from the flags or a fit.
  static let largestCost = 1e9
  /// The most workers predicted for: far past any cluster, where 2⁶³ printed times of 10¹⁵ ms.
  static let mostWorkers = 10_000_000

  func validate() throws {
    if let largest = try parseWorkerCounts(workers).max(), largest > Self.mostWorkers {
      throw ValidationError(
        "--workers takes counts up to \(Self.mostWorkers) (past any cluster), got \(largest)")
    }
    if fit != nil, alphaUs != nil || betaNs != nil {
      throw ValidationError("give either --fit or --alpha-us/--beta-ns, not both")
    }
    // Bounds far above any network (1000 s of latency, 1 s per byte) keep every predicted
    // time finite.
    for (name, value) in [("--alpha-us", alphaUs), ("--beta-ns", betaNs)] {
      if let value, !(value >= 0 && value <= Self.largestCost) {
        throw ValidationError("\(name) must be a number in [0, 1e9], got \(value)")
      }
    }
  }

  func run() throws {
    // One process's work: under mpirun rank 0 alone does it and prints it once.
    guard isLaunchedRankZero else { return }
    let run = try reportingInputErrors { () throws -> RunConfig in
      let run = try RunConfig.load(path: config, overrides: overrides)
      // The prediction lists every layer's tensors; a model deeper than any trained (GPT-3 has
      // 96 layers) would take minutes.
      guard run.model.nLayers <= Self.deepestModel else {
        throw ConfigError.invalidValue(
          key: "model.n_layers", value: "\(run.model.nLayers)",
          expected: "at most \(Self.deepestModel) layers for ddp model-cost")
      }
      return run
    }
    let counts = try parseWorkerCounts(workers)
    let (model, source) = try reportingInputErrors { try costModel() }
    let algorithms = AllReduceAlgorithms(twoWorkers: model)
    var syncRun = run
    syncRun.model.norm = .syncbatchnorm
    let parameters = ModelLayout(run.model).parameters.totalCount
    print(
      "# \(config): \(counted(run.model.nLayers, "layer")), d_model \(run.model.dModel), "
        + "\(parameters) parameters, \(ModelLayout(syncRun.model).normLayerCount) norm layers, "
        + "bucket_mb \(fmt(run.distributed.bucketMB, 1)), grad_accum \(run.train.gradAccum)")
    let silent = NormKind.allCases.filter { !$0.exchangesStatistics }.map(\.rawValue)
    print(
      "# α = \(fmt(model.alpha * 1e6, 3)) µs, β = \(fmt(model.beta * 1e9, 4)) ns/byte "
        + "(\(source)); \(silent.joined(separator: ", ")): 0 statistics calls")
    let header = [
      "workers", "grad calls", "grad MB", "grad ms", "syncBN calls", "syncBN KB", "syncBN ms",
      "syncBN/grad",
    ]
    // Columns right-aligned under the header, two spaces apart.
    var table = TextTable(
      header.enumerated().map { TextTable.Column($1, alignment: .right, gap: $0 == 0 ? 0 : 2) })
    var lines: [String] = []
    for p in counts {
      let gradient = CommunicationPrediction(run: run, workers: p, algorithms: algorithms)
      let sync = CommunicationPrediction(run: syncRun, workers: p, algorithms: algorithms)
      let ratio =
        gradient.gradientSeconds > 0 ? sync.normStatisticsSeconds / gradient.gradientSeconds : 0
      table.append([
        "\(p)", "\(gradient.gradientCalls)", fmt(Double(gradient.gradientBytes) / 1e6, 2),
        fmt(gradient.gradientSeconds * 1e3, 3), "\(sync.normStatisticsCalls)",
        fmt(Double(sync.normStatisticsBytes) / 1e3, 1), fmt(sync.normStatisticsSeconds * 1e3, 3),
        fmt(ratio, 3),
      ])
      let record: [String: Any] = [
        "workers": p, "gradient_calls": gradient.gradientCalls,
        "gradient_bytes": gradient.gradientBytes, "gradient_ms": gradient.gradientSeconds * 1e3,
        "syncbatchnorm_calls": sync.normStatisticsCalls,
        "syncbatchnorm_bytes": sync.normStatisticsBytes,
        "syncbatchnorm_ms": sync.normStatisticsSeconds * 1e3,
        "alpha_us": model.alpha * 1e6, "beta_ns_per_byte": model.beta * 1e9,
      ]
      let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
      lines.append(String(decoding: data, as: UTF8.self))
    }
    print(table.text())
    print(lines.joined(separator: "\n"))
  }

  /// The two-worker α–β fit to predict from, and where it came from.
  func costModel() throws -> (AllReduceCostModel, String) {
    if let fit {
      let text: String
      do { text = try FileSystem.text(of: fit) } catch { throw RunError("--fit: \(error)") }
      let result: AllReduceBenchResult
      do {
        result = try AllReduceBenchResult.read(log: text, source: "\"\(fit)\"")
      } catch {
        throw RunError("--fit: \(error)")
      }
      if result.workers != 2 {
        throw RunError(
          "--fit: \"\(fit)\" was measured with \(counted(result.workers, "worker")); use 2")
      }
      // The flags' range (validate()): a negative α or β predicted negative milliseconds, and
      // 1e308 an infinite time that JSON cannot hold.
      for (key, value) in [
        ("alpha_us", result.alphaMicroseconds), ("beta_ns_per_byte", result.betaNanosecondsPerByte),
      ] where !(value >= 0 && value <= Self.largestCost) {
        throw RunError(
          "--fit: \"\(fit)\" holds \(key) = \(value), outside [0, 1e9] (a fit over too few "
            + "message sizes? measure again with ddp bench allreduce's default sizes)")
      }
      return (result.costModel, "fit from \(fit)")
    }
    if alphaUs != nil || betaNs != nil {
      guard let alphaUs, let betaNs else {
        throw RunError("give both --alpha-us and --beta-ns")
      }
      return (AllReduceCostModel(alpha: alphaUs * 1e-6, beta: betaNs * 1e-9), "given")
    }
    return (
      AllReduceCostModel(alpha: 0.72e-6, beta: 0.138e-9),
      "default constant: 2 workers over shared memory on the README's 2-core VM, "
        + "2026-11-29, not measured here; --fit FILE for this machine"
    )
  }
}

/// Positive worker counts from "1,2,4".
func parseWorkerCounts(_ text: String) throws -> [Int] {
  let parts = text.split(separator: ",", omittingEmptySubsequences: false)
  let counts = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
  guard !parts.isEmpty, counts.allSatisfy({ ($0 ?? 0) > 0 }) else {
    throw ValidationError(
      "--workers takes positive whole numbers separated by commas, got \"\(text)\"")
  }
  return counts.map { $0! }
}
