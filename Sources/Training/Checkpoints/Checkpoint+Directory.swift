import Support

#if canImport(Glibc)
  import Glibc
#endif

extension Checkpoint {
  /// The checkpoints in `directory` (regular files named by ``fileName(step:)``), newest
  /// first; empty when the directory cannot be read. Temporary `.tmp-PID` files are not listed,
  /// nor a directory, FIFO or device that merely carries a checkpoint's name.
  public static func list(inDirectory directory: String) -> [(step: Int, path: String)] {
    fileNames(inDirectory: directory)
      .compactMap { name in step(fromFileName: name).map { ($0, FileSystem.join(directory, name)) }
      }
      .filter { FileSystem.existingKind(of: $0.1) == .file }
      .sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 > $1.1 }
  }

  /// The path of the highest-step checkpoint in `directory` that verifies in full (checksum
  /// included), or nil when there is none. Damaged and partial files are skipped.
  ///
  /// - Complexity: reads each checkpoint newer than the one returned, and that one.
  public static func newestIntact(inDirectory directory: String) -> String? {
    list(inDirectory: directory).first { (try? readMetadata(path: $0.path)) != nil }?.path
  }

  /// Deletes the checkpoints older than the `keep` newest intact ones in `directory` (`keep`
  /// below 1 counts as 1). Only intact checkpoints count: a damaged newest file never pushes
  /// the last good one out, and damaged files newer than the oldest one kept stay for a person
  /// to look at. Nothing is deleted unless `keep` intact checkpoints exist.
  ///
  /// - Parameter knownIntact: checkpoints the caller wrote itself and knows to be intact; they
  ///   are not read again, so a run that prunes after every checkpoint reads no old file twice.
  /// - Returns: the deleted paths.
  /// - Throws: ``CheckpointError`` naming the first file that could not be deleted.
  /// - Complexity: reads each checkpoint from the newest down to the `keep`-th intact one.
  @discardableResult
  public static func prune(directory: String, keep: Int, knownIntact: Set<String> = []) throws
    -> [String]
  {
    let checkpoints = list(inDirectory: directory)
    var intact = 0
    var oldestKept: Int?
    for (index, checkpoint) in checkpoints.enumerated() {
      if knownIntact.contains(checkpoint.path) || (try? readMetadata(path: checkpoint.path)) != nil
      {
        intact += 1
      }
      if intact == max(keep, 1) {
        oldestKept = index
        break
      }
    }
    guard let oldestKept else { return [] }
    let doomed = checkpoints.dropFirst(oldestKept + 1).map(\.path)
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
    (try? FileSystem.entries(of: directory, namesNotUTF8: .skipped)) ?? []
  }
}
