import Config
import Models
import Support

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

extension Checkpoint {
  /// Reads and verifies a whole checkpoint into memory.
  ///
  /// - Throws: ``CheckpointError`` for an unreadable, truncated or damaged file (see
  ///   ``Checkpoint``): bad magic, a header that is not the expected JSON, a size that differs
  ///   from the one the header implies, a checksum mismatch.
  /// - Complexity: O(size); holds the tensors in memory once.
  public static func read(path: String) throws -> LoadedCheckpoint {
    try read(source: FileSource(path: path, kind: .checkpoint), path: path)
  }

  /// Reads and verifies a checkpoint held in memory; `name` stands for the path in messages.
  /// Exposed for tests and fuzzing; same checks as ``read(path:)``.
  public static func read(bytes: [UInt8], name: String = "<memory>") throws -> LoadedCheckpoint {
    try read(source: MemorySource(bytes: bytes), path: name)
  }

  /// Reads a checkpoint's metadata after verifying the whole file (checksum included), without
  /// keeping its tensors: what a tool needs to build the model before loading into it.
  ///
  /// - Throws: ``CheckpointError`` as ``read(path:)``.
  /// - Complexity: O(size) to verify; memory O(header).
  public static func readMetadata(path: String) throws -> CheckpointMetadata {
    let source = try FileSource(path: path, kind: .checkpoint)
    let header = try parseHeader(source, path: path)
    try verifyChecksum(source, path: path)
    return header.metadata
  }

  /// The newest checkpoint in `directory` that verifies in full, as
  /// ``newestIntact(inDirectory:)``, or an error that says why there is none: what is wrong
  /// with the newest checkpoint, or that there is no checkpoint at all.
  ///
  /// - Throws: ``CheckpointError``, e.g. `checkpoint: "run" holds no intact checkpoint:
  ///   "run/checkpoint-00000500.ckpt" is truncated (1000 bytes; its header describes 96256)`.
  /// - Parameter skipped: told of each newer checkpoint passed over, with what is wrong with it
  ///   (`"run/checkpoint-00000500.ckpt" is truncated (...)`), so a resume can say so.
  /// - Complexity: reads each checkpoint newer than the one returned, and that one.
  public static func requireNewestIntact(
    inDirectory directory: String, skipped: (String) -> Void = { _ in }
  ) throws -> String {
    let checkpoints = list(inDirectory: directory)
    var newestProblem: String?
    var problems: [String] = []
    for (_, path) in checkpoints {
      do {
        _ = try readMetadata(path: path)
        problems.forEach(skipped)
        return path
      } catch {
        let problem = String("\(error)".trimmingPrefix("checkpoint: "))
        newestProblem = newestProblem ?? problem
        problems.append(problem)
      }
    }
    guard let newestProblem else {
      throw CheckpointError(
        "\(quoted(directory)) holds no checkpoint (no file named like checkpoint-00000500.ckpt)")
    }
    let older = checkpoints.count - 1
    throw CheckpointError(
      "\(quoted(directory)) holds no intact checkpoint: \(newestProblem)"
        + (older > 0 ? " (and the \(older) older one\(older == 1 ? " is" : "s are") damaged)" : ""))
  }

  /// Reads a checkpoint straight into a model's storage, by name, without an intermediate copy.
  ///
  /// The file is verified in full (checksum included) and its names and shapes are compared
  /// with the destinations' layouts before any destination is written.
  ///
  /// - Returns: the checkpoint's metadata.
  /// - Throws: ``CheckpointError`` as ``read(path:)``, or when a tensor is missing, extra or
  ///   shaped differently from the model's layout, e.g.
  ///   `checkpoint: h.0.attn.qkv.weight is (384, 128) in "run/checkpoint-00000500.ckpt" but the
  ///   model needs (768, 256)`.
  /// - Complexity: reads the file twice (verify, then copy); memory O(header).
  @discardableResult
  public static func load(
    path: String, parameters: FlatTensors, buffers: FlatTensors, firstMoment: FlatTensors,
    secondMoment: FlatTensors
  ) throws -> CheckpointMetadata {
    let source = try FileSource(path: path, kind: .checkpoint)
    let header = try parseHeader(source, path: path)
    try verifyChecksum(source, path: path)
    let destinations = [parameters, buffers, firstMoment, secondMoment]
    for (layout, (group, destination)) in zip(header.layouts, zip(groupNames, destinations)) {
      try checkCompatible(stored: layout, group: group, model: destination.layout, path: path)
    }
    var offset = header.dataOffset
    for (layout, destination) in zip(header.layouts, destinations) {
      for entry in layout.entries {
        let bytes = entry.count * MemoryLayout<Float>.size
        if let target = destination.layout.entry(entry.name) {
          try source.read(into: destination.pointer + target.offset, count: bytes, at: offset)
        }
        offset += bytes
      }
    }
    return header.metadata
  }

  /// Refuses a stored group whose names or shapes differ from the model's layout (order may
  /// differ: tensors are matched by name).
  static func checkCompatible(
    stored: TensorLayout, group: String, model: TensorLayout, path: String
  ) throws {
    for needed in model.entries {
      guard let entry = stored.entry(needed.name) else {
        throw CheckpointError(
          "\(quoted(path)) has no \(group) tensor \(needed.name) that the model needs "
            + "\(shapeText(needed.shape)); it was written for a different model")
      }
      if entry.shape != needed.shape {
        throw CheckpointError(
          "\(needed.name) is \(shapeText(entry.shape)) in \(quoted(path)) but the model needs "
            + shapeText(needed.shape))
      }
    }
    if let extra = stored.entries.first(where: { model.entry($0.name) == nil }) {
      throw CheckpointError(
        "\(quoted(path)) holds \(group) tensor \(extra.name) \(shapeText(extra.shape)) that the "
          + "model does not have; it was written for a different model")
    }
  }

  // MARK: - Parsing

  /// A checkpoint's header, checked against the file's size.
  struct ParsedHeader {
    var metadata: CheckpointMetadata
    /// The four groups in ``groupNames`` order, built from the stored names and shapes.
    var layouts: [TensorLayout]
    /// Where the tensor data starts.
    var dataOffset: Int
  }

  private static func read(source: some ByteSource, path: String) throws -> LoadedCheckpoint {
    let header = try parseHeader(source, path: path)
    try verifyChecksum(source, path: path)
    var offset = header.dataOffset
    var groups: [CheckpointTensors] = []
    for (layout, group) in zip(header.layouts, groupNames) {
      let values = try [Float](unsafeUninitializedCapacity: layout.totalCount) { buffer, count in
        let bytes = layout.totalCount * MemoryLayout<Float>.size
        if let base = buffer.baseAddress { try source.read(into: base, count: bytes, at: offset) }
        offset += bytes
        count = layout.totalCount
      }
      groups.append(CheckpointTensors(group: group, layout: layout, values: values))
    }
    return LoadedCheckpoint(
      path: path, metadata: header.metadata, parameters: groups[0], buffers: groups[1],
      firstMoment: groups[2], secondMoment: groups[3])
  }

  /// Refuses values no trained state has: NaN or an infinity in any group (training stops at
  /// the first non-finite loss or gradient), or a negative AdamW second moment (a running mean
  /// of squares; √v of one would make the next update NaN). The file was written by something
  /// else, and its model would print NaN losses, sample from NaN probabilities or save NaN.
  /// The reader itself keeps every bit as stored (``read(path:)``); the commands that use a
  /// checkpoint's values call this.
  static func requireUsable(_ group: CheckpointTensors, path: String) throws {
    let mustBeNonNegative = group.group == groupNames[3]
    for entry in group.layout.entries {
      let values = group.values[entry.offset..<entry.offset + entry.count]
      if let index = values.firstIndex(where: { !$0.isFinite || (mustBeNonNegative && $0 < 0) }) {
        throw CheckpointError(
          "\(quoted(path)) holds \(values[index]) in \(group.group) tensor "
            + "\(quoted(entry.name)) (element \(index - entry.offset)): not a trained model's state"
        )
      }
    }
  }

  /// Checks the magic, decodes and validates the header, and compares the file's size with the
  /// one the header implies. Where the header cannot be trusted, the checksum decides whether
  /// to call the file damaged (bytes changed) or malformed (written so).
  static func parseHeader(_ source: some ByteSource, path: String) throws -> ParsedHeader {
    let name = quoted(path)
    let minimum = prefixBytes + checksumBytes
    let start = try source.bytes(count: min(source.size, magic.count), at: 0)
    guard start == Array(magic.prefix(start.count)) else {
      throw CheckpointError("\(name) is not a checkpoint (it does not start with DDPCKPT1)")
    }
    guard source.size >= minimum else {
      throw CheckpointError(
        "\(name) is truncated (\(counted(source.size, "byte")); a checkpoint has at least \(minimum))"
      )
    }
    let headerLength = try source.uint64(at: magic.count)
    guard headerLength <= UInt64(source.size - minimum) else {
      throw CheckpointError(
        "\(name) is truncated or damaged (its header claims \(counted(headerLength, "byte")); the file "
          + "has \(source.size))")
    }
    let headerBytes = try source.bytes(count: Int(headerLength), at: prefixBytes)
    let stored: StoredHeader
    let layouts: [TensorLayout]
    do {
      stored = try decodeHeader(headerBytes)
      layouts = try stored.tensors.all.map(layout(of:))
      try validate(stored, layouts)
    } catch let error as HeaderProblem {
      try verifyChecksum(source, path: path)
      throw CheckpointError("\(name) is malformed (header: \(error.reason))")
    }
    let dataOffset = prefixBytes + Int(headerLength)
    var expected = dataOffset + checksumBytes
    for layout in layouts {
      expected += layout.totalCount * MemoryLayout<Float>.size  // bounded by layout(of:)
    }
    if source.size < expected {
      throw CheckpointError(
        "\(name) is truncated (\(counted(source.size, "byte")); its header describes \(expected))")
    }
    if source.size > expected {
      throw CheckpointError(
        "\(name) is damaged (\(counted(source.size, "byte")); its header describes \(expected))")
    }
    return ParsedHeader(metadata: stored.metadata, layouts: layouts, dataOffset: dataOffset)
  }

  /// Compares the stored checksum with the one of every byte before it.
  static func verifyChecksum(_ source: some ByteSource, path: String) throws {
    let end = source.size - checksumBytes
    let stored = try source.uint64(at: end)
    let computed = try source.checksum(upTo: end)
    guard stored == computed else {
      throw CheckpointError(
        "\(quoted(path)) is damaged (checksum mismatch); it holds \(hex(stored)) but its bytes "
          + "give \(hex(computed)): it was changed or cut after it was written")
    }
  }

  private static func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
  }

  /// A header that cannot be used, with the reason.
  private struct HeaderProblem: Error {
    let reason: String
  }

  /// The deepest nesting a valid header has is 5 (header, tensors, group, tensor, shape).
  private static let maximumHeaderDepth = 16

  private static func decodeHeader(_ bytes: [UInt8]) throws -> StoredHeader {
    let depth = bytes.withUnsafeBytes { jsonNestingDepth($0) }
    guard depth <= maximumHeaderDepth else {
      throw HeaderProblem(reason: "JSON nested \(depth) deep")
    }
    guard let version = try? JSONDecoder().decode(VersionOnly.self, from: Data(bytes)) else {
      throw HeaderProblem(reason: "not a JSON object with a format_version")
    }
    guard version.formatVersion == formatVersion else {
      throw HeaderProblem(
        reason: "format version \(version.formatVersion); this build reads \(formatVersion)")
    }
    do {
      return try JSONDecoder().decode(StoredHeader.self, from: Data(bytes))
    } catch let error as DecodingError {
      throw HeaderProblem(reason: describe(error))
    }
  }

  private struct VersionOnly: Decodable {
    var formatVersion: Int
    enum CodingKeys: String, CodingKey { case formatVersion = "format_version" }
  }

  /// A one-line account of a decoding error: the key path and what was wrong there.
  static func describe(_ error: DecodingError) -> String {
    func path(_ keys: [any CodingKey]) -> String {
      keys.isEmpty
        ? "the top level"
        : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case .keyNotFound(let key, let context):
      return "\(path(context.codingPath + [key])) is missing"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
      return "\(path(context.codingPath)) has the wrong type"
    case .dataCorrupted(let context):
      return context.codingPath.isEmpty
        ? "not valid JSON, or a number out of range"
        : "\(path(context.codingPath)): \(context.debugDescription)"
    @unknown default:
      return "not the expected JSON"
    }
  }

  /// A layout from stored names and shapes; refuses empty or repeated names, negative
  /// dimensions and sizes that overflow.
  private static func layout(of tensors: [StoredTensor]) throws -> TensorLayout {
    var layout = TensorLayout()
    var total = 0
    for tensor in tensors {
      guard !tensor.name.isEmpty else { throw HeaderProblem(reason: "a tensor has no name") }
      guard layout.entry(tensor.name) == nil else {
        throw HeaderProblem(reason: "tensor \(tensor.name) appears twice")
      }
      // Int.max / 64 leaves room for four groups of 4-byte values and the header.
      guard let count = elementCount(tensor.shape, elementBytes: 1), count <= Int.max / 64 - total
      else {
        throw HeaderProblem(
          reason: "tensor \(tensor.name) has the impossible shape \(shapeText(tensor.shape))")
      }
      total += count
      layout.add(tensor.name, tensor.shape)
    }
    return layout
  }

  private static func validate(_ header: StoredHeader, _ layouts: [TensorLayout]) throws {
    if let problem = header.metadata.problem { throw HeaderProblem(reason: problem) }
    for (layout, group) in zip(layouts, groupNames).dropFirst(2) where layout != layouts[0] {
      throw HeaderProblem(reason: "\(group) is laid out differently from the parameters")
    }
  }
}
