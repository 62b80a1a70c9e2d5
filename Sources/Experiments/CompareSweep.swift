import Config
import Distributed
import Foundation
import Kernels
import Models
import Reports
import Support
import Training

/// The points of a `ddp compare` sweep, run one `mpirun` job each, and what they measured.
public struct CompareSweep {
  public let run: RunConfig
  public let configPath: String
  public let overrides: [String]
  public let workers: [Int]
  public let norms: [NormKind]
  public let modes: [ScalingMode]
  public let steps: Int
  public let warmup: Int
  /// An absolute parity tolerance (`--tolerance`), or nil: judged against the float noise.
  public let tolerance: Double?
  /// N workers match 1 worker when their difference is at most this many times the noise.
  public let noiseFactor: Double
  public let launchers: [JobLauncher]
  public let folder: String

  public init(
    run: RunConfig, configPath: String, overrides: [String], workers: [Int], norms: [NormKind],
    modes: [ScalingMode], steps: Int, warmup: Int, tolerance: Double?, noiseFactor: Double = 10,
    launchers: [JobLauncher], folder: String
  ) {
    self.noiseFactor = noiseFactor
    (self.run, self.configPath, self.overrides, self.workers, self.norms) =
      (run, configPath, overrides, workers, norms)
    (self.modes, self.steps, self.warmup, self.tolerance, self.launchers, self.folder) =
      (modes, steps, warmup, tolerance, launchers, folder)
  }

  /// One job: a transport, a mode, a norm and a worker count; or a norm's noise twin.
  public struct Point {
    public var launcher: JobLauncher
    public var mode: ScalingMode
    public var norm: NormKind
    public var workers: Int
    /// The 1-worker run again with every parameter nudged by one ulp after step 1
    /// (`train.nudge_step = 1`): how far float noise alone carries in this sweep.
    public var twin = false
    public var name: String {
      "\(launcher.transport.rawValue)-\(mode.rawValue)-\(norm.rawValue)-\(workers)w"
        + (twin ? "-twin" : "")
    }
  }

  /// Every point, then (strong scaling with more than one worker count, no absolute
  /// `--tolerance`) one twin per norm on the first transport.
  public var points: [Point] {
    let measured = launchers.flatMap { launcher in
      modes.flatMap { mode in
        norms.flatMap { norm in
          workers.map { Point(launcher: launcher, mode: mode, norm: norm, workers: $0) }
        }
      }
    }
    guard tolerance == nil, modes.contains(.strong), workers.contains(1), workers.count > 1,
      let first = launchers.first
    else { return measured }
    return measured
      + norms.map {
        Point(launcher: first, mode: .strong, norm: $0, workers: 1, twin: true)
      }
  }

  /// The fully resolved config of a point's job: the sweep's config (file and `--set`) with the
  /// point's norm and global batch, the sweep's step count, no intermediate checkpoints (one
  /// at the end, for the parity column) and timing barriers. Written as the job's `point.toml`
  /// and the input of the point's communication prediction.
  public func config(_ point: Point) -> RunConfig {
    var config = run
    config.model.norm = point.norm
    config.train.batch = globalBatch(point)
    config.train.steps = steps
    config.train.checkpointEvery = 0
    config.train.keepCheckpoints = 1
    config.distributed.timingBarriers = true
    if point.twin { config.train.nudgeStep = 1 }
    return config
  }

  /// Sequences per optimizer step over all workers at a point.
  public func globalBatch(_ point: Point) -> Int {
    point.mode == .strong ? run.train.batch : run.train.batch * point.workers
  }

  /// Refuses sweeps that cannot run before any job starts: a batch that does not divide, an
  /// output folder that already holds results; then creates the folder and holds it
  /// (``DirectoryLock``) against a second sweep started on it; the caller keeps the hold until
  /// the sweep ends.
  public func check() throws -> DirectoryLock {
    let accumulation = run.train.gradAccum
    if modes.contains(.strong) {
      for count in workers where run.train.batch % (count * accumulation) != 0 {
        throw RunError(
          "train.batch = \(run.train.batch) does not divide among \(counted(count, "worker")) x "
            + "train.grad_accum = \(accumulation) (strong scaling keeps the global batch)")
      }
    }
    if run.train.batch % accumulation != 0 {
      throw RunError(
        "train.batch = \(run.train.batch) does not divide by train.grad_accum = \(accumulation)")
    }
    if FileManager.default.fileExists(atPath: folder + "/results.json") {
      throw RunError("\"\(folder)\" already holds results.json; choose another --out")
    }
    if FileSystem.existingKind(of: folder + "/config.toml") != nil {
      throw RunError("\"\(folder)\" holds a training run (config.toml); choose another --out")
    }
    do {
      try FileSystem.createDirectories(folder)
      let hold = try DirectoryLock.take(folder, holder: DirectoryLock.ddpWriter)
      try FileSystem.createDirectories(folder + "/points")
      return hold
    } catch {
      throw RunError("\(error)")
    }
  }

  /// Runs the all-reduce fits and every point, in order, printing one line per job.
  public func measure() throws -> CompareResults {
    let all = points
    var fits: [AllReduceFit] = []
    for launcher in launchers {
      for count in Set([2] + workers.filter { $0 > 1 }).sorted() {
        fits.append(try fitAllReduce(launcher, workers: count))
      }
    }
    var measured: [ComparePoint] = []
    var parameters: [String: CheckpointTensors] = [:]
    var envelopes: [String: Double] = [:]
    for (index, point) in all.enumerated() {
      let began = monotonicSeconds()
      let directory = try train(point)
      let measurement = try RunMeasurement(directory: directory)
      if point.twin {
        let key = "\(point.launcher.transport.rawValue)-strong-\(point.norm)"
        if let reference = parameters[key] {
          envelopes[point.norm.rawValue] = parityDifference(
            try measurement.finalParameters(), reference,
            batchStatistics: point.norm.usesBatchStatistics)
        }
        print(
          "[\(index + 1)/\(all.count)] \(point.norm.rawValue) twin (1 worker, every parameter nudged by one ulp "
            + "after step 1): max |Δθ| vs 1 worker "
            + sci(envelopes[point.norm.rawValue] ?? .nan)
            + " [\(fmt(monotonicSeconds() - began, 1)) s]")
        continue
      }
      var result = summarize(point, measurement)
      let fitHere = fits.first {
        $0.transport == point.launcher.transport.rawValue && $0.workers == point.workers
      }
      if point.workers > 1, let fitHere {
        let prediction = CommunicationPrediction(
          run: config(point), workers: point.workers,
          fitAtWorkers: AllReduceCostModel(alpha: fitHere.alpha, beta: fitHere.beta))
        result.predictedGradientMs = prediction.gradientSeconds * 1e3
        result.predictedNormStatsMs = prediction.normStatisticsSeconds * 1e3
      }
      let baseKey = "\(point.launcher.transport.rawValue)-\(point.mode.rawValue)-\(point.norm)"
      if let one = measured.first(where: {
        $0.transport == result.transport && $0.mode == result.mode && $0.norm == result.norm
          && $0.workers == 1
      }) {
        result.scalingEfficiency =
          result.tokensPerSecond / (Double(point.workers) * one.tokensPerSecond)
      }
      if point.mode == .strong {
        let final = try measurement.finalParameters()
        if point.workers == 1 {
          parameters[baseKey] = final
        } else if let reference = parameters[baseKey] {
          let difference = parityDifference(
            final, reference,
            batchStatistics: point.norm.usesBatchStatistics)
          result.parityMaxDifference = difference
        }
      }
      measured.append(result)
      print(progressLine(index: index, of: all.count, point, result, monotonicSeconds() - began))
      fflush(nil)
    }
    // Float noise sets the scale: the largest twin difference over the norms, times the
    // factor. Without twins (an absolute --tolerance, or no 1-worker point) the given one.
    let noise = envelopes.values.filter(\.isFinite).max()
    let parityTolerance = tolerance ?? noise.map { noiseFactor * $0 }
    for i in measured.indices {
      if let difference = measured[i].parityMaxDifference, let parityTolerance {
        measured[i].matchesOneWorker = difference <= parityTolerance
      }
    }
    let layout = ModelLayout(run.model)
    var results = CompareResults(
      config: configPath, overrides: overrides, steps: steps, warmup: warmup,
      parityTolerance: parityTolerance ?? 0, layers: run.model.nLayers, dModel: run.model.dModel,
      context: run.model.context, parameters: layout.parameters.totalCount,
      normLayers: layout.normLayerCount,
      date: ISO8601DateFormatter().string(from: Date()), host: ProcessInfo.processInfo.hostName,
      cores: ProcessInfo.processInfo.activeProcessorCount, fits: fits, points: measured)
    results.noiseEnvelopes = envelopes.isEmpty ? nil : envelopes
    results.noiseFactor = tolerance == nil ? noiseFactor : nil
    return results
  }

  /// `[5/24] shm strong syncbatchnorm 2 workers: 41.2 [40.1–43.0] ms/step, compute ...`
  public func progressLine(
    index: Int, of total: Int, _ point: Point, _ result: ComparePoint, _ seconds: Double
  ) -> String {
    let head =
      "[\(index + 1)/\(total)] \(point.launcher.transport.rawValue) \(point.mode.rawValue) "
      + "\(point.norm.rawValue) \(counted(point.workers, "worker"))"
    let parts = result.breakdown
    let times =
      "\(ReportFormat.spread(result.stepMs, result.stepQuartiles)) ms/step, compute "
      + "\(fmt(parts.compute, 1)) ms, waiting \(fmt(parts.waiting, 2)) ms, norm statistics "
      + "\(Int(result.normStatsCallsPerStep)) calls"
      + (result.predictedNormStatsMs.map { pred in
        ", transfer/predicted: gradients \(fmt(parts.gradientTransfer, 2))/"
          + "\(fmt(result.predictedGradientMs ?? 0, 2)), norm statistics "
          + "\(fmt(parts.normStatsTransfer, 2))/\(fmt(pred, 2)) ms"
      } ?? "")
    let parity = result.parityMaxDifference.map { ", max |Δθ| vs 1 worker \(sci($0))" } ?? ""
    return head + ": " + times + parity + " [\(fmt(seconds, 1)) s]"
  }

  /// Trains one point in `FOLDER/points/NAME/run` from its resolved config, written first as
  /// `FOLDER/points/NAME/point.toml`; returns the run directory.
  public func train(_ point: Point) throws -> String {
    let pointFolder = "\(folder)/points/\(point.name)"
    let pointConfig = pointFolder + "/point.toml"
    try? FileManager.default.removeItem(atPath: pointFolder)
    do {
      try FileManager.default.createDirectory(
        atPath: pointFolder, withIntermediateDirectories: true)
      try AtomicFile.write(text: config(point).tomlText, to: pointConfig)
    } catch {
      throw RunError("cannot write \"\(pointConfig)\": \(error)")
    }
    let arguments = ["train", "--config", pointConfig, "--out", pointFolder + "/run"]
    let log = pointFolder + "/train.log"
    try JobLauncher.requireSuccess(
      point.launcher.run(
        workers: point.workers, arguments: arguments, log: log, silentLimit: 45),
      job: "\(point.name) (\(counted(point.workers, "worker")))", log: log)
    return pointFolder + "/run"
  }

  /// Fits t(n) = α + β·n with `ddp bench allreduce` on `workers` ranks of a transport, up to
  /// the next power of two above the gradient's size.
  public func fitAllReduce(_ launcher: JobLauncher, workers count: Int) throws -> AllReduceFit {
    let transport = launcher.transport.rawValue
    let log = "\(folder)/points/allreduce-\(transport)-\(count)w.log"
    let gradientBytes = ModelLayout(run.model).parameters.totalCount * 4
    var maxBytes = 4
    while maxBytes < gradientBytes { maxBytes *= 2 }
    let began = monotonicSeconds()
    try JobLauncher.requireSuccess(
      launcher.run(
        workers: count, arguments: ["bench", "allreduce", "--max-bytes", "\(maxBytes)"],
        log: log),
      job: "all-reduce benchmark (\(transport), \(counted(count, "worker")))", log: log)
    let text = (try? FileSystem.text(of: log)) ?? ""
    let result: AllReduceBenchResult
    do {
      result = try AllReduceBenchResult.read(log: text, source: "\"\(log)\"")
    } catch {
      // A log cut short by a full disk: its job succeeded, its output did not land.
      throw RunError(
        "the all-reduce benchmark printed no fit: \(error)"
          + JobLauncher.fullDiskNote(log: log, text: ""))
    }
    let (alpha, beta) = (result.alphaMicroseconds, result.betaNanosecondsPerByte)
    print(
      "all-reduce fit, \(transport), \(counted(count, "worker")): α = \(fmt(alpha, 2)) µs, β = "
        + "\(fmt(beta, 4)) ns/byte [\(fmt(monotonicSeconds() - began, 1)) s]")
    return AllReduceFit(
      transport: transport, workers: count, alpha: alpha * 1e-6, beta: beta * 1e-9)
  }

  /// The figures of one finished point, medians over the steps after warm-up.
  public func summarize(_ point: Point, _ m: RunMeasurement) -> ComparePoint {
    let stepMs = m.median(afterWarmup: warmup) { $0.stepSeconds } * 1e3
    let gradients = m.median(afterWarmup: warmup) { $0.seconds(.gradients) } * 1e3
    let normStats = m.median(afterWarmup: warmup) { $0.seconds(.normStats) } * 1e3
    let control = m.median(afterWarmup: warmup) { $0.seconds(.control) } * 1e3
    let tokens = Double(globalBatch(point) * run.model.context)
    let hasCompute = m.measured(afterWarmup: warmup).allSatisfy { $0.computeSeconds != nil }
    return ComparePoint(
      transport: point.launcher.transport.rawValue, mode: point.mode.rawValue,
      norm: point.norm.rawValue, workers: point.workers, globalBatch: globalBatch(point),
      stepMs: stepMs, computeMs: max(0, stepMs - gradients - normStats - control),
      gradientWaitMs: gradients, normStatsWaitMs: normStats, controlWaitMs: control,
      gradientCallsPerStep: m.mean(afterWarmup: warmup) { $0.calls(.gradients) },
      gradientBytesPerStep: m.mean(afterWarmup: warmup) { $0.bytes(.gradients) },
      normStatsCallsPerStep: m.mean(afterWarmup: warmup) { $0.calls(.normStats) },
      normStatsBytesPerStep: m.mean(afterWarmup: warmup) { $0.bytes(.normStats) },
      tokensPerSecond: tokens / (stepMs / 1e3), scalingEfficiency: nil,
      lossCurve: m.steps.map(\.loss), finalLoss: m.steps.last?.loss ?? .nan,
      parityMaxDifference: nil, matchesOneWorker: nil, predictedGradientMs: nil,
      predictedNormStatsMs: nil,
      gradientTransferMs: point.workers > 1
        ? m.median(afterWarmup: warmup) { $0.leastWait.gradients } * 1e3 : nil,
      normStatsTransferMs: point.workers > 1
        ? m.median(afterWarmup: warmup) { $0.leastWait.normStatistics } * 1e3 : nil,
      ownComputeMs: hasCompute ? m.median(afterWarmup: warmup) { $0.ownCompute } * 1e3 : nil,
      perStep: series(m, workers: point.workers))
  }

  /// The measured steps of a run one by one, in milliseconds (results.json's `per_step`).
  public func series(_ m: RunMeasurement, workers: Int) -> StepSeries {
    let measured = m.measured(afterWarmup: warmup)
    func ms(_ figure: (StepRecord) -> Double) -> [Double] { measured.map { figure($0) * 1e3 } }
    let distributed = workers > 1
    return StepSeries(
      stepMs: ms(\.stepSeconds),
      computeMs: measured.allSatisfy { $0.computeSeconds != nil } ? ms(\.ownCompute) : [],
      gradientTransferMs: distributed ? ms(\.leastWait.gradients) : [],
      normStatsTransferMs: distributed ? ms(\.leastWait.normStatistics) : [],
      gradientWaitMs: ms { $0.seconds(.gradients) }, normStatsWaitMs: ms { $0.seconds(.normStats) },
      controlWaitMs: ms { $0.seconds(.control) })
  }
}

/// `x` in scientific notation with two significant decimals.
public func sci(_ x: Double) -> String { String(format: "%.2e", x) }
