import Support
import Training

/// The chart of `ddp bench context --svg FILE`: ms per training step against the context T,
/// log-log, one line per attention kind, each kind's slope in the legend.
///
/// On log-log axes a cost `ms ∝ Tᵏ` is a straight line of slope k, so at fixed tokens per step
/// (`tokens / T` sequences of T) softmax attention, whose score matrix per token grows with T,
/// tends to slope 1, and the linear kinds, whose state per token is fixed, to slope 0:
///
/// ```
/// slope = Σ (log Tᵢ − mean)(log msᵢ − mean) / Σ (log Tᵢ − mean)²   (fixed-token contexts only)
/// ```
///
/// The long contexts (one sequence of T > tokens per step, so more tokens per step) continue
/// each line dashed; they are left out of the slope, as `ContextBenchSummary` leaves them out.
///
/// ### References
/// - Katharopoulos et al., "Transformers are RNNs" (ICML 2020), figure 1 (time vs length).
public struct ContextBenchChart {
  public var summary: ContextBenchSummary
  /// The contexts measured at `tokens` tokens per step (the slope's points).
  public var fixedContexts: [Int]
  public var tokens: Int

  public init(summary: ContextBenchSummary, fixedContexts: [Int], tokens: Int) {
    self.summary = summary
    self.fixedContexts = fixedContexts
    self.tokens = tokens
  }

  /// The dash pattern of the long-context continuation.
  static let longDash = "6 4"

  /// The chart as a self-contained SVG document (no scripts, no CSS, no fetched fonts).
  public func svgDocument() -> String {
    let measured = summary.points.filter { ($0.msPerStep ?? 0) > 0 }
    var chart = SVGChart(
      title: "Training step time vs context T (log-log), \(tokens) tokens per step",
      x: AttentionStyle.measuredAxis("context T", measured.map(\.context)),
      y: .logarithmic("ms per step", covering: measured.compactMap(\.msPerStep)))
    var kinds: [String] = []
    for p in summary.points where !kinds.contains(p.attention) { kinds.append(p.attention) }
    for kind in kinds {
      let style = AttentionStyle.of(kind)
      let series = measured.filter { $0.attention == kind }.sorted { $0.context < $1.context }
      let xy = series.map { (x: Double($0.context), y: $0.msPerStep ?? .nan) }
      let fixed = zip(series, xy).filter { fixedContexts.contains($0.0.context) }.map(\.1)
      let long = zip(series, xy).filter { !fixedContexts.contains($0.0.context) }.map(\.1)
      chart.line(fixed, stroke: style.colour, width: 2.5)
      if !long.isEmpty {
        chart.line(
          Array(fixed.suffix(1)) + long, stroke: style.colour, width: 2, dash: Self.longDash)
      }
      for point in series {
        chart.marker(
          x: Double(point.context), y: point.msPerStep ?? .nan, shape: style.marker,
          fill: style.colour, size: 5,
          tooltip: "\(kind), T = \(point.context), \(point.batch) × \(point.context): "
            + "\(fmt(point.msPerStep ?? .nan, 2)) ms/step")
      }
      let slope = summary.slopes[kind].map { "slope \(fmt($0, 2))" } ?? "no slope"
      chart.legendEntry("\(kind): \(slope)", colour: style.colour, style: .line(dash: nil))
    }
    if measured.contains(where: { !fixedContexts.contains($0.context) }) {
      chart.legendEntry(
        "T > \(tokens): one sequence per step", colour: "#777777",
        style: .line(dash: Self.longDash))
    }
    return AttentionStyle.standalone(chart, id: "bench-context")
  }
}
