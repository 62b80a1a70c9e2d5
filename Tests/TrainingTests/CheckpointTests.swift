import Datasets
import Foundation
import Models
import Support
import Training
import XCTest

final class CheckpointTests: XCTestCase {
  func testRoundTripIsBitIdentical() throws {
    let scratch = try ScratchDirectory()
    let state = TrainingState(channels: 3)
    let metadata = sampleMetadata()
    let path = scratch.path + "/" + Checkpoint.fileName(step: 500)
    try state.write(metadata: metadata, to: path)

    let loaded = try Checkpoint.read(path: path)
    XCTAssertEqual(loaded.metadata, metadata)
    XCTAssertEqual(loaded.metadata.samplerState, metadata.samplerState)
    XCTAssertEqual(loaded.parameters.layout, state.parameters.layout)
    XCTAssertEqual(loaded.buffers.layout, state.buffers.layout)
    XCTAssertEqual(loaded.parameters.values.map(\.bitPattern), bits(state.parameters))
    XCTAssertEqual(loaded.buffers.values.map(\.bitPattern), bits(state.buffers))
    XCTAssertEqual(loaded.firstMoment.values.map(\.bitPattern), bits(state.firstMoment))
    XCTAssertEqual(loaded.secondMoment.values.map(\.bitPattern), bits(state.secondMoment))
    XCTAssertEqual(
      loaded.parameters.values("h.0.attn.qkv.weight").map { Array($0) },
      Array(
        UnsafeBufferPointer(start: state.parameters.view("h.0.attn.qkv.weight"), count: 27)))

    // Straight into a model's storage, and through the in-memory copy.
    for viaMemory in [false, true] {
      let fresh = TrainingState(channels: 3, filled: false)
      if viaMemory {
        try loaded.load(
          parameters: fresh.parameters, buffers: fresh.buffers, firstMoment: fresh.firstMoment,
          secondMoment: fresh.secondMoment)
      } else {
        let read = try fresh.load(from: path)
        XCTAssertEqual(read, metadata)
      }
      XCTAssertEqual(fresh.allBits, state.allBits, "via memory: \(viaMemory)")
    }
    XCTAssertEqual(try Checkpoint.readMetadata(path: path), metadata)
  }

  /// A negative AdamW second moment (a mean of squares) is no trained state: refused by
  /// `requireUsable`, which every command that uses a checkpoint's values calls; the reader
  /// itself keeps the bits (NaN payloads included, above).
  func testANegativeSecondMomentIsNotUsable() throws {
    let scratch = try ScratchDirectory()
    let state = TrainingState(channels: 3, filled: false)
    for tensors in [state.parameters, state.buffers, state.firstMoment, state.secondMoment] {
      for i in 0..<tensors.count { tensors.pointer[i] = 0.5 }
    }
    let path = scratch.path + "/c.ckpt"
    for (index, value) in [(0, Float(-1)), (5, -.leastNonzeroMagnitude)] {
      state.secondMoment.pointer[index] = value
      try state.write(metadata: sampleMetadata(), to: path)
      let loaded = try Checkpoint.read(path: path)
      XCTAssertThrowsError(try loaded.requireUsable()) { error in
        XCTAssertTrue("\(error)".contains("in adam_v tensor"), "\(error)")
      }
      state.secondMoment.pointer[index] = 0.25
    }
    try state.write(metadata: sampleMetadata(), to: path)
    XCTAssertNoThrow(try Checkpoint.read(path: path).requireUsable())
  }

  /// RandomNumbers state words above 2⁵³ must survive exactly: JSON numbers read as doubles
  /// would round them.
  func testSamplerStateIsStoredAsExactDecimalStrings() throws {
    let scratch = try ScratchDirectory()
    let path = scratch.path + "/c.ckpt"
    let metadata = sampleMetadata()
    XCTAssertTrue(metadata.samplerState.allSatisfy { $0 > 1 << 53 })
    try TrainingState(channels: 3).write(metadata: metadata, to: path)

    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let header = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(checkpointHeader(bytes))) as? [String: Any])
    XCTAssertEqual(header["format_version"] as? Int, 1)
    let stored = try XCTUnwrap(header["metadata"] as? [String: Any])
    XCTAssertEqual(stored["sampler_state"] as? [String], metadata.samplerState.map { "\($0)" })
    XCTAssertEqual(stored["config_toml"] as? String, metadata.configTOML)
    XCTAssertEqual(stored["step"] as? Int, 500)
    XCTAssertEqual(stored["optimizer_step"] as? Int, 499)
    XCTAssertEqual(stored["workers"] as? Int, 4)
    let tensors = try XCTUnwrap(header["tensors"] as? [String: [[String: Any]]])
    XCTAssertEqual(Set(tensors.keys), ["parameters", "buffers", "adam_m", "adam_v"])
    XCTAssertEqual(tensors["buffers"]?.compactMap { $0["name"] as? String }, bufferNames)
    XCTAssertEqual(tensors["parameters"]?.first?["shape"] as? [Int], [7, 3])
  }

  /// A checkpoint records the data fingerprint (its files exactly, hashes as hex strings); one
  /// written before fingerprints existed (no `data` key) still reads, with none.
  func testDataFingerprintIsStoredAndOlderCheckpointsReadWithout() throws {
    let scratch = try ScratchDirectory()
    var metadata = sampleMetadata()
    metadata.data = DataFingerprint(files: [
      .init(name: "a.txt", bytes: 12, hash: 0xFFFF_0000_FFFF_0001),
      .init(name: "b/\"c\".txt", bytes: 0, hash: 7),
    ])
    let path = scratch.path + "/with.ckpt"
    try TrainingState(channels: 3).write(metadata: metadata, to: path)
    XCTAssertEqual(try Checkpoint.readMetadata(path: path), metadata)
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let header = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(checkpointHeader(bytes))) as? [String: Any])
    let data = try XCTUnwrap((header["metadata"] as? [String: Any])?["data"] as? [String: Any])
    XCTAssertEqual(data["fingerprint"] as? String, DataFingerprint.hex(metadata.data!.value))
    let older = scratch.path + "/without.ckpt"
    try TrainingState(channels: 3).write(metadata: sampleMetadata(), to: older)
    let olderBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: older)))
    XCTAssertFalse(
      String(decoding: checkpointHeader(olderBytes), as: UTF8.self).contains("\"data\""))
    XCTAssertNil(try Checkpoint.readMetadata(path: older).data)
  }

  /// The byte layout of the doc comment: magic, header length, header padded to 8, data, and
  /// an FNV-1a 64 of everything before it, recomputed here independently.
  func testByteLayoutAndChecksum() throws {
    let scratch = try ScratchDirectory()
    let path = scratch.path + "/c.ckpt"
    let state = TrainingState(channels: 3)
    try state.write(metadata: sampleMetadata(), to: path)
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))

    XCTAssertEqual(Array(bytes[0..<8]), Array("DDPCKPT1".utf8))
    let headerLength = Int(littleEndianWord(bytes, at: 8))
    XCTAssertEqual(headerLength % 8, 0)
    let floats = 3 * state.parameters.count + state.buffers.count
    XCTAssertEqual(bytes.count, 16 + headerLength + 4 * floats + 8)
    let firstValue = bytes[(16 + headerLength)..<(16 + headerLength + 4)]
    XCTAssertEqual(
      Float(bitPattern: UInt32(littleEndianWord(Array(firstValue) + [0, 0, 0, 0], at: 0))),
      state.parameters.pointer[0])
    XCTAssertEqual(littleEndianWord(bytes, at: bytes.count - 8), fnv1a(bytes.dropLast(8)))
  }

  func testFileNamesSortByStep() {
    XCTAssertEqual(Checkpoint.fileName(step: 500), "checkpoint-00000500.ckpt")
    XCTAssertEqual(Checkpoint.fileName(step: 0), "checkpoint-00000000.ckpt")
    XCTAssertEqual(Checkpoint.fileName(step: 123_456_789), "checkpoint-123456789.ckpt")
    XCTAssertEqual(Checkpoint.step(fromFileName: "checkpoint-00000500.ckpt"), 500)
    XCTAssertEqual(Checkpoint.step(fromFileName: "checkpoint-123456789.ckpt"), 123_456_789)
    XCTAssertNil(Checkpoint.step(fromFileName: "checkpoint-00000500.ckpt.tmp-42"))
    XCTAssertNil(Checkpoint.step(fromFileName: "checkpoint-.ckpt"))
    XCTAssertNil(Checkpoint.step(fromFileName: "checkpoint-+5.ckpt"))
    XCTAssertNil(Checkpoint.step(fromFileName: "model.safetensors"))
  }

  // MARK: - Atomicity

  func testSuccessfulWriteLeavesOnlyTheFinalFile() throws {
    let scratch = try ScratchDirectory()
    let path = scratch.path + "/" + Checkpoint.fileName(step: 7)
    let state = TrainingState(channels: 3)
    try state.write(metadata: sampleMetadata(), to: path)
    try state.write(metadata: sampleMetadata(), to: path)  // overwrites in place
    XCTAssertEqual(try scratch.contents(), [Checkpoint.fileName(step: 7)])
  }

  func testWriteIntoMissingDirectoryFailsAndLeavesNothing() throws {
    let scratch = try ScratchDirectory()
    let path = scratch.path + "/missing/checkpoint-00000001.ckpt"
    XCTAssertThrowsError(try TrainingState(channels: 3).write(metadata: sampleMetadata(), to: path))
    { error in
      let message = "\(error)"
      XCTAssertTrue(message.hasPrefix("checkpoint: cannot create \""), message)
      XCTAssertTrue(message.hasSuffix("No such file or directory"), message)
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    XCTAssertEqual(try scratch.contents(), [])
  }

  /// A write that fails after the temporary file has data in it (the file-size limit makes
  /// `write` fail with EFBIG) removes the temporary file and leaves the previous checkpoint
  /// under the final name untouched.
  func testWriteFailingMidwayKeepsThePreviousCheckpoint() throws {
    let scratch = try ScratchDirectory()
    let path = scratch.path + "/" + Checkpoint.fileName(step: 10)
    let old = TrainingState(channels: 8)
    try old.write(metadata: sampleMetadata(), to: path)
    let size = try XCTUnwrap(
      FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)

    let new = TrainingState(channels: 8, seed: 99)
    let failure = withFileSizeLimit(size / 2) {
      Result { try new.write(metadata: sampleMetadata(), to: path) }
    }
    XCTAssertThrowsError(try failure.get()) { error in
      XCTAssertTrue("\(error)".hasPrefix("checkpoint: cannot write \""), "\(error)")
      XCTAssertTrue("\(error)".contains("File too large"), "\(error)")
    }
    XCTAssertEqual(try scratch.contents(), [Checkpoint.fileName(step: 10)])
    let fresh = TrainingState(channels: 8, filled: false)
    try fresh.load(from: path)
    XCTAssertEqual(fresh.allBits, old.allBits)
  }

  func testMomentsLaidOutDifferentlyAreRefused() throws {
    let scratch = try ScratchDirectory()
    let state = TrainingState(channels: 3)
    let other = TrainingState(channels: 4)
    XCTAssertThrowsError(
      try Checkpoint.write(
        metadata: sampleMetadata(), parameters: state.parameters, buffers: state.buffers,
        firstMoment: other.firstMoment, secondMoment: state.secondMoment,
        to: scratch.path + "/c.ckpt")
    ) { error in
      XCTAssertTrue("\(error)".contains("moments are laid out differently"), "\(error)")
    }
    var bad = sampleMetadata()
    bad.workers = 0
    XCTAssertThrowsError(try state.write(metadata: bad, to: scratch.path + "/c.ckpt")) { error in
      XCTAssertTrue("\(error)".hasSuffix("workers 0 is not positive"), "\(error)")
    }
    XCTAssertEqual(try scratch.contents(), [])
  }
}

// MARK: - Helpers shared by the checkpoint and safetensors tests

let bufferNames = ["h.0.norm_1.running_mean", "h.0.norm_1.running_var"]

/// A tiny model's parameters, BatchNorm buffers and AdamW moments, filled with distinct values
/// that include the awkward ones (-0, subnormals, infinities, a NaN with a payload).
final class TrainingState {
  let parameters: FlatTensors
  let buffers: FlatTensors
  let firstMoment: FlatTensors
  let secondMoment: FlatTensors

  init(
    channels c: Int, qkvRows: Int? = nil, extraParameter: Bool = false, seed: UInt64 = 1,
    filled: Bool = true
  ) {
    var layout = TensorLayout()
    layout.add("wte.weight", [7, c])
    layout.add("h.0.norm_1.weight", [c])
    layout.add("h.0.attn.qkv.weight", [qkvRows ?? 3 * c, c])
    layout.add("h.0.attn.qkv.bias", [qkvRows ?? 3 * c])
    if extraParameter { layout.add("norm_f.weight", [c]) }
    var bufferLayout = TensorLayout()
    for name in bufferNames { bufferLayout.add(name, [c]) }
    parameters = FlatTensors(layout: layout)
    buffers = FlatTensors(layout: bufferLayout)
    firstMoment = FlatTensors(layout: layout)
    secondMoment = FlatTensors(layout: layout)
    guard filled else { return }
    var random = RandomNumbers(seed: seed)
    let special: [Float] = [
      -0.0, .leastNonzeroMagnitude, .infinity, -.greatestFiniteMagnitude,
      Float(bitPattern: 0x7FC0_1234),
    ]
    for (k, tensors) in [parameters, buffers, firstMoment, secondMoment].enumerated() {
      for i in 0..<tensors.count {
        tensors.pointer[i] = Float(bitPattern: UInt32(truncatingIfNeeded: random.next()) >> 2)
      }
      tensors.pointer[k % max(tensors.count, 1)] = special[k]
    }
    parameters.pointer[parameters.count - 1] = special[4]
  }

  var allBits: [[UInt32]] { [parameters, buffers, firstMoment, secondMoment].map(bits) }

  func write(metadata: CheckpointMetadata, to path: String) throws {
    try Checkpoint.write(
      metadata: metadata, parameters: parameters, buffers: buffers, firstMoment: firstMoment,
      secondMoment: secondMoment, to: path)
  }

  @discardableResult
  func load(from path: String) throws -> CheckpointMetadata {
    try Checkpoint.load(
      path: path, parameters: parameters, buffers: buffers, firstMoment: firstMoment,
      secondMoment: secondMoment)
  }
}

func bits(_ tensors: FlatTensors) -> [UInt32] { tensors.buffer.map(\.bitPattern) }

/// Metadata whose sampler words are all above 2⁵³.
func sampleMetadata(step: Int = 500) -> CheckpointMetadata {
  CheckpointMetadata(
    configTOML: "[model]\nd_model = 3  # \"quoted\" \\ and ünïcode\n", step: step,
    optimizerStep: step - 1,
    sampler: RandomNumbers(
      state: (0xFFFF_FFFF_FFFF_FFFF, 0x9E37_79B9_7F4A_7C15, 1 << 53 + 1, 0x8000_0000_0000_0001)),
    workers: 4, extra: ["tokens_seen": "123456"])
}

func littleEndianWord(_ bytes: [UInt8], at offset: Int) -> UInt64 {
  bytes[offset..<offset + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
}

/// FNV-1a 64, written out here independently of the implementation.
func fnv1a<S: Sequence<UInt8>>(_ bytes: S) -> UInt64 {
  bytes.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
}

/// The JSON header bytes of a checkpoint.
func checkpointHeader(_ bytes: [UInt8]) -> [UInt8] {
  Array(bytes[16..<16 + Int(littleEndianWord(bytes, at: 8))])
}

/// A checkpoint from its parts, with a correct checksum: for headers the writer cannot make.
func assembleCheckpoint(header: [UInt8], data: [UInt8] = []) -> [UInt8] {
  var length = UInt64(header.count).littleEndian
  var bytes = Array("DDPCKPT1".utf8) + withUnsafeBytes(of: &length) { Array($0) } + header + data
  var sum = fnv1a(bytes).littleEndian
  bytes += withUnsafeBytes(of: &sum) { Array($0) }
  return bytes
}

/// Runs `body` with this process's file-size limit lowered to `bytes` (SIGXFSZ ignored, so an
/// oversized `write` fails with EFBIG), then restores both.
func withFileSizeLimit<T>(_ bytes: Int, _ body: () -> T) -> T {
  var saved = rlimit()
  getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
  let handler = signal(SIGXFSZ, SIG_IGN)
  var lowered = saved
  lowered.rlim_cur = rlim_t(bytes)
  setrlimit(Int32(RLIMIT_FSIZE.rawValue), &lowered)
  defer {
    setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
    signal(SIGXFSZ, handler)
  }
  return body()
}

/// A fresh directory under the system's temporary directory, deleted with its contents when
/// released.
final class ScratchDirectory {
  let path: String

  init() throws {
    var base = NSTemporaryDirectory()
    while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
    var template = Array((base + "/ddp-ckpt-test-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else {
      throw CheckpointError("cannot make a scratch directory")
    }
    path = String(cString: made)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  /// Names in the directory, sorted.
  func contents() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path).sorted()
  }

  func bytes(_ name: String) throws -> [UInt8] {
    try [UInt8](Data(contentsOf: URL(fileURLWithPath: path + "/" + name)))
  }

  func write(_ bytes: [UInt8], to name: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name))
  }
}
