import Foundation

/// How many OpenBLAS threads each worker runs, and where that number came from.
///
/// ```
/// --threads T                    if given
/// else OPENBLAS_NUM_THREADS      if it is a whole number in 1...1024, the range --threads takes
///                                (launch/ddp and launch/test set it; 100000 was reported as
///                                100000 threads)
/// else max(1, cores / L)         cores this process may run on, L = the workers the launcher
///                                started on this host (`LaunchEnvironment.localTasks`:
///                                OMPI_COMM_WORLD_LOCAL_SIZE, PMIX_LOCAL_SIZE, MPI_LOCALNRANKS,
///                                SLURM_STEP_TASKS_PER_NODE, SLURM_NTASKS_PER_NODE); 1 alone
/// ```
/// The environment comes before the core count so that `launch/ddp`'s choice (cores / N, or
/// the caller's value) and the tests' `OPENBLAS_NUM_THREADS=1` take effect; a plain
/// `ddp train` on a 2-core machine uses both cores, as PyTorch does by default.
public struct BLASThreads: Sendable, Equatable, CustomStringConvertible {
  /// Where `count` came from.
  public enum Source: String, Sendable, Equatable {
    case option = "--threads"
    case environment = "OPENBLAS_NUM_THREADS"
    case cores = "cores / workers on this host"
  }

  public var count: Int
  public var source: Source

  public init(count: Int, source: Source) { (self.count, self.source) = (count, source) }

  /// The rule above, from explicit inputs (what the tests call).
  public static func resolve(option: Int?, environment: [String: String], cores: Int)
    -> BLASThreads
  {
    if let option { return BLASThreads(count: max(1, option), source: .option) }
    if let text = environment["OPENBLAS_NUM_THREADS"],
      let value = Int(text.trimmingCharacters(in: .whitespaces)), (1...1024).contains(value)
    {
      return BLASThreads(count: value, source: .environment)
    }
    let local = LaunchEnvironment.read(environment).localTasks ?? 1
    return BLASThreads(count: max(1, cores / max(1, local)), source: .cores)
  }

  /// The rule above for this process: its environment and the cores it may run on.
  public static func forThisProcess(option: Int?) -> BLASThreads {
    resolve(option: option, environment: ProcessInfo.processInfo.environment, cores: usableCores())
  }

  /// The CPUs in this process's affinity mask (the `Cpus_allowed` mask of
  /// `/proc/self/status`, what `nproc` counts; under `taskset` or an MPI binding that is fewer
  /// than the machine has), else the online CPUs. Foundation's `activeProcessorCount` ignores
  /// the mask here, and glibc's `sched_getaffinity` is not visible to Swift.
  public static func usableCores() -> Int {
    if let status = try? FileSystem.contents(of: "/proc/self/status"),
      let count = allowedCPUCount(status: String(decoding: status, as: UTF8.self))
    {
      return count
    }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
  }

  /// The number of set bits of the `Cpus_allowed:` line (hex words separated by commas), or
  /// nil when there is no such line or it holds no CPU.
  public static func allowedCPUCount(status: String) -> Int? {
    guard
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
    else { return nil }
    var count = 0
    for character in line.dropFirst("Cpus_allowed:".count) {
      guard let digit = character.hexDigitValue else { continue }
      count += digit.nonzeroBitCount
    }
    return count > 0 ? count : nil
  }

  /// "2 BLAS threads per worker (cores / workers on this host)".
  public var description: String {
    "\(count) BLAS thread\(count == 1 ? "" : "s") per worker (\(source.rawValue))"
  }
}
