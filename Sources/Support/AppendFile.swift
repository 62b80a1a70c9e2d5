#if canImport(Glibc)
  import Glibc
#endif

/// A file that records are appended to (`metrics.jsonl`): each `append` writes all its bytes or
/// throws a ``FileError`` (a full disk, a lost device), never traps, so a caller can end a run
/// with one line instead of a crash.
public final class AppendFile {
  public let path: String
  private let descriptor: Int32

  /// Opens `path` for appending, creating it if it does not exist; refuses anything but a
  /// regular file.
  public init(path: String) throws {
    self.path = path
    let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw FileError("write", path, code: errno) }
    var info = stat()
    guard fstat(descriptor, &info) == 0, FileSystem.kind(mode: info.st_mode) == .file else {
      close(descriptor)
      throw FileError("write", path, reason: "not a regular file")
    }
    self.descriptor = descriptor
  }

  deinit { close(descriptor) }

  /// Appends `bytes` in full (retrying short writes); a job that is ending (``JobEnding``)
  /// appends nothing more, so no record is cut short.
  public func append(_ bytes: [UInt8]) throws {
    try JobEnding.writing { try appendNow(bytes) }
  }

  private func appendNow(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { buffer in
      guard var next = buffer.baseAddress else { return }
      var remaining = buffer.count
      while remaining > 0 {
        let written = write(descriptor, next, remaining)
        if written < 0 {
          if errno == EINTR { continue }
          throw FileError("write", path, code: errno)
        }
        next += written
        remaining -= written
      }
    }
  }
}
