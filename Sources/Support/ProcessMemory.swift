#if canImport(Glibc)
  import Glibc
#endif

/// Peak resident set size of this process in bytes (`VmHWM` in /proc/self/status), or nil
/// where that file does not exist.
public func peakResidentBytes() -> Int? {
  guard let file = fopen("/proc/self/status", "r") else { return nil }
  defer { fclose(file) }
  var line: UnsafeMutablePointer<CChar>?
  var capacity = 0
  defer { free(line) }
  while getline(&line, &capacity, file) > 0 {
    guard let line else { continue }
    let text = String(cString: line)
    if text.hasPrefix("VmHWM:") {
      let kib = text.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
        .flatMap { Int($0) }
      return kib.map { $0 * 1024 }
    }
  }
  return nil
}
