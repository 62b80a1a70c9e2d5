import Foundation
import Support
import Training

/// One `ddp train` run directory as a self-contained HTML page (`ddp report RUN`): what a user
/// would otherwise plot by hand from `metrics.jsonl`.
///
/// Top to bottom: a header with the run's configuration (a few keys of `config.toml`) and, when
/// the run finished, the figures of `summary.json`; then the charts, each an
/// `<svg class="chart" id="chart-…">`:
/// - `chart-loss`: training loss per step, validation loss markers where the run evaluated,
///   crosses under the curve for skipped (non-finite) steps;
/// - `chart-lr`: the learning rate;
/// - `chart-grad-norm`: the gradient norm before clipping, log scale (it spans decades early
///   in training), with `train.clip` as a rule;
/// - `chart-tokens`: tokens/s over all workers, with the median as a rule;
/// - `chart-step-time`: the step's wall time on rank 0, the workers' own compute (mean and
///   slowest CPU seconds outside collectives) where the run recorded it;
/// - `chart-comm`, `chart-comm-bytes`: milliseconds and kilobytes per step in collectives, per
///   category (gradients, norm statistics, control).
///
/// On runs longer than `smoothingThreshold` steps the loss, gradient norm and tokens/s are
/// drawn faint with a moving average over 1% of the steps on top.
///
/// Inline CSS and SVG only (`CompareReportStyle.page`): no scripts, nothing fetched, so the
/// page opens from disk and renders in a headless browser.
public struct RunReport {
  public let run: RunMeasurement
  /// The text of `RUN/config.toml`, nil when the run has none.
  public let configText: String?
  /// `RUN/summary.json`, nil while the run has not finished.
  public let summary: RunSummary?

  public init(run: RunMeasurement, configText: String?, summary: RunSummary?) {
    (self.run, self.configText, self.summary) = (run, configText, summary)
  }

  /// Reads `directory`: metrics.jsonl (required), config.toml and summary.json (each when
  /// present).
  ///
  /// - Throws: `RunError` when `directory` is missing or not a directory, when metrics.jsonl is
  ///   missing or holds no steps, or when a file that is there cannot be read;
  ///   `JSONReadError` naming the file and line of a damaged metrics line or summary.
  public init(directory: String) throws {
    switch FileSystem.existingKind(of: directory) {
    case nil:
      throw RunError("\(MessageText.quoted(directory)) does not exist")
    case .file, .other:
      throw RunError("\(MessageText.quoted(directory)) is not a run directory")
    case .directory:
      break
    }
    let configPath = FileSystem.join(directory, "config.toml")
    let summaryPath = FileSystem.join(directory, "summary.json")
    let configText: String?
    do {
      configText =
        FileSystem.existingKind(of: configPath) == nil
        ? nil : try FileSystem.text(of: configPath)
    } catch { throw RunError("\(error)") }
    self.init(
      run: try RunMeasurement(directory: directory), configText: configText,
      summary: FileSystem.existingKind(of: summaryPath) == nil
        ? nil : try RunSummary.read(path: summaryPath))
  }

  /// `section.key` → value of config.toml (empty without one).
  var config: [String: String] { configText.map(Self.configEntries) ?? [:] }

  /// The configuration keys the header shows, in this order, when config.toml has them.
  public static let headerKeys = [
    "model.norm", "model.placement", "model.attention", "model.n_layers", "model.d_model",
    "model.n_heads", "model.context", "train.steps", "train.batch", "train.lr",
    "train.schedule", "train.warmup", "train.clip", "data.path",
  ]

  /// The page.
  public func html() -> String {
    let name = URL(fileURLWithPath: run.directory).standardizedFileURL.lastPathComponent
    let body = [
      header(name: name), lossSection(), optimizerSection(), communicationSection(),
    ]
    return CompareReportStyle.page(title: "ddp run: \(name)", body: body)
  }

  // MARK: - Header

  func header(name: String) -> String {
    let first = run.steps.first?.step ?? 0
    let last = run.steps.last?.step ?? 0
    let evaluated = run.steps.filter { $0.evalLoss != nil }.count
    let skipped = run.steps.filter(\.skipped).count
    let subtitle =
      "ddp report · \(run.directory) · steps \(first)–\(last) (\(run.steps.count) lines of "
      + "metrics.jsonl) · \(counted(evaluated, "evaluation"))"
      + (skipped > 0 ? " · \(counted(skipped, "skipped step"))" : "")
    var lines = [
      "<header>", "<h1>Training run \(name.xmlEscaped)</h1>",
      "<p class=\"subtitle\">\(subtitle.xmlEscaped)</p>", "</header>",
    ]
    let shown = Self.headerKeys.compactMap { key in config[key].map { (key, $0) } }
    let configuration = definitionList(
      "Configuration (config.toml)", shown,
      empty: configText == nil ? "The run has no config.toml." : "No model or train keys.")
    let figures =
      summary.map { definitionList("Summary (summary.json)", summaryEntries($0), empty: "") }
      ?? "<h3>Summary</h3>\n<p class=\"note\">No summary.json: the run has not finished "
      + "(or stopped early).</p>"
    // Side by side: the two lists are short, and the charts start higher on the page.
    lines.append("<div class=\"grid\">\n<div>\(configuration)</div>\n<div>\(figures)</div>\n</div>")
    return lines.joined(separator: "\n")
  }

  func summaryEntries(_ s: RunSummary) -> [(String, String)] {
    let comm = s.comm
    return [
      ("steps", "\(s.steps)"),
      ("workers", "\(s.workers)"),
      ("parameters", ReportFormat.grouped(Double(s.parameters))),
      ("final train loss", ReportFormat.loss(s.finalTrainLoss)),
      ("final validation loss", ReportFormat.loss(s.finalValidationLoss)),
      ("wall time", s.wallSeconds.isFinite ? fmt(s.wallSeconds, 1) + " s" : "-"),
      ("tokens/s", ReportFormat.grouped(s.tokensPerSecond)),
      ("peak memory (rank 0)", s.peakMemoryMB > 0 ? fmt(s.peakMemoryMB, 0) + " MB" : "-"),
    ]
      + CommunicationSeries.all.map { series in
        let counters = comm[series.category]
        return (
          "\(series.label) collectives",
          "\(counted(counters.calls, "call")), \(ReportFormat.bytes(Double(counters.bytes))), "
            + "\(fmt(counters.seconds, 3)) s"
        )
      }
  }

  func definitionList(_ title: String, _ entries: [(String, String)], empty: String) -> String {
    guard !entries.isEmpty else {
      return "<h3>\(title.xmlEscaped)</h3>\n<p class=\"note\">\(empty.xmlEscaped)</p>"
    }
    return "<h3>\(title.xmlEscaped)</h3>\n<dl>"
      + entries.map { "<dt>\($0.0.xmlEscaped)</dt><dd>\($0.1.xmlEscaped)</dd>" }.joined()
      + "</dl>"
  }

  /// `section.key` → value text of a TOML file's `key = value` lines (values as written,
  /// quotes of strings removed); comments, arrays of tables and anything else are skipped. The
  /// header only shows values, so a line this does not understand is left out rather than
  /// refused.
  public static func configEntries(_ toml: String) -> [String: String] {
    var section = ""
    var entries: [String: String] = [:]
    for rawLine in toml.split(separator: "\n") {
      let line = rawLine.trimmingCharacters(in: .whitespaces)
      if line.hasPrefix("[") {
        section = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
        continue
      }
      guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { continue }
      let key = line[..<equals].trimmingCharacters(in: .whitespaces)
      var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
      if value.hasPrefix("\""), let close = value.dropFirst().firstIndex(of: "\"") {
        value = String(value[value.index(after: value.startIndex)..<close])
      } else if let comment = value.firstIndex(of: "#") {
        value = value[..<comment].trimmingCharacters(in: .whitespaces)
      }
      entries[section.isEmpty ? key : section + "." + key] = value
    }
    return entries
  }
}
