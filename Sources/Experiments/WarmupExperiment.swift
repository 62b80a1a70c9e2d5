import Config
import Foundation
import Reports
import Support

/// `ddp experiment warmup`: does Post-LN need learning-rate warmup where Pre-LN and ResiDual
/// do not? Placement × warmup {0, W} × learning rate, trained data-parallel on fortunes with
/// Adam β2 = 0.98 and no gradient clipping, as in Xiong et al.'s setting.
///
/// A run whose loss or gradient goes non-finite is recorded as diverged (a result, drawn as
/// such), not an error of the sweep.
///
/// ### References
/// R. Xiong et al., "On Layer Normalization in the Transformer Architecture", ICML 2020.
/// S. Xie et al., "ResiDual: Transformer with Dual Residual Connections", 2023.
public struct WarmupExperiment: Experiment {
  public static let name = "warmup"
  public let title = "Learning-rate warmup: Post-LN, Pre-LN, ResiDual (Xiong et al.)"
  public static let sweptKeys = ["model.placement", "train.lr", "train.warmup"]
  public let settings: ExperimentSettings

  public init(settings: ExperimentSettings) { self.settings = settings }

  var quick: Bool { settings.size == .quick }
  var learningRates: [Double] { quick ? [1e-3, 3e-3] : [5e-4, 1e-3, 3e-3] }
  var steps: Int { quick ? 300 : 1000 }
  var warmupSteps: Int { quick ? 60 : 200 }
  var layers: Int { 6 }
  /// Validation-loss differences below this (nats per byte) count as "the same".
  static let margin = 0.05

  public func jobs() throws -> [ExperimentJobSpec] {
    var specs: [ExperimentJobSpec] = []
    for lr in learningRates {
      for placement in PlacementStyle.order {
        for warmup in [0, warmupSteps] {
          for seed in settings.seeds {
            let config = try resolved(
              [
                "model.d_model=\(quick ? 64 : 128)", "model.n_heads=4", "model.context=64",
                "model.n_layers=\(layers)", "model.placement=\(placement)", "model.init=xavier",
                "train.steps=\(steps)", "train.batch=16", "train.lr=\(lr)",
                "train.warmup=\(warmup)", "train.schedule=constant", "train.beta2=0.98",
                "train.clip=0", "train.weight_decay=0", "train.eval_every=0",
                "train.eval_batches=10", "train.checkpoint_every=0", "train.keep_checkpoints=1",
              ], seed: seed)
            let record = ExperimentJob(
              name: "\(placement)-warmup\(warmup)-lr\(lr)-s\(seed)", experiment: Self.name,
              config: config, seed: seed, workers: settings.workers)
            specs.append(
              ExperimentJobSpec(
                record: record, config: config, kind: .train(probeRounds: nil, batch: 8)))
          }
        }
      }
    }
    return specs
  }

  public func describe(_ job: ExperimentJob) -> String {
    job.status == "diverged"
      ? "diverged at step \(job.divergedAtStep ?? 0)"
      : "validation loss \(fmt(job.validationLoss ?? .nan, 4))"
  }

  /// Per seed: validation loss without warmup minus with it (+∞ when only the run without
  /// warmup diverged).
  func warmupPenalty(_ jobs: [ExperimentJob], placement: String, lr: Double) -> [Double] {
    settings.seeds.compactMap { seed in
      let pair = jobs.filter { $0.placement == placement && $0.lr == lr && $0.seed == seed }
      guard let without = pair.first(where: { $0.warmup == 0 }),
        let with = pair.first(where: { $0.warmup > 0 })
      else { return nil }
      let lossWithout = without.status == "diverged" ? .infinity : without.validationLoss ?? .nan
      let lossWith = with.status == "diverged" ? .infinity : with.validationLoss ?? .nan
      if lossWith == .infinity { return lossWithout == .infinity ? nil : -.infinity }
      return lossWithout - lossWith
    }
  }

  func penaltyText(_ values: [Double]) -> String {
    let diverged = values.filter { $0 == .infinity }.count
    return SeedSpread(values).text(3) + (diverged > 0 ? ", \(diverged) diverged" : "")
  }

  /// The verdict on "no worse without warmup" at every learning rate.
  func stable(_ jobs: [ExperimentJob], placement: String) -> (ClaimVerdict.Verdict, String) {
    let margin = Self.margin
    let parts = learningRates.map { lr -> (ClaimVerdict.Verdict, String) in
      let penalty = warmupPenalty(jobs, placement: placement, lr: lr)
      let verdict: ClaimVerdict.Verdict =
        penalty.contains(.infinity)
        ? .notReproduced : SeedSpread(penalty).verdict(predicted: -10...margin)
      return (verdict, "lr \(lr): \(penaltyText(penalty))")
    }
    return (combined(parts.map(\.0)), parts.map(\.1).joined(separator: "; "))
  }

  /// The learning rate at which Post-LN with warmup reaches its lowest mean validation loss:
  /// the rate a user tuning Post-LN would pick, where the paper compares with and without
  /// warmup (at a rate too high for warmed-up Post-LN too, both fail and nothing is learned).
  func bestRate(_ jobs: [ExperimentJob]) -> Double {
    learningRates.min { a, b in
      func loss(_ lr: Double) -> Double {
        let mean = SeedSpread(
          jobs.filter { $0.placement == "post" && $0.warmup > 0 && $0.lr == lr }
            .compactMap(\.validationLoss)
        ).mean
        return mean.isFinite ? mean : .infinity
      }
      return loss(a) < loss(b)
    } ?? 0
  }

  public func claims(_ jobs: [ExperimentJob]) -> [ClaimVerdict] {
    let margin = Self.margin
    let top = bestRate(jobs)
    let postPenalty = warmupPenalty(jobs, placement: "post", lr: top)
    let postDiverged = !postPenalty.isEmpty && postPenalty.allSatisfy { $0 == .infinity }
    let postVerdict: ClaimVerdict.Verdict =
      postDiverged
      ? .reproduced
      : SeedSpread(postPenalty.map { $0 == .infinity ? 10 : $0 }).verdict(predicted: margin...10)
    let (pre, preText) = stable(jobs, placement: "pre")
    let (residual, residualText) = stable(jobs, placement: "residual")
    let lrs = learningRates.map { "\($0)" }.joined(separator: ", ")
    let cell = "validation loss without warmup minus with \(warmupSteps) warmup steps"
    return [
      ClaimVerdict(
        claim: "Post-LN needs learning-rate warmup (Xiong et al. 2020, §3.2)",
        paper: "IWSLT14 De-En, Post-LN without warmup: 8.45 BLEU against ~34 with it",
        prediction: "at lr \(top) (where warmed-up Post-LN does best), without warmup Post-LN "
          + "diverges or ends ≥ \(margin) nats above its warmed-up run",
        measured: "\(cell) at lr \(top): \(penaltyText(postPenalty))",
        rule: "at the lr where warmed-up Post-LN does best: reproduced if every seed diverges "
          + "without warmup or mean ± 2 sd of the "
          + "difference lies above \(margin); not reproduced if wholly below; else inconclusive",
        verdict: postVerdict),
      ClaimVerdict(
        claim: "Pre-LN trains without warmup (Xiong et al. 2020, §4)",
        paper: "Pre-LN without warmup matches or beats Post-LN with it (BLEU and loss curves)",
        prediction: "at every lr (\(lrs)) no run diverges and without warmup is at most "
          + "\(margin) nats worse",
        measured: preText,
        rule: "per lr: a divergence without warmup fails; else mean ± 2 sd of the difference "
          + "must lie below \(margin); the worst lr decides",
        verdict: pre),
      ClaimVerdict(
        claim: "ResiDual is stable like Pre-LN (Xie et al. 2023)",
        paper: "ResiDual trains where Post-LN fails, without Pre-LN's collapse",
        prediction: "as for Pre-LN", measured: residualText,
        rule: "as for Pre-LN", verdict: residual),
    ]
  }

  public func figures(_ jobs: [ExperimentJob]) -> [ReportFigure] {
    let steps = jobs.map(\.steps).max() ?? steps
    var curves: [String] = []
    for lr in learningRates {
      let here = jobs.filter { $0.lr == lr }
      let series = here.compactMap(\.lossCurve).flatMap { $0 }.filter(\.isFinite)
      var chart = SVGChart(
        title: "training loss, lr \(lr)",
        x: .linear("step", covering: [Double(steps)], headroom: 0),
        y: .linear("loss (nats/byte)", covering: series, fromZero: false))
      for placement in PlacementStyle.order {
        let style = PlacementStyle.of(placement)
        for warmup in [0, warmupSteps] {
          let cell = here.filter { $0.placement == placement && $0.warmup == warmup }
          let dash = warmup == 0 ? "6 4" : nil
          let mean = cell.meanSeries(\.lossCurve)
          chart.line(
            mean.enumerated().map { (Double($0 + 1), $1) }, stroke: style.colour, width: 1.5,
            dash: dash)
          for job in cell where job.status == "diverged" {
            let last = job.lossCurve?.last { $0.isFinite } ?? series.max() ?? 0
            chart.marker(
              x: Double(job.divergedAtStep ?? 0), y: last, shape: .cross, fill: style.colour,
              size: 7, tooltip: "\(style.label) warmup \(warmup): diverged")
          }
          chart.legendEntry(
            "\(style.label) \(warmup == 0 ? "no warmup" : "warmup \(warmup)")",
            colour: style.colour, style: .line(dash: dash))
        }
      }
      curves.append(chart.svg(id: "chart-loss-lr\(lr)"))
    }
    let cells = learningRates.flatMap { lr in
      PlacementStyle.order.flatMap { placement in [0, warmupSteps].map { (lr, placement, $0) } }
    }
    let finals = cells.map { lr, placement, warmup in
      jobs.filter { $0.lr == lr && $0.placement == placement && $0.warmup == warmup }
    }
    let values = finals.flatMap { $0.compactMap(\.validationLoss) }
    var final = SVGChart(
      title: "validation loss per cell (× diverged)",
      x: .bands("", labels: cells.map { "\($0.2 == 0 ? "none" : "w\($0.2)")" }),
      y: .linear("validation loss", covering: values, fromZero: false))
    final.height = 380
    final.bottomInset = 80
    for (i, cell) in cells.enumerated() {
      let style = PlacementStyle.of(cell.1)
      for job in finals[i] {
        if job.status == "diverged" {
          final.text(
            "×", x: Double(i) + 0.5, y: values.max() ?? 0, fill: style.colour, size: 16,
            bold: true)
        } else if let loss = job.validationLoss {
          final.marker(
            x: Double(i) + 0.5, y: loss, shape: style.marker, fill: style.colour,
            tooltip: "\(style.label), lr \(cell.0), warmup \(cell.2), seed \(job.seed): "
              + fmt(loss, 4))
        }
      }
      if i % 2 == 0 { final.axisLabel("\(style.label) lr \(cell.0)", x: Double(i) + 1, row: 1) }
    }
    return [
      ReportFigure(
        title: "Loss curves",
        caption: "Training loss per step, mean over seeds; dashed: no warmup; × marks a run "
          + "stopped by a non-finite loss or gradient. Adam β2 = 0.98, no clipping, constant "
          + "learning rate after warmup, Xavier init, \(counted(settings.workers, "worker")).",
        charts: curves),
      ReportFigure(
        title: "Final validation loss",
        caption: "Each marker is one seed; cells pair no warmup with warmup for each placement "
          + "and learning rate.",
        charts: [final.svg(id: "chart-final")]),
    ]
  }
}
