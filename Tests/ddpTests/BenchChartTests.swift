import Foundation
import XCTest

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// `ddp bench context --svg` and `ddp bench generate --svg`, run as a user would on tiny
/// shapes: the file is well-formed XML (a standalone SVG), holds one solid line per attention
/// kind with the kind (and, for the context chart, its slope) in the legend, and a target that
/// is not a regular file is refused in one line before anything is measured.
final class BenchChartTests: XCTestCase {
  func temporaryDirectory() throws -> String {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("ddp-charts-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
  }

  /// d_model 16, 2 heads, 1 layer, chunk 4: a step takes milliseconds.
  let tinyModel = "[model]\nd_model = 16\nn_heads = 2\nn_layers = 1\nchunk = 4\n"

  func testContextChartHasOneSolidLinePerKindAndSlopes() throws {
    let folder = try temporaryDirectory()
    let config = folder + "/tiny.toml"
    try tinyModel.write(toFile: config, atomically: true, encoding: .utf8)
    let svg = folder + "/context.svg"
    let outcome = try runDDP([
      "bench", "context", "--config", config, "--contexts", "8,16", "--long", "32",
      "--tokens", "32", "--repeats", "1", "--threads", "1", "--svg", svg,
    ])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    // Counts of one take the singular.
    XCTAssertTrue(outcome.stdout.contains("d_model 16, 1 layer, 2 heads, chunk 4"), outcome.stdout)
    XCTAssertTrue(outcome.stdout.contains("interleaved steps, 1 BLAS thread\n"), outcome.stdout)
    let chart = try parsedChart(svg)
    XCTAssertEqual(chart.root, "svg")
    // One solid polyline per kind over the fixed-token contexts, one dashed continuation each
    // to the long context.
    XCTAssertEqual(chart.polylines.filter { !$0.dashed }.count, 4, "\(chart.polylines)")
    XCTAssertEqual(chart.polylines.filter(\.dashed).count, 4, "\(chart.polylines)")
    XCTAssertEqual(chart.polylines.filter { !$0.dashed }.map(\.points), [2, 2, 2, 2])
    for kind in ["softmax", "linear", "fastweight", "fastweight_sum"] {
      XCTAssertTrue(
        chart.texts.contains { $0.hasPrefix("\(kind): slope ") }, "\(kind): \(chart.texts)")
    }
    XCTAssertTrue(chart.texts.contains { $0.contains("log-log") }, "\(chart.texts)")
  }

  func testGenerationChartHasOneLinePerKind() throws {
    let svg = try temporaryDirectory() + "/generate.svg"
    let outcome = try runDDP([
      "bench", "generate", "--context", "64", "--repeats", "1", "--window", "8",
      "--set", "model.d_model=16", "--set", "model.n_heads=2", "--set", "model.n_layers=1",
      "--positions", "16,32,64", "--svg", svg,
    ])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    XCTAssertTrue(outcome.stdout.contains("d_model 16, 2 heads, 1 layer, "), outcome.stdout)
    let chart = try parsedChart(svg)
    XCTAssertEqual(chart.root, "svg")
    XCTAssertEqual(chart.polylines.map(\.points), [3, 3, 3, 3], "\(chart.polylines)")
    XCTAssertFalse(chart.polylines.contains(where: \.dashed))
    for kind in ["softmax", "linear", "fastweight", "fastweight_sum"] {
      XCTAssertTrue(
        chart.texts.contains { $0.hasPrefix("\(kind) ×") }, "\(kind): \(chart.texts)")
    }
  }

  /// A directory, a FIFO or a symbolic link as --svg: one line naming the path, exit 2, and
  /// nothing measured (no table on standard output).
  func testTargetsThatAreNotRegularFilesAreRefusedInOneLine() throws {
    let folder = try temporaryDirectory()
    let fifo = folder + "/fifo"
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    let link = folder + "/link.svg"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fifo)
    let commands = [
      ["bench", "context", "--contexts", "8", "--long", "", "--tokens", "8", "--repeats", "1"],
      ["bench", "generate", "--context", "16", "--repeats", "1", "--window", "4"],
    ]
    for command in commands {
      for (target, reason) in [
        (folder, "directory"), (fifo, "not a regular file"), (link, "symbolic link"),
      ] {
        let outcome = try runDDP(command + ["--svg", target])
        XCTAssertEqual(outcome.status, 2, "\(command) \(target): \(outcome.stderr)")
        let lines = outcome.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains(target), outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains(reason), outcome.stderr)
        XCTAssertFalse(outcome.stdout.contains("ms/"), outcome.stdout)
      }
    }
  }

  /// Parses the SVG file at `path`, failing the test on an XML error.
  func parsedChart(_ path: String) throws -> ChartCollector {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let parser = XMLParser(data: data)
    let collector = ChartCollector()
    parser.delegate = collector
    XCTAssertTrue(
      parser.parse(),
      "line \(parser.lineNumber): \(parser.parserError.map { "\($0)" } ?? "?")")
    return collector
  }
}

/// The root element, every `<polyline>` (its point count, whether dashed) and every text of
/// an SVG chart, as XMLParser reads it.
final class ChartCollector: NSObject, XMLParserDelegate {
  var root: String?
  var polylines: [(points: Int, dashed: Bool)] = []
  var texts: [String] = []
  private var inText = false

  func parser(
    _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
    qualifiedName: String?, attributes: [String: String] = [:]
  ) {
    if root == nil { root = elementName }
    if elementName == "polyline" {
      let points = (attributes["points"] ?? "").split(separator: " ").count
      polylines.append((points, attributes["stroke-dasharray"] != nil))
    }
    if elementName == "text" {
      inText = true
      texts.append("")
    }
  }

  func parser(
    _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
    qualifiedName: String?
  ) {
    if elementName == "text" { inText = false }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if inText { texts[texts.count - 1] += string }
  }
}
