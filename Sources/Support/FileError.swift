#if canImport(Glibc)
  import Glibc
#endif

/// A file operation that failed, with the path and the system's reason: one line,
/// `cannot read "PATH": No such file or directory`. Each module wraps it in its own error type
/// (config, data, checkpoint), which adds the prefix users see.
public struct FileError: Error, CustomStringConvertible, Equatable {
  /// What was attempted, as a verb: `read`, `create`, `write`, `rename ... to`.
  public let operation: String
  public let path: String
  /// The system's reason (`strerror`), or a reason of ours such as `not a regular file`.
  public let reason: String
  /// The system's `errno` code, when the system gave the reason.
  public let code: Int32?

  public init(_ operation: String, _ path: String, reason: String) {
    (self.operation, self.path, self.reason, code) = (operation, path, reason, nil)
  }

  /// The failure of `operation` on `path` with the system's `errno` code.
  public init(_ operation: String, _ path: String, code: Int32) {
    (self.operation, self.path, reason, self.code) =
      (operation, path, systemErrorText(code), code)
  }

  public var description: String {
    "cannot \(operation) \(MessageText.quoted(path)): \(reason)"
  }
}

/// The system's text for `errno` code `code` (the current `errno` by default).
public func systemErrorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
