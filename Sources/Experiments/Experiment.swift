import Config
import Reports
import Training

/// How big a sweep `ddp experiment` runs: `quick` fits in 10 minutes on 2 cores, `full` is
/// the serious version (more seeds, a wider model, longer runs).
public enum ExperimentSize: String, CaseIterable, Sendable {
  case quick, full
}

/// What every experiment is given: its size, the workers of each job, the seeds, and `--set`
/// overrides applied to every job (after the experiment's own settings, so `data.path` or
/// `model.d_model` can be changed).
public struct ExperimentSettings: Sendable {
  public var size: ExperimentSize
  public var workers: Int
  public var seeds: [UInt64]
  public var overrides: [String]
  /// The experiment's folder (`--out`), absolute: where a job finds an earlier job's run.
  public var folder: String

  public init(
    size: ExperimentSize, workers: Int, seeds: [UInt64], overrides: [String],
    folder: String = ""
  ) {
    (self.size, self.workers, self.seeds, self.overrides) = (size, workers, seeds, overrides)
    self.folder = folder
  }
}

/// One job of a sweep: the record it fills, its resolved config, and what to run.
public struct ExperimentJobSpec: Sendable {
  public enum Kind: Sendable {
    /// `ddp probe` of the freshly initialized model: `rounds` batches per worker.
    case probeAtInit(rounds: Int, batch: Int)
    /// `ddp train`, then (when `probeRounds` is given) `ddp probe` of its final checkpoint.
    case train(probeRounds: Int?, batch: Int)
    /// `ddp train`, then `ddp eval` of its final checkpoint on `episodes` held-out recall
    /// episodes (accuracy and answer loss).
    case trainRecall(episodes: Int)
    /// `ddp train` of a classifier, then `ddp eval --split test` of its final checkpoint
    /// (test accuracy and loss).
    case trainClassifier
    /// No job: byte n-gram naive Bayes fitted and scored in this process on the config's
    /// classification split (``ByteNGramNaiveBayes``).
    case naiveBayes
  }

  public var record: ExperimentJob
  public var config: RunConfig
  public var kind: Kind
  /// Names of earlier jobs whose run this one starts from (`train.init_from`): when one of
  /// them runs again, so does this job, even if its own config is unchanged.
  public var dependencies: [String]

  public init(
    record: ExperimentJob, config: RunConfig, kind: Kind, dependencies: [String] = []
  ) {
    (self.record, self.config, self.kind, self.dependencies) =
      (record, config, kind, dependencies)
  }
}

/// A paper's claims turned into a sweep of real jobs, verdicts computed from what they
/// measured, and the figures of its report. One type per experiment, in this folder.
public protocol Experiment: Sendable {
  /// The name `ddp experiment NAME` takes.
  static var name: String { get }
  /// The report's title.
  var title: String { get }
  var settings: ExperimentSettings { get }
  /// The keys the sweep sets itself; `--set` may not change them.
  static var sweptKeys: [String] { get }
  /// Every job, in the order they run.
  func jobs() throws -> [ExperimentJobSpec]
  /// The verdict on each claim, from the finished jobs.
  func claims(_ jobs: [ExperimentJob]) -> [ClaimVerdict]
  /// The report's charts.
  func figures(_ jobs: [ExperimentJob]) -> [ReportFigure]
  /// The progress line's measurement of one finished job.
  func describe(_ job: ExperimentJob) -> String
}

extension Experiment {
  /// The config every job starts from: the defaults, the experiment's `base` settings, then
  /// the user's `--set` overrides.
  func resolved(_ base: [String], seed: UInt64) throws -> RunConfig {
    for text in settings.overrides {
      let key = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? text
      if Self.sweptKeys.contains(key) || key == "train.seed" {
        throw RunError(
          "--set \(key): the \(Self.name) experiment sets it in every job (it sweeps "
            + (Self.sweptKeys + ["train.seed"]).joined(separator: ", ") + ")")
      }
    }
    return try RunConfig.load(
      tomlText: "", overrides: base + ["train.seed=\(seed)"] + settings.overrides)
  }
}
