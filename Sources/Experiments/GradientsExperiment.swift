import Config
import Foundation
import Reports
import Support

/// `ddp experiment gradients`: per-layer weight-gradient norms at initialization for each norm
/// placement, depth and initialization, against Xiong et al. 2020 (Theorem 1, Fig. 3).
///
/// Each job probes a fresh model (`ddp probe`: forward and backward on real batches, no update,
/// norms averaged over batches and workers). Xiong et al. bound the gradient of the last FFN
/// matrix W^{2,L} by O(d √(ln d)) for Post-LN, independent of the depth L, and by
/// O(d √(ln d / L)) for Pre-LN: a log-log slope of 0 against L for Post-LN and −1/2 for Pre-LN,
/// with Post-LN's per-layer norms growing toward the output and Pre-LN's flat. Their analysis
/// assumes Xavier initialization; GPT-2's (residual projections scaled by 1/√(2L)) is run
/// beside it and reported without a verdict.
///
/// ### References
/// R. Xiong et al., "On Layer Normalization in the Transformer Architecture", ICML 2020.
public struct GradientsExperiment: Experiment {
  public static let name = "gradients"
  public let title = "Gradient norms at initialization: Post-LN, Pre-LN, ResiDual (Xiong et al.)"
  public static let sweptKeys = ["model.n_layers", "model.placement", "model.init"]
  public let settings: ExperimentSettings

  public init(settings: ExperimentSettings) { self.settings = settings }

  let depths = [3, 6, 12, 24]
  let inits = ["xavier", "gpt2"]
  var dModel: Int { settings.size == .quick ? 64 : 256 }
  var rounds: Int { settings.size == .quick ? 8 : 16 }
  /// The band a fitted slope must lie in (with its 2-sd interval) to count as the prediction.
  static let slopeTolerance = 0.2
  /// Last block's norm over the first block's: "grows" above this, "flat" within its inverse.
  static let growthThreshold = 1.5

  public func jobs() throws -> [ExperimentJobSpec] {
    var specs: [ExperimentJobSpec] = []
    for initialization in inits {
      for placement in PlacementStyle.order {
        for layers in depths {
          for seed in settings.seeds {
            let config = try resolved(
              [
                "model.d_model=\(dModel)", "model.n_heads=4", "model.context=64",
                "model.n_layers=\(layers)", "model.placement=\(placement)",
                "model.init=\(initialization)",
              ], seed: seed)
            let record = ExperimentJob(
              name: "\(placement)-\(initialization)-L\(layers)-s\(seed)",
              experiment: Self.name, placement: placement, initialization: initialization,
              layers: layers, dModel: config.model.dModel, seed: seed, lr: 0, warmup: 0,
              steps: 0, workers: settings.workers)
            specs.append(
              ExperimentJobSpec(
                record: record, config: config, kind: .probeAtInit(rounds: rounds, batch: 8)))
          }
        }
      }
    }
    return specs
  }

  public func describe(_ job: ExperimentJob) -> String {
    let last = job.gradientNorms?["mlp.proj"]?.last ?? .nan
    let first = job.gradientNorms?["mlp.proj"]?.first ?? .nan
    return "‖∇W2‖ first block \(sci(first)), last block \(sci(last))"
  }

  /// Per seed: the slope of log ‖∇W^{2,L}‖ (the last block's `mlp.proj`) against log L.
  func depthSlopes(_ jobs: [ExperimentJob], placement: String, initialization: String)
    -> [Double]
  {
    settings.seeds.map { seed in
      logLogSlope(
        jobs.filter {
          $0.placement == placement && $0.initialization == initialization && $0.seed == seed
        }
        .compactMap { job in job.gradientNorms?["mlp.proj"]?.last.map { (Double(job.layers), $0) } }
      )
    }
  }

  /// Per seed, at the deepest L: the last block's `mlp.proj` norm over the first block's.
  func growth(_ jobs: [ExperimentJob], placement: String, initialization: String) -> [Double] {
    jobs.filter {
      $0.placement == placement && $0.initialization == initialization
        && $0.layers == depths.last
    }
    .compactMap { job in
      guard let norms = job.gradientNorms?["mlp.proj"], let first = norms.first, first > 0
      else { return nil }
      return norms.last.map { $0 / first }
    }
  }

  public func claims(_ jobs: [ExperimentJob]) -> [ClaimVerdict] {
    let tolerance = Self.slopeTolerance
    let post = SeedSpread(depthSlopes(jobs, placement: "post", initialization: "xavier"))
    let pre = SeedSpread(depthSlopes(jobs, placement: "pre", initialization: "xavier"))
    let gpt2 = PlacementStyle.order.map { placement in
      "\(PlacementStyle.of(placement).label) "
        + SeedSpread(depthSlopes(jobs, placement: placement, initialization: "gpt2")).text()
    }
    let postGrowth = SeedSpread(growth(jobs, placement: "post", initialization: "xavier"))
    let preGrowth = SeedSpread(growth(jobs, placement: "pre", initialization: "xavier"))
    let threshold = Self.growthThreshold
    let depthsText = depths.map(String.init).joined(separator: ", ")
    return [
      ClaimVerdict(
        claim:
          "Post-LN: the last FFN weight's gradient at initialization does not depend on depth "
          + "(Xiong et al. 2020, Thm. 1)",
        paper: "‖∂L/∂W^{2,L}‖_F = O(d √(ln d)), independent of L",
        prediction: "log-log slope against L = 0 (Xavier init, d = \(dModel))",
        measured: "slope \(post.text()) over L = \(depthsText); GPT-2 init, not analysed: "
          + gpt2.joined(separator: ", "),
        rule: "reproduced if mean ± 2 sd of the per-seed slope lies in "
          + "[−\(tolerance), \(tolerance)], not reproduced if wholly outside, else inconclusive",
        verdict: post.verdict(predicted: -tolerance...tolerance)),
      ClaimVerdict(
        claim: "Pre-LN: that gradient shrinks as 1/√L (Xiong et al. 2020, Thm. 1)",
        paper: "‖∂L/∂W^{2,L}‖_F = O(d √(ln d / L))",
        prediction: "log-log slope against L = −0.5 (Xavier init)",
        measured: "slope \(pre.text()) over L = \(depthsText)",
        rule: "reproduced if mean ± 2 sd of the per-seed slope lies in "
          + "[−\(0.5 + tolerance), −\(0.5 - tolerance)], not reproduced if wholly outside, "
          + "else inconclusive",
        verdict: pre.verdict(predicted: -(0.5 + tolerance)...(-(0.5 - tolerance)))),
      ClaimVerdict(
        claim:
          "Post-LN's per-layer gradient norm grows toward the output; Pre-LN's stays flat "
          + "(Xiong et al. 2020, Fig. 3)",
        paper: "Fig. 3: Post-LN's norm rises with the layer index, Pre-LN's is level",
        prediction: "at L = \(depths.last ?? 0): last/first block ratio > \(threshold) for "
          + "Post-LN, within [1/\(threshold), \(threshold)] for Pre-LN",
        measured: "last/first: Post-LN \(postGrowth.text()), Pre-LN \(preGrowth.text())",
        rule: "both parts as the 2-sd rule of the slopes; the worse verdict of the two",
        verdict: combined([
          postGrowth.verdict(predicted: threshold...Double.greatestFiniteMagnitude),
          preGrowth.verdict(predicted: (1 / threshold)...threshold),
        ])),
    ]
  }

  public func figures(_ jobs: [ExperimentJob]) -> [ReportFigure] {
    let deepest = depths.last ?? 1
    var byLayer: [String] = []
    var byDepth: [String] = []
    for initialization in inits {
      let these = jobs.filter { $0.initialization == initialization }
      let layerNorms = PlacementStyle.order.map { placement in
        these.filter { $0.placement == placement && $0.layers == deepest }
          .meanSeries { $0.gradientNorms?["mlp.proj"] }
      }
      var chart = SVGChart(
        title: "‖∇W2‖ per block at L = \(deepest), \(initialization) init",
        x: .linear("block", covering: [0, Double(deepest - 1)]),
        y: .logarithmic("gradient norm", covering: layerNorms.flatMap { $0 }))
      for (placement, norms) in zip(PlacementStyle.order, layerNorms) {
        let style = PlacementStyle.of(placement)
        chart.line(norms.enumerated().map { (Double($0), $1) }, stroke: style.colour)
        chart.legendEntry(style.label, colour: style.colour, style: .line(dash: nil))
      }
      byLayer.append(chart.svg(id: "chart-layers-\(initialization)"))

      let lastNorms = PlacementStyle.order.map { placement in
        depths.map { layers in
          SeedSpread(
            these.filter { $0.placement == placement && $0.layers == layers }
              .compactMap { $0.gradientNorms?["mlp.proj"]?.last }
          ).mean
        }
      }
      var depthChart = SVGChart(
        title: "last block's ‖∇W2‖ against depth, \(initialization) init",
        x: .logarithmic("layers L", covering: depths.map(Double.init)),
        y: .logarithmic("gradient norm", covering: lastNorms.flatMap { $0 }))
      for (placement, norms) in zip(PlacementStyle.order, lastNorms) {
        let style = PlacementStyle.of(placement)
        let points = zip(depths, norms).map { (Double($0), $1) }
        depthChart.line(points, stroke: style.colour)
        for point in points {
          depthChart.marker(
            x: point.0, y: point.1, shape: style.marker, fill: style.colour,
            tooltip: "\(style.label), L = \(Int(point.0)): \(sci(point.1))")
        }
        let slope = SeedSpread(
          depthSlopes(jobs, placement: placement, initialization: initialization))
        depthChart.legendEntry(
          "\(style.label) slope \(fmt(slope.mean, 2))", colour: style.colour,
          style: .marker(style.marker))
      }
      byDepth.append(depthChart.svg(id: "chart-depth-\(initialization)"))
    }
    return [
      ReportFigure(
        title: "Gradient norm per block",
        caption: "Frobenius norm of each block's FFN output matrix gradient (mlp.proj, W2 in "
          + "Xiong et al.) at initialization, mean over seeds and batches, deepest model. "
          + "Xiong et al.: Post-LN rises toward the output, Pre-LN is flat.",
        charts: byLayer),
      ReportFigure(
        title: "The last block's gradient against depth",
        caption: "Log-log; the legend gives the fitted slope (mean over seeds). Predicted: "
          + "0 for Post-LN, −0.5 for Pre-LN (Xavier init; GPT-2 init is outside the analysis).",
        charts: byDepth),
    ]
  }
}
