#if canImport(Glibc)
  import Glibc
#endif

/// Folders: made with their parents (and taken away again when that fails part way), and
/// checked for writing before long work.
extension FileSystem {
  /// Creates `path` and its missing parents (`mkdir -p`). When a folder cannot be made (a name
  /// too long, a full disk), the parents this call made are removed again: a refused
  /// `--out a/b/NAME` leaves no `a/b` behind.
  ///
  /// - Returns: the folders made, parents first, for a caller whose next step fails to remove
  ///   with ``removeEmptyFolders(_:)``.
  @discardableResult
  public static func createDirectories(_ path: String) throws -> [String] {
    var made: [String] = []
    do { try createDirectories(path, made: &made) } catch {
      removeEmptyFolders(made)
      throw error
    }
    return made
  }

  /// Removes `folders` (as ``createDirectories(_:)`` returned them) deepest first, each only
  /// while it is empty.
  public static func removeEmptyFolders(_ folders: [String]) {
    for folder in folders.reversed() { rmdir(folder) }
  }

  private static func createDirectories(_ path: String, made: inout [String]) throws {
    guard !path.isEmpty else { throw FileError("create", path, reason: "the path is empty") }
    switch existingKind(of: path) {
    case .directory: return
    case .file, .other: throw FileError("create", path, reason: "it exists and is not a directory")
    case nil: break
    }
    let parent = directoryPart(of: path)
    if parent != path && parent != "." && parent != "/" {
      try createDirectories(parent, made: &made)
    }
    guard mkdir(path, 0o755) != 0 else {
      made.append(path)
      return
    }
    let code = errno
    guard code == EEXIST && existingKind(of: path) == .directory else {
      throw FileError("create", path, code: code)
    }
  }

  /// Refuses to go on when the folder `path` or, when it does not exist yet, its nearest
  /// existing parent cannot be written (a read-only file system, no permission): what a dry
  /// run and a command that works before it writes ask before the work.
  ///
  /// - Throws: ``FileError``, e.g. `cannot write "/mnt/ro/run": its folder "/mnt/ro" is not
  ///   writable (Read-only file system)`.
  public static func requireCreatableFolder(_ path: String) throws {
    try requireNamesFit(path, operation: "create")
    var folder = path.isEmpty ? "." : path
    while existingKind(of: folder) == nil {
      let parent = directoryPart(of: folder)
      if parent == folder { break }
      folder = parent
    }
    guard existingKind(of: folder) == .directory else {
      throw FileError("create", path, reason: "\(MessageText.quoted(folder)) is not a directory")
    }
    try requireWritableFolder(folder, for: path)
  }

  /// Refuses a path with a name longer than the file system takes (NAME_MAX, 255 bytes here),
  /// which would fail only at the `mkdir` or `open` after the work.
  static func requireNamesFit(_ path: String, operation: String) throws {
    if let long = path.split(separator: "/").first(where: { $0.utf8.count > 255 }) {
      throw FileError(
        operation, path, reason: "a name in it is \(long.utf8.count) bytes, over the 255 allowed")
    }
  }

  /// `access(2)` for writing, which root passes on permissions but not on a read-only mount.
  static func requireWritableFolder(_ folder: String, for path: String) throws {
    guard access(folder, W_OK) == 0 else {
      let reason = systemErrorText(errno)
      throw FileError(
        "write", path,
        reason: folder == path
          ? "the folder is not writable (\(reason))"
          : "its folder \(MessageText.quoted(folder)) is not writable (\(reason))")
    }
  }
}
