import Config
import Support

#if canImport(Glibc)
  import Glibc
#endif

/// Refuses a run the machine cannot hold, before anything is allocated or created: the
/// config's ``Footprint`` per worker against `train.memory_limit_gb` when it is set, and against
/// the memory available to the workers of this host (`MemAvailable` or the cgroup limit, shared
/// by the ranks mpirun placed here).
public enum MemoryCheck {
  /// The footprint of one worker with micro-batches of `microBatch` sequences.
  ///
  /// - Throws: ``RunError`` naming the estimate and what is available when it does not fit,
  ///   e.g. `run: needs about 39.2 GB per worker (...), but 2 workers on this machine have
  ///   14.1 GB available between them; use a smaller model or micro-batch`.
  @discardableResult
  public static func require(_ run: RunConfig, microBatch: Int) throws -> Footprint {
    guard let footprint = run.footprint(microBatch: max(microBatch, 1)) else {
      throw RunError(
        "the sizes of this run (micro-batch \(microBatch)) overflow 64-bit integers")
    }
    if let limit = run.train.memoryLimitGB, Double(footprint.bytes) > limit * 1e9 {
      throw RunError(
        "needs about \(size(footprint.bytes)) per worker (\(footprint.parameters) "
          + "parameters, micro-batch \(microBatch)), more than train.memory_limit_gb = "
          + "\(limit) allows; use a smaller model or micro-batch, or raise the limit")
    }
    let workers = workersOnThisHost
    guard let available = availableMemoryBytes() else { return footprint }
    let needed = Double(footprint.bytes) * Double(workers)
    if needed > Double(available) {
      throw RunError(
        "needs about \(size(footprint.bytes)) per worker (\(footprint.parameters) "
          + "parameters, micro-batch \(microBatch)), but \(counted(workers, "worker")) "
          + "on this machine \(workers == 1 ? "has" : "have") "
          + "\(size(available)) available\(workers == 1 ? "" : " between them"); use a "
          + "smaller model or micro-batch")
    }
    return footprint
  }

  /// Ranks the launcher started on this host (`LaunchEnvironment.localTasks`), 1 alone.
  static var workersOnThisHost: Int { LaunchEnvironment.current.localTasks ?? 1 }

  /// `bytes` as `12.3 GB`, `45 MB` below a gigabyte, or `310 kB` below a megabyte.
  static func size(_ bytes: Int) -> String {
    if bytes >= 1_000_000_000 { return fmt(Double(bytes) / 1e9, 1) + " GB" }
    if bytes >= 1_000_000 { return fmt(Double(bytes) / 1e6, 0) + " MB" }
    return fmt(Double(bytes) / 1e3, 0) + " kB"
  }
}
