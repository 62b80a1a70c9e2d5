import Foundation
import XCTest

/// `launch/readme-check`, the runner of the README's commands. Running them all takes over two
/// minutes on this machine (135 s with 8 commands, load 9), so the suite checks only its plan:
/// which commands it finds and skips. Run `launch/readme-check` itself for the real thing.
final class ReadmeCheckTests: XCTestCase {
  let script = packageRoot.appendingPathComponent("launch/readme-check").path

  func testPlanRunsTheQuickCommandsAndNamesEverySkip() throws {
    let outcome = try runProcess("/usr/bin/python3", [script, "--list"])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    let lines = outcome.stdout.split(separator: "\n").map(String.init)
    XCTAssertGreaterThan(lines.count, 10, outcome.stdout)
    for line in lines {
      XCTAssertTrue(line.hasPrefix("run\t") || line.hasPrefix("skip "), line)
      // A skip says why: marked (long), or needing what a skipped command would write.
      if line.hasPrefix("skip ") {
        XCTAssertTrue(line.hasPrefix("skip (long)") || line.hasPrefix("skip needs "), line)
      }
    }
    let modelCost = try XCTUnwrap(lines.first { $0.contains("ddp model-cost") }, outcome.stdout)
    XCTAssertTrue(modelCost.hasPrefix("run\t"), modelCost)
    // The refusal the README demonstrates is run, and checked against its shown line.
    XCTAssertTrue(lines.contains { $0.hasPrefix("run\t") && $0.contains("batchnorn") })
    // What a skipped training would have made is skipped too, not run and failed.
    let sample = try XCTUnwrap(lines.first { $0.contains("sample --checkpoint runs/fortunes") })
    XCTAssertTrue(sample.hasPrefix("skip needs runs/fortunes"), sample)
  }

  /// Every file a quick command reads from the repository is committed (a fresh clone has it).
  func testTheFitFileOfTheModelCostExampleIsCommitted() throws {
    let outcome = try runProcess(
      "/usr/bin/git",
      [
        "-C", packageRoot.path, "ls-files", "--error-unmatch",
        "docs/results/allreduce-cluster-2w.log",
      ])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
  }

  func testBadArgumentsAreOneLine() throws {
    let outcome = try runProcess("/usr/bin/python3", [script, "--fast"])
    XCTAssertEqual(outcome.status, 2)
    XCTAssertEqual(
      outcome.stderr,
      "launch/readme-check: unknown argument '--fast' (accepted: --all, --list, --keep)\n")
  }
}
