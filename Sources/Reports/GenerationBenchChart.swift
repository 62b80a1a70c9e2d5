import Support
import Training

/// The chart of `ddp bench generate --svg FILE`: ms per generated token against the position,
/// log-log, one line per attention kind, each kind's growth (last position over first) in the
/// legend.
///
/// Softmax reads a key/value cache of every earlier token, so its time per token grows with
/// the position t (slope → 1 once the cache dominates the MLP); the linear kinds update a
/// fixed state, so their lines stay flat (slope 0):
///
/// ```
/// softmax: ms(t) ≈ a + b·t        linear, fastweight, fastweight_sum: ms(t) ≈ a
/// ```
///
/// ### References
/// - Katharopoulos et al., "Transformers are RNNs" (ICML 2020), section 3.4 (constant-time
///   autoregressive inference).
public struct GenerationBenchChart {
  public var report: GenerationBenchmark.Report

  public init(report: GenerationBenchmark.Report) {
    self.report = report
  }

  /// The chart as a self-contained SVG document (no scripts, no CSS, no fetched fonts).
  public func svgDocument() -> String {
    let points = report.series.flatMap(\.points).filter { $0.msPerToken > 0 }
    var chart = SVGChart(
      title: "Generation latency vs position (log-log), context \(report.context)",
      x: AttentionStyle.measuredAxis("position", points.map(\.position)),
      y: .logarithmic("ms per token", covering: points.map(\.msPerToken)))
    for series in report.series {
      let style = AttentionStyle.of(series.attention)
      chart.line(
        series.points.map { (x: Double($0.position), y: $0.msPerToken) }, stroke: style.colour,
        width: 2.5)
      for point in series.points {
        chart.marker(
          x: Double(point.position), y: point.msPerToken, shape: style.marker,
          fill: style.colour, size: 5,
          tooltip: "\(series.attention), position \(point.position): "
            + "\(fmt(point.msPerToken, 3)) ms/token, state \(point.stateBytes) bytes")
      }
      let growth = series.growth.isFinite ? "×\(fmt(series.growth, 2)) first to last" : ""
      chart.legendEntry(
        "\(series.attention) \(growth)", colour: style.colour, style: .line(dash: nil))
    }
    return AttentionStyle.standalone(chart, id: "bench-generate")
  }
}
