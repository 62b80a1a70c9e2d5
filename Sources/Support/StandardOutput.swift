#if canImport(Glibc)
  @preconcurrency import Glibc
#endif

/// Standard output as a file the program must be able to write: results printed there (a
/// JSON document, a CSV, generated text) are the command's product, so a failed write is an
/// error, never a silent exit 0.
///
/// ```
/// start:  fd 1 closed?        → "standard output is closed", exit 2, before any work
///         (fds 0-2 closed are held on /dev/null, so no file opened later takes their number)
/// write:  write(2) fails      → StandardOutputError, one line, exit 1 (`write`)
/// end:    fflush(stdout) or ferror(stdout) → one line, exit 1 (`finishOrExit`)
/// ```
/// `print` stays the way to write: its buffer is flushed and checked at the end.
public enum StandardOutput {
  /// Holds any of descriptors 0, 1 and 2 that is closed on `/dev/null`, so that the next
  /// `open` cannot return 1 and send printed results into a checkpoint or a log; returns
  /// whether descriptor 1 was closed.
  public static func holdClosedDescriptors() -> Bool {
    var outputWasClosed = false
    for descriptor in Int32(0)...2 where fcntl(descriptor, F_GETFD) < 0 && errno == EBADF {
      if descriptor == 1 { outputWasClosed = true }
      let opened = open("/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY)
      if opened >= 0 && opened != descriptor {
        dup2(opened, descriptor)
        close(opened)
      }
    }
    return outputWasClosed
  }

  /// Writes `text` at once, unbuffered (after flushing what `print` buffered, to keep the
  /// order), retrying short writes.
  ///
  /// - Throws: ``StandardOutputError`` with the system's reason.
  public static func write(_ text: String) throws {
    try flush()
    let failure = writeAll(STDOUT_FILENO, text)
    if failure != 0 { throw StandardOutputError(code: failure) }
  }

  /// Flushes what `print` buffered; throws when any write to standard output failed.
  public static func flush() throws {
    if fflush(stdout) != 0 || ferror(stdout) != 0 {
      throw StandardOutputError(code: errno == 0 ? EIO : errno)
    }
  }

  /// Ends the program with exit code 1 and one line on standard error when standard output
  /// could not be written (by `print` or ``write(_:)``): the command's result was lost.
  public static func finishOrExit() {
    do {
      try flush()
    } catch {
      writeErrorLine("ddp: \(error)")
      exit(1)
    }
  }
}

/// A write to standard output failed: `cannot write standard output: No space left on device`.
public struct StandardOutputError: Error, CustomStringConvertible {
  public let code: Int32
  public var description: String { "cannot write standard output: \(systemErrorText(code))" }
}
