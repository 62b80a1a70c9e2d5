import Support

#if canImport(Glibc)
  import Glibc
#endif

// Low-level file handling shared by checkpoints and safetensors exports: positioned reads from a file or from memory, and the
// message helpers. Atomic writes are `AtomicFile` (Support). No Foundation: plain POSIX.

#if !_endian(little)
  #error("checkpoint and safetensors files store Float32 little-endian; this host is big-endian")
#endif

/// The text of the current `errno`.
func systemError(_ code: Int32 = errno) -> String { systemErrorText(code) }

/// `text` in double quotes, escaped to stay on one line (see `MessageText.quoted`).
func quoted(_ text: String) -> String { MessageText.quoted(text) }

/// `text` with control characters escaped (no quotes added), for names shown in messages.
func displayed(_ text: String) -> String { MessageText.oneLine(text) }

/// A shape as messages show it: `(768, 256)`, `(384)`, `()` for a scalar.
func shapeText(_ shape: [Int]) -> String {
  "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

/// Element count of `shape`, or nil when a dimension is negative or the count times
/// `elementBytes` overflows.
func elementCount(_ shape: [Int], elementBytes: Int) -> Int? {
  var count = 1
  for dimension in shape {
    guard dimension >= 0 else { return nil }
    let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
    guard !overflow else { return nil }
    count = product
  }
  guard !count.multipliedReportingOverflow(by: elementBytes).overflow else { return nil }
  return count
}

/// The deepest nesting of arrays and objects in JSON text (strings skipped), so a reader can
/// refuse absurd nesting before handing text to a recursive parser.
func jsonNestingDepth(_ bytes: UnsafeRawBufferPointer) -> Int {
  var (depth, deepest, inString, escape) = (0, 0, false, false)
  for byte in bytes {
    if inString {
      if escape {
        escape = false
      } else if byte == UInt8(ascii: "\\") {
        escape = true
      } else if byte == UInt8(ascii: "\"") {
        inString = false
      }
      continue
    }
    switch byte {
    case UInt8(ascii: "\""): inString = true
    case UInt8(ascii: "["), UInt8(ascii: "{"):
      depth += 1
      deepest = max(deepest, depth)
    case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
    default: break
    }
  }
  return deepest
}

/// Which file format an I/O error belongs to: it picks the error type and message prefix.
enum FileKind {
  case checkpoint
  case safetensors

  func error(_ message: String) -> any Error {
    switch self {
    case .checkpoint: return CheckpointError(message)
    case .safetensors: return SafeTensorsError(message)
    }
  }

  /// A failed file operation as this format's error.
  func failure(_ error: FileError) -> any Error { self.error(error.description) }
}

// MARK: - Positioned reads

/// Bytes read by position: a file (`pread`) or an array in memory (for tests and fuzzing).
protocol ByteSource {
  var size: Int { get }
  /// Reads exactly `count` bytes at `offset` into `destination`; the range is within `size`.
  func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: Int) throws
}

extension ByteSource {
  func bytes(count: Int, at offset: Int) throws -> [UInt8] {
    try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      if let base = buffer.baseAddress { try read(into: base, count: count, at: offset) }
      initialized = count
    }
  }

  func uint64(at offset: Int) throws -> UInt64 {
    var value: UInt64 = 0
    try withUnsafeMutableBytes(of: &value) { try read(into: $0.baseAddress!, count: 8, at: offset) }
    return UInt64(littleEndian: value)
  }

  /// FNV-1a 64 of the bytes in `0..<end`, read in chunks of 1 MiB.
  func checksum(upTo end: Int) throws -> UInt64 {
    var hash = FNV1a64()
    let chunk = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
    defer { buffer.deallocate() }
    var offset = 0
    while offset < end {
      let count = min(chunk, end - offset)
      try read(into: buffer.baseAddress!, count: count, at: offset)
      hash.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
      offset += count
    }
    return hash.value
  }
}

/// A regular file opened for reading; closed when released.
final class FileSource: ByteSource {
  private let file: RegularFile
  private let kind: FileKind
  var size: Int { file.size }

  init(path: String, kind: FileKind) throws {
    self.kind = kind
    do { file = try RegularFile(path: path) } catch let error as FileError {
      throw kind.failure(error)
    }
  }

  func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
    do { try file.read(into: destination, count: count, at: offset) } catch let error as FileError {
      throw kind.failure(error)
    }
  }
}

/// Bytes in memory.
struct MemorySource: ByteSource {
  let bytes: [UInt8]
  var size: Int { bytes.count }

  func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
    guard count > 0 else { return }
    bytes.withUnsafeBytes { source in
      destination.copyMemory(from: source.baseAddress! + offset, byteCount: count)
    }
  }
}
