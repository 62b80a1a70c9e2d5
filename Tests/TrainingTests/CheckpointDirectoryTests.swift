import Foundation
import Training
import XCTest

final class CheckpointDirectoryTests: XCTestCase {
  func writeCheckpoints(_ steps: [Int], in scratch: ScratchDirectory) throws {
    let state = TrainingState(channels: 3)
    for step in steps {
      try state.write(
        metadata: sampleMetadata(step: step),
        to: scratch.path + "/" + Checkpoint.fileName(step: step))
    }
  }

  func testNewestIntactSkipsDamagedAndTemporaryFiles() throws {
    let scratch = try ScratchDirectory()
    XCTAssertNil(Checkpoint.newestIntact(inDirectory: scratch.path))
    XCTAssertNil(Checkpoint.newestIntact(inDirectory: scratch.path + "/missing"))

    try writeCheckpoints([100, 200, 300], in: scratch)
    XCTAssertEqual(
      Checkpoint.newestIntact(inDirectory: scratch.path),
      scratch.path + "/" + Checkpoint.fileName(step: 300))

    // 300 damaged by one byte, 1000 cut short, 2000 only a complete temporary file: 200 wins.
    let newest = Checkpoint.fileName(step: 300)
    var bytes = try scratch.bytes(newest)
    bytes[bytes.count / 2] ^= 1
    try scratch.write(bytes, to: newest)
    let good = try scratch.bytes(Checkpoint.fileName(step: 200))
    try scratch.write(Array(good.prefix(good.count / 2)), to: Checkpoint.fileName(step: 1000))
    try scratch.write(good, to: Checkpoint.fileName(step: 2000) + ".tmp-12345")
    try scratch.write(good, to: "notes.txt")
    // A name that is not UTF-8 is no checkpoint's, and does not hide the others.
    let odd =
      Array((scratch.path + "/checkpoint-9").utf8) + [0xFE, 0x2E, 0x63, 0x6B, 0x70, 0x74, 0]
    close(open(odd.map { CChar(bitPattern: $0) }, O_CREAT | O_WRONLY, 0o644))

    let found = try XCTUnwrap(Checkpoint.newestIntact(inDirectory: scratch.path))
    XCTAssertEqual(found, scratch.path + "/" + Checkpoint.fileName(step: 200))
    XCTAssertEqual(try Checkpoint.readMetadata(path: found).step, 200)
    XCTAssertEqual(
      Checkpoint.list(inDirectory: scratch.path).map(\.step), [1000, 300, 200, 100])
  }

  func testListOrdersByStepNotByName() throws {
    let scratch = try ScratchDirectory()
    try writeCheckpoints([99_999_999, 100_000_000, 5], in: scratch)
    XCTAssertEqual(
      Checkpoint.list(inDirectory: scratch.path + "/").map(\.step), [100_000_000, 99_999_999, 5])
    XCTAssertEqual(
      Checkpoint.newestIntact(inDirectory: scratch.path + "/"),
      scratch.path + "/checkpoint-100000000.ckpt")
  }

  func testPruneKeepsTheNewest() throws {
    let scratch = try ScratchDirectory()
    try writeCheckpoints([10, 20, 30, 40, 50], in: scratch)
    try scratch.write([1, 2, 3], to: "metrics.jsonl")

    let deleted = try Checkpoint.prune(directory: scratch.path, keep: 2)
    XCTAssertEqual(
      deleted, [30, 20, 10].map { scratch.path + "/" + Checkpoint.fileName(step: $0) })
    XCTAssertEqual(
      try scratch.contents(),
      [Checkpoint.fileName(step: 40), Checkpoint.fileName(step: 50), "metrics.jsonl"])

    XCTAssertEqual(try Checkpoint.prune(directory: scratch.path, keep: 5), [])
    try Checkpoint.prune(directory: scratch.path, keep: 0)  // never deletes the newest
    XCTAssertEqual(try scratch.contents(), [Checkpoint.fileName(step: 50), "metrics.jsonl"])
    XCTAssertEqual(try Checkpoint.prune(directory: scratch.path + "/missing", keep: 1), [])
  }

  func testAbandonedTemporariesOfDeadWritersAreRemoved() throws {
    let scratch = try ScratchDirectory()
    let finished = Process()
    finished.executableURL = URL(fileURLWithPath: "/bin/true")
    try finished.run()
    finished.waitUntilExit()
    let dead = Checkpoint.fileName(step: 5) + ".tmp-\(finished.processIdentifier)"
    let ours = Checkpoint.fileName(step: 6) + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
    for name in [dead, ours, "other.tmp-\(finished.processIdentifier)"] {
      try scratch.write([0], to: name)
    }
    XCTAssertEqual(
      Checkpoint.removeAbandonedTemporaries(inDirectory: scratch.path), [scratch.path + "/" + dead])
    XCTAssertEqual(try scratch.contents(), [ours, "other.tmp-\(finished.processIdentifier)"])
  }
}
