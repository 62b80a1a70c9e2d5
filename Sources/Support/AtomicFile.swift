#if canImport(Glibc)
  import Glibc
#endif

/// A file written under `NAME.tmp-PID` beside its destination and renamed into place only when
/// complete, so the final name never holds a partial file: the one atomic write of the project
/// (checkpoints, safetensors exports, run configs, summaries, reports).
///
/// ```
/// open(NAME.tmp-PID) → write… → fsync → close → rename(2) over NAME → fsync(directory)
/// ```
/// `rename(2)` replaces an existing regular file in one step, so rewriting a file (a resumed
/// run's `summary.json`) is the same path as writing a new one. Any failure, or an error thrown
/// by the body of `write`, removes the temporary file; a process killed mid-write leaves only
/// the `.tmp-PID` file, which the checkpoint reader recognizes and a resume removes. A device,
/// FIFO, socket, directory or symbolic link at `NAME` is refused before anything is written:
/// the rename would replace the node itself (`/dev/null` as a regular file). A job the
/// watchdog ends waits for the writes under way and starts none (``JobEnding``).
public final class AtomicFile {
  public let path: String
  public let temporaryPath: String
  /// FNV-1a 64 of every byte written so far (checkpoints store it).
  public private(set) var checksum = FNV1a64()
  private var descriptor: Int32
  /// Turns a failure into the caller's error type (a checkpoint error, a run error, …).
  private let failure: (FileError) -> any Error

  /// Writes `path` atomically with `body`. Errors are ``FileError``s passed through `failure`,
  /// which lets each caller report them as its own kind of error.
  ///
  /// - Parameter replacing: when false, the file is put in place with `link(2)`, which fails
  ///   if `path` exists (`cannot create "PATH": File exists`): of two writers racing for one
  ///   name exactly one wins, and nothing already there is replaced.
  public static func write(
    to path: String, replacing: Bool = true,
    failure: @escaping (FileError) -> any Error = { $0 },
    _ body: (AtomicFile) throws -> Void
  ) throws {
    try JobEnding.writing {
      let file = try AtomicFile(path: path, replacing: replacing, failure: failure)
      do {
        try body(file)
        try file.commit()
      } catch {
        file.abandon()
        throw error
      }
    }
  }

  /// Writes `text` (UTF-8) to `path` atomically, replacing a file already there unless
  /// `replacing` is false.
  public static func write(
    text: String, to path: String, replacing: Bool = true,
    failure: @escaping (FileError) -> any Error = { $0 }
  ) throws {
    try write(to: path, replacing: replacing, failure: failure) { try $0.write(Array(text.utf8)) }
  }

  private let replacing: Bool

  private init(path: String, replacing: Bool, failure: @escaping (FileError) -> any Error) throws {
    self.path = path
    self.replacing = replacing
    self.failure = failure
    temporaryPath = path + ".tmp-\(getpid())"
    do {
      try FileSystem.requireWritableTarget(
        path, replacing: true, hint: "", folderMustExist: false)
    } catch let error as FileError {
      descriptor = -1
      throw failure(error)
    }
    descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw failure(FileError("create", temporaryPath, code: errno)) }
  }

  /// Appends `bytes` (all of them, retrying short writes) and adds them to the checksum.
  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    checksum.update(bytes)
    guard var next = bytes.baseAddress else { return }
    var remaining = bytes.count
    while remaining > 0 {
      let written = Glibc.write(descriptor, next, min(remaining, 1 << 30))
      if written < 0 {
        if errno == EINTR { continue }
        throw failure(FileError("write", temporaryPath, code: errno))
      }
      next += written
      remaining -= written
    }
  }

  public func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try write($0) }
  }

  /// Appends `value` as 8 little-endian bytes.
  public func write(_ value: UInt64) throws {
    try withUnsafeBytes(of: value.littleEndian) { try write($0) }
  }

  public func write(floats: UnsafePointer<Float>, count: Int) throws {
    try write(UnsafeRawBufferPointer(start: floats, count: count * MemoryLayout<Float>.size))
  }

  private func commit() throws {
    guard fsync(descriptor) == 0 else {
      throw failure(FileError("flush", temporaryPath, code: errno))
    }
    let closed = close(descriptor)
    descriptor = -1
    guard closed == 0 else { throw failure(FileError("close", temporaryPath, code: errno)) }
    if replacing {
      guard rename(temporaryPath, path) == 0 else {
        let code = errno
        throw failure(
          FileError("rename \(MessageText.quoted(temporaryPath)) to", path, code: code))
      }
    } else {
      guard link(temporaryPath, path) == 0 else {
        throw failure(FileError("create", path, code: errno))
      }
      unlink(temporaryPath)
    }
    // The file is complete under its final name; a failed directory sync only weakens
    // durability across a power loss, and some file systems do not support it (EINVAL).
    let directory = open(
      FileSystem.directoryPart(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directory >= 0 {
      let synced = fsync(directory)
      let code = errno
      close(directory)
      if synced != 0 && code != EINVAL && code != EROFS {
        throw failure(
          FileError("flush the directory of", path, reason: systemErrorText(code)))
      }
    }
  }

  private func abandon() {
    if descriptor >= 0 {
      close(descriptor)
      descriptor = -1
    }
    unlink(temporaryPath)
  }
}
