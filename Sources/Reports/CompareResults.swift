import Foundation
import Support

/// What `ddp compare` measured: one point per (transport, mode, norm, workers), written as
/// `results.json` and read back by the report.
///
/// JSON keys are the snake_case forms of the property names (`JSONEncoder`'s
/// `.convertToSnakeCase`); times are milliseconds per optimizer step, bytes per optimizer step.
public struct CompareResults: Codable, Equatable {
  /// The config file the sweep ran, and its overrides.
  public var config: String
  public var overrides: [String]
  /// Optimizer steps per point, and how many leading steps the medians leave out.
  public var steps: Int
  public var warmup: Int
  /// The largest |θ(N workers) − θ(1 worker)| still counted as a match: `noise_factor` × the
  /// largest of `noise_envelopes`, or the absolute `--tolerance` given instead.
  public var parityTolerance: Double
  /// Per norm: max |Δθ| between the 1-worker run and its twin whose parameters all move by one ulp after step 1,
  /// how far float noise alone carries over the sweep's steps (nil with an absolute tolerance).
  public var noiseEnvelopes: [String: Double]?
  /// The multiple of the noise envelope within which N workers count as the same model.
  public var noiseFactor: Double?
  /// Model shape, for the report's header: layers, d_model, context, parameters, norm layers.
  public var layers: Int
  public var dModel: Int
  public var context: Int
  public var parameters: Int
  public var normLayers: Int
  /// When and where it ran (ISO 8601 date, host name, logical cores).
  public var date: String
  public var host: String
  public var cores: Int
  /// α–β fits of the all-reduce per transport and worker count, measured in the same sweep.
  public var fits: [AllReduceFit]
  public var points: [ComparePoint]

  public init(
    config: String,
    overrides: [String],
    steps: Int,
    warmup: Int,
    parityTolerance: Double,
    layers: Int,
    dModel: Int,
    context: Int,
    parameters: Int,
    normLayers: Int,
    date: String,
    host: String,
    cores: Int,
    fits: [AllReduceFit],
    points: [ComparePoint]
  ) {
    self.config = config
    self.overrides = overrides
    self.steps = steps
    self.warmup = warmup
    self.parityTolerance = parityTolerance
    self.layers = layers
    self.dModel = dModel
    self.context = context
    self.parameters = parameters
    self.normLayers = normLayers
    self.date = date
    self.host = host
    self.cores = cores
    self.fits = fits
    self.points = points
  }
}

/// One `mpirun` job of the sweep.
public struct ComparePoint: Codable, Equatable {
  /// `"shm"` (one host, shared memory) or `"cluster"` (network namespaces, TCP).
  public var transport: String
  /// `"strong"` (fixed global batch) or `"weak"` (fixed batch per worker).
  public var mode: String
  /// `layernorm`, `rmsnorm`, `batchnorm`, `syncbatchnorm` or `none`.
  public var norm: String
  public var workers: Int
  /// Sequences per optimizer step over all workers.
  public var globalBatch: Int
  /// Median over the measured steps (warm-up excluded) of the whole step.
  public var stepMs: Double
  /// stepMs − gradientWaitMs − normStatsWaitMs − controlWaitMs: rank 0's wall time outside
  /// collectives, which counts time a rank waits for a core as compute (the report uses
  /// `ownComputeMs` when the results have it).
  public var computeMs: Double
  /// Medians of the per-step seconds rank 0 spent inside collectives of each category
  /// (the transfer and any waiting for slower workers).
  public var gradientWaitMs: Double
  public var normStatsWaitMs: Double
  public var controlWaitMs: Double
  /// Collectives per optimizer step and bytes they reduced (per rank's buffer).
  public var gradientCallsPerStep: Double
  public var gradientBytesPerStep: Double
  public var normStatsCallsPerStep: Double
  public var normStatsBytesPerStep: Double
  /// globalBatch · context / (stepMs / 1000).
  public var tokensPerSecond: Double
  /// tokens/s(N) / (N · tokens/s(1)) for strong scaling; tokens/s(N) / (N · tokens/s(1)) with
  /// the per-worker batch fixed for weak scaling. nil when the 1-worker point is missing.
  public var scalingEfficiency: Double?
  /// Training loss of every step (mean over the global batch), and of the last step.
  public var lossCurve: [Double]
  public var finalLoss: Double
  /// max |θ(N) − θ(1)| over all parameters against the 1-worker run of the same transport, mode
  /// and norm (strong scaling only: weak scaling trains on different batches).
  public var parityMaxDifference: Double?
  /// parityMaxDifference ≤ parityTolerance; nil where parity is not measured.
  public var matchesOneWorker: Bool?
  /// The cost model's prediction for this point (nil for one worker).
  public var predictedGradientMs: Double?
  public var predictedNormStatsMs: Double?
  /// Medians of the least per-step wait over the workers: the last worker to arrive at a
  /// collective waits only for the transfer, so this is the communication without the load
  /// imbalance, what the cost model predicts (nil for one worker).
  public var gradientTransferMs: Double? = nil
  public var normStatsTransferMs: Double? = nil
  /// Median over the steps of the workers' own compute: per step, the mean over the workers of
  /// each one's main-thread CPU milliseconds outside collectives (metrics.jsonl's
  /// `compute_seconds.mean`). nil in results written before it was recorded.
  public var ownComputeMs: Double? = nil
  /// The measured steps one by one, for the spread; nil in results written before.
  public var perStep: StepSeries? = nil

  public init(
    transport: String,
    mode: String,
    norm: String,
    workers: Int,
    globalBatch: Int,
    stepMs: Double,
    computeMs: Double,
    gradientWaitMs: Double,
    normStatsWaitMs: Double,
    controlWaitMs: Double,
    gradientCallsPerStep: Double,
    gradientBytesPerStep: Double,
    normStatsCallsPerStep: Double,
    normStatsBytesPerStep: Double,
    tokensPerSecond: Double,
    scalingEfficiency: Double?,
    lossCurve: [Double],
    finalLoss: Double,
    parityMaxDifference: Double?,
    matchesOneWorker: Bool?,
    predictedGradientMs: Double?,
    predictedNormStatsMs: Double?,
    gradientTransferMs: Double? = nil,
    normStatsTransferMs: Double? = nil,
    ownComputeMs: Double? = nil,
    perStep: StepSeries? = nil
  ) {
    self.transport = transport
    self.mode = mode
    self.norm = norm
    self.workers = workers
    self.globalBatch = globalBatch
    self.stepMs = stepMs
    self.computeMs = computeMs
    self.gradientWaitMs = gradientWaitMs
    self.normStatsWaitMs = normStatsWaitMs
    self.controlWaitMs = controlWaitMs
    self.gradientCallsPerStep = gradientCallsPerStep
    self.gradientBytesPerStep = gradientBytesPerStep
    self.normStatsCallsPerStep = normStatsCallsPerStep
    self.normStatsBytesPerStep = normStatsBytesPerStep
    self.tokensPerSecond = tokensPerSecond
    self.scalingEfficiency = scalingEfficiency
    self.lossCurve = lossCurve
    self.finalLoss = finalLoss
    self.parityMaxDifference = parityMaxDifference
    self.matchesOneWorker = matchesOneWorker
    self.predictedGradientMs = predictedGradientMs
    self.predictedNormStatsMs = predictedNormStatsMs
    self.gradientTransferMs = gradientTransferMs
    self.normStatsTransferMs = normStatsTransferMs
    self.ownComputeMs = ownComputeMs
    self.perStep = perStep
  }
}

/// A point's figures for each measured step (warm-up excluded), in step order, milliseconds:
/// `per_step` in results.json. The medians of the point are the medians of these.
public struct StepSeries: Codable, Equatable {
  public var stepMs: [Double]
  /// The workers' own compute (mean over the workers); empty when the run did not record it.
  public var computeMs: [Double]
  /// The least wait over the workers (empty with one worker).
  public var gradientTransferMs: [Double]
  public var normStatsTransferMs: [Double]
  /// Rank 0's time inside collectives of each category.
  public var gradientWaitMs: [Double]
  public var normStatsWaitMs: [Double]
  public var controlWaitMs: [Double]

  public init(
    stepMs: [Double], computeMs: [Double], gradientTransferMs: [Double],
    normStatsTransferMs: [Double], gradientWaitMs: [Double], normStatsWaitMs: [Double],
    controlWaitMs: [Double]
  ) {
    (self.stepMs, self.computeMs) = (stepMs, computeMs)
    (self.gradientTransferMs, self.normStatsTransferMs) = (gradientTransferMs, normStatsTransferMs)
    (self.gradientWaitMs, self.normStatsWaitMs, self.controlWaitMs) =
      (gradientWaitMs, normStatsWaitMs, controlWaitMs)
  }
}

/// t(n) = α + β·n fitted to `ddp bench allreduce` on one transport and worker count.
public struct AllReduceFit: Codable, Equatable {
  public var transport: String
  public var workers: Int
  /// Seconds per call.
  public var alpha: Double
  /// Seconds per byte of the buffer.
  public var beta: Double

  public init(
    transport: String,
    workers: Int,
    alpha: Double,
    beta: Double
  ) {
    self.transport = transport
    self.workers = workers
    self.alpha = alpha
    self.beta = beta
  }
}

extension CompareResults {
  /// Whether a point ran more workers than the machine has cores: its ranks shared cores, so
  /// its times measure the scheduler as much as the algorithm (the cluster's hosts are network
  /// namespaces of this machine and share its cores too).
  public func isOversubscribed(_ point: ComparePoint) -> Bool { point.workers > cores }

  /// The worker count as the tables and charts show it: `4*` when oversubscribed.
  public func workersLabel(_ point: ComparePoint) -> String {
    String(point.workers) + (isOversubscribed(point) ? "*" : "")
  }

  /// The note that explains the `*`, or nil when no point is oversubscribed.
  public var oversubscriptionNote: String? {
    guard points.contains(where: isOversubscribed) else { return nil }
    return "* more workers than this machine's \(cores) cores: ranks take turns on the cores, "
      + "so these times measure the scheduler as much as the algorithm."
  }

  /// The parity tolerance as the reports state it: `1.2e-05 (10 × float noise)` when judged
  /// against the sweep's twins, the bare number when given absolutely.
  public var toleranceText: String {
    let value = ReportFormat.scientific(parityTolerance)
    guard let noiseFactor, noiseEnvelopes != nil else { return value }
    return "\(value) (\(String(format: "%g", noiseFactor)) × float noise)"
  }

  public static func decode(_ data: Data) throws -> CompareResults {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(CompareResults.self, from: data)
  }

  public func encoded() throws -> Data {
    let encoder = JSONStyle.encoder(pretty: true)
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return try encoder.encode(self)
  }
}
