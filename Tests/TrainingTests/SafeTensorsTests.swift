import Foundation
import Models
import Support
import Training
import XCTest

final class SafeTensorsTests: XCTestCase {
  /// Names in a deliberately unsorted order; shapes include a scalar and an empty tensor.
  let shapes: [(name: String, shape: [Int])] = [
    ("wte.weight", [5, 3]), ("h.0.attn.qkv.weight", [9, 3]), ("h.0.attn.qkv.bias", [9]),
    ("scale", []), ("empty", [0, 3]), ("h.0.norm_1.weight", [3]),
  ]
  let metadata = [
    "config": #"{"vocab_size":5,"d_model":3,"norm":"layernorm","placement":"pre"}"#,
    "format": "pt", "note": "line\nbreak \"quoted\" ✓",
  ]

  /// Values of tensor `t`: distinct per tensor and element, with -0 and a subnormal.
  func values(_ t: Int, _ count: Int) -> [Float] {
    (0..<count).map { i in
      i == 1 ? -0.0 : i == 2 ? .leastNonzeroMagnitude : Float(t * 100 + i) * 0.37 - 5
    }
  }

  func writeSample(to path: String) throws -> [[Float]] {
    let data = shapes.enumerated().map { values($0, $1.shape.reduce(1, *)) }
    let pointers = data.map { values in
      let p = UnsafeMutablePointer<Float>.allocate(capacity: max(values.count, 1))
      p.initialize(from: values, count: values.count)
      return p
    }
    defer {
      for pointer in pointers { pointer.deallocate() }
    }
    try SafeTensors.write(
      tensors: zip(shapes, pointers).map {
        (name: $0.name, shape: $0.shape, data: UnsafePointer($1))
      },
      metadata: metadata, to: path)
    return data
  }

  func testRoundTrip() throws {
    let scratch = try ScratchDirectory()
    let data = try writeSample(to: scratch.path + "/model.safetensors")
    XCTAssertEqual(try scratch.contents(), ["model.safetensors"])

    let file = try SafeTensors.read(path: scratch.path + "/model.safetensors")
    XCTAssertEqual(file.tensors.map(\.name), shapes.map(\.name))
    XCTAssertEqual(file.tensors.map(\.shape), shapes.map(\.shape))
    XCTAssertEqual(file.metadata, metadata)
    for (i, tensor) in shapes.enumerated() {
      let read = try XCTUnwrap(file.values(tensor.name))
      XCTAssertEqual(read.map(\.bitPattern), data[i].map(\.bitPattern), tensor.name)
    }
    XCTAssertNil(file.values("missing"))
  }

  /// The header is JSON with the tensors in the given order, contiguous offsets and a length
  /// that keeps the data 8-byte aligned.
  func testHeaderLayout() throws {
    let scratch = try ScratchDirectory()
    _ = try writeSample(to: scratch.path + "/model.safetensors")
    let bytes = try scratch.bytes("model.safetensors")
    let length = Int(littleEndianWord(bytes, at: 0))
    XCTAssertEqual(length % 8, 0)
    let headerText = String(decoding: bytes[8..<8 + length], as: UTF8.self)
    XCTAssertTrue(headerText.hasPrefix("{\"__metadata__\":{"))
    let header = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(headerText.utf8)) as? [String: Any])
    XCTAssertEqual(header["__metadata__"] as? [String: String], metadata)

    var end = 0
    var lastPosition = headerText.startIndex
    for (name, shape) in shapes {
      let entry = try XCTUnwrap(header[name] as? [String: Any], name)
      XCTAssertEqual(entry["dtype"] as? String, "F32")
      XCTAssertEqual(entry["shape"] as? [Int], shape)
      let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
      XCTAssertEqual(offsets, [end, end + 4 * shape.reduce(1, *)], name)
      end = offsets[1]
      let position = try XCTUnwrap(headerText.range(of: "\"\(name)\":")).lowerBound
      XCTAssertGreaterThan(position, lastPosition, "\(name) is out of order")
      lastPosition = position
    }
    XCTAssertEqual(bytes.count, 8 + length + end)
  }

  func testWritesFlatTensorsInLayoutOrder() throws {
    let scratch = try ScratchDirectory()
    let state = TrainingState(channels: 3)
    try SafeTensors.write(
      [state.parameters, state.buffers], metadata: [:], to: scratch.path + "/m")
    let file = try SafeTensors.read(path: scratch.path + "/m")
    let entries = state.parameters.layout.entries + state.buffers.layout.entries
    XCTAssertEqual(file.tensors.map(\.name), entries.map(\.name))
    XCTAssertEqual(file.metadata, [:])
    XCTAssertEqual(file.data.map(\.bitPattern), bits(state.parameters) + bits(state.buffers))
    XCTAssertFalse(String(decoding: try scratch.bytes("m"), as: UTF8.self).contains("__metadata__"))
  }

  func testWriterRefusesBadNamesAndLeavesNothing() throws {
    let scratch = try ScratchDirectory()
    let value: [Float] = [1]
    try value.withUnsafeBufferPointer { p in
      let data = try XCTUnwrap(p.baseAddress)
      let cases: [([(name: String, shape: [Int], data: UnsafePointer<Float>)], String)] = [
        ([("a", [1], data), ("a", [1], data)], "tensor a appears twice"),
        ([("__metadata__", [1], data)], "bad tensor name \"__metadata__\""),
        ([("", [1], data)], "bad tensor name \"\""),
        ([("a", [-1], data)], "tensor a has the impossible shape (-1)"),
      ]
      for (tensors, expected) in cases {
        XCTAssertThrowsError(
          try SafeTensors.write(tensors: tensors, metadata: [:], to: scratch.path + "/x")
        ) { XCTAssertTrue("\($0)".hasSuffix(expected), "\($0)") }
      }
    }
    XCTAssertThrowsError(
      try SafeTensors.write(tensors: [], metadata: [:], to: scratch.path + "/missing/x")
    ) { XCTAssertTrue("\($0)".hasPrefix("safetensors: cannot create"), "\($0)") }
    XCTAssertEqual(try scratch.contents(), [])
  }

  // MARK: - Malformed files

  /// A file from a header text and a data section, with the header length set to match.
  func file(_ header: String, data: Int = 0) -> [UInt8] {
    var length = UInt64(header.utf8.count).littleEndian
    return withUnsafeBytes(of: &length) { Array($0) } + Array(header.utf8)
      + [UInt8](repeating: 0, count: data)
  }

  func testMalformedFilesAreRefused() {
    let tensor = #""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
    var huge = file("{}")
    huge.replaceSubrange(0..<8, with: [0, 0, 0, 0, 0, 0, 0, 0x80])
    var long = file("{}")
    long[0] = 200
    let cases: [([UInt8], String)] = [
      ([1, 2, 3], "is truncated (3 bytes; the header length alone takes 8)"),
      ([1], "is truncated (1 byte; the header length alone takes 8)"),
      ([], "is truncated (0 bytes; the header length alone takes 8)"),
      (huge, "has a header of 9223372036854775808 bytes, over the limit of 100000000"),
      (long, "is truncated (its header claims 200 bytes; 2 follow)"),
      (file("[]"), "is not a safetensors file (its header does not start with '{')"),
      (file(""), "is not a safetensors file (its header does not start with '{')"),
      (file("{\"a\":"), "has a bad header: not valid JSON, or a number out of range"),
      (
        file("{" + tensor + "}", data: 4),
        "is truncated (tensors cover 8 bytes; the data section has 4)"
      ),
      (
        file("{" + tensor + "}", data: 12),
        "is damaged (tensors cover 8 bytes; the data section has 12)"
      ),
      (
        file(#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: 4),
        "has tensor a of dtype F16; this reader takes F32 only"
      ),
      (
        file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8),
        "has tensor a of shape (3) (12 bytes) at data_offsets [0, 8] (8 bytes)"
      ),
      (
        file(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: 8),
        "has tensor a of impossible shape (-2)"
      ),
      (
        file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: 8),
        "has tensor a with bad data_offsets [8, 0]"
      ),
      (
        file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}}"#, data: 8),
        "has tensor a with bad data_offsets [0, 8, 9]"
      ),
      (
        file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8),
        "has tensor a at bytes 4..<8, not at 0 where the one before it ends"
      ),
      (
        file(
          #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 12),
        "has tensor b at bytes 4..<8, not at 8 where the one before it ends"
      ),
      (
        file(#"{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,8]}}"#),
        "has tensor a of impossible shape (4611686018427387904)"
      ),
      (
        file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,1e30]}}"#),
        "has a bad header: not valid JSON, or a number out of range"
      ),
      (file(#"{"__metadata__":{"n":1}}"#), "has a bad header: __metadata__.n has the wrong type"),
      (file(#"{"a":{"shape":[2],"data_offsets":[0,8]}}"#), "has a bad header: a.dtype is missing"),
      (file("{" + String(repeating: "[", count: 50_000)), "has a header nested 50001 deep"),
    ]
    for (bytes, expected) in cases {
      XCTAssertThrowsError(try SafeTensors.parse(bytes, name: "bad.safetensors")) { error in
        let message = "\(error)"
        XCTAssertTrue(
          message.hasPrefix("safetensors: \"bad.safetensors\" " + expected)
            || message == "safetensors: \"bad.safetensors\" " + expected, message)
        XCTAssertFalse(message.contains("\n"))
      }
    }
  }

  /// Every prefix of a valid file, and random damage to its header, is refused or read: never
  /// a crash (the fuzzer's first corpus).
  func testTruncationAndRandomDamageNeverCrash() throws {
    let scratch = try ScratchDirectory()
    _ = try writeSample(to: scratch.path + "/m")
    let good = try scratch.bytes("m")
    XCTAssertNoThrow(try SafeTensors.parse(good))
    for cut in 0..<good.count {
      XCTAssertThrowsError(try SafeTensors.parse(Array(good[..<cut])), "cut at \(cut)")
    }
    var random = RandomNumbers(seed: 3)
    let headerEnd = 8 + Int(littleEndianWord(good, at: 0))
    for _ in 0..<3000 {
      var bytes = good
      for _ in 0...random.nextInt(below: 3) {
        bytes[random.nextInt(below: headerEnd)] = UInt8(truncatingIfNeeded: random.next())
      }
      _ = try? SafeTensors.parse(bytes)
    }
  }

  // MARK: - Python's safetensors package

  /// Loads a written file with Hugging Face's `safetensors` (Tests/python/check_safetensors.py)
  /// and compares names, shapes, values and metadata. Skipped where the package is missing.
  func testPythonSafetensorsLoadsTheFile() throws {
    guard run(["python3", "-c", "import safetensors, numpy"]).status == 0 else {
      throw XCTSkip("python3 with the safetensors package is not installed")
    }
    let scratch = try ScratchDirectory()
    let data = try writeSample(to: scratch.path + "/model.safetensors")
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("python/check_safetensors.py").path
    let result = run(["python3", script, scratch.path + "/model.safetensors", "--values"])
    XCTAssertEqual(result.status, 0, result.error)
    let output = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    XCTAssertEqual(output["metadata"] as? [String: String], metadata)
    let config = try XCTUnwrap(output["config"] as? [String: Any])
    XCTAssertEqual(config["d_model"] as? Int, 3)
    let tensors = try XCTUnwrap(output["tensors"] as? [[String: Any]])
    XCTAssertEqual(tensors.compactMap { $0["name"] as? String }, shapes.map(\.name).sorted())
    for (i, (name, shape)) in shapes.enumerated() {
      let entry = try XCTUnwrap(tensors.first { $0["name"] as? String == name })
      XCTAssertEqual(entry["shape"] as? [Int], shape, name)
      XCTAssertEqual(entry["dtype"] as? String, "float32", name)
      let values = try XCTUnwrap(entry["values"] as? [Double], name)
      XCTAssertEqual(values.map { Float($0).bitPattern }, data[i].map(\.bitPattern), name)
    }

    let damaged = scratch.path + "/damaged.safetensors"
    try scratch.write(
      Array(try scratch.bytes("model.safetensors").dropLast(4)), to: "damaged.safetensors")
    let refused = run(["python3", script, damaged])
    XCTAssertEqual(refused.status, 1)
    XCTAssertTrue(refused.error.hasPrefix("check_safetensors: \(damaged): "), refused.error)
  }

  func run(_ arguments: [String]) -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let (output, error) = (Pipe(), Pipe())
    process.standardOutput = output
    process.standardError = error
    do { try process.run() } catch { return (127, "", "\(error)") }
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
      process.terminationStatus, String(decoding: out, as: UTF8.self),
      String(decoding: err, as: UTF8.self)
    )
  }
}
