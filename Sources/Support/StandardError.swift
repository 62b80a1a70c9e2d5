#if canImport(Glibc)
  import Glibc
#endif

/// Writes `line` and a newline to standard error, unbuffered (it must appear before an abort
/// or an exit): the one way every module reports an error line. A line longer than
/// ``errorLineLimit`` characters (a 5 MB value quoted from a config) keeps its start and its
/// end, where the hint is, and says how much was left out.
public func writeErrorLine(_ line: String) {
  let bytes = Array((shortenedErrorLine(line) + "\n").utf8)
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
