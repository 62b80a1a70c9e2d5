import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The files an output must never replace: the command's own inputs, and a training run's
/// files. `ddp report --out RUN/metrics.jsonl`, `ddp probe --config c.toml --out c.toml` or
/// `ddp export --output RUN/checkpoint-N.ckpt --force` replaced the very file they read or a
/// file the run needs to resume, and exited 0.
extension FileSystem {
  /// The names a run folder (`ddp train --out`) holds for itself: `config.toml`,
  /// `metrics.jsonl`, `summary.json` and `checkpoint-N.ckpt` (the rule of
  /// `Checkpoint.step(fromFileName:)`, which Support cannot import).
  public static func isRunFileName(_ name: String) -> Bool {
    if ["config.toml", "metrics.jsonl", "summary.json"].contains(name) { return true }
    guard name.hasPrefix("checkpoint-"), name.hasSuffix(".ckpt") else { return false }
    let digits = name.dropFirst("checkpoint-".count).dropLast(".ckpt".count)
    return !digits.isEmpty && digits.allSatisfy(\.isASCIIDigitCharacter)
  }

  /// Whether `folder` holds a training run: a `metrics.jsonl` or a checkpoint.
  static func holdsRun(_ folder: String) -> Bool {
    if existingKind(of: join(folder, "metrics.jsonl")) != nil { return true }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.contains { isRunFileName($0) && $0.hasPrefix("checkpoint-") }
  }

  /// Refuses `path` as an output when it is one of `inputs` (the same file by device and inode:
  /// another spelling, a hard link or a symbolic link to it count) or a run folder's own file
  /// (`config.toml`, `metrics.jsonl`, `summary.json`, `checkpoint-N.ckpt` in a folder that
  /// holds a run), existing or not: a new `checkpoint-N.ckpt` there would be read as the run's.
  ///
  /// - Throws: ``FileError``, e.g. `cannot write "c.toml": it is an input of this command;
  ///   choose another path`.
  public static func requireNotAnInput(_ path: String, inputs: [String]) throws {
    var target = stat()
    if stat(path, &target) == 0 {
      for input in inputs {
        var info = stat()
        if stat(input, &info) == 0, info.st_dev == target.st_dev, info.st_ino == target.st_ino {
          throw FileError(
            "write", path, reason: "it is an input of this command; choose another path")
        }
      }
    }
    let name = URL(fileURLWithPath: path).lastPathComponent
    if isRunFileName(name), holdsRun(directoryPart(of: path)) {
      throw FileError(
        "write", path,
        reason: "\(name) is a training run's own file (its folder holds a run); choose another path"
      )
    }
  }
}

extension Character {
  fileprivate var isASCIIDigitCharacter: Bool { isASCII && isWholeNumber }
}
