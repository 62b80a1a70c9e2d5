internal import CMPI
import Support

#if canImport(Glibc)
  import Glibc
#endif

/// Who is still there when a collective times out, and who says so: the watchdog's side
/// channel, on its own duplicate of MPI_COMM_WORLD.
///
/// A rank that is stopped or stuck outside MPI cannot answer anything, so the ranks that can
/// answer find it by elimination:
///
/// 1. A rank whose wait passes `distributed.timeout_s` *joins* the roll call: it sends every
///    other rank one small message (MPI_Isend; eager, so it never waits for the receiver)
///    holding its step and the collective it waits in.
/// 2. Every rank waiting in a collective looks for such messages every `checkEverySeconds`
///    (its `CollectiveMonitor` does, once the wait has lasted that long, so a quick collective
///    pays nothing) and, on the first one, joins too.
/// 3. `graceSeconds` after joining, each rank has heard from every rank that is waiting. The
///    lowest rank among those it heard from (itself included) prints the one line, naming the
///    ranks that never answered, and calls MPI_Abort; the others wait for that abort.
///
/// From the moment a rank joins it takes no further part in the job (``JobEnding``): its
/// threads complete no collective and begin no file write, and the reporter lets the writes
/// under way finish before it aborts.
///
/// Every message is sent once and no reply is awaited, so a dead or stopped peer costs nothing
/// but its silence. A rank joins once; the mutex keeps the channel to one thread at a time.
final class RollCall: @unchecked Sendable {
  /// Seconds between looks at the channel while a wait lasts, and before the first look.
  static let checkEverySeconds = 0.01
  /// Seconds a rank that joined listens before deciding: many times `checkEverySeconds` plus a
  /// loaded machine's scheduling delays, short beside any timeout worth setting.
  static let graceSeconds = 1.0
  /// Seconds a rank that is not the reporter waits for the reporter's MPI_Abort before it ends
  /// the job itself (the reporter may have died in between): mpirun may take a few seconds to
  /// end the other ranks after an abort.
  static let reporterSeconds = 20.0
  /// Seconds the reporter waits for this rank's file writes under way before it aborts (a
  /// checkpoint takes well under a second; a write stuck longer is left to the abort).
  static let writesInFlightSeconds = 10.0
  /// `DDP_FAULT_ABORT_DELAY=SECONDS` (a test's fault, as `FaultInjection`'s): the reporter
  /// waits that long between its line and MPI_Abort, so a test can wake the missing rank while
  /// the job is ending and see that the other ranks train no further.
  static let faultAbortDelaySeconds: Double = {
    guard let text = getenv("DDP_FAULT_ABORT_DELAY"), let seconds = Double(String(cString: text))
    else { return 0 }
    return min(max(seconds, 0), 60)
  }()
  /// The message tag on `channel`; the channel carries nothing else.
  static let tag: Int32 = 1
  /// Int64s per message: the sender's step, then `WatchedCollective.encoded`.
  static let messageLength = 5

  private let channel: MPI_Comm
  private let world: MPI_Comm
  private let rank: Int
  private let size: Int
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  // Guarded by `mutex`.
  /// When this rank joined (monotonic seconds); nil until it does.
  private var joinedAt: Double?
  /// What each rank that joined reported, by rank: its step and its collective.
  private var present: [Int: (step: Int, collective: WatchedCollective?)] = [:]
  /// The sends of this rank's joining; never waited for (the job is ending).
  private var sends: [MPI_Request?] = []

  /// A roll call on `channel` (a duplicate of `world` that nothing else uses).
  init(channel: MPI_Comm, world: MPI_Comm, rank: Int, size: Int) {
    (self.channel, self.world, self.rank, self.size) = (channel, world, rank, size)
    pthread_mutex_init(mutex, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  /// Called every `checkEverySeconds` of a wait: reads the channel and joins when another rank
  /// has. Skips the look while the other thread of this rank holds the channel.
  ///
  /// - Returns: when this rank joined, or nil if it has not.
  func look(waitingIn collective: WatchedCollective, step: Int) -> Double? {
    guard pthread_mutex_trylock(mutex) == 0 else { return nil }
    defer { pthread_mutex_unlock(mutex) }
    collect()
    if joinedAt == nil && !present.isEmpty { join(collective, step: step) }
    return joinedAt
  }

  /// The end of a timed-out wait: joins, listens for `graceSeconds`, then prints the line and
  /// aborts the job if this rank is the lowest that answered, else waits for that rank's abort.
  func finish(waitingIn collective: WatchedCollective, step: Int, timeout: Double) -> Never {
    pthread_mutex_lock(mutex)
    if joinedAt == nil { join(collective, step: step) }
    let decideAt = (joinedAt ?? monotonicSeconds()) + Self.graceSeconds
    repeat {
      collect()
      usleep(1000)
    } while monotonicSeconds() < decideAt
    collect()
    let line = describe(collective, step: step, timeout: timeout)
    if present.keys.min() ?? rank == rank {
      writeErrorLine(line)
      // A checkpoint being written is finished, not cut short (its temporary file left).
      JobEnding.awaitWritesInFlight(seconds: Self.writesInFlightSeconds)
      if Self.faultAbortDelaySeconds > 0 { usleep(UInt32(Self.faultAbortDelaySeconds * 1e6)) }
    } else {
      // The reporter prints, then aborts the job; this rank aborts silently if it has not
      // (the reporter died in between), so the line is never printed twice.
      usleep(UInt32(Self.reporterSeconds * 1e6))
    }
    MPI_Abort(world, 1)
    exit(1)
  }

  /// The line: the step, the collective, the ranks that never answered, and ranks waiting
  /// elsewhere. For example `ddp: step 41: all-reduce #12 (norm_stats) did not complete within
  /// distributed.timeout_s = 300 s; missing: rank 1 (stopped, or stuck outside MPI); ending the
  /// job, its checkpoints are intact (continue with ddp train --out RUN --resume)`.
  func describe(_ collective: WatchedCollective, step: Int, timeout: Double) -> String {
    let missing = (0..<size).filter { present[$0] == nil }
    let within = "within distributed.timeout_s = \(formatSeconds(timeout)) s"
    var line = "ddp: \(CollectiveWatchdog.describe(step: step)): "
    if missing.isEmpty {
      line += "\(collective) did not complete \(within), though every rank is waiting"
    } else {
      let names = missing.map(String.init)
      let ranks =
        names.count == 1
        ? "rank \(names[0])"
        : "ranks \(names.dropLast().joined(separator: ", ")) and \(names.last ?? "")"
      line +=
        "\(collective) did not complete \(within); missing: \(ranks) (stopped, or stuck outside "
        + "MPI)"
    }
    for (other, report) in present.sorted(by: { $0.key < $1.key })
    where report.collective != collective || report.step != step {
      let place = report.collective.map { "\($0)" } ?? "an unknown collective"
      line += "; rank \(other) waits in \(place), \(CollectiveWatchdog.describe(step: report.step))"
    }
    return line
      + "; ending the job, its checkpoints are intact (continue with ddp train --out RUN --resume)"
  }

  /// Sends this rank's step and collective to every other rank. Holds `mutex`.
  private func join(_ collective: WatchedCollective, step: Int) {
    // From here on no thread of this rank completes a collective or begins a file write: a
    // stopped peer that mpirun's SIGCONT wakes must not let this rank train on.
    JobEnding.decide()
    joinedAt = monotonicSeconds()
    present[rank] = (step, collective)
    // A non-blocking send reads its buffer until it completes, which it may never do here:
    // the buffer is allocated once and never freed (the job is ending).
    let outgoing = UnsafeMutablePointer<Int64>.allocate(capacity: Self.messageLength)
    for (index, value) in ([Int64(step)] + collective.encoded).enumerated() {
      outgoing[index] = value
    }
    for other in 0..<size where other != rank {
      var request: MPI_Request? = cmpi_request_null()
      _ = MPI_Isend(
        outgoing, Int32(Self.messageLength), cmpi_int64(), Int32(other), Self.tag, channel,
        &request)
      sends.append(request)
    }
  }

  /// Receives every message waiting on the channel into `present`. Holds `mutex`.
  private func collect() {
    while true {
      var waiting: Int32 = 0
      var status = MPI_Status()
      guard MPI_Iprobe(cmpi_any_source(), Self.tag, channel, &waiting, &status) == cmpi_success(),
        waiting != 0
      else { return }
      var message = [Int64](repeating: 0, count: Self.messageLength)
      let source = status.MPI_SOURCE
      guard
        MPI_Recv(
          &message, Int32(Self.messageLength), cmpi_int64(), source, Self.tag, channel,
          cmpi_status_ignore()) == cmpi_success()
      else { return }
      present[Int(source)] = (Int(message[0]), WatchedCollective(encoded: message[1...]))
    }
  }

  /// "300", "2.5": seconds as the config would write them.
  private func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() && seconds < 1e15 ? String(Int(seconds)) : String(seconds)
  }
}
