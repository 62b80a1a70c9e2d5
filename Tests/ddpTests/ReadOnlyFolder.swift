import Foundation

/// A folder nothing can be written in, even by root: a read-only tmpfs mount when the tests run
/// as root (root ignores permission bits), else a folder of mode 0555. `inner` exists inside it
/// (a run folder that cannot be written), filled by `prepare` before the folder is made
/// read-only. Unmounted and removed by `remove()`.
final class ReadOnlyFolder {
  let path: String
  private let mounted: Bool

  init(in work: URL, prepare: (_ inner: String) throws -> Void = { _ in }) throws {
    path = work.appendingPathComponent("read-only-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(
      atPath: path + "/inner", withIntermediateDirectories: true)
    mounted = getuid() == 0
    if mounted {
      let outcome = try runProcess(
        "/usr/bin/mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", path])
      guard outcome.status == 0 else { throw MountError(message: outcome.stderr) }
      try FileManager.default.createDirectory(
        atPath: path + "/inner", withIntermediateDirectories: true)
      try prepare(path + "/inner")
      let remount = try runProcess("/usr/bin/mount", ["-o", "remount,ro", path])
      guard remount.status == 0 else { throw MountError(message: remount.stderr) }
    } else {
      try prepare(path + "/inner")
      chmod(path + "/inner", 0o555)
      chmod(path, 0o555)
    }
  }

  var inner: String { path + "/inner" }

  func remove() {
    if mounted {
      _ = try? runProcess("/usr/bin/umount", [path])
    } else {
      chmod(path, 0o755)
      chmod(inner, 0o755)
    }
    try? FileManager.default.removeItem(atPath: path)
  }

  struct MountError: Error { let message: String }
}
