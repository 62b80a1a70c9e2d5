import Foundation
import Support

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
      caption: "Median milliseconds per optimizer step, one bar per worker count, grouped by "
        + "norm. " + Self.computeDefinition + " " + Self.transferDefinition + " Waiting is "
        + "the rest of the step: for slower workers, for a free core (other processes, or more "
        + "workers than cores) and at the timing barriers before each all-reduce."
        + (points.contains { $0.perStep != nil } ? " " + Self.spreadDefinition : "")
        + (oversubscriptionNote.map { " " + $0 } ?? ""),
      charts: charts)
  }

  /// How the report measures compute, in one sentence (the step-time caption, README).
  public static let computeDefinition =
    "Compute is each worker's own work: the CPU time of its thread outside collectives (a "
    + "CPU-time clock stops while the thread waits, for other workers or for a core), the mean "
    + "over the workers, so it is comparable across norms and worker counts."
  /// How the report measures transfer (the headline, the table, the bars and the cost model).
  public static let transferDefinition =
    "Transfer is the least wait over the workers (per call for norm statistics): the last "
    + "worker to reach a collective waits only for the data to move, the time the cost model "
    + "predicts."
  /// What the whiskers show.
  public static let spreadDefinition =
    "Whiskers span the first to the third quartile over the measured steps: black, the step "
    + "time; grey, the compute."

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
      y: .linear(
        "ms per step",
        covering: selected.map(\.stepMs) + selected.compactMap(\.stepQuartiles?.upper)))
    for segment in StepSegment.allCases {
      chart.legendEntry(segment.label, colour: segment.colour, style: .swatch)
    }
    if selected.contains(where: { $0.perStep != nil }) {
      chart.legendEntry("quartiles over steps", colour: "#222222", style: .whisker)
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
        let parts = point.breakdown
        var top = 0.0
        for segment in StepSegment.allCases {
          let value = segment.milliseconds(parts)
          guard value > 0, value.isFinite else { continue }
          chart.rectangle(
            x: left...right, y: top...(top + value), fill: segment.colour,
            tooltip: "\(norm), \(counted(count, "worker")): \(segment.label) "
              + "\(ReportFormat.milliseconds(value)) ms")
          top += value
        }
        let centre = (left + right) / 2
        if let spread = point.computeQuartiles {
          chart.errorBar(
            x: left + (right - left) * 0.25, low: spread.lower, high: spread.upper,
            stroke: "#6b7280", cap: 6,
            tooltip: "\(norm), \(counted(count, "worker")): compute quartiles "
              + ReportFormat.range(spread) + " ms")
        }
        var labelHeight = top
        if let spread = point.stepQuartiles {
          chart.errorBar(
            x: centre, low: spread.lower, high: spread.upper,
            tooltip: "\(norm), \(counted(count, "worker")): step time quartiles "
              + ReportFormat.range(spread) + " ms")
          labelHeight = max(top, spread.upper)
        }
        chart.text(
          ReportFormat.milliseconds(point.stepMs), x: centre, y: labelHeight, dy: -4, size: 10)
        chart.axisLabel(
          workersLabel(point), x: centre, row: 0,
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
        + "line is ideal linear scaling from the fastest 1-worker run."
        + (points.contains { $0.perStep != nil }
          ? " Whiskers span the first to the third quartile of tokens/s over the measured steps."
          : ""),
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
        "tokens per second",
        covering: selected.map(\.tokensPerSecond) + (ideal?.map(\.y) ?? [])
          + selected.compactMap(\.tokensPerSecondQuartiles?.upper)))
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
        if let spread = point.tokensPerSecondQuartiles {
          chart.errorBar(
            x: Double(point.workers), low: spread.lower, high: spread.upper, stroke: style.colour,
            cap: 10,
            tooltip: "\(norm), \(counted(point.workers, "worker")): tokens/s quartiles "
              + "\(ReportFormat.grouped(spread.lower))–\(ReportFormat.grouped(spread.upper))")
        }
        chart.marker(
          x: Double(point.workers), y: point.tokensPerSecond, shape: style.marker,
          fill: style.colour, size: 6,
          tooltip: "\(norm), \(counted(point.workers, "worker")): "
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
