import ArgumentParser
import Reports
import Support
import Training

/// `ddp report RUN`: one training run as an HTML page of charts, or its metrics as CSV.
///
/// Reading and rendering are `RunReport` and `RunMetricsCSV` (Reports); this command picks the
/// target, refuses to write over anything but a regular file, and turns every input problem
/// into one line on standard error with exit code 2.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Plot a training run as an HTML page, or export its metrics.jsonl as CSV.",
    discussion: """
      RUN is a `ddp train --out` directory. The page shows training and validation loss, \
      learning rate, gradient norm, tokens/s and communication per step, with the run's \
      configuration and summary; it is self-contained (inline SVG, no scripts) and is written \
      atomically to RUN/report.html unless --out names another file. With --format csv the \
      metrics go to standard output (or --out), one row per step, an empty cell for a value \
      the step does not have.

      Examples:
        ddp report runs/fortunes
        ddp report runs/fortunes --format csv > fortunes.csv
      """)

  /// What `ddp report` writes.
  enum Format: String, ExpressibleByArgument, CaseIterable {
    case html, csv
  }

  @Argument(help: ArgumentHelp("The run directory (ddp train --out).", valueName: "RUN"))
  var directory: String
  @Option(
    parsing: .unconditional,
    help: "The file to write (default: RUN/report.html; CSV: standard output).")
  var out: String?
  @Option(parsing: .unconditional, help: "html or csv.") var format = Format.html

  func run() throws {
    // One process's work: under mpirun rank 0 alone does it and prints it once.
    guard isLaunchedRankZero else { return }
    let target = out ?? (format == .html ? FileSystem.join(directory, "report.html") : nil)
    let text = try reportingInputErrors { () throws -> String in
      let report = try RunReport(directory: directory)
      if let target {
        try FileSystem.requireWritableTarget(target, replacing: true, hint: "")
        try FileSystem.requireNotAnInput(target, inputs: [])
      }
      return format == .html ? report.html() : RunMetricsCSV.text(report.run.steps)
    }
    guard let target else {
      print(text, terminator: "")
      return
    }
    try reportingInputErrors { try AtomicFile.write(text: text, to: target) }
    print("ddp report: \(target)")
  }
}
