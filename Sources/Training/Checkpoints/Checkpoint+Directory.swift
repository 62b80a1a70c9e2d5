import Support

#if canImport(Glibc)
  import Glibc
#endif

extension Checkpoint {
  /// The checkpoints in `directory` (names made by ``fileName(step:)``), newest first; empty
  /// when the directory cannot be read. Temporary `.tmp-PID` files are not listed.
  public static func list(inDirectory directory: String) -> [(step: Int, path: String)] {
    fileNames(inDirectory: directory)
      .compactMap { name in step(fromFileName: name).map { ($0, FileSystem.join(directory, name)) }
      }
      .sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 > $1.1 }
  }

  /// The path of the highest-step checkpoint in `directory` that verifies in full (checksum
  /// included), or nil when there is none. Damaged and partial files are skipped.
  ///
  /// - Complexity: reads each checkpoint newer than the one returned, and that one.
  public static func newestIntact(inDirectory directory: String) -> String? {
    list(inDirectory: directory).first { (try? readMetadata(path: $0.path)) != nil }?.path
  }

  /// Deletes all but the `keep` highest-step checkpoints in `directory` (`keep` below 1 counts
  /// as 1: the newest checkpoint is never deleted).
  ///
  /// - Returns: the deleted paths.
  /// - Throws: ``CheckpointError`` naming the first file that could not be deleted.
  @discardableResult
  public static func prune(directory: String, keep: Int) throws -> [String] {
    let doomed = list(inDirectory: directory).dropFirst(max(keep, 1)).map(\.path)
    for path in doomed where unlink(path) != 0 && errno != ENOENT {
      throw CheckpointError("cannot delete \(quoted(path)): \(systemError())")
    }
    return doomed
  }

  /// Deletes the temporary files (`checkpoint-*.ckpt.tmp-PID`) that writers on this machine
  /// left when they died mid-write: those whose process no longer exists.
  ///
  /// - Returns: the deleted paths.
  @discardableResult
  public static func removeAbandonedTemporaries(inDirectory directory: String) -> [String] {
    var removed: [String] = []
    for name in fileNames(inDirectory: directory) {
      guard let marker = name.firstRange(of: ".ckpt.tmp-"),
        step(fromFileName: name[..<marker.lowerBound] + ".ckpt") != nil,
        let pid = Int32(name[marker.upperBound...]), pid > 0, pid != getpid(),
        kill(pid, 0) != 0, errno == ESRCH
      else { continue }
      let path = FileSystem.join(directory, name)
      if unlink(path) == 0 { removed.append(path) }
    }
    return removed
  }

  /// Names of the entries of `directory` (without `.` and `..`); none when it cannot be read.
  private static func fileNames(inDirectory directory: String) -> [String] {
    (try? FileSystem.entries(of: directory)) ?? []
  }
}
