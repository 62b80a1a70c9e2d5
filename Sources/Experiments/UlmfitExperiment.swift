import Config
import Foundation
import Reports
import Support

/// `ddp experiment ulmfit`: universal language-model fine-tuning for text classification, on
/// five fortune files as classes (`Datasets/ClassificationCorpus`), data-parallel.
///
/// - Stage a, once: a language model on the general-domain text, the fortune files that are
///   not classes (`data.lm_text = "others"`; no labelled document's text, so never a test one).
/// - Stage b, once: that model fine-tuned on the target task's unlabelled training text
///   (`data.lm_text = "train"`, every training document whatever the label count) with
///   discriminative rates and slanted triangular rates.
/// - Stage c, per label count and seed: classifiers on `data.labels_per_class` labelled
///   documents of each class: from scratch, from stage a (`pretrained`: no stage b), and from
///   stage b (`ulmfit`), the last two with discriminative rates, STLR and gradual unfreezing;
///   at one label count the ablations of stage c (`no-discr`, `no-stlr`, `no-unfreeze`; no
///   stage b is `pretrained`); and byte n-gram naive Bayes on the same split (`bayes`).
///
/// Every classifier is scored by `ddp eval --split test`; a job's test error is 1 − accuracy.
///
/// ### References
/// J. Howard, S. Ruder, "Universal Language Model Fine-tuning for Text Classification",
/// ACL 2018: section 3 (the stages), tables 4, 6 and 7 (ablations), figure 3 (low-shot).
public struct UlmfitExperiment: Experiment {
  public static let name = "ulmfit"
  public let title = "ULMFiT: pretrain, fine-tune, classify with few labels"
  public static let sweptKeys = [
    "model.head", "data.lm_text", "data.labels_per_class", "train.init_from",
    "train.lr_decay_per_layer", "train.schedule", "train.unfreeze", "train.unfreeze_every",
  ]
  public let settings: ExperimentSettings

  public init(settings: ExperimentSettings) { self.settings = settings }

  /// What trains a classifier (or the two language models before them).
  public enum Method: String, CaseIterable, Sendable {
    case stageA = "stage-a"
    case stageB = "stage-b"
    case scratch, pretrained, ulmfit
    case noDiscr = "no-discr"
    case noSTLR = "no-stlr"
    case noUnfreeze = "no-unfreeze"
    case bayes
  }

  var quick: Bool { settings.size == .quick }
  /// Labelled training documents per class; 0 = all (about 500 per class here).
  var labelCounts: [Int] { quick ? [10, 50, 0] : [5, 10, 25, 50, 100, 0] }
  /// The label count of the ablations.
  static let ablationCount = 50
  /// The stage c ablations run (the fourth, no stage b, is `pretrained` at the same count).
  var ablations: [Method] { [.noDiscr, .noSTLR, .noUnfreeze] }
  /// The methods drawn against the label count.
  static let curveMethods: [Method] = [.scratch, .pretrained, .ulmfit, .bayes]

  var stageASteps: Int { quick ? 400 : 2000 }
  var stageBSteps: Int { quick ? 100 : 400 }
  var classifierSteps: Int { quick ? 100 : 400 }
  /// The language models' validation windows at the end of stages a and b.
  static let evalBatches = 20
  /// Howard and Ruder's factor between layer groups' rates.
  static let decay = 2.6

  /// The model and data of every job: `configs/classify.toml`'s classifier (2 blocks of 64,
  /// context 128, concat pooling into 50 hidden units) on its five classes.
  var common: [String] {
    [
      "model.d_model=64", "model.n_heads=4", "model.n_layers=2", "model.context=128",
      "model.norm=layernorm", "model.placement=pre", "model.attention=softmax",
      "model.head_hidden=50", "data.classes=computers,politics,science,work,men-women",
      "data.val_fraction=0.1", "data.test_fraction=0.2", "train.batch=32", "train.grad_accum=1",
      "train.weight_decay=0.1", "train.beta1=0.9", "train.beta2=0.95", "train.clip=1",
      "train.eval_every=0", "train.eval_batches=\(Self.evalBatches)",
      "train.checkpoint_every=0", "train.keep_checkpoints=1",
    ]
  }

  /// The settings of `method` on top of ``common``: its stage, start and schedule.
  func keys(_ method: Method) -> [String] {
    let runs = settings.folder + "/jobs/"
    let cosine = { (steps: Int, lr: String, floor: String) in
      [
        "train.steps=\(steps)", "train.lr=\(lr)", "train.schedule=cosine",
        "train.warmup=\(steps / 12)", "train.min_lr=\(floor)",
      ]
    }
    let stlr = ["train.schedule=stlr", "train.warmup=0", "train.min_lr=0"]
    let discriminative = ["train.lr_decay_per_layer=\(Self.decay)"]
    let classifier = ["model.head=classifier", "train.unfreeze=gradual"]
    let fromStageB = ["train.init_from=" + runs + Method.stageB.rawValue + "/run"]
    let tuned = classifier + fromStageB + ["train.steps=\(classifierSteps)", "train.lr=1e-3"]
    switch method {
    case .stageA:
      return ["model.head=lm", "data.lm_text=others"] + cosine(stageASteps, "3e-3", "3e-4")
    case .stageB:
      return [
        "model.head=lm", "data.lm_text=train", "train.steps=\(stageBSteps)", "train.lr=4e-3",
        "train.init_from=" + runs + Method.stageA.rawValue + "/run",
      ] + discriminative + stlr
    case .scratch, .bayes:
      return ["model.head=classifier"] + cosine(classifierSteps, "1e-3", "1e-4")
    case .pretrained:
      return classifier + ["train.init_from=" + runs + Method.stageA.rawValue + "/run"]
        + ["train.steps=\(classifierSteps)", "train.lr=1e-3"] + discriminative + stlr
    case .ulmfit: return tuned + discriminative + stlr
    case .noDiscr: return tuned + stlr
    case .noSTLR:
      return tuned + discriminative + cosine(classifierSteps, "1e-3", "1e-4")
    case .noUnfreeze: return tuned + discriminative + stlr + ["train.unfreeze=none"]
    }
  }

  /// The jobs `method` starts from.
  static func dependencies(_ method: Method) -> [String] {
    switch method {
    case .stageA, .scratch, .bayes: return []
    case .stageB, .pretrained: return [Method.stageA.rawValue]
    default: return [Method.stageA.rawValue, Method.stageB.rawValue]
    }
  }

  /// `all` for 0, else the count.
  static func countName(_ count: Int) -> String { count == 0 ? "all" : "\(count)" }

  func spec(_ method: Method, labels: Int?, seed: UInt64) throws -> ExperimentJobSpec {
    var base = common + keys(method)
    if let labels { base.append("data.labels_per_class=\(labels)") }
    var config = try resolved(base, seed: seed)
    // Gradual unfreezing: the 4 layer groups (embeddings, 2 blocks, norm_f + classifier) have
    // all joined by 3/8 of the run, whatever `--set train.steps` says.
    config.train.unfreezeEvery = max(1, config.train.steps / 8)
    let name =
      method.rawValue + (labels.map { "-n\(Self.countName($0))" } ?? "")
      + (method == .bayes || labels == nil ? "" : "-s\(seed)")
    var record = ExperimentJob(
      name: name, experiment: Self.name, config: config, seed: seed,
      workers: method == .bayes ? 0 : settings.workers)
    if method == .bayes { record.steps = 0 }  // fitted in this process: no training steps
    (record.method, record.labelsPerClass) = (method.rawValue, labels)
    let kind: ExperimentJobSpec.Kind =
      switch method {
      case .stageA, .stageB: .train(probeRounds: nil, batch: 0)
      case .bayes: .naiveBayes
      default: .trainClassifier
      }
    return ExperimentJobSpec(
      record: record, config: config, kind: kind, dependencies: Self.dependencies(method))
  }

  public func jobs() throws -> [ExperimentJobSpec] {
    let first = settings.seeds.first ?? 1
    var specs = [
      try spec(.stageA, labels: nil, seed: first), try spec(.stageB, labels: nil, seed: first),
    ]
    for labels in labelCounts {
      specs.append(try spec(.bayes, labels: labels, seed: first))
      for method in [Method.scratch, .pretrained, .ulmfit] {
        for seed in settings.seeds { specs.append(try spec(method, labels: labels, seed: seed)) }
      }
    }
    for method in ablations {
      for seed in settings.seeds {
        specs.append(try spec(method, labels: Self.ablationCount, seed: seed))
      }
    }
    return specs
  }

  public func describe(_ job: ExperimentJob) -> String {
    guard job.status == "ok" else { return "diverged at step \(job.divergedAtStep ?? 0)" }
    if job.labelsPerClass == nil {
      return "validation loss \(fmt(job.validationLoss ?? .nan, 3)) nats/byte"
    }
    let error = "test error \(fmt(100 * (1 - (job.accuracy ?? .nan)), 1))%"
    return error + (job.testLoss.map { ", loss \(fmt($0, 3))" } ?? "")
  }
}
