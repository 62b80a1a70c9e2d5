import Foundation
import XCTest

/// `eval` and `probe` on a corpus changed since the checkpoint was written: they use it (that
/// may be meant), with one note on standard error; on the unchanged corpus, no note.
final class ChangedDataNoteTests: XCTestCase {
  func testEvalAndProbeNoteAChangedCorpus() throws {
    let work = try makeWorkDirectory("ddp-changed-data")
    defer { try? FileManager.default.removeItem(at: work) }
    let corpus = work.path + "/corpus.txt"
    try writeMadeUpCorpus(to: corpus)
    let config = try writeTinyRunConfig(in: work, corpus: corpus)
    let run = work.path + "/run"
    let trained = try runDDP(["train", "--config", config, "--out", run])
    XCTAssertEqual(trained.status, 0, trained.stderr)
    let commands = [
      ["eval", "--checkpoint", run], ["probe", "--checkpoint", run, "--batches", "1"],
    ]
    for arguments in commands {
      let outcome = try runDDP(arguments)
      XCTAssertEqual(outcome.status, 0, "\(arguments): \(outcome.stderr)")
      XCTAssertEqual(outcome.stderr, "", "\(arguments)")
    }
    let file = try FileHandle(forWritingTo: URL(fileURLWithPath: corpus))
    try file.seekToEnd()
    try file.write(contentsOf: Data("\n\na paragraph added after the run\n".utf8))
    try file.close()
    for arguments in commands {
      let outcome = try runDDP(arguments)
      XCTAssertEqual(outcome.status, 0, "\(arguments): \(outcome.stderr)")
      let lines = outcome.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, "\(arguments): \(outcome.stderr)")
      XCTAssertTrue(
        outcome.stderr.hasPrefix(
          "ddp: note: \"\(corpus)\" changed since the checkpoint was written"),
        outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains("using it as it is now"), outcome.stderr)
    }
  }
}
