#if canImport(Glibc)
  import Glibc
#endif

/// The monotonic clock that times collectives.
enum WallClock {
  /// Seconds on CLOCK_MONOTONIC; the difference of two readings times an interval.
  static func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
  }
}

/// Writes `line` and a newline to standard error, unbuffered (it must appear before an abort).
func writeErrorLine(_ line: String) {
  let bytes = Array((line + "\n").utf8)
  bytes.withUnsafeBytes { buffer in
    guard let base = buffer.baseAddress else { return }
    var offset = 0
    while offset < buffer.count {
      let written = write(STDERR_FILENO, base + offset, buffer.count - offset)
      if written <= 0 { return }
      offset += written
    }
  }
}
