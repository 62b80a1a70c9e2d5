import Config
import Foundation
import Reports
import Support

/// `ddp experiment depth`: a deep, thin stack per placement, trained data-parallel with the
/// per-block gradient norms logged every step, then probed for how much each sublayer still
/// changes the residual stream (‖f_s‖ / ‖x_s‖).
///
/// ResiDual (Xie et al. 2023) was built for this regime: Post-LN's gradients vanish toward
/// the input in deep stacks, and Pre-LN's late layers add little to a stream that keeps
/// growing ("representation collapse").
///
/// ### References
/// S. Xie et al., "ResiDual: Transformer with Dual Residual Connections", 2023.
/// R. Xiong et al., "On Layer Normalization in the Transformer Architecture", ICML 2020.
public struct DepthExperiment: Experiment {
  public static let name = "depth"
  public let title = "A deep thin stack: Post-LN, Pre-LN, ResiDual (Xie et al.)"
  public static let sweptKeys = ["model.placement"]
  public let settings: ExperimentSettings

  public init(settings: ExperimentSettings) { self.settings = settings }

  var quick: Bool { settings.size == .quick }
  var layers: Int { 24 }
  var steps: Int { quick ? 300 : 1000 }
  /// Validation-loss differences below this (nats per byte) count as "the same".
  static let margin = 0.02
  /// Pre-LN's late/early update ratio below this counts as collapse.
  static let collapseRatio = 0.5

  public func jobs() throws -> [ExperimentJobSpec] {
    try PlacementStyle.order.flatMap { placement in
      try settings.seeds.map { seed in
        let config = try resolved(
          [
            "model.d_model=\(quick ? 64 : 128)", "model.n_heads=4", "model.context=64",
            "model.n_layers=\(layers)", "model.placement=\(placement)",
            "train.steps=\(steps)", "train.batch=16", "train.lr=1e-3",
            "train.warmup=\(steps / 10)", "train.beta2=0.98", "train.eval_every=0",
            "train.eval_batches=10", "train.checkpoint_every=0", "train.keep_checkpoints=1",
            "train.log_layer_gradients=true",
          ], seed: seed)
        let record = ExperimentJob(
          name: "\(placement)-L\(layers)-s\(seed)", experiment: Self.name, config: config,
          seed: seed, workers: settings.workers)
        return ExperimentJobSpec(
          record: record, config: config, kind: .train(probeRounds: 4, batch: 8))
      }
    }
  }

  public func describe(_ job: ExperimentJob) -> String {
    guard job.status == "ok" else { return "diverged at step \(job.divergedAtStep ?? 0)" }
    return "validation loss \(fmt(job.validationLoss ?? .nan, 4)), late/early update ratio "
      + fmt(lateOverEarly(job) ?? .nan, 3)
  }

  /// Mean update ratio of the last quarter of sublayers over that of the first quarter.
  func lateOverEarly(_ job: ExperimentJob) -> Double? {
    guard let ratios = job.updateRatios, ratios.count >= 4 else { return nil }
    let quarter = ratios.count / 4
    let early = ratios.prefix(quarter).reduce(0, +)
    let late = ratios.suffix(quarter).reduce(0, +)
    return early > 0 ? late / early : nil
  }

  /// Per seed: validation loss of `placement` minus Pre-LN's (+∞ when only it diverged).
  func lossOverPreLN(_ jobs: [ExperimentJob], placement: String) -> [Double] {
    settings.seeds.compactMap { seed in
      guard let job = jobs.first(where: { $0.placement == placement && $0.seed == seed }),
        let pre = jobs.first(where: { $0.placement == "pre" && $0.seed == seed }),
        let preLoss = pre.validationLoss
      else { return nil }
      return job.status == "diverged" ? .infinity : (job.validationLoss ?? .nan) - preLoss
    }
  }

  public func claims(_ jobs: [ExperimentJob]) -> [ClaimVerdict] {
    let margin = Self.margin
    let post = lossOverPreLN(jobs, placement: "post")
    let residual = lossOverPreLN(jobs, placement: "residual")
    let collapse = SeedSpread(jobs.filter { $0.placement == "pre" }.compactMap(lateOverEarly))
    let others = ["post", "residual"].map { placement in
      "\(PlacementStyle.of(placement).label) "
        + SeedSpread(jobs.filter { $0.placement == placement }.compactMap(lateOverEarly)).text(3)
    }
    let postVerdict: ClaimVerdict.Verdict =
      !post.isEmpty && post.allSatisfy { $0 == .infinity }
      ? .reproduced
      : SeedSpread(post.map { $0 == .infinity ? 10 : $0 }).verdict(predicted: margin...10)
    let shape = "L = \(layers), d = \(quick ? 64 : 128), \(counted(steps, "step"))"
    return [
      ClaimVerdict(
        claim: "Post-LN fails or lags in a deep stack (Xie et al. 2023; Xiong et al. 2020)",
        paper: "ResiDual paper: Post-LN diverges at depth on IWSLT/WMT where Pre-LN trains",
        prediction: "\(shape): Post-LN diverges or ends ≥ \(margin) nats above Pre-LN",
        measured: "Post-LN minus Pre-LN validation loss: " + SeedSpread(post).text(3),
        rule: "reproduced if every seed diverges or mean ± 2 sd lies above \(margin); not "
          + "reproduced if wholly below; else inconclusive",
        verdict: postVerdict),
      ClaimVerdict(
        claim: "Pre-LN's late layers add little to the stream: representation collapse "
          + "(Xie et al. 2023)",
        paper: "Pre-LN's higher layers become similar; their contribution shrinks with depth",
        prediction: "after training, ‖f‖/‖x‖ of the last quarter of sublayers below "
          + "\(Self.collapseRatio) × that of the first quarter",
        measured: "late/early: Pre-LN \(collapse.text(3)); " + others.joined(separator: ", "),
        rule: "reproduced if mean ± 2 sd of Pre-LN's late/early ratio lies below "
          + "\(Self.collapseRatio); not reproduced if wholly above; else inconclusive",
        verdict: collapse.verdict(predicted: 0...Self.collapseRatio)),
      ClaimVerdict(
        claim: "ResiDual's loss is at or below Pre-LN's (Xie et al. 2023)",
        paper: "ResiDual beats Pre-LN by 0.3-1.4 BLEU on IWSLT and WMT",
        prediction: "ResiDual's validation loss ≤ Pre-LN's + \(margin) nats",
        measured: "ResiDual minus Pre-LN validation loss: " + SeedSpread(residual).text(3),
        rule: "reproduced if mean ± 2 sd lies below \(margin); not reproduced if wholly above; "
          + "else inconclusive",
        verdict: residual.contains(.infinity)
          ? .notReproduced : SeedSpread(residual).verdict(predicted: -10...margin)),
    ]
  }

  public func figures(_ jobs: [ExperimentJob]) -> [ReportFigure] {
    let layers = jobs.map(\.layers).max() ?? layers
    let steps = jobs.map(\.steps).max() ?? steps
    let curves = PlacementStyle.order.map { p in
      jobs.filter { $0.placement == p }.meanSeries(\.lossCurve)
    }
    var loss = SVGChart(
      title: "training loss, L = \(layers)",
      x: .linear("step", covering: [Double(steps)], headroom: 0),
      y: .linear("loss (nats/byte)", covering: curves.flatMap { $0 }, fromZero: false))
    let ratios = PlacementStyle.order.map { p in
      jobs.filter { $0.placement == p }.meanSeries(\.updateRatios)
    }
    var update = SVGChart(
      title: "‖f(x)‖ / ‖x‖ per sublayer after training",
      x: .linear("sublayer (attention, MLP per block)", covering: [Double(2 * layers - 1)]),
      y: .logarithmic("update ratio", covering: ratios.flatMap { $0 }))
    let norms = PlacementStyle.order.map { p in
      jobs.filter { $0.placement == p }.meanSeries { $0.gradientNorms?["mlp.proj"] }
    }
    var gradient = SVGChart(
      title: "‖∇W2‖ per block, mean over training",
      x: .linear("block", covering: [Double(layers - 1)]),
      y: .logarithmic("gradient norm", covering: norms.flatMap { $0 }))
    for (i, placement) in PlacementStyle.order.enumerated() {
      let style = PlacementStyle.of(placement)
      loss.line(
        curves[i].enumerated().map { (Double($0 + 1), $1) }, stroke: style.colour, width: 1.5)
      update.line(ratios[i].enumerated().map { (Double($0), $1) }, stroke: style.colour)
      gradient.line(norms[i].enumerated().map { (Double($0), $1) }, stroke: style.colour)
      loss.legendEntry(style.label, colour: style.colour, style: .line(dash: nil))
      update.legendEntry(style.label, colour: style.colour, style: .line(dash: nil))
      gradient.legendEntry(style.label, colour: style.colour, style: .line(dash: nil))
      for job in jobs where job.placement == placement && job.status == "diverged" {
        loss.marker(
          x: Double(job.divergedAtStep ?? 0), y: job.lossCurve?.last ?? 0, shape: .cross,
          fill: style.colour, size: 7, tooltip: "\(style.label) seed \(job.seed): diverged")
      }
    }
    return [
      ReportFigure(
        title: "Training", caption: "Training loss per step, mean over seeds (× diverged).",
        charts: [loss.svg(id: "chart-loss")]),
      ReportFigure(
        title: "What each layer does",
        caption: "Left: how much each sublayer changes the stream it is added to, after "
          + "training (for ResiDual, the un-normed stream x_d). Right: the FFN output "
          + "matrix's gradient norm per block, averaged over the training steps "
          + "(train.log_layer_gradients).",
        charts: [update.svg(id: "chart-update-ratio"), gradient.svg(id: "chart-gradients")]),
    ]
  }
}
