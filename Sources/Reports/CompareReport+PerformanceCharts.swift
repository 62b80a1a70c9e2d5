import Foundation

/// The step-time and scaling charts of the report.
extension CompareResults {
  /// `chart(transport, mode)` for every transport and mode of the sweep, in report order,
  /// leaving out those with no chart (no points).
  public func chartPerTransportAndMode(_ chart: (_ transport: String, _ mode: String) -> String?)
    -> [String]
  {
    transports.flatMap { transport in modes.compactMap { chart(transport, $0) } }
  }

  /// The points measured on `transport` in `mode`.
  public func points(transport: String, mode: String) -> [ComparePoint] {
    points.filter { $0.transport == transport && $0.mode == mode }
  }

  // MARK: - Step time

  public func stepTimeSection() -> String {
    let charts = chartPerTransportAndMode(stepTimeChart)
    return CompareReportStyle.section(
      "Where the time of a step goes",
      caption: "Median milliseconds per optimizer step, split into computation, the gradient "
        + "all-reduce, the norm-statistics all-reduces (SyncBatchNorm only) and waiting for the "
        + "other workers (load imbalance, at the timing barrier before each all-reduce, plus "
        + "the step's small control messages). One bar per worker count, grouped by norm."
        + (oversubscriptionNote.map { " " + $0 } ?? ""),
      charts: charts)
  }

  public func stepTimeChart(transport: String, mode: String) -> String? {
    let selected = points(transport: transport, mode: mode)
    guard !selected.isEmpty else { return nil }
    let norms = CompareOrder.sorted(selected.map(\.norm), CompareOrder.norms)
    let workers = Set(selected.map(\.workers)).sorted()
    var chart = SVGChart(
      title: "Step time: \(transport), \(mode) scaling",
      x: ChartAxis(
        title: "workers, grouped by norm", scale: .linear, lower: 0,
        upper: Double(norms.count), ticks: []),
      y: .linear("ms per step", covering: selected.map(\.stepMs)))
    for segment in StepSegment.allCases {
      chart.legendEntry(segment.label, colour: segment.colour, style: .swatch)
    }
    let slot = 0.84 / Double(workers.count)
    for (group, norm) in norms.enumerated() {
      chart.axisLabel(
        CompareOrder.displayName(norm: norm), x: Double(group) + 0.5, row: 1,
        fill: NormStyle.of(norm).colour, bold: true)
      for (index, count) in workers.enumerated() {
        guard let point = selected.first(where: { $0.norm == norm && $0.workers == count })
        else { continue }
        let left = Double(group) + 0.08 + Double(index) * slot + slot * 0.1
        let right = left + slot * 0.8
        var top = 0.0
        for segment in StepSegment.allCases {
          let value = segment.milliseconds(point)
          guard value > 0, value.isFinite else { continue }
          chart.rectangle(
            x: left...right, y: top...(top + value), fill: segment.colour,
            tooltip: "\(norm), \(count) workers: \(segment.label) "
              + "\(ReportFormat.milliseconds(value)) ms")
          top += value
        }
        chart.text(
          ReportFormat.milliseconds(point.stepMs), x: (left + right) / 2, y: top, dy: -4,
          size: 10)
        chart.axisLabel(
          workersLabel(point), x: (left + right) / 2, row: 0,
          fill: isOversubscribed(point) ? "#9a5b00" : "#333333")
      }
    }
    return chart.svg(id: "chart-step-time-\(slug(transport))-\(slug(mode))")
  }

  // MARK: - Scaling

  public func scalingSection() -> String {
    let charts = chartPerTransportAndMode(scalingChart)
    return CompareReportStyle.section(
      "Throughput as workers are added",
      caption: "Tokens per second over all workers. Strong scaling keeps the global batch, so "
        + "each worker gets less to do; weak scaling keeps the batch per worker. The dashed "
        + "line is ideal linear scaling from the fastest 1-worker run.",
      charts: charts)
  }

  public func scalingChart(transport: String, mode: String) -> String? {
    let selected = points(transport: transport, mode: mode)
    guard !selected.isEmpty else { return nil }
    let workers = Set(selected.map(\.workers)).sorted()
    let oneWorker = selected.filter { $0.workers == 1 }.map(\.tokensPerSecond)
      .filter(\.isFinite).max()
    let ideal = oneWorker.map { base in workers.map { (x: Double($0), y: base * Double($0)) } }
    var chart = SVGChart(
      title: "Tokens/s: \(transport), \(mode) scaling",
      x: workerAxis(workers),
      y: .linear(
        "tokens per second", covering: selected.map(\.tokensPerSecond) + (ideal?.map(\.y) ?? [])))
    if let ideal {
      chart.line(ideal, stroke: "#777777", width: 1.5, dash: "6 5")
      chart.legendEntry("ideal linear", colour: "#777777", style: .line(dash: "6 5"))
    }
    for norm in CompareOrder.sorted(selected.map(\.norm), CompareOrder.norms) {
      let style = NormStyle.of(norm)
      let series = selected.filter { $0.norm == norm }.sorted { $0.workers < $1.workers }
      chart.line(
        series.map { (x: Double($0.workers), y: $0.tokensPerSecond) }, stroke: style.colour,
        width: 2.5)
      for point in series {
        chart.marker(
          x: Double(point.workers), y: point.tokensPerSecond, shape: style.marker,
          fill: style.colour, size: 6,
          tooltip: "\(norm), \(point.workers) workers: "
            + "\(ReportFormat.grouped(point.tokensPerSecond)) tokens/s, efficiency "
            + ReportFormat.percent(point.scalingEfficiency))
      }
      chart.legendEntry(
        CompareOrder.displayName(norm: norm), colour: style.colour, style: .marker(style.marker))
    }
    return chart.svg(id: "chart-scaling-\(slug(transport))-\(slug(mode))")
  }

  /// A logarithmic axis ticked at the measured worker counts (1, 2, 4 evenly spaced).
  public func workerAxis(_ workers: [Int]) -> ChartAxis {
    ChartAxis(
      title: "workers", scale: .logarithmic, lower: Double(workers.first ?? 1) / 1.3,
      upper: Double(workers.last ?? 1) * 1.3,
      ticks: workers.map { ChartTick(value: Double($0), label: String($0)) })
  }

}

/// The parts of a step's time, bottom to top in the stacked bars.
public enum StepSegment: CaseIterable {
  case compute, gradientWait, normStatsWait, controlWait

  public var label: String {
    switch self {
    case .compute: "compute"
    case .gradientWait: "gradient wait"
    case .normStatsWait: "norm-stats wait"
    case .controlWait: "imbalance + control"
    }
  }

  /// Okabe–Ito colours that none of the norms use, grey for the computation.
  public var colour: String {
    switch self {
    case .compute: "#C9CED6"
    case .gradientWait: "#56B4E9"
    case .normStatsWait: "#CC79A7"
    case .controlWait: "#F0E442"
    }
  }

  public func milliseconds(_ point: ComparePoint) -> Double {
    switch self {
    case .compute: point.computeMs
    case .gradientWait: point.gradientWaitMs
    case .normStatsWait: point.normStatsWaitMs
    case .controlWait: point.controlWaitMs
    }
  }
}
