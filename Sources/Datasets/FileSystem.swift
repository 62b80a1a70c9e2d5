#if canImport(Glibc)
  import Glibc
#endif

/// The few POSIX file operations the corpus reader needs, each failing with a ``DataError``
/// that names the path and gives the system's reason.
enum FileSystem {
  /// What a path names, following symbolic links.
  enum Kind { case file, directory, other }

  /// The kind of `path`; throws when it does not exist or cannot be examined.
  static func kind(of path: String) throws -> Kind {
    var info = stat()
    guard stat(path, &info) == 0 else { throw DataError.unreadable(path, code: errno) }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .file
    case S_IFDIR: return .directory
    default: return .other
    }
  }

  /// The names in directory `path` (without `.` and `..`), in no particular order.
  static func entries(of path: String) throws -> [String] {
    guard let directory = opendir(path) else { throw DataError.unreadable(path, code: errno) }
    defer { closedir(directory) }
    var names: [String] = []
    while true {
      errno = 0
      guard let entry = readdir(directory) else {
        if errno != 0 { throw DataError.unreadable(path, code: errno) }
        return names
      }
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
  }

  /// Every byte of the file at `path`.
  static func contents(of path: String) throws -> [UInt8] {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw DataError.unreadable(path, code: errno) }
    defer { close(descriptor) }
    let chunk = 1 << 16
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: chunk)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, chunk) }
      if count < 0 {
        if errno == EINTR { continue }
        throw DataError.unreadable(path, code: errno)
      }
      if count == 0 { return bytes }
      bytes += buffer[0..<count]
    }
  }

  /// `directory` joined with `name` by one `/`.
  static func join(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }
}
