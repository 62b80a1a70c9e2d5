#if canImport(Glibc)
  import Glibc
#endif

/// An open regular file read by position (`pread`): the one way input files are opened.
///
/// `open` does not block (`O_NONBLOCK`: a FIFO with no writer would block `open` itself), and
/// anything `fstat` does not call a regular file (FIFO, device, socket, directory) is refused
/// before a byte is read, so no input path can hang a run or read without end.
public final class RegularFile {
  public let path: String
  /// Size in bytes when opened.
  public let size: Int
  private let descriptor: Int32

  /// Opens `path` for reading; throws ``FileError`` (`cannot read "PATH": REASON`).
  public init(path: String) throws {
    self.path = path
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { throw FileError("read", path, code: errno) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else {
      let code = errno
      close(descriptor)
      throw FileError("read", path, code: code)
    }
    switch FileSystem.kind(mode: info.st_mode) {
    case .file:
      break
    case .directory:
      close(descriptor)
      throw FileError("read", path, reason: "it is a directory, not a file")
    case .other:
      close(descriptor)
      throw FileError("read", path, reason: "not a regular file")
    }
    self.descriptor = descriptor
    size = Int(info.st_size)
  }

  deinit { close(descriptor) }

  /// Reads exactly `count` bytes at `offset` into `destination`.
  ///
  /// - Throws: ``FileError`` on a read error, or when the file ends first (it shrank while
  ///   being read).
  public func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
    var done = 0
    while done < count {
      let got = pread(descriptor, destination + done, min(count - done, 1 << 30), offset + done)
      if got < 0 && errno == EINTR { continue }
      if got < 0 { throw FileError("read", path, code: errno) }
      if got == 0 { throw FileError("read", path, reason: "it became shorter while being read") }
      done += got
    }
  }

  /// Every byte from the start to the end as it is now (a file that grows is read to its end).
  public func readAll() throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: size)
    try bytes.withUnsafeMutableBytes { buffer in
      if let base = buffer.baseAddress { try read(into: base, count: size, at: 0) }
    }
    let chunk = 1 << 16
    var tail = [UInt8](repeating: 0, count: chunk)
    while true {
      let got = tail.withUnsafeMutableBytes {
        pread(descriptor, $0.baseAddress, chunk, bytes.count)
      }
      if got < 0 && errno == EINTR { continue }
      if got < 0 { throw FileError("read", path, code: errno) }
      if got == 0 { return bytes }
      bytes += tail[0..<got]
    }
  }
}
