import Foundation

/// The text of a kernel pseudo-file (/proc, sysfs, cgroupfs), trimmed; nil when it cannot be
/// read. Not `FileSystem.contents`: sysfs states 4096 bytes for every attribute and /proc 0,
/// and `RegularFile` reads a file's stated size in full, taking a shorter read for truncation.
public func kernelFileText(_ path: String) -> String? {
  (try? String(contentsOfFile: path, encoding: .utf8))?
    .trimmingCharacters(in: .whitespacesAndNewlines)
}
