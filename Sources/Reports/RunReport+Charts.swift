import Distributed
import Foundation
import Training

/// The colour, dash and label of one collective category in the communication chart.
///
/// Okabe–Ito colours as every chart of the project uses, except norm statistics: the palette's
/// vermillion is the validation loss on this page, so it takes Tol's wine (also safe under the
/// common colour-vision deficiencies), and every colour on the page draws one series. Each
/// category also has its own dash, so the lines stay apart in grey print.
///
/// ### References
/// - Tol, "Colour Schemes", SRON/EPS/TN/09-002 (2021), the "muted" scheme.
public struct CommunicationSeries: Sendable {
  public var category: CollectiveCategory
  public var label: String
  public var colour: String
  public var dash: String?

  public static let all = [
    CommunicationSeries(category: .gradients, label: "gradients", colour: "#E69F00", dash: nil),
    CommunicationSeries(
      category: .normStats, label: "norm statistics", colour: "#882255", dash: "7 4"),
    CommunicationSeries(category: .control, label: "control", colour: "#7F7F7F", dash: "2 3"),
  ]
}

/// The charts of the run report; colours are `RunReport.Colour`, one per series, so a
/// screenshot shows which charts drew.
extension RunReport {
  /// One colour per plotted series (Okabe–Ito), distinct across the page.
  public enum Colour {
    public static let trainingLoss = "#0072B2"
    public static let validationLoss = "#D55E00"
    public static let learningRate = "#009E73"
    public static let gradientNorm = "#CC79A7"
    public static let tokensPerSecond = "#56B4E9"
    public static let skipped = "#7F7F7F"
    public static let stepTime = "#000000"
    public static let compute = "#E69F00"
  }

  /// The step numbers as an x axis covering the whole run.
  var stepAxis: ChartAxis {
    let steps = run.steps.map { Double($0.step) }
    return .linear(
      "step", covering: [steps.min() ?? 0, steps.max() ?? 1], fromZero: false, headroom: 0)
  }

  /// A line chart of one figure per step, at the report's chart size.
  func stepChart(title: String, y: ChartAxis) -> SVGChart {
    var chart = SVGChart(title: title, x: stepAxis, y: y)
    chart.width = 580
    chart.height = 320
    return chart
  }

  func points(_ figure: (StepRecord) -> Double) -> [(x: Double, y: Double)] {
    run.steps.map { (x: Double($0.step), y: figure($0)) }
  }

  /// Steps above which a noisy series (loss, gradient norm, tokens/s) is drawn faint with its
  /// moving average on top: at a few hundred steps the step-to-step noise hides the trend.
  public static let smoothingThreshold = 200

  /// The figure's line, or on a run longer than `smoothingThreshold` steps the raw line faint
  /// and its trailing mean over 1% of the steps in full colour.
  func noisyLine(_ chart: inout SVGChart, _ figure: (StepRecord) -> Double, colour: String) {
    let raw = points(figure)
    guard raw.count > Self.smoothingThreshold else {
      chart.line(raw, stroke: colour)
      return
    }
    chart.line(raw, stroke: colour, width: 1, opacity: 0.3)
    chart.line(Self.movingAverage(raw, window: raw.count / 100), stroke: colour, width: 2.2)
  }

  /// Each point's y replaced by the mean of the finite y values among it and the `window - 1`
  /// before it (NaN when there are none, which the chart drops).
  ///
  /// - Complexity: O(n), by prefix sums.
  public static func movingAverage(_ points: [(x: Double, y: Double)], window: Int)
    -> [(x: Double, y: Double)]
  {
    var sums = [0.0]
    var counts = [0]
    for point in points {
      sums.append(sums[sums.count - 1] + (point.y.isFinite ? point.y : 0))
      counts.append(counts[counts.count - 1] + (point.y.isFinite ? 1 : 0))
    }
    let width = max(1, window)
    return points.indices.map { i in
      let start = max(0, i + 1 - width)
      let count = counts[i + 1] - counts[start]
      return (x: points[i].x, y: count > 0 ? (sums[i + 1] - sums[start]) / Double(count) : .nan)
    }
  }

  // MARK: - Loss

  func lossSection() -> String {
    CompareReportStyle.section(
      "Loss and learning rate",
      caption: "Mean training loss of each step over all workers (nats per token), and the "
        + "validation loss on the steps that evaluated. Grey crosses on the floor mark steps "
        + "whose loss or gradient was not finite and that updated nothing. Beside it, the "
        + "learning rate the schedule gave each step."
        + (run.steps.count > Self.smoothingThreshold
          ? " Over \(Self.smoothingThreshold) steps the loss, gradient norm and tokens/s are "
            + "drawn faint, with their moving average over 1% of the steps on top."
          : ""),
      charts: [lossChart(), learningRateChart()])
  }

  public func lossChart() -> String {
    let evaluations = run.steps.compactMap { s in s.evalLoss.map { (step: s.step, loss: $0) } }
    let losses = run.steps.map(\.loss) + evaluations.map(\.loss)
    var chart = stepChart(
      title: "Loss per step", y: .linear("loss", covering: losses, fromZero: false))
    noisyLine(&chart, \.loss, colour: Colour.trainingLoss)
    chart.legendEntry("training", colour: Colour.trainingLoss, style: .line(dash: nil))
    if !evaluations.isEmpty {
      chart.line(
        evaluations.map { (x: Double($0.step), y: $0.loss) }, stroke: Colour.validationLoss,
        width: 1.5, dash: "5 3")
      for e in evaluations {
        chart.marker(
          x: Double(e.step), y: e.loss, shape: .circle, fill: Colour.validationLoss, size: 6,
          tooltip: "step \(e.step): validation loss \(ReportFormat.loss(e.loss))")
      }
      chart.legendEntry(
        "validation", colour: Colour.validationLoss, style: .marker(.circle))
    }
    let skipped = run.steps.filter(\.skipped)
    for s in skipped {
      chart.marker(
        x: Double(s.step), y: chart.y.lower, shape: .cross, fill: Colour.skipped, size: 5,
        tooltip: "step \(s.step) skipped: non-finite loss or gradient")
    }
    if !skipped.isEmpty {
      chart.legendEntry("skipped step", colour: Colour.skipped, style: .marker(.cross))
    }
    return chart.svg(id: "chart-loss")
  }

  // MARK: - Optimizer and throughput

  func optimizerSection() -> String {
    CompareReportStyle.section(
      "Gradient norm and throughput",
      caption: "The global gradient L2 norm before clipping (log scale: early steps are often "
        + "ten times later ones; the dashed rule is train.clip, above which the update is "
        + "scaled down), and tokens per second over all workers from each step's wall time on "
        + "rank 0, with its median (the first steps are often slower: memory is touched for "
        + "the first time).",
      charts: [gradientNormChart(), tokensChart()])
  }

  public func learningRateChart() -> String {
    var chart = stepChart(
      title: "Learning rate",
      y: .linear("learning rate", covering: run.steps.map(\.learningRate)))
    chart.leftInset = 80
    chart.line(points(\.learningRate), stroke: Colour.learningRate)
    return chart.svg(id: "chart-lr")
  }

  public func gradientNormChart() -> String {
    let clip = config["train.clip"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil }
    var chart = stepChart(
      title: "Gradient norm",
      y: .logarithmic("‖g‖ (log)", covering: run.steps.map(\.gradNorm) + (clip.map { [$0] } ?? [])))
    noisyLine(&chart, \.gradNorm, colour: Colour.gradientNorm)
    if let clip {
      chart.horizontalRule(y: clip, stroke: "#333333", label: "clip \(ReportFormat.count(clip))")
    }
    return chart.svg(id: "chart-grad-norm")
  }

  public func tokensChart() -> String {
    let rates = run.steps.map(\.tokensPerSecond)
    var chart = stepChart(title: "Tokens per second", y: .linear("tokens/s", covering: rates))
    noisyLine(&chart, \.tokensPerSecond, colour: Colour.tokensPerSecond)
    let median = run.median(afterWarmup: 0, \.tokensPerSecond)
    chart.horizontalRule(
      y: median, stroke: "#333333", label: "median \(ReportFormat.grouped(median)) tokens/s")
    return chart.svg(id: "chart-tokens")
  }

  // MARK: - Communication

  func communicationSection() -> String {
    let calls = run.steps.reduce(0) { total, s in total + s.comm.total.calls }
    return CompareReportStyle.section(
      "Communication per step",
      caption: "What rank 0's collectives cost in each step, per category: the gradient "
        + "all-reduce, norm statistics (SyncBatchNorm, and averaging local BatchNorm's running "
        + "statistics) and control (loss averaging, checks). Milliseconds include waiting for "
        + "slower workers; kilobytes are what rank 0 contributed."
        + (calls == 0 ? " This run made no collectives (one worker): every line is at zero." : "")
        + " Beside them, the step's wall time on rank 0 and the workers' own compute: the CPU "
        + "time of each worker's main thread outside collectives, the mean over workers and "
        + "the slowest; the gap between the step and the slowest compute is communication and "
        + "waiting.",
      charts: [
        stepTimeChart(),
        communicationChart(
          id: "chart-comm", title: "Communication time per step", unit: "ms",
          { $0.seconds * 1000 }),
        communicationChart(
          id: "chart-comm-bytes", title: "Communication volume per step", unit: "kB (log)",
          logarithmic: true, { Double($0.bytes) / 1000 }),
      ])
  }

  /// One line per collective category of `figure` (in `unit`) of each step's counters, on a
  /// log axis when `logarithmic` (gradient bytes are a hundred times the norm statistics').
  public func communicationChart(
    id: String, title: String, unit: String, logarithmic: Bool = false,
    _ figure: (CollectiveCounters) -> Double
  ) -> String {
    let values = run.steps.flatMap { s in
      CommunicationSeries.all.map { figure(s.comm[$0.category]) }
    }
    var chart = stepChart(
      title: title,
      y: logarithmic ? .logarithmic(unit, covering: values) : .linear(unit, covering: values))
    // Drawn in reverse so gradients, usually the largest, lie on top where lines meet at zero.
    for series in CommunicationSeries.all.reversed() {
      chart.line(
        points { figure($0.comm[series.category]) }, stroke: series.colour, dash: series.dash)
    }
    for series in CommunicationSeries.all {
      chart.legendEntry(series.label, colour: series.colour, style: .line(dash: series.dash))
    }
    return chart.svg(id: id)
  }

  /// The step's wall time with the workers' own compute (mean and slowest), in ms; runs
  /// recorded before compute was measured show the step alone.
  public func stepTimeChart() -> String {
    let compute = run.steps.compactMap(\.computeSeconds)
    let values =
      run.steps.map { $0.stepSeconds * 1000 }
      + compute.flatMap { [$0.mean, $0.slowest] }.map {
        $0 * 1000
      }
    var chart = stepChart(title: "Step time and compute", y: .linear("ms", covering: values))
    noisyLine(&chart, { $0.stepSeconds * 1000 }, colour: Colour.stepTime)
    chart.legendEntry("step (wall, rank 0)", colour: Colour.stepTime, style: .line(dash: nil))
    if !compute.isEmpty {
      let series: [(String, String?, (ComputeSeconds) -> Double)] = [
        ("compute, mean over workers", nil, \.mean), ("compute, slowest worker", "5 3", \.slowest),
      ]
      for (label, dash, figure) in series {
        let points = run.steps.compactMap { s in
          s.computeSeconds.map { (x: Double(s.step), y: figure($0) * 1000) }
        }
        chart.line(points, stroke: Colour.compute, dash: dash)
        chart.legendEntry(label, colour: Colour.compute, style: .line(dash: dash))
      }
    }
    return chart.svg(id: "chart-step-time")
  }
}
