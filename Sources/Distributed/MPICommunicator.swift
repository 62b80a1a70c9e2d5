internal import CMPI
import Support

#if canImport(Glibc)
  import Glibc
#endif

/// The ranks of MPI_COMM_WORLD: the workers `mpirun -np N` started.
///
/// Creating one initializes MPI (MPI_Init_thread asking for MPI_THREAD_MULTIPLE) unless this
/// process already has; `finalize()` ends it. MPI cannot be initialized again after that, so
/// make one communicator per process.
///
/// With MPI_THREAD_MULTIPLE provided and more than one rank, `startAllReduceSum` hands its
/// all-reduce to a background `ReductionThread`, which runs the blocking (tuned) MPI_Allreduce
/// on a duplicate of MPI_COMM_WORLD while the caller computes (OpenMPI moves a non-blocking
/// collective forward only inside MPI calls, and its MPI_Iallreduce is slower than the tuned
/// blocking one on large buffers). The main thread's collectives (SyncBatchNorm's statistics,
/// control) keep MPI_COMM_WORLD to themselves, so the two threads' calls, which may run at the
/// same time, never have to be ordered against each other. Below MULTIPLE (an MPI built
/// without it), `startAllReduceSum` is MPI_Iallreduce on MPI_COMM_WORLD instead.
///
/// Every collective is waited for under the `watchdog`: polled, asleep between tests, and ended
/// after `distributed.timeout_s` with one line naming the ranks that did not arrive (see
/// `MPICommunicator+Waiting.swift` and `RollCall`). `blockingCollectives` turns that off, for
/// measuring what it costs.
///
/// Creating one is collective: the ranks first check that they all run the same command
/// (`checkSameCommand`), since ranks of different commands would make different collectives.
///
/// MPI_COMM_WORLD is switched to MPI_ERRORS_RETURN and every call's result is checked: a
/// failure ends the whole job through `abort`, with MPI's own description of the error
/// (MPI_Error_string), for example `rank 1: MPI_Bcast failed: MPI_ERR_ROOT: invalid root`.
public final class MPICommunicator: Communicator {
  public let rank: Int
  public let size: Int
  public let accounting = CollectiveAccounting()
  /// The thread level MPI provided (MPI_THREAD_SINGLE ... MPI_THREAD_MULTIPLE as 0 ... 3).
  public let threadLevel: Int
  /// Whether `finalize()` has run.
  public private(set) var isFinalized = false
  let world: MPI_Comm
  /// A duplicate of `world`, used only by `reductionThread`; nil below MPI_THREAD_MULTIPLE or
  /// for one rank.
  var background: MPI_Comm?
  /// Runs the all-reduces of `startAllReduceSum` on `background`; nil when there is none.
  var reductionThread: ReductionThread?
  public let watchdog = CollectiveWatchdog()
  /// The watchdog's side channel, on its own duplicate of `world`.
  let rollCall: RollCall
  /// What the main thread and the reduction thread wait in, for `monitor`.
  let mainSlot = WaitSlot()
  let backgroundSlot = WaitSlot()
  /// The watchdog's thread; nil below MPI_THREAD_MULTIPLE, for one rank, or with
  /// `blockingCollectives`.
  var monitor: CollectiveMonitor?
  /// MPI's blocking calls, with no watchdog: only to measure what the watchdog costs.
  let blockingCollectives: Bool
  /// The collectives the main thread has started on `world`, for the watchdog's line (the
  /// reduction thread's are numbered by their tickets).
  var mainCollectives = 0

  /// Joins MPI_COMM_WORLD, initializing MPI first unless this process already has.
  ///
  /// - Parameter blockingCollectives: wait in MPI's blocking collectives, spinning, with no
  ///   timeout (as before the watchdog); for `ddp bench allreduce --blocking`.
  public init(blockingCollectives: Bool = false) {
    self.blockingCollectives = blockingCollectives
    let launch = LaunchEnvironment.current  // read before MPI_Init changes the environment
    var finalized: Int32 = 0
    MPI_Finalized(&finalized)
    if finalized != 0 {
      writeErrorLine("MPI was already finalized in this process; it cannot start again")
      exit(1)
    }
    var initialized: Int32 = 0
    MPI_Initialized(&initialized)
    var provided = cmpi_thread_multiple()
    if initialized == 0 {
      let code = MPI_Init_thread(nil, nil, cmpi_thread_multiple(), &provided)
      if code != cmpi_success() {
        writeErrorLine("MPI_Init_thread failed: \(Self.errorString(code))")
        exit(1)
      }
    } else {
      MPI_Query_thread(&provided)
    }
    threadLevel = Int(provided)
    world = cmpi_comm_world()
    var rank: Int32 = 0
    var size: Int32 = 1
    let codes = [
      ("MPI_Comm_set_errhandler", MPI_Comm_set_errhandler(world, cmpi_errors_return())),
      ("MPI_Comm_rank", MPI_Comm_rank(world, &rank)),
      ("MPI_Comm_size", MPI_Comm_size(world, &size)),
    ]
    self.rank = Int(rank)
    self.size = Int(size)
    // Collective: every rank of the job creates its communicators here, in the same order.
    var channel: MPI_Comm?
    let duplicated = MPI_Comm_dup(world, &channel)
    rollCall = RollCall(channel: channel ?? world, world: world, rank: Int(rank), size: Int(size))
    for (function, code) in codes + [("MPI_Comm_dup", duplicated)] { check(code, function) }
    cmpi_set_timer_slack_nanoseconds(Self.timerSlackNanoseconds)
    if provided >= cmpi_thread_multiple(), size > 1 {
      var duplicate: MPI_Comm?
      check(MPI_Comm_dup(world, &duplicate), "MPI_Comm_dup")
      background = duplicate
      reductionThread = ReductionThread { [unowned self] job in reduceInBackground(job) }
    }
    if provided >= cmpi_thread_multiple(), size > 1, !blockingCollectives {
      monitor = CollectiveMonitor(
        slots: [mainSlot, backgroundSlot], rollCall: rollCall, watchdog: watchdog)
    }
    if self.size == 1 { refuseUnjoinedTasks(launch) }
    checkSameCommand(CommandLine.arguments.dropFirst())
  }

  /// Whether a launcher MPI can join started this process: `mpirun`, or a PMIx server such as
  /// `srun --mpi=pmix` (see `LaunchEnvironment`). How many workers there are is MPI's world
  /// size after initialization, not this guess.
  ///
  /// A plain process should use `SingleProcessCommunicator` instead: initializing MPI outside
  /// mpirun works in OpenMPI (a "singleton"), but starts helper processes for nothing. Tasks
  /// MPI could not join (srun without `--mpi=pmix`) end here: one line from the launcher's
  /// rank 0, exit 2 on every task.
  public static func detectMPILaunch() -> Bool {
    let launch = LaunchEnvironment.current
    switch launch.launch {
    case .single: return false
    case .mpi: return true
    case .unusable(let reason):
      if launch.rank == 0 { writeErrorLine("ddp: \(reason)") }
      exit(2)
    }
  }

  /// Ends a world of one whose launcher started several tasks: MPI made each a singleton (the
  /// launcher's PMIx is not one this OpenMPI reached), and each would train alone.
  private func refuseUnjoinedTasks(_ launch: LaunchEnvironment) {
    guard let tasks = launch.tasks, tasks > 1, let source = launch.tasksSource else { return }
    if launch.rank == 0 {
      writeErrorLine(
        "ddp: the launcher started \(tasks) tasks (\(source)), but MPI joined only one into "
          + "this job: launch with OpenMPI's mpirun or srun --mpi=pmix (README, "
          + "\"Several hosts\")")
    }
    finalize()
    exit(2)
  }

  public func abort(message: String, code: Int32) -> Never {
    writeErrorLine(rank == 0 ? message : "rank \(rank): \(message)")
    if !isFinalized { MPI_Abort(world, code) }
    exit(code)
  }

  public func finalize() {
    guard !isFinalized else { return }
    // Every started reduction has been waited for, so the thread's queue is empty.
    reductionThread?.stop()
    reductionThread = nil
    monitor?.stop()
    monitor = nil
    if background != nil { check(MPI_Comm_free(&background), "MPI_Comm_free") }
    isFinalized = true
    let code = MPI_Finalize()
    if code != cmpi_success() {
      writeErrorLine("rank \(rank): MPI_Finalize failed: \(Self.errorString(code))")
      exit(1)
    }
  }

  /// Ends the job with MPI's description of `code` unless it is MPI_SUCCESS.
  @inline(__always)
  func check(_ code: Int32, _ function: String) {
    if code != cmpi_success() { fail(code, function) }
  }

  private func fail(_ code: Int32, _ function: String) -> Never {
    abort(message: "\(function) failed: \(Self.errorString(code))", code: 1)
  }

  /// MPI's description of an error code (MPI_Error_string), e.g. "MPI_ERR_ROOT: invalid root".
  static func errorString(_ code: Int32) -> String {
    var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
    var length: Int32 = 0
    guard MPI_Error_string(code, &text, &length) == cmpi_success() else {
      return "MPI error code \(code)"
    }
    let bytes = text.prefix(Int(length)).map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `count` as MPI's `int` count; a larger buffer ends the job with a message saying so.
  func mpiCount(_ count: Int, _ function: StaticString) -> Int32 {
    guard count >= 0, count <= Int(Int32.max) else {
      abort(
        message: "\(function): \(count) elements exceed MPI's int count (at most \(Int32.max));"
          + " reduce in buckets", code: 1)
    }
    precondition(!isFinalized, "\(function) after MPI_Finalize")
    return Int32(count)
  }
}

/// The communicator for this process: MPI's world when `mpirun` started it, else one worker.
///
/// - Parameter blockingCollectives: see `MPICommunicator.init(blockingCollectives:)`.
public func makeWorldCommunicator(blockingCollectives: Bool = false) -> any Communicator {
  MPICommunicator.detectMPILaunch()
    ? MPICommunicator(blockingCollectives: blockingCollectives) : SingleProcessCommunicator()
}
