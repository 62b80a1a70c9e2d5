import Foundation

/// What `ddp compare` measured: one point per (transport, mode, norm, workers), written as
/// `results.json` and read back by the report.
///
/// JSON keys are the snake_case forms of the property names (`JSONEncoder`'s
/// `.convertToSnakeCase`); times are milliseconds per optimizer step, bytes per optimizer step.
struct CompareResults: Codable, Equatable {
  /// The config file the sweep ran, and its overrides.
  var config: String
  var overrides: [String]
  /// Optimizer steps per point, and how many leading steps the medians leave out.
  var steps: Int
  var warmup: Int
  /// The largest |θ(N workers) − θ(1 worker)| still counted as a match (summation order only).
  var parityTolerance: Double
  /// Model shape, for the report's header: layers, d_model, context, parameters, norm layers.
  var layers: Int
  var dModel: Int
  var context: Int
  var parameters: Int
  var normLayers: Int
  /// When and where it ran (ISO 8601 date, host name, logical cores).
  var date: String
  var host: String
  var cores: Int
  /// α–β fits of the all-reduce per transport and worker count, measured in the same sweep.
  var fits: [AllReduceFit]
  var points: [ComparePoint]
}

/// One `mpirun` job of the sweep.
struct ComparePoint: Codable, Equatable {
  /// `"shm"` (one host, shared memory) or `"cluster"` (network namespaces, TCP).
  var transport: String
  /// `"strong"` (fixed global batch) or `"weak"` (fixed batch per worker).
  var mode: String
  /// `layernorm`, `rmsnorm`, `batchnorm`, `syncbatchnorm` or `none`.
  var norm: String
  var workers: Int
  /// Sequences per optimizer step over all workers.
  var globalBatch: Int
  /// Median over the measured steps (warm-up excluded) of the whole step.
  var stepMs: Double
  /// stepMs − gradientWaitMs − normStatsWaitMs − controlWaitMs.
  var computeMs: Double
  /// Medians of the per-step seconds spent inside collectives of each category.
  var gradientWaitMs: Double
  var normStatsWaitMs: Double
  var controlWaitMs: Double
  /// Collectives per optimizer step and bytes they reduced (per rank's buffer).
  var gradientCallsPerStep: Double
  var gradientBytesPerStep: Double
  var normStatsCallsPerStep: Double
  var normStatsBytesPerStep: Double
  /// globalBatch · context / (stepMs / 1000).
  var tokensPerSecond: Double
  /// tokens/s(N) / (N · tokens/s(1)) for strong scaling; tokens/s(N) / (N · tokens/s(1)) with
  /// the per-worker batch fixed for weak scaling. nil when the 1-worker point is missing.
  var scalingEfficiency: Double?
  /// Training loss of every step (mean over the global batch), and of the last step.
  var lossCurve: [Double]
  var finalLoss: Double
  /// max |θ(N) − θ(1)| over all parameters against the 1-worker run of the same transport, mode
  /// and norm (strong scaling only: weak scaling trains on different batches).
  var parityMaxDifference: Double?
  /// parityMaxDifference ≤ parityTolerance; nil where parity is not measured.
  var matchesOneWorker: Bool?
  /// The cost model's prediction for this point (nil for one worker).
  var predictedGradientMs: Double?
  var predictedNormStatsMs: Double?
  /// Medians of the least per-step wait over the workers: the last worker to arrive at a
  /// collective waits only for the transfer, so this is the communication without the load
  /// imbalance, what the cost model predicts (nil for one worker).
  var gradientTransferMs: Double? = nil
  var normStatsTransferMs: Double? = nil
}

/// t(n) = α + β·n fitted to `ddp bench allreduce` on one transport and worker count.
struct AllReduceFit: Codable, Equatable {
  var transport: String
  var workers: Int
  /// Seconds per call.
  var alpha: Double
  /// Seconds per byte of the buffer.
  var beta: Double
}

extension CompareResults {
  static func decode(_ data: Data) throws -> CompareResults {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(CompareResults.self, from: data)
  }

  func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }
}
