import Foundation
import Support

extension CompareResults {
  /// The comparison as one self-contained HTML page: inline CSS and SVG, no scripts and nothing
  /// fetched, so it opens from disk, attaches to a mail and renders in a headless browser.
  ///
  /// Top to bottom: the title and the headline computed from the data, a summary table per
  /// norm (communicates? calls and bytes per step, matches 1 worker?), then the charts (each
  /// an `<svg class="chart" id="chart-…">`):
  /// - `chart-step-time-TRANSPORT-MODE`: stacked step time (`StepBreakdown`: compute,
  ///   gradient transfer, norm-statistics transfer, waiting) per norm and worker count, with
  ///   whiskers at the quartiles over steps of the step time and of the compute;
  /// - `chart-scaling-TRANSPORT-MODE`: tokens/s against workers per norm, with ideal scaling
  ///   and whiskers at the quartiles;
  /// - `chart-loss-NORM`: loss per step for each worker count (strong scaling, first transport);
  /// - `chart-parity-TRANSPORT`: max |Δθ| against 1 worker on a log scale, with the tolerance;
  /// - `chart-cost-gradients`, `chart-cost-norm-stats`: the cost model's predictions against
  ///   the measured waits;
  ///
  /// and a footer with the run's configuration and the α–β fits. Charts without data become a
  /// sentence saying so; missing optional values are left out.
  public func html() -> String {
    let body = [
      htmlHeader(), htmlHeadline(), htmlSummaryTable(), stepTimeSection(), scalingSection(),
      lossSection(), paritySection(), costModelSection(), htmlFooter(),
    ]
    return CompareReportStyle.page(
      title: "ddp compare: normalization across data-parallel workers", body: body)
  }

  // MARK: - Header, headline, summary

  public func htmlHeader() -> String {
    let model =
      "\(counted(layers, "layer")), d_model \(dModel), context \(context), "
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

  public func htmlHeadline() -> String {
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

  public func htmlSummaryTable() -> String {
    let verdicts = normVerdicts()
    guard let first = verdicts.first else {
      return "<p class=\"note\">No point has more than one worker.</p>"
    }
    let at = "at \(counted(first.reference.workers, "worker"))"
    let header = [
      "Norm", "Communicates between workers?", "Norm-stats calls / step", "Per norm layer",
      "Norm-stats bytes / step", "Norm-stats transfer \(at)",
      "In norm-stats all-reduces \(at) (transfer + waiting)", "Step time \(at)",
      "Matches 1 worker? max |Δθ|",
    ]
    let rows = verdicts.map { verdict -> String in
      let point = verdict.reference
      let elsewhere =
        point.workers == first.reference.workers
        ? "" : " <span class=\"detail\">(\(counted(point.workers, "worker")))</span>"
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
        ReportFormat.milliseconds(point.breakdown.normStatsTransfer) + " ms" + elsewhere,
        ReportFormat.milliseconds(point.normStatsWaitMs) + " ms" + elsewhere,
        ReportFormat.spread(point.stepMs, point.stepQuartiles) + " ms" + elsewhere,
        matchCell(verdict),
      ]
      let numeric = [false, false, true, true, true, true, true, true, false]
      return "<tr>"
        + zip(cells, numeric).map { "<td\($1 ? " class=\"number\"" : "")>\($0)</td>" }.joined()
        + "</tr>"
    }
    return "<table class=\"summary\">\n<tr>"
      + header.map { "<th>\($0.xmlEscaped)</th>" }.joined() + "</tr>\n"
      + rows.joined(separator: "\n") + "\n</table>\n<p class=\"caption\">Times at "
      + "\(workersLabel(first.reference)) workers, \(first.reference.transport.xmlEscaped), "
      + "\(first.reference.mode.xmlEscaped) scaling, medians over steps"
      + (first.reference.stepQuartiles == nil ? "" : " [first–third quartile]") + ". "
      + Self.transferDefinition.xmlEscaped + " Parity compares the parameters after "
      + "\(counted(steps, "step")) with those of 1 worker; tolerance \(toleranceText.xmlEscaped)"
      + (noiseEnvelopes == nil
        ? " (float summation order)."
        : ": float noise is how far a 1-worker twin whose parameters all move by one ulp after "
          + "step 1 drifts from the 1-worker run over the same steps.")
      + (isOversubscribed(first.reference) ? " " + (oversubscriptionNote ?? "") : "") + "</p>"
  }

  public func matchCell(_ verdict: NormVerdict) -> String {
    let difference = verdict.largestParityDifference.map {
      " <span class=\"detail\">\(ReportFormat.scientific($0))</span>"
    }
    switch verdict.matchesOneWorker {
    case true?: return "<span class=\"quiet\">✓ yes</span>" + (difference ?? "")
    case false?: return "<span class=\"differs\">✗ no</span>" + (difference ?? "")
    case nil: return "<span class=\"detail\">not measured</span>"
    }
  }

  // MARK: - Footer

  public func htmlFooter() -> String {
    let run = [
      ("config", config + (overrides.isEmpty ? "" : " " + overrides.joined(separator: " "))),
      ("steps", "\(steps) per point, medians after \(warmup) warm-up steps"),
      (
        "model",
        "\(counted(layers, "layer")), d_model \(dModel), context \(context), "
          + "\(ReportFormat.grouped(Double(parameters))) parameters, \(normLayers) norm layers"
      ),
      ("parity tolerance", toleranceText),
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

  public var transports: [String] {
    CompareOrder.sorted(points.map(\.transport), CompareOrder.transports)
  }
  public var modes: [String] { CompareOrder.sorted(points.map(\.mode), CompareOrder.modes) }
  public var workerCounts: [Int] { Set(points.map(\.workers)).sorted() }

  /// `text` reduced to lowercase letters, digits and hyphens, for element ids.
  public func slug(_ text: String) -> String {
    String(text.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
  }
}
