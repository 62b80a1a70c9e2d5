/// The memory this process may still use: the smaller of `MemAvailable` (/proc/meminfo) and
/// the cgroup limit minus its current use (cgroup v2 `memory.max`, `memory.current`), in
/// bytes; nil where neither can be read.
public func availableMemoryBytes() -> Int? {
  var candidates: [Int] = []
  if let meminfo = try? FileSystem.contents(of: "/proc/meminfo") {
    for line in String(decoding: meminfo, as: UTF8.self).split(separator: "\n")
    where line.hasPrefix("MemAvailable:") {
      let fields = line.split(separator: " ")
      if fields.count >= 2, let kib = Int(fields[1]) { candidates.append(kib * 1024) }
    }
  }
  func number(_ path: String) -> Int? {
    kernelFileText(path)?.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) }
  }
  if let limit = number("/sys/fs/cgroup/memory.max"),
    let used = number("/sys/fs/cgroup/memory.current")
  {
    candidates.append(max(limit - used, 0))
  }
  return candidates.min()
}
