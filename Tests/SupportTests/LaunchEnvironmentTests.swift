import Support
import XCTest

/// What each launcher's environment means (`LaunchEnvironment`): OpenMPI's mpirun, Slurm's
/// srun with and without PMIx, a PMI-2 launcher, and none. The real processes are in
/// `ddpTests/LaunchDetectionTests`.
final class LaunchEnvironmentTests: XCTestCase {
  func testNoLauncherIsOneWorker() {
    let launch = LaunchEnvironment.read(["PATH": "/usr/bin"])
    XCTAssertEqual(launch.launch, .single)
    XCTAssertEqual(launch.rank, 0)
    XCTAssertNil(launch.tasks)
    XCTAssertNil(launch.localTasks)
  }

  func testOpenMPIsVariables() {
    let launch = LaunchEnvironment.read([
      "OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_LOCAL_SIZE": "2",
      "PMIX_RANK": "3",
    ])
    XCTAssertEqual(launch.launch, .mpi)
    XCTAssertEqual(launch.rank, 3)
    XCTAssertEqual(launch.tasks, 4)
    XCTAssertEqual(launch.tasksSource, "OMPI_COMM_WORLD_SIZE=4")
    XCTAssertEqual(launch.localTasks, 2)
  }

  /// `srun --mpi=pmix`: PMIx and Slurm variables, no OMPI_* at all.
  func testSrunWithPMIxIsAnMPILaunch() {
    let launch = LaunchEnvironment.read([
      "PMIX_RANK": "5", "PMIX_NAMESPACE": "slurm.pmix.12.0", "SLURM_PROCID": "5",
      "SLURM_STEP_NUM_TASKS": "8", "SLURM_NTASKS": "8", "SLURM_NODEID": "1",
      "SLURM_STEP_TASKS_PER_NODE": "4(x2)",
    ])
    XCTAssertEqual(launch.launch, .mpi)
    XCTAssertEqual(launch.rank, 5)
    XCTAssertEqual(launch.tasks, 8)
    XCTAssertEqual(launch.tasksSource, "SLURM_STEP_NUM_TASKS=8")
    XCTAssertEqual(launch.localTasks, 4)
  }

  /// srun without an MPI plugin would start N independent one-worker runs: refused.
  func testSrunWithoutPMIxIsRefused() {
    let launch = LaunchEnvironment.read([
      "SLURM_PROCID": "1", "SLURM_STEP_NUM_TASKS": "2", "SLURM_NTASKS_PER_NODE": "2",
    ])
    XCTAssertEqual(launch.rank, 1)
    XCTAssertEqual(launch.localTasks, 2)
    guard case .unusable(let reason) = launch.launch else {
      return XCTFail("\(launch.launch)")
    }
    XCTAssertTrue(reason.contains("SLURM_STEP_NUM_TASKS=2"), reason)
    XCTAssertTrue(reason.contains("srun --mpi=pmix"), reason)
    XCTAssertFalse(reason.contains("\n"))
  }

  /// One srun task, or a shell inside `salloc` (no SLURM_PROCID): a plain single worker.
  func testOneSlurmTaskOrAnAllocationIsOneWorker() {
    XCTAssertEqual(
      LaunchEnvironment.read(["SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "1"]).launch, .single)
    let allocation = LaunchEnvironment.read(["SLURM_JOB_ID": "7", "SLURM_NTASKS": "16"])
    XCTAssertEqual(allocation.launch, .single)
    XCTAssertNil(allocation.tasks)
  }

  func testPMI2LaunchersAreRefused() {
    let launch = LaunchEnvironment.read(["PMI_RANK": "0", "PMI_SIZE": "4", "MPI_LOCALNRANKS": "4"])
    XCTAssertEqual(launch.localTasks, 4)
    guard case .unusable(let reason) = launch.launch else {
      return XCTFail("\(launch.launch)")
    }
    XCTAssertTrue(reason.contains("PMI_SIZE=4") && reason.contains("mpirun"), reason)
  }

  /// Entry SLURM_NODEID of SLURM_STEP_TASKS_PER_NODE, in Slurm's compressed form.
  func testSlurmTasksPerNodeIsExpanded() {
    func local(_ list: String, node: String) -> Int? {
      LaunchEnvironment.read([
        "SLURM_PROCID": "0", "SLURM_STEP_TASKS_PER_NODE": list, "SLURM_NODEID": node,
      ]).localTasks
    }
    XCTAssertEqual(local("2(x3),1", node: "0"), 2)
    XCTAssertEqual(local("2(x3),1", node: "2"), 2)
    XCTAssertEqual(local("2(x3),1", node: "3"), 1)
    XCTAssertNil(local("2(x3),1", node: "4"))
    XCTAssertNil(local("many", node: "0"))
  }

  /// The BLAS default divides the cores by Slurm's and PMIx's local counts too.
  func testBLASThreadsUseEveryLaunchersLocalSize() {
    for environment in [
      ["PMIX_RANK": "0", "PMIX_LOCAL_SIZE": "4"], ["PMI_RANK": "0", "MPI_LOCALNRANKS": "4"],
      ["SLURM_PROCID": "0", "SLURM_NTASKS_PER_NODE": "4"],
    ] {
      XCTAssertEqual(
        BLASThreads.resolve(option: nil, environment: environment, cores: 8),
        BLASThreads(count: 2, source: .cores), "\(environment)")
    }
  }
}
