import Foundation
import Support

/// What `ddp experiment NAME` writes to `results.json`: the sweep, every job's measurements
/// and the verdict on each claim.
///
/// JSON keys are the snake_case forms of the property names (`JSONEncoder`'s
/// `convertToSnakeCase`); README "Experiments" documents them.
public struct ExperimentResults: Codable, Sendable {
  /// `gradients`, `warmup`, `depth`, `recall`, `attention` or `ulmfit`.
  public var experiment: String
  /// `quick` or `full`.
  public var size: String
  public var workers: Int
  public var seeds: [UInt64]
  /// `--set` overrides applied to every job.
  public var overrides: [String]
  public var date: String
  public var host: String
  public var cores: Int
  public var jobs: [ExperimentJob]
  public var claims: [ClaimVerdict]

  public init(
    experiment: String, size: String, workers: Int, seeds: [UInt64], overrides: [String],
    date: String, host: String, cores: Int, jobs: [ExperimentJob], claims: [ClaimVerdict]
  ) {
    (self.experiment, self.size, self.workers, self.seeds) = (experiment, size, workers, seeds)
    (self.overrides, self.date, self.host, self.cores) = (overrides, date, host, cores)
    (self.jobs, self.claims) = (jobs, claims)
  }

  public func encoded() throws -> Data { try Self.encoder.encode(self) }

  public static func decoded(from data: Data) throws -> ExperimentResults {
    try decoder.decode(ExperimentResults.self, from: data)
  }

  /// Pretty, sorted, snake_case keys; NaN and infinities as the strings "nan", "inf", "-inf"
  /// (a diverged run's numbers are data, not an encoding error).
  public static var encoder: JSONEncoder {
    let encoder = JSONStyle.encoder(pretty: true)
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return encoder
  }

  public static var decoder: JSONDecoder {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return decoder
  }
}

/// One job of an experiment: its settings and what it measured. Series are absent where the
/// job does not measure them (a probe has no loss curve, a training run no probe).
public struct ExperimentJob: Codable, Sendable, Equatable {
  public var name: String
  public var experiment: String
  public var placement: String
  /// `model.init`: `gpt2` or `xavier`.
  public var initialization: String
  public var layers: Int
  public var dModel: Int
  public var seed: UInt64
  public var lr: Double
  public var warmup: Int
  public var steps: Int
  public var workers: Int
  /// `ok`, or `diverged` (the loss or gradient went non-finite: a result, drawn as such).
  public var status: String
  /// The step whose loss or gradient was not finite, for a diverged run.
  public var divergedAtStep: Int?
  /// Per-layer weight-gradient norms by tensor (`attn.qkv`, `attn.proj`, `mlp.fc`,
  /// `mlp.proj`), element l for block l: from the probe at initialization, or averaged over
  /// the steps of a training run.
  public var gradientNorms: [String: [Double]]?
  /// ‖f_s‖ / ‖x_s‖ per sublayer, from the probe (after training, for a training job).
  public var updateRatios: [Double]?
  /// Training loss by step (element i is step i + 1).
  public var lossCurve: [Double]?
  /// Validation loss at the end (nil for probes and diverged runs).
  public var validationLoss: Double?
  /// Wall seconds of the job.
  public var seconds: Double
  /// Recall jobs (`ddp experiment recall`): the attention kind, the pairs S per episode,
  /// whether keys repeat (setting 2), and the answer accuracy and loss on held-out episodes.
  public var attention: String?
  public var pairs: Int?
  public var overwrite: Bool?
  public var accuracy: Double?
  public var answerLoss: Double?
  /// Training jobs: the median tokens per second over all workers (`tokens_per_s` of
  /// metrics.jsonl) of the steps after the first tenth, which include start-up. JSON key
  /// `tokens_per_second`.
  public var tokensPerSecond: Double?
  /// Training jobs: tokens per step over the mean worker's own compute seconds (thread CPU
  /// time outside collectives, `compute_seconds` of metrics.jsonl), median over the same
  /// steps: the throughput the workers would have with a core each, whatever else ran.
  public var computeTokensPerSecond: Double?

  /// ULMFiT jobs (`ddp experiment ulmfit`): `stage-a`, `stage-b` (language models), `scratch`,
  /// `pretrained`, `ulmfit`, an ablation (`no-discr`, `no-stlr`, `no-unfreeze`) or `bayes`;
  /// the labelled training documents per class (0 = all); the classifier's loss on the test
  /// split (its accuracy there is ``accuracy``).
  public var method: String?
  public var labelsPerClass: Int?
  public var testLoss: Double?

  public init(
    name: String, experiment: String, placement: String, initialization: String, layers: Int,
    dModel: Int, seed: UInt64, lr: Double, warmup: Int, steps: Int, workers: Int
  ) {
    (self.name, self.experiment, self.placement, self.initialization) =
      (name, experiment, placement, initialization)
    (self.layers, self.dModel, self.seed, self.lr, self.warmup, self.steps, self.workers) =
      (layers, dModel, seed, lr, warmup, steps, workers)
    status = "ok"
    seconds = 0
  }

  enum CodingKeys: String, CodingKey {
    case name, experiment, placement, layers, dModel, seed, lr, warmup, steps, workers, status
    case divergedAtStep, gradientNorms, updateRatios, lossCurve, validationLoss, seconds
    case attention, pairs, overwrite, accuracy, answerLoss, tokensPerSecond
    case computeTokensPerSecond, method, labelsPerClass, testLoss
    case initialization = "init"
  }
}

/// A paper's claim checked against our data.
public struct ClaimVerdict: Codable, Sendable, Equatable {
  public enum Verdict: String, Codable, Sendable {
    case reproduced
    case notReproduced = "not reproduced"
    case inconclusive
  }

  /// The paper's statement, with its source.
  public var claim: String
  /// The paper's number.
  public var paper: String
  /// What the claim predicts at this experiment's scale.
  public var prediction: String
  /// What we measured, with the spread over seeds.
  public var measured: String
  /// How the verdict is computed from the data.
  public var rule: String
  public var verdict: Verdict

  public init(
    claim: String, paper: String, prediction: String, measured: String, rule: String,
    verdict: Verdict
  ) {
    (self.claim, self.paper, self.prediction) = (claim, paper, prediction)
    (self.measured, self.rule, self.verdict) = (measured, rule, verdict)
  }
}
