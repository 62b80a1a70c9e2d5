import Foundation
import Training
import XCTest

/// A resumed run's folder where a name the run writes is taken by a symbolic link, a directory
/// or a FIFO is refused before any step. A linked metrics.jsonl was cut back and appended to
/// through the link; a directory named summary.json or checkpoint-N.ckpt failed the run only
/// after a step was trained.
final class RunFolderFilesTests: XCTestCase {
  func testNamesTheRunWritesMustBeRegularFiles() throws {
    let base = NSTemporaryDirectory() + "run-folder-files-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: base) }
    let victim = base + "-victim.txt"
    defer { try? FileManager.default.removeItem(atPath: victim) }
    try "not metrics\n".write(toFile: victim, atomically: true, encoding: .utf8)
    let cases: [(name: String, make: (String) -> Int32, what: String)] = [
      ("metrics.jsonl", { symlink(victim, $0) }, "a symbolic link"),
      ("summary.json", { mkdir($0, 0o755) }, "a directory"),
      ("summary.json", { symlink(victim, $0) }, "a symbolic link"),
      ("checkpoint-00000004.ckpt", { mkdir($0, 0o755) }, "a directory"),
      ("metrics.jsonl", { mkfifo($0, 0o600) }, "not a regular file"),
    ]
    for (index, (name, make, what)) in cases.enumerated() {
      let run = base + "/run-\(index)"
      try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
      try "[model]\n".write(toFile: run + "/config.toml", atomically: true, encoding: .utf8)
      XCTAssertEqual(make(run + "/" + name), 0, name)
      XCTAssertThrowsError(
        try RunDirectory(path: run, configTOML: "[model]\n", resuming: true, resumedStep: 3)
      ) { error in
        XCTAssertEqual(
          "\(error)",
          "run: run directory \"\(run)\" holds \"\(name)\", which is \(what); the run writes "
            + "that name itself as a regular file (move it away)", "\(index)")
      }
    }
    XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "not metrics\n")
  }
}
