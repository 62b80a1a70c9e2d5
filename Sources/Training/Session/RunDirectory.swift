import Foundation
import Support

/// The folder a training run writes: `config.toml` (the fully resolved config),
/// `metrics.jsonl` (one JSON object per logged step), checkpoints, and `summary.json`.
///
/// Created only after the config, data and model have been checked, so bad input never leaves
/// a half-made run directory behind. While a run uses the folder it holds it
/// (``DirectoryLock``): a second run started on it, fresh or resumed, is refused.
public struct RunDirectory {
  public let path: String
  private let metrics: AppendFile
  private let lock: DirectoryLock

  /// Creates `path` (which must not hold a run yet unless `resuming`) and writes the config.
  ///
  /// - Parameters:
  ///   - resumedStep: with `resuming`, the step of the checkpoint the run continues
  ///     from: `metrics.jsonl` is cut back to it (records of later steps, which the run is about
  ///     to train again, and a partial last line left by a crash are dropped).
  ///   - held: with `resuming`, the hold taken by ``holdForResume(_:)`` before the checkpoint
  ///     was read; taken here when nil.
  public init(
    path: String, configTOML: String, resuming: Bool, resumedStep: Int = 0,
    held: DirectoryLock? = nil
  ) throws {
    self.path = path
    let configPath = path + "/config.toml"
    let metricsPath = path + "/metrics.jsonl"
    if resuming {
      guard FileSystem.existingKind(of: configPath) == .file else {
        throw RunError("--resume: \"\(path)\" is not a run directory (no config.toml)")
      }
      lock = try held ?? Self.holdForResume(path)
      try Self.requireRegularRunFiles(path)
      // Half-written checkpoints of a writer that died (never renamed into place).
      for removed in Checkpoint.removeAbandonedTemporaries(inDirectory: path) {
        print("ddp train: removed \(removed), a checkpoint its writer did not finish")
      }
      if resumedStep > 0 && FileSystem.existingKind(of: metricsPath) == nil {
        print(
          "ddp train: note: \(MessageText.quoted(metricsPath)) is missing; the new one logs "
            + "from step \(resumedStep + 1) on (the steps up to \(resumedStep) are not in it)")
      }
      if let damaged = try Self.trimMetrics(metricsPath, toStep: resumedStep) {
        print(
          "ddp train: note: \(MessageText.quoted(metricsPath)) line \(damaged.line) does not read "
            + "as a step record; it and the \(counted(damaged.linesAfter, "line")) after it were "
            + "dropped with it")
      }
      // The values a resume changed (train.steps, ...) become the run's own, so the next
      // resume and every reader see what the run used.
      if (try? FileSystem.text(of: configPath)) != configTOML {
        try AtomicFile.write(
          text: configTOML, to: configPath, failure: { RunError($0.description) })
      }
    } else {
      lock = try Self.claim(path, configTOML: configTOML)
    }
    do { metrics = try AppendFile(path: metricsPath) } catch let error as FileError {
      throw RunError(error.description)
    }
  }

  /// Cuts `metrics.jsonl` before its first line that is partial (a crash mid-write), not a
  /// record, or of a step after `step` (lines are in step order), in place with `truncate(2)`:
  /// no second copy of the file is needed on a disk that may just have filled up.
  ///
  /// - Returns: where a whole line that is no step record (not a partial last line, which a
  ///   crash leaves) cut the history short: its line number and the lines after it, dropped
  ///   with it. The file is cut in place, never rewritten, so those are not kept.
  @discardableResult
  static func trimMetrics(_ path: String, toStep step: Int) throws -> (
    line: Int, linesAfter: Int
  )? {
    guard FileSystem.existingKind(of: path) != nil else { return nil }
    do {
      let bytes = try FileSystem.contents(of: path)
      var start = 0
      var line = 1
      var damaged = false
      while let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
        guard
          let record = try? JSONDecoder().decode(StepNumber.self, from: Data(bytes[start..<end]))
        else {
          damaged = true
          break
        }
        guard record.step <= step else { break }
        start = end + 1
        line += 1
      }
      guard start < bytes.count else { return nil }
      try FileSystem.truncate(path, toLength: start)
      guard damaged else { return nil }
      let rest = bytes[start...].split(separator: UInt8(ascii: "\n")).count
      return (line, rest - 1)
    } catch let error as FileError {
      throw RunError(error.description)
    }
  }

  /// Refuses a run folder where a name the run writes (`config.toml`, `metrics.jsonl`,
  /// `summary.json`, `checkpoint-N.ckpt`) is taken by anything but a regular file. A symbolic
  /// `metrics.jsonl` was cut back and appended to through the link (another file); a directory
  /// or link named `summary.json` or `checkpoint-N.ckpt` was found only after training a step.
  static func requireRegularRunFiles(_ path: String) throws {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    for name in names.sorted() where FileSystem.isRunFileName(name) {
      var info = stat()
      guard lstat(path + "/" + name, &info) == 0, info.st_mode & S_IFMT != S_IFREG else { continue }
      let what =
        switch info.st_mode & S_IFMT {
        case S_IFLNK: "a symbolic link"
        case S_IFDIR: "a directory"
        default: "not a regular file"
        }
      throw RunError(
        "run directory \(MessageText.quoted(path)) holds \(MessageText.quoted(name)), which is "
          + "\(what); the run writes that name itself as a regular file (move it away)")
    }
  }

  /// The one key of a metrics line that trimming reads.
  private struct StepNumber: Decodable { var step: Int }

  /// Whether the run folder `path` holds a summary.json that reads as one (a JSON object with
  /// its `steps`): an empty or cut file, as a full disk leaves it, does not count.
  public static func holdsSummary(_ path: String) -> Bool {
    guard let bytes = try? FileSystem.contents(of: path + "/summary.json"),
      let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
    else { return false }
    return object["steps"] is Int
  }

  /// The training loss of the last record in metrics.jsonl, if it has one.
  public func lastLoggedLoss() -> Double? {
    struct Loss: Decodable { var loss: Double? }
    guard let bytes = try? FileSystem.contents(of: path + "/metrics.jsonl") else { return nil }
    let lines = bytes.split(separator: UInt8(ascii: "\n"))
    guard let last = lines.last else { return nil }
    return (try? JSONDecoder().decode(Loss.self, from: Data(last)))?.loss
  }

  /// Refuses `path` for a fresh run when it holds a run (`config.toml`) or another run's
  /// checkpoints, `metrics.jsonl` or `summary.json`, or a sweep's `results.json`; creates
  /// nothing (`--dry-run` asks too).
  public static func requireClaimable(_ path: String) throws {
    if FileSystem.existingKind(of: path + "/config.toml") != nil { throw taken(path) }
    let leftovers =
      Checkpoint.list(inDirectory: path).prefix(1).map(\.path)
      + ["metrics.jsonl", "summary.json", "results.json"].map { path + "/" + $0 }.filter {
        FileSystem.existingKind(of: $0) != nil
      }
    if let leftover = leftovers.first {
      // This run would prune those checkpoints, or append its records to that history.
      throw RunError(
        "run directory \(MessageText.quoted(path)) holds files of another run (\(MessageText.quoted(leftover))) but no config.toml; choose an empty --out"
      )
    }
  }

  /// Holds the folder of a run about to resume, before its checkpoints are read: refused when
  /// another process (a run training in it) holds it, or when it cannot be written.
  public static func holdForResume(_ path: String) throws -> DirectoryLock {
    do {
      try FileSystem.requireCreatableFolder(path)
      return try DirectoryLock.take(path, holder: holder)
    } catch let error as FileError {
      throw RunError(error.description)
    }
  }

  /// Who holds a run folder, as the refusal names it.
  static let holder = DirectoryLock.ddpWriter

  /// Refuses a resume's dry run on a folder a run is training in.
  public static func requireNotInUse(_ path: String) throws {
    if DirectoryLock.isHeldElsewhere(path) {
      throw RunError(DirectoryLock.inUse(path, holder: holder).description)
    }
  }

  /// The refusal of a folder that holds a run.
  static func taken(_ path: String) -> RunError {
    RunError(
      "run directory \(MessageText.quoted(path)) already holds a run; use --resume to continue "
        + "it or --out to choose another")
  }

  /// Creates `path` for a fresh run and writes its `config.toml`, refusing a folder that holds
  /// a run or another run's checkpoints, `metrics.jsonl` or `summary.json` (which this run
  /// would otherwise prune, append to or replace). The
  /// config is put in place with `link(2)`, so of two runs started on one folder at once
  /// exactly one claims it. The folder is held (``DirectoryLock``) before the config is put in
  /// place, so a resume cannot start in it before this run holds it.
  static func claim(_ path: String, configTOML: String) throws -> DirectoryLock {
    let configPath = path + "/config.toml"
    try requireClaimable(path)
    var made: [String] = []
    do {
      made = try FileSystem.createDirectories(path)
      let lock = try DirectoryLock.take(path, holder: holder)
      try AtomicFile.write(text: configTOML, to: configPath, replacing: false)
      return lock
    } catch let error as FileError {
      // Another run claimed the folder first: it is that run's now.
      if error.operation == "lock" { throw RunError(error.description) }
      if error.path == configPath && error.code == EEXIST { throw Self.taken(path) }
      // Nothing of this run stays: the folders it made go again (a full disk, a name too long).
      FileSystem.removeEmptyFolders(made)
      throw RunError("cannot create run directory \(MessageText.quoted(path)): \(error)")
    }
  }

  /// Appends one compact JSON line to metrics.jsonl (NaN and infinities as null).
  ///
  /// - Throws: ``RunError`` when the line cannot be written (a full disk): the run must stop.
  public func log(_ record: StepRecord) throws {
    do { try metrics.append(Array((try JSONStyle.line(record) + "\n").utf8)) } catch {
      throw RunError("\(error)")
    }
  }

  /// Writes summary.json, pretty-printed (replacing the one a resumed run wrote before).
  public func writeSummary(_ summary: RunSummary) throws {
    try AtomicFile.write(
      text: try JSONStyle.document(summary), to: path + "/summary.json",
      failure: { RunError($0.description) })
  }
}
