import Foundation
import Models
import Support
import Training
import XCTest

/// Every kind of bad checkpoint is refused with one line naming the file and the problem, and
/// loading never writes into the model before the whole file has been checked.
final class CheckpointDamageTests: XCTestCase {
  var scratch: ScratchDirectory!
  var path = ""
  var good: [UInt8] = []
  var headerEnd = 0

  override func setUpWithError() throws {
    scratch = try ScratchDirectory()
    path = scratch.path + "/" + Checkpoint.fileName(step: 500)
    try TrainingState(channels: 3).write(metadata: sampleMetadata(), to: path)
    good = try scratch.bytes(Checkpoint.fileName(step: 500))
    headerEnd = 16 + Int(littleEndianWord(good, at: 8))
  }

  override func tearDown() { scratch = nil }

  /// Loads `bytes` from a file as the training tool would; returns the message.
  func refusal(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> String {
    let damagedPath = scratch.path + "/damaged.ckpt"
    XCTAssertTrue(FileManager.default.createFile(atPath: damagedPath, contents: Data(bytes)))
    let model = TrainingState(channels: 3, filled: false)
    do {
      try model.load(from: damagedPath)
      XCTFail("a damaged checkpoint was loaded", file: file, line: line)
      return ""
    } catch {
      let message = "\(error)"
      XCTAssertTrue(error is CheckpointError, message, file: file, line: line)
      XCTAssertTrue(message.hasPrefix("checkpoint: "), message, file: file, line: line)
      XCTAssertFalse(message.contains("\n"), message, file: file, line: line)
      XCTAssertTrue(message.contains(damagedPath), message, file: file, line: line)
      XCTAssertTrue(
        model.allBits.allSatisfy { $0.allSatisfy { $0 == 0 } },
        "the model was written before the file was refused", file: file, line: line)
      XCTAssertThrowsError(try Checkpoint.read(path: damagedPath), file: file, line: line)
      XCTAssertThrowsError(try Checkpoint.readMetadata(path: damagedPath), file: file, line: line)
      return message
    }
  }

  func testTruncatedFilesAreRefused() {
    let cuts =
      [0, 3, 8, 15, 16, 17, headerEnd - 1, headerEnd, headerEnd + 40, good.count - 9]
      + [good.count - 8, good.count - 1]
    for cut in cuts {
      let message = refusal(Array(good[..<cut]))
      XCTAssertTrue(message.contains("is truncated"), "cut at \(cut): \(message)")
    }
    XCTAssertEqual(
      refusal(Array(good[..<(headerEnd + 40)])),
      "checkpoint: \"\(scratch.path)/damaged.ckpt\" is truncated (\(headerEnd + 40) bytes; its "
        + "header describes \(good.count))")
  }

  func testFlippedBytesAreRefusedAsChecksumMismatch() {
    for offset in [headerEnd - 20, headerEnd + 1, (headerEnd + good.count) / 2, good.count - 1] {
      var bytes = good
      bytes[offset] ^= 0x10
      let message = refusal(bytes)
      XCTAssertTrue(
        message.contains("is damaged (checksum mismatch); it holds 0x"), "at \(offset): \(message)")
    }
  }

  /// Every single flipped bit anywhere in the file is refused (some as bad magic or a bad
  /// header length rather than a checksum mismatch), from memory without a crash.
  func testEveryFlippedBitIsRefused() {
    for offset in 0..<good.count {
      for bit in [0, 7] {
        var bytes = good
        bytes[offset] ^= 1 << bit
        XCTAssertThrowsError(try Checkpoint.read(bytes: bytes), "byte \(offset) bit \(bit)") {
          XCTAssertTrue("\($0)".hasPrefix("checkpoint: \"<memory>\" is "), "\($0)")
        }
      }
    }
  }

  func testWrongMagicIsRefused() {
    var bytes = good
    bytes[7] = UInt8(ascii: "2")
    XCTAssertEqual(
      refusal(bytes),
      "checkpoint: \"\(scratch.path)/damaged.ckpt\" is not a checkpoint (it does not start with "
        + "DDPCKPT1)")
    XCTAssertTrue(
      refusal(Array("PK\u{3}\u{4} a zip file, not a checkpoint".utf8)).contains("not a checkpoint"))
  }

  func testBadHeadersWithValidChecksumsAreRefused() {
    let cases: [(header: String, expected: String)] = [
      ("not json at all", "is malformed (header: not a JSON object with a format_version)"),
      ("[1, 2, 3]", "is malformed (header: not a JSON object with a format_version)"),
      (#"{"format_version": 2}"#, "is malformed (header: format version 2; this build reads 1)"),
      (#"{"format_version": 1}"#, "is malformed (header: metadata is missing)"),
      (String(repeating: "[", count: 100_000), "is malformed (header: JSON nested 100000 deep)"),
    ]
    for (header, expected) in cases {
      let message = refusal(assembleCheckpoint(header: Array(header.utf8)))
      XCTAssertTrue(message.hasSuffix(expected), message)
    }
  }

  func testHeaderFieldsAreValidated() throws {
    let original = String(decoding: checkpointHeader(good), as: UTF8.self)
    let data = Array(good[headerEnd..<good.count - 8])
    let edits: [(from: String, to: String, expected: String)] = [
      ("\"workers\":4", "\"workers\":-4", "(header: workers -4 is not positive)"),
      ("\"step\":500", "\"step\":\"500\"", "(header: metadata.step has the wrong type)"),
      (
        "\"18446744073709551615\"", "\"18446744073709551616\"",
        "(header: metadata.sampler_state: expected four unsigned 64-bit integers as decimal "
          + "strings)"
      ),
      (
        "\"shape\":[7,3]", "\"shape\":[-7,-3]",
        "tensor wte.weight has the impossible shape (-7, -3))"
      ),
      (
        "\"shape\":[7,3]", "\"shape\":[4611686018427387904,4]",
        "tensor wte.weight has the impossible shape (4611686018427387904, 4))"
      ),
      (
        "\"name\":\"h.0.norm_1.weight\"", "\"name\":\"wte.weight\"",
        "tensor wte.weight appears twice)"
      ),
      ("\"name\":\"h.0.norm_1.weight\"", "\"name\":\"\"", "a tensor has no name)"),
    ]
    for edit in edits {
      XCTAssertTrue(original.contains(edit.from), edit.from)
      let header = Array(original.replacingOccurrences(of: edit.from, with: edit.to).utf8)
      let message = refusal(assembleCheckpoint(header: header, data: data))
      XCTAssertTrue(message.hasSuffix(edit.expected), message)
    }
    // A header that asks for more data than the file holds, checksum intact: truncated.
    let bigger = original.replacingOccurrences(of: "\"shape\":[7,3]", with: "\"shape\":[8,3]")
    let message = refusal(assembleCheckpoint(header: Array(bigger.utf8), data: data))
    XCTAssertTrue(message.contains("is truncated ("), message)
    // Files shorter than the smallest checkpoint: one byte, two bytes.
    XCTAssertTrue(refusal([0x44]).contains("is truncated (1 byte; a checkpoint has at least"))
    XCTAssertTrue(refusal([0x44, 0x44]).contains("is truncated (2 bytes; a checkpoint has at"))
    // Bytes after the checksum.
    XCTAssertTrue(refusal(good + [0]).contains("is damaged (\(good.count + 1) bytes"))
  }

  func testDifferentShapesAndNamesAreRefusedBeforeLoading() {
    let cases: [(TrainingState, String)] = [
      (
        TrainingState(channels: 3, qkvRows: 12, filled: false),
        "checkpoint: h.0.attn.qkv.weight is (9, 3) in \"\(path)\" but the model needs (12, 3)"
      ),
      (
        TrainingState(channels: 4, filled: false),
        "checkpoint: wte.weight is (7, 3) in \"\(path)\" but the model needs (7, 4)"
      ),
      (
        TrainingState(channels: 3, extraParameter: true, filled: false),
        "checkpoint: \"\(path)\" has no parameters tensor norm_f.weight that the model needs (3); "
          + "it was written for a different model"
      ),
    ]
    for (model, expected) in cases {
      XCTAssertThrowsError(try model.load(from: path)) { XCTAssertEqual("\($0)", expected) }
      XCTAssertTrue(model.allBits.allSatisfy { $0.allSatisfy { $0 == 0 } })
    }
    // A model without BatchNorm buffers: the checkpoint holds tensors it does not have.
    let model = TrainingState(channels: 3, filled: false)
    let noBuffers = FlatTensors(layout: TensorLayout())
    XCTAssertThrowsError(
      try Checkpoint.load(
        path: path, parameters: model.parameters, buffers: noBuffers,
        firstMoment: model.firstMoment, secondMoment: model.secondMoment)
    ) {
      XCTAssertEqual(
        "\($0)",
        "checkpoint: \"\(path)\" holds buffers tensor h.0.norm_1.running_mean (3) that the "
          + "model does not have; it was written for a different model")
    }
  }

  func testMissingFileIsRefused() {
    XCTAssertThrowsError(try Checkpoint.read(path: scratch.path + "/nope.ckpt")) {
      XCTAssertEqual(
        "\($0)", "checkpoint: cannot read \"\(scratch.path)/nope.ckpt\": No such file or directory")
    }
    XCTAssertThrowsError(try Checkpoint.read(path: scratch.path)) {
      XCTAssertTrue("\($0)".hasSuffix("it is a directory, not a file"), "\($0)")
    }
  }

  /// Random multi-byte damage, as a fuzzer would make it: refused or read, never a crash.
  func testRandomDamageNeverCrashes() {
    var random = RandomNumbers(seed: 7)
    let header = checkpointHeader(good)
    for _ in 0..<2000 {
      var bytes = header
      for _ in 0...random.nextInt(below: 4) {
        bytes[random.nextInt(below: bytes.count)] = UInt8(truncatingIfNeeded: random.next())
      }
      if random.nextInt(below: 4) == 0 { bytes.removeLast(random.nextInt(below: bytes.count)) }
      _ = try? Checkpoint.read(bytes: assembleCheckpoint(header: bytes, data: []))
    }
  }
}
