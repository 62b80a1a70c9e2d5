import Support

/// The messages of ``DataError``, in one place so that every refusal reads alike: one line,
/// naming the path (quoted, control characters escaped) and the problem.
extension DataError {
  /// Runs a file operation of ``FileSystem``, its ``FileError`` (`cannot read "PATH": REASON`)
  /// becoming a `DataError`.
  static func reading<T>(_ operation: () throws -> T) throws -> T {
    do { return try operation() } catch let error as FileError {
      throw DataError(error.description)
    }
  }

  /// A directory in which no file is usable as text.
  static func noTextFiles(_ path: String) -> DataError {
    DataError(
      "\(quoted(path)) holds no text files (subdirectories, hidden files and the .dat and .u8 "
        + "companions of fortune files are skipped)")
  }

  /// A corpus whose files hold no document.
  static func noDocuments(_ path: String) -> DataError {
    DataError(
      "\(quoted(path)) holds no text: its files are empty or hold only blank lines and % lines")
  }

  /// A file with a NUL byte, which text never has.
  static func nulByte(_ path: String, offset: Int) -> DataError {
    DataError("\(quoted(path)) is binary, not text: it has a NUL byte at offset \(offset)")
  }

  /// A file whose bytes are mostly not UTF-8.
  static func notUTF8(_ path: String, invalid: Int, of total: Int) -> DataError {
    let percent = Int((Double(invalid) / Double(total) * 100).rounded())
    return DataError(
      "\(quoted(path)) is binary, not text: \(percent)% of its \(counted(total, "byte")) are not valid "
        + "UTF-8")
  }

  /// A validation fraction outside (0, 1).
  static func fraction(_ value: Double) -> DataError {
    DataError("data.val_fraction = \(value) is not allowed; expected a fraction in (0, 1)")
  }

  /// A split shorter than one window of `context + 1` tokens.
  static func shortSplit(
    _ split: String, path: String, tokens: Int, window: Int, remedy: String
  ) -> DataError {
    DataError(
      "the \(split) split of \(quoted(path)) has \(counted(tokens, "token")), fewer than one context "
        + "window of \(window); use more data or \(remedy)")
  }

  /// `text` in double quotes, escaped so that a message stays on one line.
  static func quoted(_ text: String) -> String { MessageText.quoted(text) }
}
