import Models

#if canImport(Glibc)
  import Glibc
#endif

// Low-level file handling shared by checkpoints and safetensors exports: atomic writes (temporary name, fsync, rename, fsync of the directory), positioned reads from
// a file or from memory. No Foundation: plain POSIX. The checksum is FNV1a64 (Models).

#if !_endian(little)
  #error("checkpoint and safetensors files store Float32 little-endian; this host is big-endian")
#endif

/// The text of the current `errno`.
func systemError(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// `text` in double quotes, escaped to stay on one line (see `MessageText.quoted`).
func quoted(_ text: String) -> String { MessageText.quoted(text) }

/// `text` with control characters escaped (no quotes added), for names shown in messages.
func displayed(_ text: String) -> String { MessageText.oneLine(text) }

/// A shape as messages show it: `(768, 256)`, `(384)`, `()` for a scalar.
func shapeText(_ shape: [Int]) -> String {
  "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

/// The directory part of `path` (`.` when it has none).
func directoryPart(of path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// `directory/name`, without doubling a trailing slash.
func joined(_ directory: String, _ name: String) -> String {
  directory.hasSuffix("/") ? directory + name : directory + "/" + name
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
}

// MARK: - Atomic writes

/// A file written under `NAME.tmp-PID` in the destination's directory and renamed into place
/// only when complete, so the final name never holds a partial file.
///
/// `commit()` fsyncs the file, renames it, and fsyncs the directory so the rename itself is
/// durable. Any failure, or a thrown error in the body of `AtomicFile.write`, removes the
/// temporary file. A process killed mid-write leaves only the `.tmp-PID` file behind.
final class AtomicFile {
  let path: String
  let temporaryPath: String
  private(set) var checksum = FNV1a64()
  private var descriptor: Int32
  private let kind: FileKind

  /// Writes `path` atomically with `body`; errors are those of `kind`.
  static func write(to path: String, kind: FileKind, _ body: (AtomicFile) throws -> Void) throws {
    let file = try AtomicFile(path: path, kind: kind)
    do {
      try body(file)
      try file.commit()
    } catch {
      file.abandon()
      throw error
    }
  }

  private init(path: String, kind: FileKind) throws {
    self.path = path
    self.kind = kind
    temporaryPath = path + ".tmp-\(getpid())"
    descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw kind.error("cannot create \(quoted(temporaryPath)): \(systemError())")
    }
  }

  /// Appends `bytes` (all of them, retrying short writes) and adds them to the checksum.
  func write(_ bytes: UnsafeRawBufferPointer) throws {
    checksum.update(bytes)
    guard var next = bytes.baseAddress else { return }
    var remaining = bytes.count
    while remaining > 0 {
      let written = Glibc.write(descriptor, next, min(remaining, 1 << 30))
      if written < 0 {
        if errno == EINTR { continue }
        throw kind.error("cannot write \(quoted(temporaryPath)): \(systemError())")
      }
      next += written
      remaining -= written
    }
  }

  func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try write($0) }
  }

  func write(_ value: UInt64) throws {
    try withUnsafeBytes(of: value.littleEndian) { try write($0) }
  }

  func write(floats: UnsafePointer<Float>, count: Int) throws {
    try write(UnsafeRawBufferPointer(start: floats, count: count * MemoryLayout<Float>.size))
  }

  private func commit() throws {
    guard fsync(descriptor) == 0 else {
      throw kind.error("cannot flush \(quoted(temporaryPath)): \(systemError())")
    }
    let closed = close(descriptor)
    descriptor = -1
    guard closed == 0 else {
      throw kind.error("cannot close \(quoted(temporaryPath)): \(systemError())")
    }
    guard rename(temporaryPath, path) == 0 else {
      throw kind.error(
        "cannot rename \(quoted(temporaryPath)) to \(quoted(path)): \(systemError())")
    }
    // The file is complete under its final name; a failed directory sync only weakens
    // durability across a power loss, and some file systems do not support it (EINVAL).
    let directory = open(directoryPart(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directory >= 0 {
      let synced = fsync(directory)
      let code = errno
      close(directory)
      if synced != 0 && code != EINVAL && code != EROFS {
        throw kind.error("cannot flush the directory of \(quoted(path)): \(systemError(code))")
      }
    }
  }

  private func abandon() {
    if descriptor >= 0 {
      close(descriptor)
      descriptor = -1
    }
    unlink(temporaryPath)
  }
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
  let size: Int
  private let descriptor: Int32
  private let path: String
  private let kind: FileKind

  init(path: String, kind: FileKind) throws {
    self.path = path
    self.kind = kind
    descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw kind.error("cannot read \(quoted(path)): \(systemError())") }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      let reason = systemError()
      close(descriptor)
      throw kind.error("cannot read \(quoted(path)): \(reason)")
    }
    guard status.st_mode & S_IFMT == S_IFREG else {
      close(descriptor)
      throw kind.error("cannot read \(quoted(path)): not a regular file")
    }
    size = Int(status.st_size)
  }

  deinit { close(descriptor) }

  func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
    var done = 0
    while done < count {
      let got = pread(descriptor, destination + done, min(count - done, 1 << 30), offset + done)
      if got < 0 && errno == EINTR { continue }
      if got < 0 { throw kind.error("cannot read \(quoted(path)): \(systemError())") }
      if got == 0 { throw kind.error("\(quoted(path)) became shorter while being read") }
      done += got
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
