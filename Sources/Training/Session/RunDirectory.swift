import Foundation
import Support

/// The folder a training run writes: `config.toml` (the fully resolved config),
/// `metrics.jsonl` (one JSON object per logged step), checkpoints, and `summary.json`.
///
/// Created only after the config, data and model have been checked, so bad input never leaves
/// a half-made run directory behind.
public struct RunDirectory {
  public let path: String
  private let metrics: FileHandle

  /// Creates `path` (which must not hold a run yet unless `resuming`) and writes the config.
  public init(path: String, configTOML: String, resuming: Bool) throws {
    self.path = path
    let manager = FileManager.default
    let configPath = path + "/config.toml"
    if resuming {
      guard manager.fileExists(atPath: configPath) else {
        throw RunError("--resume: \"\(path)\" is not a run directory (no config.toml)")
      }
      // Half-written checkpoints of a writer that died (never renamed into place).
      for removed in Checkpoint.removeAbandonedTemporaries(inDirectory: path) {
        print("ddp train: removed \(removed), a checkpoint its writer did not finish")
      }
    } else {
      try Self.claim(path, configTOML: configTOML)
    }
    let metricsPath = path + "/metrics.jsonl"
    if !manager.fileExists(atPath: metricsPath) {
      manager.createFile(atPath: metricsPath, contents: nil)
    }
    guard let handle = FileHandle(forWritingAtPath: metricsPath) else {
      throw RunError("cannot write \"\(metricsPath)\"")
    }
    handle.seekToEndOfFile()
    metrics = handle
  }

  /// Creates `path` for a fresh run and writes its `config.toml`, refusing a folder that holds
  /// a run or another run's checkpoints (whose files this run would otherwise prune). The
  /// config is put in place with `link(2)`, so of two runs started on one folder at once
  /// exactly one claims it.
  static func claim(_ path: String, configTOML: String) throws {
    let configPath = path + "/config.toml"
    let taken = RunError(
      "run directory \(MessageText.quoted(path)) already holds a run; use --resume to continue "
        + "it or --out to choose another")
    if FileSystem.existingKind(of: configPath) != nil { throw taken }
    if let newest = Checkpoint.list(inDirectory: path).first {
      throw RunError(
        "run directory \(MessageText.quoted(path)) holds checkpoints of another run (\(MessageText.quoted(newest.path))) but no config.toml; choose an empty --out"
      )
    }
    do {
      try FileSystem.createDirectories(path)
      try AtomicFile.write(text: configTOML, to: configPath, replacing: false)
    } catch let error as FileError {
      if error.path == configPath && error.code == EEXIST { throw taken }
      throw RunError("cannot create run directory \(MessageText.quoted(path)): \(error)")
    }
  }

  /// Appends one compact JSON line to metrics.jsonl (NaN and infinities as null).
  public func log(_ record: StepRecord) {
    guard let line = try? JSONStyle.line(record) else { return }
    metrics.write(Data((line + "\n").utf8))
  }

  /// Writes summary.json, pretty-printed (replacing the one a resumed run wrote before).
  public func writeSummary(_ summary: RunSummary) throws {
    try AtomicFile.write(
      text: try JSONStyle.document(summary), to: path + "/summary.json",
      failure: { RunError($0.description) })
  }
}
