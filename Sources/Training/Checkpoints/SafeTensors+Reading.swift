import Support

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

extension SafeTensors {
  /// Reads and validates a safetensors file of F32 tensors.
  ///
  /// - Throws: ``SafeTensorsError`` for an unreadable file, or one that ``parse(_:name:)``
  ///   refuses.
  /// - Complexity: O(size); holds the file in memory once.
  public static func read(path: String) throws -> SafeTensorsFile {
    let source = try FileSource(path: path, kind: .safetensors)
    return try parse(source.bytes(count: source.size, at: 0), name: path)
  }

  /// Validates and decodes the bytes of a safetensors file; `name` stands for the path in
  /// messages. Built to be fuzzed: every length and offset is checked before use.
  ///
  /// Refuses a file shorter than its header length says, a header longer than
  /// ``maximumHeaderBytes``, a header that is not a JSON object of tensors (`dtype`, `shape`,
  /// `data_offsets`) and string-to-string `__metadata__`, dtypes other than F32, offsets
  /// whose length disagrees with the shape, and tensors that do not cover the data section
  /// contiguously from 0 to its end.
  public static func parse(_ bytes: [UInt8], name: String = "<memory>") throws -> SafeTensorsFile {
    let file = quoted(name)
    func fail(_ reason: String) -> SafeTensorsError { SafeTensorsError("\(file) \(reason)") }
    guard bytes.count >= 8 else {
      throw fail("is truncated (\(counted(bytes.count, "byte")); the header length alone takes 8)")
    }
    let length = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    guard length <= UInt64(maximumHeaderBytes) else {
      throw fail("has a header of \(length) bytes, over the limit of \(maximumHeaderBytes)")
    }
    let headerLength = Int(length)
    guard headerLength <= bytes.count - 8 else {
      throw fail(
        "is truncated (its header claims \(counted(headerLength, "byte")); \(bytes.count - 8) follow)"
      )
    }
    let headerBytes = bytes[8..<8 + headerLength]
    guard headerBytes.first == UInt8(ascii: "{") else {
      throw fail("is not a safetensors file (its header does not start with '{')")
    }
    let entries = try decodeHeader(Array(headerBytes), fail: fail)
    let dataBytes = bytes.count - 8 - headerLength
    var tensors: [SafeTensorsFile.Tensor] = []
    var metadata: [String: String] = [:]
    for (key, entry) in entries {
      switch entry {
      case .metadata(let values): metadata = values
      case .tensor(let info): tensors.append(try tensor(key, info, fail: fail))
      }
    }
    tensors.sort {  // by position; empty tensors at one offset by name, for determinism
      ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < (
        $1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name
      )
    }
    var end = 0
    for tensor in tensors {
      guard tensor.dataOffsets.lowerBound == end else {
        throw fail(
          "has tensor \(tensor.name) at bytes \(tensor.dataOffsets.lowerBound)..<"
            + "\(tensor.dataOffsets.upperBound), not at \(end) where the one before it ends")
      }
      end = tensor.dataOffsets.upperBound
    }
    guard end == dataBytes else {
      throw fail(
        end < dataBytes
          ? "is damaged (tensors cover \(counted(end, "byte")); the data section has \(dataBytes))"
          : "is truncated (tensors cover \(end) bytes; the data section has \(dataBytes))")
    }
    let data = [Float](unsafeUninitializedCapacity: dataBytes / 4) { buffer, count in
      bytes.withUnsafeBytes { raw in
        if let base = buffer.baseAddress, dataBytes > 0 {
          UnsafeMutableRawPointer(base).copyMemory(
            from: raw.baseAddress! + 8 + headerLength, byteCount: dataBytes)
        }
      }
      count = dataBytes / 4
    }
    return SafeTensorsFile(
      tensors: tensors, metadata: metadata, data: data, headerLength: headerLength)
  }

  /// A header entry: `__metadata__` or a tensor.
  private enum Entry {
    case metadata([String: String])
    case tensor(TensorInfo)
  }

  private struct TensorInfo: Decodable {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [Int]
    enum CodingKeys: String, CodingKey {
      case dtype, shape
      case dataOffsets = "data_offsets"
    }
  }

  private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  private struct Header: Decodable {
    var entries: [(String, Entry)] = []
    init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: AnyKey.self)
      for key in c.allKeys {
        if key.stringValue == "__metadata__" {
          entries.append(
            (key.stringValue, .metadata(try c.decode([String: String].self, forKey: key))))
        } else {
          entries.append((key.stringValue, .tensor(try c.decode(TensorInfo.self, forKey: key))))
        }
      }
    }
  }

  /// The deepest nesting of a valid header is 3 (header, tensor, shape).
  private static let maximumHeaderDepth = 8

  private static func decodeHeader(
    _ bytes: [UInt8], fail: (String) -> SafeTensorsError
  ) throws -> [(String, Entry)] {
    let depth = bytes.withUnsafeBytes { jsonNestingDepth($0) }
    guard depth <= maximumHeaderDepth else { throw fail("has a header nested \(depth) deep") }
    do {
      return try JSONDecoder().decode(Header.self, from: Data(bytes)).entries
    } catch let error as DecodingError {
      throw fail("has a bad header: \(Checkpoint.describe(error))")
    }
  }

  private static func tensor(
    _ name: String, _ info: TensorInfo, fail: (String) -> SafeTensorsError
  ) throws -> SafeTensorsFile.Tensor {
    let shown = displayed(name)
    guard info.dtype == "F32" else {
      throw fail(
        "has tensor \(shown) of dtype \(displayed(info.dtype)); this reader takes F32 only")
    }
    guard let count = elementCount(info.shape, elementBytes: MemoryLayout<Float>.size) else {
      throw fail("has tensor \(shown) of impossible shape \(shapeText(info.shape))")
    }
    guard info.dataOffsets.count == 2, info.dataOffsets[0] >= 0,
      info.dataOffsets[0] <= info.dataOffsets[1]
    else {
      throw fail("has tensor \(shown) with bad data_offsets \(info.dataOffsets)")
    }
    let (begin, end) = (info.dataOffsets[0], info.dataOffsets[1])
    guard end - begin == count * MemoryLayout<Float>.size else {
      throw fail(
        "has tensor \(shown) of shape \(shapeText(info.shape)) (\(count * 4) bytes) at "
          + "data_offsets [\(begin), \(end)] (\(end - begin) bytes)")
    }
    return .init(name: name, shape: info.shape, dataOffsets: begin..<end)
  }
}
