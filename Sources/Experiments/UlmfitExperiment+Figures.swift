import Reports
import Support

extension UlmfitExperiment {
  /// Colour, marker and dash of each method's line (Okabe–Ito).
  static func style(_ method: Method) -> (colour: String, marker: MarkerShape, dash: String?) {
    switch method {
    case .scratch: return ("#D55E00", .square, nil)
    case .pretrained: return ("#E69F00", .triangle, nil)
    case .ulmfit: return ("#0072B2", .circle, nil)
    default: return ("#777777", .cross, "5 4")
    }
  }

  /// What a method is called in charts and tables.
  static func label(_ method: Method) -> String {
    switch method {
    case .scratch: return "from scratch"
    case .pretrained: return "stage a + classifier (no stage b)"
    case .ulmfit: return "ULMFiT (stages a, b, c)"
    case .bayes: return "byte 1-3-gram naive Bayes"
    case .noDiscr: return "no discriminative rates"
    case .noSTLR: return "no STLR (cosine)"
    case .noUnfreeze: return "no gradual unfreezing"
    case .stageA, .stageB: return method.rawValue
    }
  }

  /// Where a label count sits on the logarithmic x axis: "all" one step (×4) beyond the
  /// largest count.
  func position(_ labels: Int) -> Double {
    labels > 0 ? Double(labels) : 4 * Double(labelCounts.filter { $0 > 0 }.max() ?? 25)
  }

  public func figures(_ jobs: [ExperimentJob]) -> [ReportFigure] {
    [
      ReportFigure(
        title: "Test error against labelled examples per class",
        caption: "Mean test error (1 − accuracy on the 728 test documents) over "
          + "\(counted(settings.seeds.count, "seed")), whiskers ± 1 "
          + "sd; naive Bayes is deterministic. Five classes: a uniform guess errs 80%, always "
          + "the majority class (computers) 70.5%. 2 blocks of 64, context 128, "
          + "\(counted(classifierSteps, "classifier step")), \(counted(settings.workers, "worker")) "
          + "per job.",
        charts: [curveChart(jobs)]),
      ReportFigure(
        title: "Ablations at \(Self.ablationCount) labels per class",
        caption: "Full ULMFiT against ULMFiT without one of its parts (no stage b: the "
          + "classifier starts from stage a); from scratch and naive Bayes for scale. Mean "
          + "test error, whiskers ± 1 sd over seeds.",
        charts: [ablationChart(jobs)]),
    ]
  }

  func curveChart(_ jobs: [ExperimentJob]) -> String {
    let spreads = Self.curveMethods.map { method in
      labelCounts.map { (labels: $0, spread: SeedSpread(errors(jobs, method, labels: $0))) }
    }
    let values = spreads.flatMap { $0.map { $0.spread.mean + $0.spread.deviation } }
    var x = ChartAxis.logarithmic(
      "labelled training documents per class", covering: labelCounts.map(position))
    x.ticks = labelCounts.map { ChartTick(value: position($0), label: Self.countName($0)) }
    // Just beyond the counts, not whole decades: the curve fills the plot.
    (x.lower, x.upper) = (
      position(labelCounts.min { position($0) < position($1) } ?? 1) / 1.4,
      position(0) * 1.4
    )
    var chart = SVGChart(
      title: "test error vs labels per class", x: x,
      y: .linear("test error", covering: values + [0.8]))
    chart.horizontalRule(y: 0.8, stroke: "#999999", label: "uniform guess")
    for (method, points) in zip(Self.curveMethods, spreads) {
      let style = Self.style(method)
      let line = points.map { (x: position($0.labels), y: $0.spread.mean) }
      chart.line(line, stroke: style.colour, width: 1.8, dash: style.dash)
      for (point, spread) in zip(line, points.map(\.spread)) {
        if spread.count > 1 {
          chart.errorBar(
            x: point.x, low: spread.mean - spread.deviation, high: spread.mean + spread.deviation,
            stroke: style.colour, cap: 6)
        }
        chart.marker(
          x: point.x, y: point.y, shape: style.marker, fill: style.colour,
          tooltip: "\(Self.label(method)): \(spread.text(3))")
      }
      chart.legendEntry(Self.label(method), colour: style.colour, style: .line(dash: style.dash))
    }
    return chart.svg(id: "chart-ulmfit-labels")
  }

  func ablationChart(_ jobs: [ExperimentJob]) -> String {
    let methods: [Method] = [.ulmfit] + ablations + [.pretrained, .scratch, .bayes]
    let spreads = methods.map { SeedSpread(errors(jobs, $0, labels: Self.ablationCount)) }
    var chart = SVGChart(
      title: "test error at \(Self.ablationCount) labels per class",
      x: .bands("", labels: methods.map { $0 == .pretrained ? "no stage b" : $0.rawValue }),
      y: .linear("test error", covering: spreads.map { $0.mean + $0.deviation }))
    for (i, (method, spread)) in zip(methods, spreads).enumerated() {
      let colour = method == .ulmfit ? "#0072B2" : Self.style(method).colour
      let centre = Double(i) + 0.5
      chart.rectangle(
        x: (centre - 0.3)...(centre + 0.3), y: 0...spread.mean,
        fill: ablations.contains(method) || method == .pretrained ? "#56B4E9" : colour,
        tooltip: "\(Self.label(method)): \(spread.text(3))")
      if spread.count > 1 {
        chart.errorBar(
          x: centre, low: spread.mean - spread.deviation, high: spread.mean + spread.deviation)
      }
      chart.text(fmt(spread.mean, 3), x: centre, y: spread.mean + spread.deviation, dy: -4)
    }
    return chart.svg(id: "chart-ulmfit-ablations")
  }
}
