import Foundation
import Support

/// One titled group of charts in an experiment's report.
public struct ReportFigure: Sendable {
  public var title: String
  public var caption: String
  /// Rendered `<svg class="chart" id="chart-…">` elements.
  public var charts: [String]

  public init(title: String, caption: String, charts: [String]) {
    (self.title, self.caption, self.charts) = (title, caption, charts)
  }
}

extension ExperimentResults {
  /// The experiment as one self-contained HTML page (inline CSS and SVG, no scripts, nothing
  /// fetched): the title, one row per claim (the paper's statement and number, the prediction
  /// at this scale, our measurement with its spread, the rule and the verdict), the figures,
  /// a table of every job, and a footer with the machine and the sweep.
  public func html(title: String, summary: String, figures: [ReportFigure]) -> String {
    let sections = figures.map {
      CompareReportStyle.section($0.title, caption: $0.caption, charts: $0.charts)
    }
    let body =
      [
        "<h1>\(title.xmlEscaped)</h1>",
        "<p class=\"subtitle\">ddp experiment \(experiment) --\(size): \(counted(jobs.count, "job")), "
          + "\(counted(workers, "worker")) each, seeds "
          + seeds.map(String.init).joined(separator: ", ") + ", \(date.xmlEscaped)</p>",
        "<div class=\"headline\"><p>\(summary.xmlEscaped)</p></div>",
        claimsTable(),
      ] + sections + [jobsTable(), footer()]
    return CompareReportStyle.page(title: title, body: body)
  }

  /// The claims as a Markdown table, then one line per verdict rule.
  public func markdownSummary() -> String {
    var lines = [
      "| claim | paper | prediction here | measured | verdict |",
      "|---|---|---|---|---|",
    ]
    for c in claims {
      let cells = [c.claim, c.paper, c.prediction, c.measured, "**\(c.verdict.rawValue)**"]
      lines.append(
        "| "
          + cells.map { $0.replacingOccurrences(of: "|", with: "/") }
          .joined(separator: " | ") + " |")
    }
    lines.append("")
    for (i, c) in claims.enumerated() { lines.append("Rule \(i + 1): \(c.rule)") }
    return lines.joined(separator: "\n")
  }

  func claimsTable() -> String {
    let rows = claims.map { c -> String in
      let style =
        c.verdict == .reproduced ? "quiet" : c.verdict == .notReproduced ? "differs" : "sync"
      return "<tr><td>\(c.claim.xmlEscaped)</td><td>\(c.paper.xmlEscaped)</td>"
        + "<td>\(c.prediction.xmlEscaped)</td><td>\(c.measured.xmlEscaped)</td>"
        + "<td><span class=\"\(style)\">\(c.verdict.rawValue)</span>"
        + "<div class=\"detail\">\(c.rule.xmlEscaped)</div></td></tr>"
    }
    return "<section>\n<h2>Claims</h2>\n<table class=\"summary\">\n<tr><th>claim</th>"
      + "<th>paper</th><th>prediction at this scale</th><th>measured (spread over seeds)</th>"
      + "<th>verdict (rule)</th></tr>\n" + rows.joined(separator: "\n") + "\n</table>\n</section>"
  }

  func jobsTable() -> String {
    let rows = jobs.map { j -> String in
      let cells = [
        j.name, j.placement, j.initialization, "\(j.layers)", "\(j.dModel)", "\(j.seed)",
        j.steps > 0 ? String(format: "%g", j.lr) : "", j.steps > 0 ? "\(j.warmup)" : "",
        j.steps > 0 ? "\(j.steps)" : "",
        j.status + (j.divergedAtStep.map { " at step \($0)" } ?? ""),
        j.validationLoss.map { String(format: "%.4f", $0) } ?? "",
        String(format: "%.1f", j.seconds),
      ]
      return "<tr>" + cells.map { "<td>\($0.xmlEscaped)</td>" }.joined() + "</tr>"
    }
    let head = [
      "job", "placement", "init", "L", "d", "seed", "lr", "warmup", "steps", "status",
      "val loss", "s",
    ]
    return "<section>\n<h2>Jobs</h2>\n<table class=\"summary\">\n<tr>"
      + head.map { "<th>\($0)</th>" }.joined() + "</tr>\n" + rows.joined(separator: "\n")
      + "\n</table>\n</section>"
  }

  func footer() -> String {
    "<footer><dl><dt>host</dt><dd>\(host.xmlEscaped), \(cores) logical cores</dd>"
      + "<dt>overrides</dt><dd>\(overrides.isEmpty ? "none" : overrides.joined(separator: " ").xmlEscaped)</dd>"
      + "<dt>files</dt><dd>results.json (schema: README, Experiments); each job's config, log "
      + "and output under jobs/</dd></dl></footer>"
  }
}
