import Foundation

/// What the program that started this process (OpenMPI's `mpirun`, Slurm's `srun`, an
/// MPICH-style PMI launcher, or nothing) says about it, read from the environment, so it holds
/// before MPI is initialized and for commands that never initialize it.
///
/// ```
/// launcher               variables read (first one set wins)         launch
/// OpenMPI mpirun         OMPI_COMM_WORLD_RANK / _SIZE / _LOCAL_SIZE   .mpi
/// srun --mpi=pmix        PMIX_RANK, SLURM_PROCID, SLURM_STEP_NUM_TASKS,
///                        PMIX_LOCAL_SIZE or SLURM_STEP_TASKS_PER_NODE .mpi
/// srun without --mpi     SLURM_PROCID, SLURM_STEP_NUM_TASKS > 1       .unusable (each task
///                                                                     would train alone)
/// PMI-1/2 (MPICH, srun   PMI_RANK, PMI_SIZE > 1, MPI_LOCALNRANKS      .unusable (OpenMPI
///   --mpi=pmi2)                                                       joins mpirun or PMIx)
/// none of these          -                                            .single
/// ```
/// `.mpi` is a hint to initialize MPI; the number of workers is MPI's world size after
/// `MPI_Init`, which `MPICommunicator` compares with `tasks` (a launcher that started N tasks
/// that MPI does not join would otherwise make N one-worker runs writing one folder).
/// `.single` keeps a plain `ddp train` from initializing MPI as a singleton, which works in
/// OpenMPI but starts a helper daemon for nothing.
public struct LaunchEnvironment: Sendable, Equatable {
  /// How this process should run.
  public enum Launch: Sendable, Equatable {
    /// No launcher: one worker, MPI never initialized.
    case single
    /// A launcher whose tasks OpenMPI can join (mpirun, or a PMIx server such as Slurm's).
    case mpi
    /// Several tasks that MPI cannot join into one job; the one-line reason.
    case unusable(String)
  }

  public var launch: Launch
  /// This process's rank as the launcher numbered it; 0 without a launcher.
  public var rank: Int
  /// How many tasks the launcher started, when it says (a bare PMIx launch keeps it in the
  /// PMIx server, not the environment).
  public var tasks: Int?
  /// How many of them run on this host, when the launcher says.
  public var localTasks: Int?
  /// The variable `tasks` came from, for messages (`SLURM_STEP_NUM_TASKS=4`).
  public var tasksSource: String?

  /// This process's launch, read once, on first use: before `MPI_Init`, which sets PMIx
  /// variables of its own in a singleton.
  public static let current = read(ProcessInfo.processInfo.environment)

  /// The table above, from an explicit environment (what the tests call).
  public static func read(_ environment: [String: String]) -> LaunchEnvironment {
    func number(_ name: String) -> Int? {
      environment[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
    func first(_ names: [String]) -> (name: String, value: Int)? {
      for name in names { if let value = number(name) { return (name, value) } }
      return nil
    }
    let slurm = environment["SLURM_PROCID"] != nil
    let rank = first(["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"])
    let tasks = first(
      ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]
        + (slurm ? ["SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"] : []))
    let local =
      first(["OMPI_COMM_WORLD_LOCAL_SIZE", "PMIX_LOCAL_SIZE", "MPI_LOCALNRANKS"])?.value
      ?? (slurm ? slurmTasksOnThisNode(environment) : nil)

    var result = LaunchEnvironment(
      launch: .single, rank: max(0, rank?.value ?? 0), tasks: tasks?.value,
      localTasks: local.map { max(1, $0) }, tasksSource: tasks.map { "\($0.name)=\($0.value)" })
    let many = (tasks?.value ?? 1) > 1
    let started = "\(tasks?.value ?? 1) tasks (\(result.tasksSource ?? ""))"
    if ["OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK"].contains(where: {
      environment[$0] != nil
    }) {
      result.launch = .mpi
    } else if environment["PMI_RANK"] != nil || environment["PMI_SIZE"] != nil {
      if many {
        result.launch = .unusable(
          "a PMI-1/PMI-2 launcher (MPICH's mpiexec or srun --mpi=pmi2) started \(started), "
            + "but ddp's OpenMPI joins only mpirun or PMIx launches: use OpenMPI's "
            + "mpirun or srun --mpi=pmix")
      }
    } else if slurm && many {
      result.launch = .unusable(
        "srun started \(started) without an MPI plugin, so each would train alone: "
          + "run srun --mpi=pmix (README, \"Several hosts\")")
    }
    return result
  }

  /// The tasks Slurm put on this node: entry `SLURM_NODEID` of `SLURM_STEP_TASKS_PER_NODE`
  /// (`2(x3),1` is 2, 2, 2, 1), else `SLURM_NTASKS_PER_NODE`.
  static func slurmTasksOnThisNode(_ environment: [String: String]) -> Int? {
    if let list = environment["SLURM_STEP_TASKS_PER_NODE"] ?? environment["SLURM_TASKS_PER_NODE"],
      let node = environment["SLURM_NODEID"].flatMap({ Int($0) })
    {
      var counts: [Int] = []
      for entry in list.split(separator: ",") {
        let parts = entry.split(separator: "(")
        guard let count = parts.first.flatMap({ Int($0) }) else { return nil }
        let repeats = parts.count > 1 ? Int(parts[1].filter(\.isNumber)) ?? 1 : 1
        counts += Array(repeating: count, count: max(1, min(repeats, 100_000)))
      }
      if node >= 0, node < counts.count { return counts[node] }
    }
    return environment["SLURM_NTASKS_PER_NODE"].flatMap { Int($0) }
  }
}
