import Experiments
import Foundation
import Reports
import XCTest

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Each experiment's report from made-up jobs: well-formed XML with the charts it promises
/// and, rendered in headless Chromium, every placement's colour drawn.
final class ExperimentReportTests: XCTestCase {
  let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  let settings = ExperimentSettings(size: .quick, workers: 2, seeds: [1, 2], overrides: [])

  /// Jobs with every series filled: norms falling with the block index, a loss curve, a
  /// validation loss; one Post-LN run diverged.
  func madeUpJobs(_ experiment: any Experiment) throws -> [ExperimentJob] {
    try experiment.jobs().enumerated().map { index, spec in
      var job = spec.record
      let l = job.layers
      // Placements apart, so no line hides another.
      let apart: Double = job.placement == "post" ? 1 : job.placement == "pre" ? 3 : 9
      let seedShift = 0.01 * Double(job.seed)
      let falling: [Double] = (0..<l).map { 1 / Double($0 + 1) }
      job.gradientNorms = [
        "mlp.proj": falling.map { apart * (0.1 * $0 + seedShift) },
        "attn.qkv": falling.map { apart * 0.2 * $0 },
      ]
      job.updateRatios = (0..<(2 * l)).map { apart / Double($0 + 1) }
      if job.steps > 0 {
        let steps = Double(job.steps)
        job.lossCurve = (0..<job.steps).map { step -> Double in
          5.5 - 2 * Double(step) / steps + 0.2 * apart
        }
        job.validationLoss = 3.5 + 0.01 * Double(index % 7)
        if job.placement == "post" && job.warmup == 0 && job.seed == 1 {
          job.status = "diverged"
          job.divergedAtStep = 40
          job.lossCurve = Array(job.lossCurve!.prefix(39))
          job.validationLoss = nil
        }
      }
      return job
    }
  }

  func page(_ experiment: any Experiment) throws -> String {
    let jobs = try madeUpJobs(experiment)
    let results = ExperimentResults(
      experiment: type(of: experiment).name, size: "quick", workers: 2, seeds: [1, 2],
      overrides: [], date: "2026-12-03T00:00:00Z", host: "test", cores: 2, jobs: jobs,
      claims: experiment.claims(jobs))
    // The results survive a round trip through their JSON, NaN and infinity included.
    let decoded = try ExperimentResults.decoded(from: try results.encoded())
    XCTAssertEqual(decoded.jobs, results.jobs)
    XCTAssertEqual(decoded.claims, results.claims)
    return results.html(
      title: experiment.title, summary: "made-up data", figures: experiment.figures(jobs))
  }

  func testEveryReportIsWellFormedWithItsCharts() throws {
    let expected: [(any Experiment, [String])] = [
      (
        GradientsExperiment(settings: settings),
        ["chart-layers-xavier", "chart-layers-gpt2", "chart-depth-xavier", "chart-depth-gpt2"]
      ),
      (WarmupExperiment(settings: settings), ["chart-loss-lr0.001", "chart-final"]),
      (
        DepthExperiment(settings: settings),
        ["chart-loss", "chart-update-ratio", "chart-gradients"]
      ),
    ]
    for (experiment, charts) in expected {
      let html = try page(experiment)
      let parser = XMLParser(data: Data(html.utf8))
      XCTAssertTrue(parser.parse(), "\(type(of: experiment).name): line \(parser.lineNumber)")
      for id in charts {
        XCTAssertTrue(html.contains("id=\"\(id)\""), "\(type(of: experiment).name): \(id)")
      }
      XCTAssertNil(
        html.range(of: #"="[^"]*\bnan\b"#, options: .regularExpression),
        "a NaN coordinate in \(type(of: experiment).name)")
    }
  }

  /// Renders each page in headless Chromium and checks the PNG with
  /// Tests/python/check_screenshot.py: not blank, and each placement's colour drawn.
  func testScreenshotsShowEveryPlacement() throws {
    let chromium = "/usr/bin/chromium"
    guard FileManager.default.isExecutableFile(atPath: chromium) else {
      throw XCTSkip("chromium is not installed (launch/setup installs it)")
    }
    let work = FileManager.default.temporaryDirectory
      .appendingPathComponent("ddp-experiment-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: work) }
    let experiments: [any Experiment] = [
      GradientsExperiment(settings: settings), WarmupExperiment(settings: settings),
      DepthExperiment(settings: settings),
    ]
    for experiment in experiments {
      let name = type(of: experiment).name
      let html = work.appendingPathComponent("\(name).html")
      let png = work.appendingPathComponent("\(name).png")
      try page(experiment).write(to: html, atomically: true, encoding: .utf8)
      let browser = try run(
        "/usr/bin/timeout",
        [
          "60", chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
          "--window-size=1280,2400", "--screenshot=\(png.path)", html.absoluteString,
        ])
      XCTAssertEqual(browser.status, 0, "\(name): \(browser.output)")
      let script = packageRoot.appendingPathComponent("Tests/python/check_screenshot.py").path
      let check = try run(
        "/usr/bin/env",
        ["python3", script, png.path, "post=#D55E00", "pre=#0072B2", "residual=#009E73"])
      XCTAssertEqual(check.status, 0, "\(name): \(check.output)")
    }
  }

  func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = FileManager.default.temporaryDirectory
      .appendingPathComponent("ddp-output-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: output.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: output) }
    let handle = try FileHandle(forWritingTo: output)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    try handle.close()
    return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
  }
}
