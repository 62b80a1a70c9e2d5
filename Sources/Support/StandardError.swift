#if canImport(Glibc)
  import Glibc
#endif

/// Writes `line` and a newline to standard error, unbuffered (it must appear before an abort
/// or an exit): the one way every module reports an error line.
public func writeErrorLine(_ line: String) {
  let bytes = Array((line + "\n").utf8)
  bytes.withUnsafeBytes { buffer in
    guard let base = buffer.baseAddress else { return }
    var offset = 0
    while offset < buffer.count {
      let written = write(STDERR_FILENO, base + offset, buffer.count - offset)
      if written < 0 && errno == EINTR { continue }
      if written <= 0 { return }
      offset += written
    }
  }
}
