import Foundation
import Reports
import XCTest

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// `ddp report RUN` on a real run: a tiny `ddp train` under `mpirun -np 2` (so the
/// communication chart has real collectives), its page parsed as XML and rendered in headless
/// Chromium, its CSV read back against metrics.jsonl, and the inputs it must refuse.
final class RunReportTests: XCTestCase {
  /// The chart ids the page promises (RunReport's documentation).
  let chartIDs = [
    "chart-loss", "chart-lr", "chart-grad-norm", "chart-tokens", "chart-step-time", "chart-comm",
    "chart-comm-bytes",
  ]

  /// One trained run shared by the tests of this class (training is the slow part); each test
  /// copies it when it changes files.
  nonisolated(unsafe) static var sharedRun: URL?

  var work: URL!

  override class func tearDown() {
    if let run = sharedRun {
      try? FileManager.default.removeItem(at: run.deletingLastPathComponent())
    }
    sharedRun = nil
    super.tearDown()
  }

  override func setUpWithError() throws { work = try temporaryWorkDirectory("ddp-run-report") }

  /// A 12-step, 2-worker run with evaluations at steps 6 and 12, trained once.
  func trainedRun() throws -> URL {
    if let run = Self.sharedRun { return run }
    let folder = try makeWorkDirectory("ddp-run-report-trained")
    let corpus = folder.appendingPathComponent("corpus.txt").path
    try writeMadeUpCorpus(to: corpus)
    let config = folder.appendingPathComponent("tiny.toml").path
    try """
    [model]
    d_model = 32
    n_heads = 4
    n_layers = 2
    context = 16
    norm = "syncbatchnorm"
    [train]
    steps = 12
    batch = 4
    warmup = 3
    eval_every = 6
    eval_batches = 2
    checkpoint_every = 12
    [data]
    path = "\(corpus)"
    val_fraction = 0.2
    """.write(toFile: config, atomically: true, encoding: .utf8)
    let out = folder.appendingPathComponent("run")
    let outcome = try runMPI(
      ["-np", "2", ddpExecutable, "train", "--config", config, "--out", out.path])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    Self.sharedRun = out
    return out
  }

  /// A copy of the trained run in this test's work folder, with `metrics` as its metrics.jsonl
  /// when given.
  func copyOfRun(metrics: String? = nil) throws -> URL {
    let copy = work.appendingPathComponent("run-copy")
    try FileManager.default.copyItem(at: try trainedRun(), to: copy)
    if let metrics {
      try metrics.write(
        to: copy.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
    }
    return copy
  }

  /// A metrics.jsonl line as the CSV test reads it, independently of `StepRecord`: every
  /// figure by its JSON key. (JSONDecoder, not JSONSerialization: on Linux the latter can
  /// round a long decimal to a neighbouring double.)
  struct MetricsLine: Decodable {
    struct Counters: Decodable {
      var seconds: Double
      var calls: Int
      var bytes: Int
    }
    var step: Int
    var loss: Double
    var lr: Double
    var grad_norm: Double
    var step_seconds: Double
    var tokens_per_s: Double
    var eval_loss: Double?
    var comm: [String: Counters]
    var compute_seconds: [String: Double]?

    func figure(_ key: String) -> Double? {
      [
        "loss": loss, "lr": lr, "grad_norm": grad_norm, "step_seconds": step_seconds,
        "tokens_per_s": tokens_per_s,
      ][key]
    }
  }

  func metricsLines(_ run: URL) throws -> [MetricsLine] {
    try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
      .split(separator: "\n").map {
        try JSONDecoder().decode(MetricsLine.self, from: Data($0.utf8))
      }
  }

  // MARK: - HTML

  func testReportIsWellFormedWithEveryChartAndTheRunsConfiguration() throws {
    let run = try copyOfRun()
    let outcome = try runDDP(["report", run.path])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    let page = run.appendingPathComponent("report.html")
    XCTAssertEqual(outcome.stdout, "ddp report: \(page.path)\n")
    let html = try String(contentsOf: page, encoding: .utf8)
    let svgs = try parsedXML(html)
    XCTAssertEqual(svgs.svgIDs, chartIDs)
    XCTAssertTrue(svgs.svgClasses.allSatisfy { $0 == "chart" }, "\(svgs.svgClasses)")
    XCTAssertNil(nonFiniteText(in: html), "no nan or inf written")
    for text in ["syncbatchnorm", "model.d_model", "Summary (summary.json)", "validation"] {
      XCTAssertTrue(html.contains(text), text)
    }
    // The other files of the run are untouched and no temporary file is left behind.
    let files = try FileManager.default.contentsOfDirectory(atPath: run.path).sorted()
    XCTAssertEqual(
      files,
      ["checkpoint-00000012.ckpt", "config.toml", "metrics.jsonl", "report.html", "summary.json"])
  }

  /// A skipped step's null loss (`train.skip_nonfinite`) leaves a gap in the loss line and a
  /// cross, never a NaN coordinate; a run without summary.json (stopped early) still reports.
  func testSkippedStepAndUnfinishedRunStillMakeAPage() throws {
    let lines = try String(
      contentsOf: try trainedRun().appendingPathComponent("metrics.jsonl"), encoding: .utf8
    ).split(separator: "\n").map(String.init)
    let skipped = lines[2].replacingOccurrences(
      of: #""loss":[^,]*,"#, with: #""loss":null,"skipped":true,"#, options: .regularExpression)
    XCTAssertNotEqual(skipped, lines[2])
    let run = try copyOfRun(
      metrics: ([lines[0], lines[1], skipped] + lines[3...]).joined(separator: "\n") + "\n")
    try FileManager.default.removeItem(at: run.appendingPathComponent("summary.json"))
    let out = work.appendingPathComponent("elsewhere.html")
    let outcome = try runDDP(["report", run.path, "--out", out.path])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    let html = try String(contentsOf: out, encoding: .utf8)
    XCTAssertEqual(try parsedXML(html).svgIDs, chartIDs)
    XCTAssertNil(nonFiniteText(in: html))
    XCTAssertTrue(html.contains("step 3 skipped"))
    XCTAssertTrue(html.contains("No summary.json"))

    // In the CSV the skipped step's loss is an empty cell and its `skipped` is true.
    let csv = try runDDP(["report", run.path, "--format", "csv"])
    XCTAssertEqual(csv.status, 0, csv.stderr)
    let rows = csv.stdout.split(separator: "\n").map {
      $0.split(separator: ",", omittingEmptySubsequences: false)
    }
    XCTAssertEqual(rows.count, lines.count + 1)
    XCTAssertEqual(rows[3][0], "3")
    XCTAssertEqual(rows[3][1], "", "a null loss is an empty cell")
    XCTAssertEqual(rows[3][7], "true")
    XCTAssertNil(nonFiniteText(in: csv.stdout))
  }

  /// Renders the page in headless Chromium and checks the PNG (Tests/python/check_screenshot.py):
  /// not blank, and every series' colour covers a good number of pixels.
  func testScreenshotShowsEveryChartColour() throws {
    let chromium = "/usr/bin/chromium"
    guard FileManager.default.isExecutableFile(atPath: chromium) else {
      throw XCTSkip("chromium is not installed (launch/setup installs it)")
    }
    let page = work.appendingPathComponent("report.html")
    let screenshot = work.appendingPathComponent("report.png")
    let outcome = try runDDP(["report", try trainedRun().path, "--out", page.path])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    let browser = try runProcess(
      "/usr/bin/timeout",
      [
        "60", chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--window-size=1280,2600", "--screenshot=\(screenshot.path)", page.absoluteString,
      ])
    XCTAssertEqual(browser.status, 0, browser.stderr)
    let colours = [
      "training": RunReport.Colour.trainingLoss, "validation": RunReport.Colour.validationLoss,
      "lr": RunReport.Colour.learningRate, "grad_norm": RunReport.Colour.gradientNorm,
      "tokens": RunReport.Colour.tokensPerSecond,
      "gradients": CommunicationSeries.all[0].colour,
      "norm_stats": CommunicationSeries.all[1].colour,
    ]
    let script = packageRoot.appendingPathComponent("Tests/python/check_screenshot.py").path
    let check = try runProcess(
      "/usr/bin/env",
      ["python3", script, screenshot.path]
        + colours.sorted { $0.key < $1.key }.map {
          "\($0.key)=\($0.value)"
        })
    XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
    let counts = try XCTUnwrap(try lastJSONLine(check.stdout)["colours"] as? [String: Int])
    XCTAssertEqual(Set(counts.keys), Set(colours.keys))

    if let sample = ProcessInfo.processInfo.environment["DDP_SAMPLE_RUN_REPORT"] {
      let target = URL(fileURLWithPath: sample)
      let image = target.deletingPathExtension().appendingPathExtension("png")
      for (source, destination) in [(page, target), (screenshot, image)] {
        try? FileManager.default.removeItem(at: destination)
        try FileManager.default.copyItem(at: source, to: destination)
      }
    }
  }

  /// The smoothing of long runs: a trailing mean that skips NaN (a skipped step's loss) and
  /// gives NaN, which the chart drops, only where its window holds no finite value.
  func testMovingAverageSkipsNonFiniteValues() {
    let points = [1.0, 3, .nan, 5, .nan, .nan].enumerated().map { (x: Double($0), y: $1) }
    let smoothed = RunReport.movingAverage(points, window: 2).map(\.y)
    XCTAssertEqual(Array(smoothed.prefix(4)), [1, 2, 3, 5])
    XCTAssertEqual(smoothed[4], 5)
    XCTAssertTrue(smoothed[5].isNaN)
  }

  // MARK: - CSV

  /// Every cell read back equals the value metrics.jsonl holds; one row per step.
  func testCSVHasOneRowPerStepWithTheMetricsValues() throws {
    let run = try trainedRun()
    let outcome = try runDDP(["report", run.path, "--format", "csv"])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    let rows = outcome.stdout.split(separator: "\n", omittingEmptySubsequences: false)
      .dropLast().map {
        $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      }
    XCTAssertEqual(outcome.stdout.last, "\n")
    let header = try XCTUnwrap(rows.first)
    XCTAssertEqual(
      Array(header.prefix(8)),
      ["step", "loss", "lr", "grad_norm", "step_seconds", "tokens_per_s", "eval_loss", "skipped"])
    XCTAssertTrue(header.contains("comm_norm_stats_calls"), "\(header)")
    let lines = try metricsLines(run)
    XCTAssertEqual(rows.count - 1, lines.count)
    var evaluations = 0
    for (row, line) in zip(rows.dropFirst(), lines) {
      XCTAssertEqual(row.count, header.count)
      let cells = Dictionary(uniqueKeysWithValues: zip(header, row))
      XCTAssertEqual(Int(cells["step"] ?? ""), line.step)
      for key in ["loss", "lr", "grad_norm", "step_seconds", "tokens_per_s"] {
        XCTAssertEqual(Double(cells[key] ?? ""), line.figure(key), key)
      }
      if let eval = line.eval_loss {
        evaluations += 1
        XCTAssertEqual(Double(cells["eval_loss"] ?? ""), eval)
      } else {
        XCTAssertEqual(cells["eval_loss"], "", "an absent value is an empty cell")
      }
      XCTAssertEqual(cells["skipped"], "false")
      XCTAssertEqual(line.comm.count, 3)
      for (category, counters) in line.comm {
        XCTAssertEqual(Double(cells["comm_\(category)_seconds"] ?? ""), counters.seconds)
        XCTAssertEqual(Int(cells["comm_\(category)_calls"] ?? ""), counters.calls)
        XCTAssertEqual(Int(cells["comm_\(category)_bytes"] ?? ""), counters.bytes)
      }
      let compute = try XCTUnwrap(line.compute_seconds, "every step records its compute")
      for key in ["mean", "slowest"] {
        XCTAssertEqual(Double(cells["compute_\(key)_seconds"] ?? ""), compute[key], key)
      }
    }
    XCTAssertEqual(evaluations, 2, "evaluations at steps 6 and 12")
    // Two workers with SyncBatchNorm: the CSV carries real norm-statistics collectives.
    let normCalls = try XCTUnwrap(header.firstIndex(of: "comm_norm_stats_calls"))
    XCTAssertTrue(rows.dropFirst().allSatisfy { (Int($0[normCalls]) ?? 0) > 0 })

    let file = work.appendingPathComponent("metrics.csv")
    let written = try runDDP(["report", run.path, "--format", "csv", "--out", file.path])
    XCTAssertEqual(written.status, 0, written.stderr)
    XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), outcome.stdout)
  }

  // MARK: - Bad inputs

  /// Each bad input ends with exit code 2 and exactly one line on standard error that says
  /// what is wrong.
  func testBadInputsExitTwoWithOneLine() throws {
    let good = try String(
      contentsOf: try trainedRun().appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    let file = work.appendingPathComponent("a-file")
    try "not a run".write(to: file, atomically: true, encoding: .utf8)
    let empty = work.appendingPathComponent("empty-run")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let emptyMetrics = work.appendingPathComponent("empty-metrics")
    try FileManager.default.createDirectory(at: emptyMetrics, withIntermediateDirectories: true)
    try "".write(
      to: emptyMetrics.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
    let garbage = try copyOfRun(metrics: good + "{\"step\": 13, garbage\n")
    let link = work.appendingPathComponent("link.html")
    try FileManager.default.createSymbolicLink(
      atPath: link.path, withDestinationPath: work.appendingPathComponent("elsewhere").path)
    let cases: [(arguments: [String], expected: String)] = [
      (["report", work.appendingPathComponent("missing").path], "does not exist"),
      (["report", file.path], "is not a run directory"),
      (["report", empty.path], "metrics.jsonl"),
      (["report", emptyMetrics.path], "holds no steps"),
      (["report", garbage.path], "metrics.jsonl\" line 13"),
      (["report", garbage.path, "--format", "csv"], "metrics.jsonl\" line 13"),
      (["report", try trainedRun().path, "--out", work.path], "it is a directory"),
      (["report", try trainedRun().path, "--out", link.path], "it is a symbolic link"),
      (
        ["report", try trainedRun().path, "--format", "csv", "--out", "/dev/null"], "not a regular"
      ),
      (["report", try trainedRun().path, "--format", "pdf"], "pdf"),
    ]
    for (arguments, expected) in cases {
      let outcome = try runDDP(arguments)
      XCTAssertEqual(outcome.status, 2, "\(arguments): \(outcome.stderr)")
      let lines = outcome.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, "\(arguments): \(outcome.stderr)")
      XCTAssertTrue(
        outcome.stderr.hasPrefix("ddp: ") && outcome.stderr.contains(expected),
        "\(arguments): \(outcome.stderr)")
      XCTAssertEqual(outcome.stdout, "", "\(arguments)")
    }
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: garbage.appendingPathComponent("report.html").path),
      "nothing is written for a damaged run")
  }

  // MARK: - Helpers

  func parsedXML(_ text: String) throws -> SVGCollector {
    let parser = XMLParser(data: Data(text.utf8))
    let collector = SVGCollector()
    parser.delegate = collector
    XCTAssertTrue(
      parser.parse(),
      "line \(parser.lineNumber): \(parser.parserError.map { "\($0)" } ?? "?")")
    return collector
  }

  /// The first `nan`, `inf` or `infinity` written as a word, ignoring case.
  func nonFiniteText(in text: String) -> String? {
    text.range(of: #"\b(nan|inf|infinity)\b"#, options: [.regularExpression, .caseInsensitive])
      .map { String(text[$0]) }
  }
}
