import Config
import Foundation
import Models
import Support
import TestSupport
import Training
import XCTest

/// What launch/fuzz found, kept as regression tests, and a small seeded fuzzer of the checkpoint
/// and safetensors readers that runs with every test run: random mutations of valid files must
/// load or be refused with the reader's own one-line error, never crash.
final class FuzzRegressionTests: XCTestCase {
  // MARK: - Found by launch/fuzz

  /// toml++ (inside TOMLKit) aborted the process with an assertion on a table header whose
  /// name does not start right after `[` or `[[`: a config file, or the config stored in a
  /// checkpoint, could crash `ddp` instead of being refused. The first input was a checkpoint
  /// whose stored config began `[\nmdeol]` (ConfigReader then found the rest).
  func testTableHeaderWithoutANameIsASyntaxError() {
    let cases: [(text: String, line: Int, column: Int, seen: String)] = [
      ("[\nmodel]\nd_model = 16\n", 1, 2, "a line break"),
      ("# run\n[model]\nd_model = 16\n[ #train]\n", 4, 3, "'#'"),
      ("[[=]]\n", 1, 3, "'='"),
      ("[model]\n[\t.train]\n", 2, 3, "'.'"),
      ("\u{FEFF}[\r\n", 1, 2, "byte 0xD"),
      ("[model]\nd_model = 16\n[\u{3000}train]\n", 3, 2, "a non-ASCII character"),
    ]
    for (text, line, column, seen) in cases {
      XCTAssertThrowsError(try RunConfig.load(tomlText: text), text.debugDescription) { error in
        XCTAssertEqual(
          error as? ConfigError,
          .syntax(
            path: nil, line: line, column: column,
            message: "expected a table name after '[', saw \(seen)"),
          text.debugDescription)
      }
    }
  }

  /// The scan that guards toml++ leaves alone what only looks like a bad header: text inside
  /// strings and comments, rows of a multi-line array, and an earlier error, which toml++
  /// reports itself.
  func testTableHeaderScanFollowsStringsArraysAndComments() throws {
    let path = "[\n# not a comment\n[ .x"
    let multiLine = "[data]\npath = \"\"\"\n\(path)\"\"\"\n[model]\nd_model = 16\n"
    XCTAssertEqual(try RunConfig.load(tomlText: multiLine).data.path, path)
    let literal = "[data]\npath = '''\n[\n'''\n# [\n#[=\n"
    XCTAssertEqual(try RunConfig.load(tomlText: literal).data.path, "[\n")
    XCTAssertThrowsError(try RunConfig.load(tomlText: "[model]\nd_model = [\n[\n1]]\n")) {
      guard case .wrongType(let key, _, _) = $0 as? ConfigError else { return XCTFail("\($0)") }
      XCTAssertEqual(key, "model.d_model")
    }
    XCTAssertThrowsError(try RunConfig.load(tomlText: "[model]\nd_model = 16 16\n[\n")) {
      guard case .syntax(_, let line, _, let message) = $0 as? ConfigError else {
        return XCTFail("\($0)")
      }
      XCTAssertEqual(line, 2, message)
    }
  }

  /// A run whose checkpoints are all damaged is refused with what is wrong with the newest one
  /// (`ddp train --resume` said only "no intact checkpoint"); an intact older one is used.
  func testNewestIntactNamesWhyNoneIs() throws {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("FuzzRegressionTests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    func refusal() -> String {
      do {
        return "found " + (try Checkpoint.requireNewestIntact(inDirectory: folder))
      } catch {
        return "\(error)"
      }
    }
    XCTAssertEqual(
      refusal(),
      "checkpoint: \"\(folder)\" holds no checkpoint (no file named like "
        + "checkpoint-00000500.ckpt)")
    let valid = try Self.validCheckpoint()
    let newest = folder + "/" + Checkpoint.fileName(step: 3)
    try Data(valid.prefix(100)).write(to: URL(fileURLWithPath: newest))
    let claimed = (0..<8).reduce(0) { $0 | Int(valid[8 + $1]) << (8 * $1) }
    XCTAssertEqual(
      refusal(),
      "checkpoint: \"\(folder)\" holds no intact checkpoint: \"\(newest)\" is truncated or "
        + "damaged (its header claims \(claimed) bytes; the file has 100)")
    let older = folder + "/" + Checkpoint.fileName(step: 2)
    try Data(valid).write(to: URL(fileURLWithPath: older))
    XCTAssertEqual(refusal(), "found " + older)
    try Data(valid.dropLast()).write(to: URL(fileURLWithPath: older))
    XCTAssertTrue(refusal().hasSuffix("(and the 1 older one is damaged)"), refusal())
  }

  // MARK: - A seeded fuzzer for every test run

  /// Mutations of each valid file fed to its reader (a few seconds in a debug build).
  static let mutations = 5000

  func testMutatedCheckpointsLoadOrThrow() throws {
    let valid = try Self.validCheckpoint()
    XCTAssertNoThrow(try Checkpoint.read(bytes: valid))
    var random = SplitMix64(seed: 0xC4EC_4B01)
    var (loaded, refused) = (0, 0)
    for round in 0..<Self.mutations {
      var bytes = Self.mutate(valid, &random)
      // Half with a correct checksum, so mutations also reach what follows the checksum test.
      if round % 2 == 1 && bytes.count >= 8 { Self.fixChecksum(&bytes) }
      do {
        let checkpoint = try Checkpoint.read(bytes: bytes, name: "mutant")
        loaded += 1
        for group in [checkpoint.parameters, checkpoint.buffers, checkpoint.firstMoment] {
          for entry in group.layout.entries {
            XCTAssertEqual(group.values(entry.name)?.count, entry.count)
          }
        }
      } catch let error as CheckpointError {
        refused += 1
        XCTAssertTrue(error.description.hasPrefix("checkpoint: "), error.description)
        XCTAssertFalse(error.description.contains("\n"), error.description)
      } catch {
        XCTFail("round \(round): \(type(of: error)): \(error)")
      }
    }
    XCTAssertEqual(loaded + refused, Self.mutations)
    XCTAssertGreaterThan(refused, Self.mutations / 2, "most mutations damage the file")
  }

  func testMutatedSafeTensorsParseOrThrow() throws {
    let valid = try Self.validSafeTensors()
    XCTAssertNoThrow(try SafeTensors.parse(valid))
    var random = SplitMix64(seed: 0x5AFE_7E45)
    var (parsed, refused) = (0, 0)
    for round in 0..<Self.mutations {
      let bytes = Self.mutate(valid, &random)
      do {
        let file = try SafeTensors.parse(bytes, name: "mutant")
        parsed += 1
        for tensor in file.tensors {
          XCTAssertEqual(
            file.values(tensor.name)?.count, tensor.shape.reduce(1, *), "round \(round)")
        }
      } catch let error as SafeTensorsError {
        refused += 1
        XCTAssertTrue(error.description.hasPrefix("safetensors: "), error.description)
        XCTAssertFalse(error.description.contains("\n"), error.description)
      } catch {
        XCTFail("round \(round): \(type(of: error)): \(error)")
      }
    }
    XCTAssertEqual(parsed + refused, Self.mutations)
    XCTAssertGreaterThan(parsed, 0, "mutations of the tensor data leave a valid file")
    XCTAssertGreaterThan(refused, Self.mutations / 4)
  }

  // MARK: - Mutations

  /// Values that break readers: zero, one past a size, sign bits, the largest integers.
  static let awkwardWords: [UInt64] = [
    0, 1, 7, 8, 255, 4096, 1 << 31, 1 << 32, 1 << 63, UInt64(Int.max), .max, .max - 7,
  ]
  /// Text that breaks JSON headers: huge, negative and fractional numbers, wrong types, nesting.
  static let awkwardText = [
    "-1", "0", "1e400", "18446744073709551615", "9223372036854775807", "4611686018427387904",
    "null", "\"x\"", "[]", "{}", "[[[[[[[[[[[[[[[[[[[[", "1.5", "\"\\u0000\"", ",", "\"",
  ]

  /// One to three random edits of `bytes`: bit flips, random bytes, a cut, an insertion, an
  /// awkward 64-bit word, or awkward text over a number or string of the JSON header.
  static func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
    var bytes = bytes
    func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(random.next() % UInt64(n)) }
    for _ in 0...below(3) where !bytes.isEmpty {
      switch below(7) {
      case 0:
        bytes[below(bytes.count)] ^= UInt8(1) << UInt8(below(8))
      case 1:
        bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
      case 2:
        bytes.removeLast(below(bytes.count) + 1)
      case 3:
        let extra = (0..<below(16) + 1).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        bytes.insert(contentsOf: extra, at: below(bytes.count + 1))
      case 4:
        // The length fields sit at 8 (checkpoints) and 0 (safetensors); elsewhere is data.
        let at = [0, 8, below(bytes.count)][below(3)]
        let word = awkwardWords[below(awkwardWords.count)]
        for k in 0..<8 where at + k < bytes.count {
          bytes[at + k] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(k)))
        }
      default:
        // Over a run of digits or a string in the header (the first KiB holds most of it).
        let text = Array(awkwardText[below(awkwardText.count)].utf8)
        let scope = min(bytes.count, 1024)
        let start = below(scope)
        guard
          let anchor = bytes[start..<scope].firstIndex(where: {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "\"")
          })
        else { continue }
        var end = anchor + 1
        while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) {
          end += 1
        }
        bytes.replaceSubrange(anchor..<end, with: text)
      }
    }
    return bytes
  }

  /// Rewrites the last 8 bytes as the FNV-1a 64 of the bytes before them.
  static func fixChecksum(_ bytes: inout [UInt8]) {
    let end = bytes.count - 8
    let hash = FNV1a64.hash(bytes[..<end])
    for k in 0..<8 { bytes[end + k] = UInt8(truncatingIfNeeded: hash >> (8 * UInt64(k))) }
  }

  // MARK: - Valid files

  /// A checkpoint of a matrix, a vector and a scalar, with two BatchNorm statistics.
  static func validCheckpoint() throws -> [UInt8] {
    var parameters = TensorLayout()
    parameters.add("h.0.attn.qkv.weight", [3, 2])
    parameters.add("h.0.norm_1.bias", [2])
    parameters.add("scale", [])
    var buffers = TensorLayout()
    buffers.add("h.0.norm_1.running_mean", [2])
    buffers.add("h.0.norm_1.running_var", [2])
    let groups = [parameters, buffers, parameters, parameters].map(FlatTensors.init(layout:))
    for (g, group) in groups.enumerated() {
      for i in 0..<group.count { group.pointer[i] = Float(g * 10 + i) * 0.25 }
    }
    let metadata = CheckpointMetadata(
      configTOML: "[model]\nd_model = 2\nn_heads = 1\n", step: 3, optimizerStep: 3,
      sampler: RandomNumbers(seed: 7), workers: 2, extra: ["note": "fuzz"])
    return try withFile("c.ckpt") { path in
      try Checkpoint.write(
        metadata: metadata, parameters: groups[0], buffers: groups[1], firstMoment: groups[2],
        secondMoment: groups[3], to: path)
    }
  }

  /// A safetensors file of a matrix, a vector, a scalar and an empty tensor, with metadata.
  static func validSafeTensors() throws -> [UInt8] {
    let values: [Float] = (0..<9).map { Float($0) * 0.5 }
    return try withFile("m.safetensors") { path in
      try values.withUnsafeBufferPointer { buffer in
        let base = try XCTUnwrap(buffer.baseAddress)
        try SafeTensors.write(
          tensors: [
            ("wte.weight", [3, 2], base), ("ln_f.bias", [2], base + 6), ("scale", [], base + 8),
            ("empty", [0, 4], base),
          ],
          metadata: ["config": "{\"d_model\":2}"], to: path)
      }
    }
  }

  /// The bytes `write` puts in a file called `name` in a temporary folder.
  static func withFile(_ name: String, _ write: (String) throws -> Void) throws -> [UInt8] {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("FuzzRegressionTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent(name).path
    try write(path)
    return try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
  }
}
