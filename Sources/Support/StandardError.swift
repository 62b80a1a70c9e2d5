#if canImport(Glibc)
  import Glibc
#endif

/// Writes `line` and a newline to standard error, unbuffered (it must appear before an abort
/// or an exit): the one way every module reports an error line. A line longer than
/// ``errorLineLimit`` characters (a 5 MB value quoted from a config) keeps its start and its
/// end, where the hint is, and says how much was left out.
public func writeErrorLine(_ line: String) {
  _ = writeAll(STDERR_FILENO, shortenedErrorLine(line) + "\n")
}

/// Writes every byte of `text` (UTF-8) to `descriptor` with write(2), retrying short writes
/// and interruptions; returns 0, or the `errno` of the write that failed.
func writeAll(_ descriptor: Int32, _ text: String) -> Int32 {
  Array(text.utf8).withUnsafeBytes { buffer in
    guard let base = buffer.baseAddress else { return 0 }
    var offset = 0
    while offset < buffer.count {
      let written = write(descriptor, base + offset, buffer.count - offset)
      if written < 0 && errno == EINTR { continue }
      if written <= 0 { return written == 0 ? EIO : errno }
      offset += written
    }
    return 0
  }
}

/// The most characters an error line shows.
public let errorLineLimit = 1000

/// `line` as ``writeErrorLine(_:)`` prints it: whole up to ``errorLineLimit`` characters,
/// else its first 700 and last 250 around `… (N characters left out) …`.
public func shortenedErrorLine(_ line: String) -> String {
  guard line.count > errorLineLimit else { return line }
  let (head, tail) = (700, 250)
  return String(line.prefix(head)) + " … (\(line.count - head - tail) characters left out) … "
    + String(line.suffix(tail))
}
