import Foundation

extension CompareResults {
  /// The comparison as one self-contained HTML page: inline CSS and SVG, no scripts and nothing
  /// fetched, so it opens from disk, attaches to a mail and renders in a headless browser.
  ///
  /// Top to bottom: the title and the headline computed from the data, a summary table per
  /// norm (communicates? calls and bytes per step, matches 1 worker?), then the charts (each
  /// an `<svg class="chart" id="chart-…">`):
  /// - `chart-step-time-TRANSPORT-MODE`: stacked step time (compute, gradient wait,
  ///   norm-statistics wait, control) per norm and worker count;
  /// - `chart-scaling-TRANSPORT-MODE`: tokens/s against workers per norm, with ideal scaling;
  /// - `chart-loss-NORM`: loss per step for each worker count (strong scaling, first transport);
  /// - `chart-parity-TRANSPORT`: max |Δθ| against 1 worker on a log scale, with the tolerance;
  /// - `chart-cost-gradients`, `chart-cost-norm-stats`: the cost model's predictions against
  ///   the measured waits;
  ///
  /// and a footer with the run's configuration and the α–β fits. Charts without data become a
  /// sentence saying so; missing optional values are left out.
  func html() -> String {
    let body = [
      htmlHeader(), htmlHeadline(), htmlSummaryTable(), stepTimeSection(), scalingSection(),
      lossSection(), paritySection(), costModelSection(), htmlFooter(),
    ]
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8"/>
      <meta name="viewport" content="width=device-width, initial-scale=1"/>
      <title>ddp compare: normalization across data-parallel workers</title>
      <style>\(CompareReportStyle.css)</style>
      </head>
      <body>
      \(body.joined(separator: "\n"))
      </body>
      </html>

      """
  }

  // MARK: - Header, headline, summary

  private func htmlHeader() -> String {
    let model =
      "\(layers) layers, d_model \(dModel), context \(context), "
      + "\(ReportFormat.grouped(Double(parameters))) parameters, \(normLayers) norm layers"
    let sweep =
      "workers \(workerCounts.map(String.init).joined(separator: ", ")) · "
      + transports.joined(separator: ", ") + " · " + modes.joined(separator: " and ")
      + " scaling"
    return """
      <header>
      <h1>What each normalization costs across data-parallel workers</h1>
      <p class="subtitle">ddp compare · \(config.xmlEscaped) · \(model.xmlEscaped) · \
      \(sweep.xmlEscaped) · \(date.xmlEscaped) on \(host.xmlEscaped)</p>
      </header>
      """
  }

  private func htmlHeadline() -> String {
    let sentences = headline(
      name: { norm in
        CompareReportStyle.swatch(norm) + "<b style=\"color:\(NormStyle.of(norm).colour)\">"
          + CompareOrder.displayName(norm: norm).xmlEscaped + "</b>"
      }, plain: \.xmlEscaped)
    // A number stays on the line of its unit (5.1 kB, 1.20 ms).
    let unbroken = sentences.map {
      $0.replacingOccurrences(
        of: #"(\d) (B|kB|MB|GB|ms)\b"#, with: "$1\u{00A0}$2", options: .regularExpression)
    }
    return "<section class=\"headline\">\n"
      + unbroken.map { "<p>\($0)</p>" }.joined(separator: "\n") + "\n</section>"
  }

  private func htmlSummaryTable() -> String {
    let verdicts = normVerdicts()
    guard let first = verdicts.first else {
      return "<p class=\"note\">No point has more than one worker.</p>"
    }
    let at = "at \(first.reference.workers) workers"
    let header = [
      "Norm", "Communicates between workers?", "Norm-stats calls / step", "Per norm layer",
      "Norm-stats bytes / step", "Norm-stats wait \(at)", "Step time \(at)",
      "Matches 1 worker? max |Δθ|",
    ]
    let rows = verdicts.map { verdict -> String in
      let point = verdict.reference
      let elsewhere =
        point.workers == first.reference.workers
        ? "" : " <span class=\"detail\">(\(point.workers) workers)</span>"
      let cells = [
        CompareReportStyle.swatch(verdict.norm) + "<b>"
          + CompareOrder.displayName(norm: verdict.norm).xmlEscaped
          + "</b> <code>\(verdict.norm.xmlEscaped)</code>",
        verdict.communicates
          ? "<span class=\"sync\">yes: every norm layer, forward and backward</span>"
          : "<span class=\"quiet\">no</span>",
        ReportFormat.count(verdict.callsPerStep),
        verdict.callsPerNormLayer.map(ReportFormat.count) ?? "-",
        ReportFormat.bytes(verdict.bytesPerStep),
        ReportFormat.milliseconds(point.normStatsWaitMs) + " ms" + elsewhere,
        ReportFormat.milliseconds(point.stepMs) + " ms" + elsewhere,
        matchCell(verdict),
      ]
      let numeric = [false, false, true, true, true, true, true, false]
      return "<tr>"
        + zip(cells, numeric).map { "<td\($1 ? " class=\"number\"" : "")>\($0)</td>" }.joined()
        + "</tr>"
    }
    return "<table class=\"summary\">\n<tr>"
      + header.map { "<th>\($0.xmlEscaped)</th>" }.joined() + "</tr>\n"
      + rows.joined(separator: "\n") + "\n</table>\n<p class=\"caption\">Times at "
      + "\(first.reference.workers) workers, \(first.reference.transport.xmlEscaped), "
      + "\(first.reference.mode.xmlEscaped) scaling. Parity compares the parameters after "
      + "\(steps) steps with those of 1 worker; tolerance "
      + "\(ReportFormat.scientific(parityTolerance)) (float summation order).</p>"
  }

  private func matchCell(_ verdict: NormVerdict) -> String {
    let difference = verdict.largestParityDifference.map {
      " <span class=\"detail\">\(ReportFormat.scientific($0))</span>"
    }
    switch verdict.matchesOneWorker {
    case true?: return "<span class=\"quiet\">✓ yes</span>" + (difference ?? "")
    case false?: return "<span class=\"differs\">✗ no</span>" + (difference ?? "")
    case nil: return "<span class=\"detail\">not measured</span>"
    }
  }

  // MARK: - Step time

  private func stepTimeSection() -> String {
    let charts = transports.flatMap { transport in
      modes.compactMap { stepTimeChart(transport: transport, mode: $0) }
    }
    return CompareReportStyle.section(
      "Where the time of a step goes",
      caption: "Median milliseconds per optimizer step, split into computation, the gradient "
        + "all-reduce, the norm-statistics all-reduces (SyncBatchNorm only) and waiting for the "
        + "other workers (load imbalance, at the timing barrier before each all-reduce, plus "
        + "the step's small control messages). One bar per worker count, grouped by norm.",
      charts: charts)
  }

  private func stepTimeChart(transport: String, mode: String) -> String? {
    let selected = points.filter { $0.transport == transport && $0.mode == mode }
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
        chart.axisLabel(String(count), x: (left + right) / 2, row: 0)
      }
    }
    return chart.svg(id: "chart-step-time-\(slug(transport))-\(slug(mode))")
  }

  // MARK: - Scaling

  private func scalingSection() -> String {
    let charts = transports.flatMap { transport in
      modes.compactMap { scalingChart(transport: transport, mode: $0) }
    }
    return CompareReportStyle.section(
      "Throughput as workers are added",
      caption: "Tokens per second over all workers. Strong scaling keeps the global batch, so "
        + "each worker gets less to do; weak scaling keeps the batch per worker. The dashed "
        + "line is ideal linear scaling from the fastest 1-worker run.",
      charts: charts)
  }

  private func scalingChart(transport: String, mode: String) -> String? {
    let selected = points.filter { $0.transport == transport && $0.mode == mode }
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
  private func workerAxis(_ workers: [Int]) -> ChartAxis {
    ChartAxis(
      title: "workers", scale: .logarithmic, lower: Double(workers.first ?? 1) / 1.3,
      upper: Double(workers.last ?? 1) * 1.3,
      ticks: workers.map { ChartTick(value: Double($0), label: String($0)) })
  }

  // MARK: - Loss

  private func lossSection() -> String {
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
        + "dashed lines are more workers on the same global batch. Where they lie on the pale "
        + "line, the workers train exactly as one worker would.",
      charts: charts, small: true, empty: "These results carry no loss curves.")
  }

  private func lossChart(norm: String, _ series: [ComparePoint], losses: [Double], steps: Int)
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
      let label = point.workers == 1 ? "1 worker" : "\(point.workers) workers"
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

  private func paritySection() -> String {
    let charts = transports.compactMap { parityChart(transport: $0) }
    return CompareReportStyle.section(
      "Do the workers end where one worker does?",
      caption: "Largest |θ(N workers) − θ(1 worker)| over all parameters after \(steps) steps "
        + "of strong scaling (same global batch), log scale. Below the dashed tolerance the "
        + "difference is float summation order; above it the workers trained a different model.",
      charts: charts,
      empty: "These results carry no parity measurements (they are made in strong scaling).")
  }

  private func parityChart(transport: String) -> String? {
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
            tooltip: "\(norm), \(count) workers: max |Δθ| \(label)")
        }
        chart.text(
          label, x: (left + right) / 2, y: max(difference, chart.y.lower), dy: -5, size: 10.5,
          bold: point.matchesOneWorker == false)
        chart.axisLabel(String(count), x: (left + right) / 2, row: 0)
      }
    }
    chart.horizontalRule(
      y: parityTolerance, stroke: "#222222",
      label: "tolerance \(ReportFormat.scientific(parityTolerance))")
    return chart.svg(id: "chart-parity-\(slug(transport))")
  }

  // MARK: - Cost model

  private func costModelSection() -> String {
    let charts = [
      costChart(
        id: "chart-cost-gradients", title: "Gradient all-reduce: predicted vs measured",
        predicted: \.predictedGradientMs, measured: { $0.gradientTransferMs ?? $0.gradientWaitMs }
      ),
      costChart(
        id: "chart-cost-norm-stats", title: "Norm statistics: predicted vs measured",
        predicted: \.predictedNormStatsMs,
        measured: { $0.normStatsTransferMs ?? $0.normStatsWaitMs }),
    ].compactMap { $0 }
    let formulas = """
      <p class="caption">Predicted: the α–β fit t(n) = α + β·n of `ddp bench allreduce`, measured \
      on the same transport with the same number of workers in this sweep (α: median latency of \
      messages up to 1 KiB; β: least squares over 256 KiB and more), summed over a step's calls: \
      α + β·n per gradient bucket, α per norm-statistics message (4(2C+1) and 8C bytes, two per \
      norm layer: latency-bound). Measured: with timing barriers, the least wait over the \
      workers, median over steps. On \
      the dashed diagonal the prediction is exact. For worker counts beyond this machine, \
      <code>ddp model-cost</code> extrapolates from the two-worker fit:</p>
      <p class="formula">gradients (ring): t = (p−1)·α + 2(p−1)/p · n·β<br/>\
      norm statistics (recursive doubling): t = ⌈log₂ p⌉ · (α + n·β)</p>
      """
    return CompareReportStyle.section(
      "Cost model: predicted against measured communication",
      caption: "Milliseconds per step of each kind of collective, for every point with more "
        + "than one worker, log scales. Measured: per step, the least wait over the workers "
        + "(the worker that arrives last at a collective waits only for the transfer; for norm "
        + "statistics per call), median over the steps; what the others wait beyond it is load "
        + "imbalance, which the model does not predict.",
      charts: charts, empty: "These results carry no predictions.") + formulas
  }

  private func costChart(
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
          tooltip: "\(norm), \(point.workers) workers, \(point.transport), \(point.mode): "
            + "predicted \(ReportFormat.milliseconds(prediction)) ms, measured "
            + "\(ReportFormat.milliseconds(measurement)) ms")
      }
      chart.legendEntry(
        CompareOrder.displayName(norm: norm), colour: style.colour, style: .marker(style.marker))
    }
    return chart.svg(id: id)
  }

  // MARK: - Footer

  private func htmlFooter() -> String {
    let run = [
      ("config", config + (overrides.isEmpty ? "" : " " + overrides.joined(separator: " "))),
      ("steps", "\(steps) per point, medians after \(warmup) warm-up steps"),
      (
        "model",
        "\(layers) layers, d_model \(dModel), context \(context), "
          + "\(ReportFormat.grouped(Double(parameters))) parameters, \(normLayers) norm layers"
      ),
      ("parity tolerance", ReportFormat.scientific(parityTolerance)),
      ("date", date), ("host", "\(host) (\(cores) logical cores)"),
    ]
    let fitRows = fits.map { fit in
      let cells = [
        fit.transport.xmlEscaped, String(fit.workers),
        ReportFormat.milliseconds(fit.alpha * 1e6), ReportFormat.milliseconds(fit.beta * 1e9),
        fit.beta > 0 ? ReportFormat.milliseconds(1e-9 / fit.beta) : "-",
      ]
      return "<tr>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
    }
    let fitTable =
      fits.isEmpty
      ? "<p class=\"note\">No all-reduce fits in these results.</p>"
      : "<table class=\"fits\">\n<tr><th>transport</th><th>workers</th><th>α (µs)</th>"
        + "<th>β (ns/byte)</th><th>1/β (GB/s)</th></tr>\n" + fitRows.joined(separator: "\n")
        + "\n</table>"
    return "<footer>\n<h2>Run</h2>\n<dl>"
      + run.map { "<dt>\($0.0.xmlEscaped)</dt><dd>\($0.1.xmlEscaped)</dd>" }.joined()
      + "</dl>\n<h3>All-reduce fits t(n) = α + β·n</h3>\n" + fitTable + "\n</footer>"
  }

  // MARK: - What the results hold

  private var transports: [String] {
    CompareOrder.sorted(points.map(\.transport), CompareOrder.transports)
  }
  private var modes: [String] { CompareOrder.sorted(points.map(\.mode), CompareOrder.modes) }
  private var workerCounts: [Int] { Set(points.map(\.workers)).sorted() }

  /// `text` reduced to lowercase letters, digits and hyphens, for element ids.
  private func slug(_ text: String) -> String {
    String(text.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
  }
}

/// The parts of a step's time, bottom to top in the stacked bars.
private enum StepSegment: CaseIterable {
  case compute, gradientWait, normStatsWait, controlWait

  var label: String {
    switch self {
    case .compute: "compute"
    case .gradientWait: "gradient wait"
    case .normStatsWait: "norm-stats wait"
    case .controlWait: "imbalance + control"
    }
  }

  /// Okabe–Ito colours that none of the norms use, grey for the computation.
  var colour: String {
    switch self {
    case .compute: "#C9CED6"
    case .gradientWait: "#56B4E9"
    case .normStatsWait: "#CC79A7"
    case .controlWait: "#F0E442"
    }
  }

  func milliseconds(_ point: ComparePoint) -> Double {
    switch self {
    case .compute: point.computeMs
    case .gradientWait: point.gradientWaitMs
    case .normStatsWait: point.normStatsWaitMs
    case .controlWait: point.controlWaitMs
    }
  }
}

/// Colour and marker of each norm in every chart, from the Okabe–Ito palette, whose colours
/// stay apart under the common colour-vision deficiencies: blues and greens for the norms that
/// need no communication, vermillion for local BatchNorm (workers disagree), orange for
/// SyncBatchNorm (communicates).
///
/// ### References
/// - Okabe, Ito, "Color Universal Design (CUD): how to make figures and presentations that are
///   friendly to colorblind people" (2008).
struct NormStyle: Sendable {
  var colour: String
  var marker: MarkerShape

  static let byNorm: [String: NormStyle] = [
    "layernorm": NormStyle(colour: "#0072B2", marker: .circle),
    "rmsnorm": NormStyle(colour: "#009E73", marker: .square),
    "batchnorm": NormStyle(colour: "#D55E00", marker: .triangle),
    "syncbatchnorm": NormStyle(colour: "#E69F00", marker: .diamond),
    "none": NormStyle(colour: "#7F7F7F", marker: .cross),
  ]

  /// The style of `norm`; black circles for a norm the map does not know.
  static func of(_ norm: String) -> NormStyle {
    byNorm[norm] ?? NormStyle(colour: "#000000", marker: .circle)
  }
}

/// The page's CSS and the HTML pieces every section shares.
private enum CompareReportStyle {
  static func swatch(_ norm: String) -> String {
    "<span class=\"swatch\" style=\"background:\(NormStyle.of(norm).colour)\"></span>"
  }

  /// A titled section with a caption and its charts in a grid (four columns when `small`), or
  /// the `empty` sentence when there are no charts.
  static func section(
    _ title: String, caption: String, charts: [String], small: Bool = false,
    empty: String = "No data for this chart."
  ) -> String {
    let content =
      charts.isEmpty
      ? "<p class=\"note\">\(empty.xmlEscaped)</p>"
      : "<div class=\"grid\(small ? " small" : "")\">\n" + charts.joined(separator: "\n")
        + "\n</div>"
    return "<section>\n<h2>\(title.xmlEscaped)</h2>\n<p class=\"caption\">"
      + caption.xmlEscaped + "</p>\n" + content + "\n</section>"
  }

  static let css = """
    body { font: 15px/1.5 system-ui, "DejaVu Sans", "Helvetica Neue", Arial, sans-serif;
      color: #1d1d1f; background: #f7f7f8; max-width: 1220px; margin: 0 auto;
      padding: 20px 28px 40px; }
    h1 { font-size: 27px; margin: 4px 0 2px; }
    h2 { font-size: 20px; margin: 30px 0 2px; }
    h3 { font-size: 15px; margin: 16px 0 6px; }
    .subtitle { color: #555; font-size: 13.5px; margin: 0 0 14px; }
    .headline { background: #fff; border: 1px solid #dde2e8; border-left: 6px solid #0072B2;
      border-radius: 6px; padding: 6px 20px; font-size: 18px; line-height: 1.5;
      margin-bottom: 16px; }
    .headline p { margin: 8px 0; }
    .swatch { display: inline-block; width: 13px; height: 13px; border-radius: 3px;
      margin-right: 5px; vertical-align: -1px; }
    table { border-collapse: collapse; background: #fff; border: 1px solid #e1e4e8; }
    table.summary { width: 100%; }
    th, td { border-bottom: 1px solid #e6e8eb; padding: 7px 12px; text-align: left; }
    th { background: #eef1f4; font-size: 13px; font-weight: 600; }
    td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    code { font-size: 12px; color: #666; }
    .quiet { color: #00704f; font-weight: 700; }
    .sync { color: #9a5b00; font-weight: 700; }
    .differs { color: #b0361a; font-weight: 700; }
    .detail { color: #666; font-size: 13px; }
    .caption { color: #444; margin: 2px 0 10px; max-width: 960px; }
    .note { color: #666; font-style: italic; }
    .grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
    .grid.small { grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); }
    svg.chart { display: block; width: 100%; height: auto; background: #fff;
      border: 1px solid #e1e4e8; border-radius: 6px; }
    .formula { font-family: "DejaVu Sans Mono", monospace; font-size: 14px; background: #fff;
      border: 1px solid #e1e4e8; border-radius: 6px; padding: 8px 14px; display: inline-block; }
    footer { margin-top: 34px; border-top: 1px solid #ddd; color: #444; font-size: 13.5px; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
    dt { font-weight: 600; }
    dd { margin: 0; }
    """
}
