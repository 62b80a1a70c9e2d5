import Foundation

/// The size of the largest CPU cache of cpu0 (Linux sysfs,
/// `/sys/devices/system/cpu/cpu0/cache/index*/size`), in bytes: the last level's; nil where
/// sysfs has no cache entries (some containers and VMs).
/// `read` gives a file's text (tests pass their own).
public func lastLevelCacheBytes(read: (String) -> String? = kernelFileText) -> Int? {
  (0..<16).compactMap { index in
    read("/sys/devices/system/cpu/cpu0/cache/index\(index)/size").flatMap(cacheSizeBytes)
  }.max()
}

/// Bytes of a sysfs cache size: `32768K`, `1024K`, `1M`, or a plain byte count; nil otherwise.
public func cacheSizeBytes(_ text: String) -> Int? {
  let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
  guard let last = text.last else { return nil }
  let (digits, unit) = units[last].map { (String(text.dropLast()), $0) } ?? (text, 1)
  guard digits.allSatisfy({ ("0"..."9").contains($0) }), let count = Int(digits), count > 0 else {
    return nil
  }
  let (bytes, overflow) = count.multipliedReportingOverflow(by: unit)
  return overflow ? nil : bytes
}
