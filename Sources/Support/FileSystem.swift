#if canImport(Glibc)
  import Glibc
#endif

/// The POSIX file operations every module shares, each failing with a ``FileError`` that names
/// the path and gives the system's reason. Input files are read only when they are regular
/// files: a FIFO, a device or a socket would block a read or never end, so they are refused
/// before any byte is read.
public enum FileSystem {
  /// What a path names, following symbolic links.
  public enum Kind: Sendable { case file, directory, other }

  /// The kind of `path`; throws when it does not exist or cannot be examined.
  public static func kind(of path: String) throws -> Kind {
    var info = stat()
    guard stat(path, &info) == 0 else { throw FileError("read", path, code: errno) }
    return kind(mode: info.st_mode)
  }

  /// The kind of `path`, or nil when nothing is there (a dangling link counts as nothing).
  public static func existingKind(of path: String) -> Kind? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return kind(mode: info.st_mode)
  }

  /// Refuses `path` as a file to write unless nothing is there, or, with `replacing`, a regular
  /// file is: a device, FIFO, socket, directory or symbolic link is never written over (a
  /// rename would replace the device node or the link itself), and an existing file only when
  /// asked. An empty path is refused, and so is a missing folder when `folderMustExist` (a
  /// command checking its output before long work).
  ///
  /// - Throws: ``FileError``, e.g. `cannot write "out.bin": it exists (use --force to replace
  ///   it)`; `hint` names how the caller's user asks to replace a file.
  public static func requireWritableTarget(
    _ path: String, replacing: Bool, hint: String, folderMustExist: Bool = true
  ) throws {
    guard !path.isEmpty else { throw FileError("write", path, reason: "the path is empty") }
    try requireNamesFit(path, operation: "write")
    var info = stat()
    let folder = directoryPart(of: path)
    if folderMustExist {
      // Else the write would fail after the work.
      guard existingKind(of: folder) == .directory else {
        throw FileError(
          "write", path, reason: "its folder \(MessageText.quoted(folder)) is not a directory")
      }
      try requireWritableFolder(folder, for: path)
    }
    guard lstat(path, &info) == 0 else { return }
    switch info.st_mode & S_IFMT {
    case S_IFREG:
      if !replacing { throw FileError("write", path, reason: "it exists (\(hint) to replace it)") }
    case S_IFLNK:
      throw FileError("write", path, reason: "it is a symbolic link; give the file it points to")
    case S_IFDIR:
      throw FileError("write", path, reason: "it is a directory")
    default:
      throw FileError("write", path, reason: "it is not a regular file (a device, FIFO or socket)")
    }
  }

  static func kind(mode: mode_t) -> Kind {
    switch mode & S_IFMT {
    case S_IFREG: .file
    case S_IFDIR: .directory
    default: .other
    }
  }

  /// What ``entries(of:namesNotUTF8:)`` does with a name whose bytes are not valid UTF-8: Swift
  /// would decode it with U+FFFD, a name no file has, so a read of it fails as if it were
  /// missing.
  public enum NamesNotUTF8: Sendable {
    /// Thrown as one ``FileError`` naming the entry (the corpus reader: a file it must read).
    case refused
    /// Left out (a listing that looks for names of its own, such as checkpoints).
    case skipped
  }

  /// The names in directory `path` (without `.` and `..`), sorted by their bytes, so every
  /// machine lists a directory alike.
  public static func entries(
    of path: String, namesNotUTF8: NamesNotUTF8 = .refused
  ) throws -> [String] {
    guard let directory = opendir(path) else { throw FileError("read", path, code: errno) }
    defer { closedir(directory) }
    var names: [String] = []
    while true {
      errno = 0
      guard let entry = readdir(directory) else {
        if errno != 0 { throw FileError("read", path, code: errno) }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      }
      let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
      guard let name = String(validating: bytes, as: UTF8.self) else {
        if namesNotUTF8 == .skipped { continue }
        throw FileError(
          "read", join(path, String(decoding: bytes, as: UTF8.self)),
          reason: "its name is not valid UTF-8 (file names are read as UTF-8); rename it")
      }
      if name != "." && name != ".." { names.append(name) }
    }
  }

  /// Every byte of the regular file at `path` (see ``RegularFile``: anything else is refused
  /// before a byte is read).
  public static func contents(of path: String) throws -> [UInt8] {
    try RegularFile(path: path).readAll()
  }

  /// The regular file at `path` as text (invalid UTF-8 shown as U+FFFD), for logs and JSON
  /// hand-offs; refused as ``contents(of:)`` refuses.
  public static func text(of path: String) throws -> String {
    String(decoding: try contents(of: path), as: UTF8.self)
  }

  /// Shortens the regular file at `path` to its first `length` bytes.
  public static func truncate(_ path: String, toLength length: Int) throws {
    guard Glibc.truncate(path, off_t(length)) == 0 else {
      throw FileError("truncate", path, code: errno)
    }
  }

  /// `directory` joined with `name` by one `/`.
  public static func join(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }

  /// The directory part of `path` (`.` when it has none).
  public static func directoryPart(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }
}
