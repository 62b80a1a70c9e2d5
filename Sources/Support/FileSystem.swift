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

  static func kind(mode: mode_t) -> Kind {
    switch mode & S_IFMT {
    case S_IFREG: .file
    case S_IFDIR: .directory
    default: .other
    }
  }

  /// The names in directory `path` (without `.` and `..`), sorted by their bytes, so every
  /// machine lists a directory alike.
  public static func entries(of path: String) throws -> [String] {
    guard let directory = opendir(path) else { throw FileError("read", path, code: errno) }
    defer { closedir(directory) }
    var names: [String] = []
    while true {
      errno = 0
      guard let entry = readdir(directory) else {
        if errno != 0 { throw FileError("read", path, code: errno) }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      }
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
  }

  /// Every byte of the regular file at `path`.
  ///
  /// Opened without blocking (a FIFO with no writer would block `open` itself) and refused
  /// unless `fstat` says it is a regular file.
  public static func contents(of path: String) throws -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { throw FileError("read", path, code: errno) }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { throw FileError("read", path, code: errno) }
    switch kind(mode: info.st_mode) {
    case .file: break
    case .directory: throw FileError("read", path, reason: "it is a directory, not a file")
    case .other: throw FileError("read", path, reason: "not a regular file")
    }
    let chunk = 1 << 16
    var bytes: [UInt8] = []
    bytes.reserveCapacity(Int(info.st_size))
    var buffer = [UInt8](repeating: 0, count: chunk)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, chunk) }
      if count < 0 {
        if errno == EINTR { continue }
        throw FileError("read", path, code: errno)
      }
      if count == 0 { return bytes }
      bytes += buffer[0..<count]
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

  /// Creates `path` and its missing parents (`mkdir -p`).
  public static func createDirectories(_ path: String) throws {
    if existingKind(of: path) == .directory { return }
    let parent = directoryPart(of: path)
    if parent != path && parent != "." && parent != "/" { try createDirectories(parent) }
    guard mkdir(path, 0o755) == 0 || (errno == EEXIST && existingKind(of: path) == .directory)
    else { throw FileError("create", path, code: errno) }
  }
}
