#if canImport(Glibc)
  import Glibc
#endif

/// An exclusive hold on a folder that one process writes (a run folder, a sweep's `--out`), so
/// that a second process started on the same folder is refused instead of writing over the
/// first one's files: two resumes of one run would prune each other's checkpoints and interleave
/// their `metrics.jsonl`.
///
/// It is `flock(2)` on the folder itself, so it adds no file to the folder, and the kernel
/// releases it when the holder's last descriptor closes: when this object is released or the
/// process ends, however it ends (a crash or `kill -9` leaves no stale lock behind). The
/// descriptor is close-on-exec, so the jobs a sweep launches do not inherit the hold.
///
/// Where the file system does not support `flock` on a folder (`ENOLCK`, `EOPNOTSUPP`, `EBADF`:
/// some network file systems), there is no hold and ``isHeld`` is false: the folder is used as
/// before.
public final class DirectoryLock {
  public let path: String
  private let descriptor: Int32
  /// False when the file system offers no locks (nothing is held).
  public let isHeld: Bool

  private init(path: String, descriptor: Int32, isHeld: Bool) {
    (self.path, self.descriptor, self.isHeld) = (path, descriptor, isHeld)
  }

  deinit { close(descriptor) }

  /// Takes the hold on the folder `path`, which must exist.
  ///
  /// - Throws: ``FileError`` `cannot lock "PATH": it is in use by another process (...)` when
  ///   another process holds it (`holder` says which kind, for the message), or the system's
  ///   reason when the folder cannot be opened.
  public static func take(_ path: String, holder: String) throws -> DirectoryLock {
    guard let lock = try attempt(path) else { throw inUse(path, holder: holder) }
    return lock
  }

  /// The holder every ddp command names: the refused command cannot tell which of them (a run,
  /// a compare or an experiment) holds the folder.
  public static let ddpWriter = "a ddp run or sweep writing it; wait until it ends or stop it first"

  /// The refusal of a folder another process holds: `cannot lock "PATH": it is in use by another
  /// process (HOLDER)`.
  public static func inUse(_ path: String, holder: String) -> FileError {
    FileError("lock", path, reason: "it is in use by another process (\(holder))")
  }

  /// Whether another process holds `path` now: a dry run's question, which takes and drops
  /// the hold at once. False when `path` is not a folder that can be opened.
  public static func isHeldElsewhere(_ path: String) -> Bool {
    guard FileSystem.existingKind(of: path) == .directory else { return false }
    do { return try attempt(path) == nil } catch { return false }
  }

  /// The hold, or nil when another process has it.
  private static func attempt(_ path: String) throws -> DirectoryLock? {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { throw FileError("lock", path, code: errno) }
    var result: Int32
    repeat { result = flock(descriptor, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
    guard result != 0 else {
      return DirectoryLock(path: path, descriptor: descriptor, isHeld: true)
    }
    let code = errno
    // NFS emulates flock(2) with byte-range locks, which need a descriptor open for writing:
    // EBADF on a folder there means "no locks here" too.
    if code == ENOLCK || code == EOPNOTSUPP || code == EINVAL || code == EBADF {
      return DirectoryLock(path: path, descriptor: descriptor, isHeld: false)
    }
    close(descriptor)
    if code == EWOULDBLOCK { return nil }
    throw FileError("lock", path, code: code)
  }
}
