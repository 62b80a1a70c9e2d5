import Foundation
import Support
import XCTest

/// An output never replaces the command's own input, nor a file a training run keeps
/// (`ddp report --out RUN/metrics.jsonl` replaced the run's history and exited 0).
final class OutputTargetTests: XCTestCase {
  var folder = ""

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "output-target-\(UUID().uuidString)"
    try FileSystem.createDirectories(folder + "/run")
    try FileSystem.createDirectories(folder + "/plain")
    for name in ["run/metrics.jsonl", "run/config.toml", "plain/config.toml", "input.toml"] {
      try "x".write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
    }
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(atPath: folder)
  }

  func reason(_ path: String, inputs: [String] = []) -> String? {
    do {
      try FileSystem.requireNotAnInput(
        folder + "/" + path, inputs: inputs.map { folder + "/" + $0 })
      return nil
    } catch let error as FileError {
      return error.reason
    } catch {
      return "\(error)"
    }
  }

  /// The same file by any name: as given, through `./` and `..`, a hard link, a symbolic link.
  func testAnInputUnderAnyNameIsRefused() throws {
    XCTAssertEqual(link(folder + "/input.toml", folder + "/hard.toml"), 0)
    XCTAssertEqual(symlink(folder + "/input.toml", folder + "/soft.toml"), 0)
    for spelling in ["input.toml", "./input.toml", "plain/../input.toml", "hard.toml", "soft.toml"]
    {
      XCTAssertEqual(
        reason(spelling, inputs: ["input.toml"]),
        "it is an input of this command; choose another path", spelling)
    }
    XCTAssertNil(reason("other.svg", inputs: ["input.toml"]))
    XCTAssertNil(reason("plain/config.toml", inputs: ["input.toml"]), "another file, no run")
    XCTAssertNil(reason("input.toml", inputs: ["missing.toml"]))
  }

  /// A run folder's names, existing or not (a new checkpoint-N.ckpt would be read as the
  /// run's), in a folder that holds a run; the same names elsewhere are ordinary files.
  func testARunFoldersOwnFilesAreRefused() throws {
    for name in [
      "metrics.jsonl", "config.toml", "summary.json", "checkpoint-00000003.ckpt",
      "checkpoint-7.ckpt",
    ] {
      XCTAssertEqual(
        reason("run/" + name),
        "\(name) is a training run's own file (its folder holds a run); choose another path", name)
      XCTAssertNil(reason("plain/" + name), name)
    }
    for name in ["report.html", "checkpoint-x.ckpt", "checkpoint-.ckpt", "metrics.jsonl.svg"] {
      XCTAssertNil(reason("run/" + name), name)
    }
    // A folder holding only checkpoints is a run too (its metrics.jsonl lost).
    try FileSystem.createDirectories(folder + "/bare")
    try "x".write(
      toFile: folder + "/bare/checkpoint-00000001.ckpt", atomically: true, encoding: .utf8)
    XCTAssertNotNil(reason("bare/summary.json"))
  }
}
