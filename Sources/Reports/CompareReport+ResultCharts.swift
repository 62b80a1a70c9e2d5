import Foundation
import Support

/// The loss, parity and cost-model charts of the report.
extension CompareResults {
  // MARK: - Loss

  public func lossSection() -> String {
    let mode = modes.contains("strong") ? "strong" : modes.first ?? "strong"
    let transport = transports.first ?? "shm"
    let selected = points.filter {
      $0.transport == transport && $0.mode == mode && !$0.lossCurve.isEmpty
    }
    let losses = selected.flatMap(\.lossCurve).filter(\.isFinite)
    let length = selected.map(\.lossCurve.count).max() ?? 0
    let charts = CompareOrder.sorted(selected.map(\.norm), CompareOrder.norms).map { norm in
      lossChart(
        norm: norm, selected.filter { $0.norm == norm }, losses: losses, steps: length)
    }
    return CompareReportStyle.section(
      "Training loss per step",
      caption: "\(mode.capitalized) scaling on \(transport): the wide pale line is 1 worker, "
        + "dashed lines are more workers on the same global batch. Curves on the pale line "
        + "show the workers learn as fast as one worker; they cannot show whether they end with "
        + "the same model (local BatchNorm's curves sit on it while its parameters drift by "
        + "10⁻²): the parity chart below answers that.",
      charts: charts, small: true, empty: "These results carry no loss curves.")
  }

  public func lossChart(norm: String, _ series: [ComparePoint], losses: [Double], steps: Int)
    -> String
  {
    let style = NormStyle.of(norm)
    var chart = SVGChart(
      title: CompareOrder.displayName(norm: norm),
      x: .linear("step", covering: [1, Double(steps)], headroom: 0),
      y: .linear("loss", covering: losses, fromZero: false))
    chart.titleColour = style.colour
    chart.width = 300
    chart.height = 260
    chart.leftInset = 56
    chart.bottomInset = 40
    for point in series.sorted(by: { $0.workers < $1.workers }) {
      let curve = point.lossCurve.enumerated().map { (x: Double($0 + 1), y: $1) }
      let label = counted(point.workers, "worker")
      if point.workers == 1 {
        chart.line(curve, stroke: style.colour, width: 7, opacity: 0.3)
        chart.legendEntry(label, colour: style.colour, style: .band)
      } else {
        let dash = point.workers <= 2 ? "7 4" : "2 3"
        chart.line(curve, stroke: style.colour, width: 1.8, dash: dash)
        chart.legendEntry(label, colour: style.colour, style: .line(dash: dash))
      }
    }
    return chart.svg(id: "chart-loss-\(slug(norm))")
  }

  // MARK: - Parity

  public func paritySection() -> String {
    let charts = transports.compactMap { parityChart(transport: $0) }
    return CompareReportStyle.section(
      "Do the workers end where one worker does?",
      caption:
        "Largest |θ(N workers) − θ(1 worker)| over all parameters after \(counted(steps, "step")) "
        + "of strong scaling (same global batch), log scale. Below the dashed tolerance the "
        + "difference is float summation order; above it the workers trained a different model."
        + (noiseEnvelopes == nil
          ? ""
          : " The tolerance is measured in the same sweep: \(String(format: "%g", noiseFactor ?? 0))"
            + " × how far a 1-worker twin whose parameters all move by one ulp after step 1 drifts from the 1-worker "
            + "run, so the verdict holds at any run length (float differences grow with steps)."),
      charts: charts,
      empty: "These results carry no parity measurements (they are made in strong scaling).")
  }

  public func parityChart(transport: String) -> String? {
    let selected = points.filter {
      $0.transport == transport && $0.workers > 1 && $0.parityMaxDifference != nil
    }
    guard !selected.isEmpty else { return nil }
    let norms = CompareOrder.sorted(selected.map(\.norm), CompareOrder.norms)
    let workers = Set(selected.map(\.workers)).sorted()
    let differences = selected.compactMap(\.parityMaxDifference)
    var chart = SVGChart(
      title: "Parameter difference vs 1 worker: \(transport)",
      x: ChartAxis(
        title: "workers, grouped by norm", scale: .linear, lower: 0,
        upper: Double(norms.count), ticks: []),
      y: .logarithmic(
        "max |Δθ|",
        covering: differences + [parityTolerance, (differences.filter { $0 > 0 }.min() ?? 1) / 10]
      ))
    let slot = 0.8 / Double(workers.count)
    for (group, norm) in norms.enumerated() {
      let style = NormStyle.of(norm)
      chart.axisLabel(
        CompareOrder.displayName(norm: norm), x: Double(group) + 0.5, row: 1,
        fill: style.colour, bold: true)
      for (index, count) in workers.enumerated() {
        guard
          let point = selected.first(where: { $0.norm == norm && $0.workers == count }),
          let difference = point.parityMaxDifference
        else { continue }
        let left = Double(group) + 0.1 + Double(index) * slot + slot * 0.08
        let right = left + slot * 0.84
        let label = ReportFormat.parity(point)
          .replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e")
        if difference > 0 {
          chart.rectangle(
            x: left...right, y: chart.y.lower...difference, fill: style.colour,
            tooltip: "\(norm), \(counted(count, "worker")): max |Δθ| \(label)")
        }
        chart.text(
          label, x: (left + right) / 2, y: max(difference, chart.y.lower), dy: -5, size: 10.5,
          bold: point.matchesOneWorker == false)
        chart.axisLabel(String(count), x: (left + right) / 2, row: 0)
      }
    }
    chart.horizontalRule(
      y: parityTolerance, stroke: "#222222",
      label: "tolerance \(toleranceText)")
    return chart.svg(id: "chart-parity-\(slug(transport))")
  }

  // MARK: - Cost model

  public func costModelSection() -> String {
    let charts = [
      costChart(
        id: "chart-cost-gradients", title: "Gradient all-reduce: predicted vs measured transfer",
        predicted: \.predictedGradientMs, measured: { $0.gradientTransferMs ?? $0.gradientWaitMs }
      ),
      costChart(
        id: "chart-cost-norm-stats", title: "Norm statistics: predicted vs measured transfer",
        predicted: \.predictedNormStatsMs,
        measured: { $0.normStatsTransferMs ?? $0.normStatsWaitMs }),
    ].compactMap { $0 }
    let formulas = """
      <p class="caption">Predicted: the α–β fit t(n) = α + β·n of `ddp bench allreduce`, measured \
      on the same transport with the same number of workers in this sweep (α: median latency of \
      messages up to 1 KiB; β: least squares over 256 KiB and more), summed over a step's calls: \
      α + β·n per gradient bucket, α per norm-statistics message (4(2C+1) and 8C bytes, two per \
      norm layer: latency-bound). Measured: the transfer, with timing barriers the least wait \
      over the workers, median over steps. On \
      the dashed diagonal the prediction is exact. For worker counts beyond this machine, \
      <code>ddp model-cost</code> extrapolates from the two-worker fit:</p>
      <p class="formula">gradients (ring): t = (p−1)·α + 2(p−1)/p · n·β<br/>\
      norm statistics (recursive doubling): t = ⌈log₂ p⌉ · (α + n·β)</p>
      """
    return CompareReportStyle.section(
      "Cost model: predicted against measured communication",
      caption: "Milliseconds per step of each kind of collective, for every point with more "
        + "than one worker, log scales. Measured: the transfer, as in the step-time bars and "
        + "the headline. " + Self.transferDefinition + " What the other workers wait beyond it "
        + "is load imbalance, which the model does not predict."
        + (costModelChecks().contains(where: \.outsideScope)
          ? " Norm statistics over shared memory are drawn but outside the model's scope "
            + "(see below): their time inside a step is scheduling, not α."
          : ""),
      charts: charts, empty: "These results carry no predictions.") + formulas
      + costModelAccuracyHTML()
  }

  public func costChart(
    id: String, title: String, predicted: KeyPath<ComparePoint, Double?>,
    measured: (ComparePoint) -> Double
  ) -> String? {
    let pairs = points.compactMap { point -> (ComparePoint, Double, Double)? in
      guard let prediction = point[keyPath: predicted], prediction > 0,
        measured(point) > 0, prediction.isFinite, measured(point).isFinite
      else { return nil }
      return (point, prediction, measured(point))
    }
    guard !pairs.isEmpty else { return nil }
    let values = pairs.flatMap { [$0.1, $0.2] }
    var axis = ChartAxis.logarithmic("predicted ms per step", covering: values)
    var chart = SVGChart(title: title, x: axis, y: axis)
    axis.title = "measured ms per step"
    chart.y = axis
    chart.line(
      [(x: axis.lower, y: axis.lower), (x: axis.upper, y: axis.upper)], stroke: "#999999",
      width: 1.5, dash: "6 5")
    for norm in CompareOrder.sorted(pairs.map(\.0.norm), CompareOrder.norms) {
      let style = NormStyle.of(norm)
      for (point, prediction, measurement) in pairs where point.norm == norm {
        chart.marker(
          x: prediction, y: measurement, shape: style.marker, fill: style.colour, size: 6,
          tooltip:
            "\(norm), \(counted(point.workers, "worker")), \(point.transport), \(point.mode): "
            + "predicted \(ReportFormat.milliseconds(prediction)) ms, measured "
            + "\(ReportFormat.milliseconds(measurement)) ms")
      }
      chart.legendEntry(
        CompareOrder.displayName(norm: norm), colour: style.colour, style: .marker(style.marker))
    }
    return chart.svg(id: id)
  }

}
