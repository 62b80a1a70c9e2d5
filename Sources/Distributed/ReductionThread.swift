internal import CMPI

#if canImport(Glibc)
  import Glibc
#endif

/// A background thread that runs queued all-reduces one after another, in the order they were
/// queued, while the thread that queued them computes (as Horovod's background thread and
/// PyTorch's `ProcessGroupMPI` worker do).
///
/// Each queued reduction gets a ticket, 0, 1, 2, …; reductions complete in queue order, so
/// ticket t has completed once `completed > t`. The owner waits for a ticket on a condition
/// variable, asleep: its core goes to the reductions and to the other ranks. The thread starts
/// with the first reduction queued and ends in `stop()`, once the queue is empty.
///
/// The thread runs at nice −10 where the process may raise a thread's priority (root, or
/// `RLIMIT_NICE`), else at the default: with every core computing, a reduction whose peers are
/// all ready then takes a core at once instead of sharing it in CFS time slices with the
/// computation, which keeps the peers' spinning short (2 ranks on 2 cores, bench.toml: under
/// 1 % fewer tokens/s than without overlap, against 2–3 % at the default priority).
///
/// The work itself (the MPI calls and their checks) is `reduce`, run on this thread only.
final class ReductionThread: ThreadBody, @unchecked Sendable {
  /// One queued all-reduce: `count` Floats at `buffer`, summed in place over the ranks.
  struct Job {
    var buffer: UnsafeMutablePointer<Float>
    var count: Int32
    /// What the reduction is accounted under, for the watchdog's line.
    var category: CollectiveCategory
    /// Its ticket, set by `submit`: 0 for the first job ever queued.
    var ticket = 0
  }

  /// The nice value the thread asks for (−20 … 19, lower runs first); see the type's notes.
  static let niceness: Int32 = -10

  private let reduce: (Job) -> Void
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  /// Signalled when a job is queued or the thread is asked to stop.
  private let queued = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  /// Signalled when a job completes.
  private let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  // Guarded by `mutex`: the queue, `next` job to run, counts, and the thread's state.
  private var jobs: [Job] = []
  private var next = 0
  private var submitted = 0
  private var completed = 0
  private var stopping = false
  private var thread: pthread_t?

  /// A thread that will run `reduce` on each queued job; it starts with the first `submit`.
  init(reduce: @escaping (Job) -> Void) {
    self.reduce = reduce
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(queued, nil)
    pthread_cond_init(done, nil)
  }

  deinit {
    // A running thread holds a reference to this object, so there is none left to join here.
    pthread_cond_destroy(done)
    pthread_cond_destroy(queued)
    pthread_mutex_destroy(mutex)
    done.deallocate()
    queued.deallocate()
    mutex.deallocate()
  }

  /// Queues `job` and returns its ticket; starts the thread if it is not running.
  ///
  /// Never waits for communication: the mutex is held by the thread only to take a job from
  /// the queue or count one done.
  ///
  /// - Returns: nil if the thread could not be created or was stopped (the caller reduces
  ///   some other way).
  func submit(_ job: Job) -> Int? {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    guard !stopping else { return nil }
    if thread == nil {
      guard let created = startThread(self) else { return nil }
      thread = created
    }
    var job = job
    job.ticket = submitted
    jobs.append(job)
    submitted += 1
    pthread_cond_signal(queued)
    return submitted - 1
  }

  /// Whether the reduction of `ticket` has completed (its buffer holds the sums).
  func isCompleted(_ ticket: Int) -> Bool {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return completed > ticket
  }

  /// Sleeps until the reduction of `ticket` has completed.
  func wait(_ ticket: Int) {
    pthread_mutex_lock(mutex)
    while completed <= ticket { pthread_cond_wait(done, mutex) }
    pthread_mutex_unlock(mutex)
  }

  /// Lets the thread finish the queue, then ends it and joins it; later `submit`s return nil.
  func stop() {
    pthread_mutex_lock(mutex)
    let running = thread
    thread = nil
    stopping = true
    pthread_cond_signal(queued)
    pthread_mutex_unlock(mutex)
    if let running { pthread_join(running, nil) }
  }

  /// The thread's loop: the next job, or the end once stopping with nothing queued.
  func run() {
    // Best effort: without the privilege the thread keeps the default priority.
    _ = setpriority(
      __priority_which_t(PRIO_PROCESS.rawValue), id_t(cmpi_thread_id()), Self.niceness)
    cmpi_set_timer_slack_nanoseconds(MPICommunicator.timerSlackNanoseconds)
    pthread_mutex_lock(mutex)
    while true {
      while next == jobs.count && !stopping { pthread_cond_wait(queued, mutex) }
      if next == jobs.count { break }
      let job = jobs[next]
      next += 1
      pthread_mutex_unlock(mutex)
      reduce(job)
      pthread_mutex_lock(mutex)
      completed += 1
      if completed == submitted {
        jobs.removeAll(keepingCapacity: true)
        next = 0
      }
      pthread_cond_broadcast(done)
    }
    pthread_mutex_unlock(mutex)
  }
}
