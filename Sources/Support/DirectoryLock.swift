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
/// A dry run only asks (``isHeldElsewhere(_:)``) with a *shared* hold taken and dropped at
/// once: two askers never see each other (the ranks of a 2-worker dry run ask together), and a
/// writer that meets an asker's hold tries again for up to ``askerWaitSeconds`` before it
/// refuses, so only a real writer refuses a writer.
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

  /// Takes the hold on the folder `path`, which must exist. A folder held by another process
  /// is tried again every 20 ms for ``askerWaitSeconds`` before the refusal.
  ///
  /// - Throws: ``FileError`` `cannot lock "PATH": it is in use by another process (...)` when
  ///   another process holds it (`holder` says which kind, for the message), or the system's
  ///   reason when the folder cannot be opened.
  public static func take(_ path: String, holder: String) throws -> DirectoryLock {
    let deadline = monotonicSeconds() + askerWaitSeconds
    while true {
      if let lock = try attempt(path, LOCK_EX) { return lock }
      guard monotonicSeconds() < deadline else { throw inUse(path, holder: holder) }
      usleep(20_000)
    }
  }

  /// How long ``take(_:holder:)`` tries again when the folder is held: longer than any
  /// asker's instant, short against a refusal's one line.
  static let askerWaitSeconds = 1.0

  /// The holder every ddp command names: the refused command cannot tell which of them (a run,
  /// a compare or an experiment) holds the folder.
  public static let ddpWriter = "a ddp run or sweep writing it; wait until it ends or stop it first"

  /// The refusal of a folder another process holds: `cannot lock "PATH": it is in use by another
  /// process (HOLDER)`.
  public static func inUse(_ path: String, holder: String) -> FileError {
    FileError("lock", path, reason: "it is in use by another process (\(holder))")
  }

  /// Whether a writer holds `path` now: a dry run's question, which takes and drops a shared
  /// hold at once (other askers hold it shared too, so they do not count). False when `path`
  /// is not a folder that can be opened.
  public static func isHeldElsewhere(_ path: String) -> Bool {
    guard FileSystem.existingKind(of: path) == .directory else { return false }
    do { return try attempt(path, LOCK_SH) == nil } catch { return false }
  }

  /// The hold of `kind` (`LOCK_EX` or `LOCK_SH`), or nil when another process's hold excludes
  /// it.
  private static func attempt(_ path: String, _ kind: Int32) throws -> DirectoryLock? {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { throw FileError("lock", path, code: errno) }
    var result: Int32
    repeat { result = flock(descriptor, kind | LOCK_NB) } while result != 0 && errno == EINTR
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
