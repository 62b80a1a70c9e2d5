import ArgumentParser
import Config
import Distributed
import Experiments
import Foundation
import Kernels
import Models
import Reports
import Support
import Training

/// `ddp bench [model] --config FILE`: times full training steps of a config on this process.
struct BenchModel: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "model",
    abstract: "Time training steps (forward, backward, AdamW) of a config.",
    discussion: """
      Prints tokens/s, ms/step, model FLOPs per step (6·parameters·tokens + 12·L·T·C·tokens), \
      achieved GFLOP/s, two sgemm ceilings measured in the same run (a 1024³ probe after every \
      timed step, median; and the best of 10 alone, before and after the steps), MFU against \
      each, and peak resident memory against what the model needs, as a table and as one \
      JSON line. Tokens are random bytes: speed does not depend on the text. Under \
      `mpirun -np N` it reports tokens/s over all workers, the scaling efficiency against one \
      worker with the same global batch (measured first, by rank 0), and the bucketed gradient \
      all-reduce against a bare MPI_Allreduce of the same size.

      Example:
        ddp bench --config configs/bench.toml --set model.norm=rmsnorm
      """)

  @Option(help: "TOML run configuration.") var config: String
  @Option(name: .customLong("set"), help: "Override a key, e.g. --set train.batch=16.")
  var overrides: [String] = []
  @Option(parsing: .unconditional, help: "Timed steps (after warm-up).") var steps = 10
  @Option(parsing: .unconditional, help: "Untimed warm-up steps.") var warmup = 2
  @OptionGroup var threadsOption: ThreadsOption

  func validate() throws {
    guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
    guard warmup >= 0 else { throw ValidationError("--warmup must be ≥ 0, got \(warmup)") }
  }

  func run() throws {
    let blasThreads = BLASThreads.forThisProcess(option: threadsOption.threads)
    setBLASThreads(blasThreads.count)
    let run = try reportingInputErrors { try RunConfig.load(path: config, overrides: overrides) }
    // The whole batch on one worker is the most any rank holds (under mpirun, rank 0 measures
    // one worker first); every rank checks alike, so the refusal is one line from rank 0.
    try reportingInputErrors {
      try MemoryCheck.require(run, microBatch: run.train.batch / run.train.gradAccum)
    }
    if MPICommunicator.detectMPILaunch() {
      let communicator = MPICommunicator()
      if communicator.size > 1 {
        let bench = DistributedBench(
          run: run, communicator: communicator, steps: steps, warmup: warmup,
          blasThreads: blasThreads)
        do { try bench.measure() } catch {
          communicator.abort(message: "ddp: \(error)", code: 2)
        }
        communicator.finalize()
        return
      }
      communicator.finalize()
    }
    let m = run.model
    let batch = run.train.batch / run.train.gradAccum
    let model = try reportingInputErrors {
      try Transformer(config: m, batch: batch, seed: run.train.seed)
    }
    let optimizer = AdamW(
      layout: model.layout.parameters, beta1: Float(run.train.beta1),
      beta2: Float(run.train.beta2), weightDecay: Float(run.train.weightDecay))
    var rng = RandomNumbers(seed: run.train.seed)
    let n = batch * m.context
    let tokens = (0..<n).map { _ in Int32(rng.nextInt(below: m.vocabSize)) }
    let targets = (0..<n).map { _ in Int32(rng.nextInt(below: m.vocabSize)) }

    // Two ceilings. The sgemm alone: best of 10 before and after the steps, the higher kept.
    // The sgemm between steps: a probe after every timed step, meeting the same moments of
    // this shared machine (and the same cache and clock state) as the steps; MFU is median
    // step against median probe, and the ratio against the sgemm alone is printed beside it.
    var alone = measureSgemmRate(repeats: 10)
    var probes: [Double] = []
    var times: [Double] = []
    var phases = [Double](repeating: 0, count: 3)  // forward, backward, optimizer
    var loss: Float = 0
    for i in 0..<(warmup + steps) {
      let start = monotonicSeconds()
      model.zeroGradients()
      loss = model.forward(tokens: tokens, targets: targets)
      let forwardDone = monotonicSeconds()
      model.backward()
      let backwardDone = monotonicSeconds()
      let scale = clippingScale(norm: gradientNorm(model.gradients), maxNorm: run.train.clip)
      optimizer.update(
        parameters: model.parameters, gradients: model.gradients, lr: Float(run.train.lr),
        gradScale: scale)
      let end = monotonicSeconds()
      if i >= warmup {
        probes.append(measureSgemmRate(repeats: 1))
        times.append(end - start)
        phases[0] += forwardDone - start
        phases[1] += backwardDone - forwardDone
        phases[2] += end - backwardDone
      }
    }
    let sgemm = probes.sorted()[probes.count / 2]
    alone = max(alone, measureSgemmRate(repeats: 10))
    let seconds = times.sorted()[times.count / 2]
    let phaseMS = phases.map { $0 / Double(steps) * 1e3 }
    let tokensPerStep = Double(n)
    let flops =
      6 * Double(model.parameterCount) * tokensPerStep
      + 12 * Double(m.nLayers * m.context * m.dModel) * tokensPerStep
    let gflops = flops / seconds / 1e9
    let stateBytes = 4 * (4 * model.parameterCount + model.buffers.count)
    let activationBytes = 4 * model.activationCount
    let report = BenchReport(
      parameters: model.parameterCount, tokensPerStep: n, msPerStep: seconds * 1e3,
      tokensPerSecond: tokensPerStep / seconds, flopsPerStep: flops, gflops: gflops,
      sgemmGflops: sgemm, sgemmAloneGflops: alone, mfu: gflops / sgemm,
      mfuAlone: gflops / alone,
      peakResidentMB: Double(peakResidentBytes() ?? 0) / 1e6,
      modelStateMB: Double(stateBytes) / 1e6, activationMB: Double(activationBytes) / 1e6,
      loss: Double(loss), threads: blasThreads.count,
      threadsSource: blasThreads.source.rawValue, forwardMS: phaseMS[0], backwardMS: phaseMS[1],
      optimizerMS: phaseMS[2])
    print(report.table)
    print(try report.jsonLine())
  }
}

/// The figures `ddp bench` prints.
struct BenchReport: Codable {
  var parameters: Int
  var tokensPerStep: Int
  var msPerStep: Double
  var tokensPerSecond: Double
  var flopsPerStep: Double
  var gflops: Double
  /// Median of the sgemm probes run between the timed steps: the ceiling of `mfu`.
  var sgemmGflops: Double
  /// Best of 10 sgemm runs on their own, before and after the steps: the ceiling of `mfuAlone`.
  var sgemmAloneGflops: Double
  var mfu: Double
  var mfuAlone: Double
  var peakResidentMB: Double
  /// Parameters, gradients, two AdamW moments and running statistics.
  var modelStateMB: Double
  var activationMB: Double
  var loss: Double
  var threads: Int
  /// What set `threads`: --threads, OPENBLAS_NUM_THREADS, or cores / workers on this host.
  var threadsSource: String
  /// Mean time per step of each phase; forward includes zeroing the gradients.
  var forwardMS: Double
  var backwardMS: Double
  /// Gradient norm, clipping and the AdamW update.
  var optimizerMS: Double

  var table: String {
    let needed = modelStateMB + activationMB
    let rows: [(String, String)] = [
      ("OpenBLAS threads", "\(threads) (\(threadsSource))"),
      ("parameters", "\(parameters)"),
      ("tokens/step", "\(tokensPerStep)"),
      ("ms/step (median)", fmt(msPerStep, 1)),
      (
        "  forward / backward / optimizer (mean)",
        [forwardMS, backwardMS, optimizerMS].map { fmt($0, 1) }.joined(separator: " / ")
      ),
      ("tokens/s", fmt(tokensPerSecond, 0)),
      ("model GFLOP/step", fmt(flopsPerStep / 1e9, 2)),
      ("achieved GFLOP/s", fmt(gflops, 1)),
      (
        "sgemm GFLOP/s (\(threads) thread\(threads == 1 ? "" : "s"), 1024³)",
        "\(fmt(sgemmGflops, 1)) between steps, \(fmt(sgemmAloneGflops, 1)) alone"
      ),
      ("MFU (achieved / sgemm)", "\(fmt(100 * mfu, 1))% (\(fmt(100 * mfuAlone, 1))% vs alone)"),
      ("peak resident MB", fmt(peakResidentMB, 1)),
      ("params+grads+AdamW+activations MB", fmt(needed, 1)),
      ("peak / needed", fmt(peakResidentMB / needed, 2) + "x"),
    ]
    return TextTable.keyValue(rows)
  }

  func jsonLine() throws -> String {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = .sortedKeys
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }
}
