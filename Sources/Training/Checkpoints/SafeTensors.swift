import Config
import Models
import Support

/// safetensors files: named Float32 tensors behind a JSON header, loadable by other tools
/// without this project (README, "Exported weights": the tensor names, shapes and metadata).
///
/// ### Byte layout (all little-endian)
///
/// | Offset | Bytes | Field                                                               |
/// |--------|-------|---------------------------------------------------------------------|
/// | 0      | 8     | N: UInt64, length of the header                                     |
/// | 8      | N     | header: UTF-8 JSON object, padded with spaces to a multiple of 8    |
/// | 8 + N  | …     | data: each tensor's values, contiguous, in the header's order       |
///
/// ```
/// {"__metadata__":{"config":"{\"d_model\":128,...}"},
///  "wte.weight":{"dtype":"F32","shape":[256,128],"data_offsets":[0,131072]},
///  "wpe.weight":{"dtype":"F32","shape":[64,128],"data_offsets":[131072,163840]}, ...}
/// ```
///
/// `data_offsets` are byte offsets into the data section, `[begin, end)`. `__metadata__` maps
/// strings to strings and is left out when empty. The padding keeps the data 8-byte aligned.
///
/// ### References
/// Hugging Face, "safetensors" format, https://github.com/huggingface/safetensors
public enum SafeTensors {
  /// The largest header a reader accepts, as the reference implementation (100 MB).
  public static let maximumHeaderBytes = 100_000_000

  /// Writes `tensors`, in the given order, and `metadata` to `path`, atomically: under a
  /// temporary name in the same directory, flushed, then renamed into place.
  ///
  /// - Parameters:
  ///   - tensors: names (unique, not empty, not `__metadata__`), shapes, and `shape.product`
  ///     values each at `data`.
  ///   - metadata: the header's `__metadata__`, written with sorted keys.
  /// - Throws: ``SafeTensorsError`` for a bad name or shape, or when the file cannot be
  ///   written; no file is then left under `path` or the temporary name.
  /// - Complexity: O(total size).
  public static func write(
    tensors: [(name: String, shape: [Int], data: UnsafePointer<Float>)],
    metadata: [String: String], to path: String, replacing: Bool = true
  ) throws {
    var counts: [Int] = []
    var seen: Set<String> = []
    for tensor in tensors {
      guard !tensor.name.isEmpty, tensor.name != "__metadata__" else {
        throw SafeTensorsError(
          "cannot write \(quoted(path)): bad tensor name \(quoted(tensor.name))")
      }
      guard seen.insert(tensor.name).inserted else {
        throw SafeTensorsError("cannot write \(quoted(path)): tensor \(tensor.name) appears twice")
      }
      guard let count = elementCount(tensor.shape, elementBytes: MemoryLayout<Float>.size) else {
        throw SafeTensorsError(
          "cannot write \(quoted(path)): tensor \(tensor.name) has the impossible shape "
            + shapeText(tensor.shape))
      }
      counts.append(count)
    }
    let header = self.header(
      tensors: zip(tensors, counts).map { ($0.name, $0.shape, $1) }, metadata: metadata)
    try AtomicFile.write(to: path, replacing: replacing, failure: FileKind.safetensors.failure) {
      file in
      try file.write(UInt64(header.count))
      try file.write(header)
      for (tensor, count) in zip(tensors, counts) {
        try file.write(floats: tensor.data, count: count)
      }
    }
  }

  /// Writes every tensor of `groups` (e.g. a model's parameters, then its buffers), each in
  /// layout order, as ``write(tensors:metadata:to:)``.
  public static func write(
    _ groups: [FlatTensors], metadata: [String: String], to path: String, replacing: Bool = true
  ) throws {
    let tensors = groups.flatMap { group in
      group.layout.entries.map {
        (name: $0.name, shape: $0.shape, data: UnsafePointer(group.pointer + $0.offset))
      }
    }
    try withExtendedLifetime(groups) {
      try write(tensors: tensors, metadata: metadata, to: path, replacing: replacing)
    }
  }

  /// The JSON header for tensors of the given element counts, padded with spaces to a
  /// multiple of 8 bytes.
  static func header(
    tensors: [(name: String, shape: [Int], count: Int)], metadata: [String: String]
  )
    -> [UInt8]
  {
    var fields: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.sorted { $0.key < $1.key }.map {
        quoted($0.key) + ":" + quoted($0.value)
      }
      fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
    }
    var offset = 0
    for tensor in tensors {
      let end = offset + tensor.count * MemoryLayout<Float>.size
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      fields.append(
        quoted(tensor.name) + ":{\"dtype\":\"F32\",\"shape\":[\(shape)],"
          + "\"data_offsets\":[\(offset),\(end)]}")
      offset = end
    }
    var bytes = Array(("{" + fields.joined(separator: ",") + "}").utf8)
    bytes += [UInt8](repeating: UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8)
    return bytes
  }
}
