import Support
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// What one thread of this rank is waiting in, for the monitor: set when the thread enters a
/// collective, cleared when it leaves, read by the monitor every `RollCall.checkEverySeconds`.
///
/// Two atomics (no lock) so entering and leaving cost a few nanoseconds; the monitor may read
/// a collective with the entry time of the next one, which only delays its verdict by one
/// look.
final class WaitSlot: Sendable {
  /// Monotonic microseconds when the wait began; 0 while the thread waits in nothing.
  private let since = Atomic<Int>(0)
  /// The collective, packed by `pack`.
  private let what = Atomic<Int>(0)

  func enter(_ collective: WatchedCollective) {
    what.store(Self.pack(collective), ordering: .relaxed)
    since.store(max(1, Int(monotonicSeconds() * 1e6)), ordering: .releasing)
  }

  func leave() { since.store(0, ordering: .releasing) }

  /// The collective waited in and since when (monotonic seconds), or nil.
  var current: (collective: WatchedCollective, since: Double)? {
    let start = since.load(ordering: .acquiring)
    guard start != 0 else { return nil }
    let packed = what.load(ordering: .relaxed)
    let encoded: [Int64] = [
      Int64(packed & 7), Int64((packed >> 3) & 3), Int64(packed >> 8), Int64((packed >> 5) & 1),
    ]
    guard let collective = WatchedCollective(encoded: encoded[...]) else { return nil }
    return (collective, Double(start) / 1e6)
  }

  private static func pack(_ collective: WatchedCollective) -> Int {
    let encoded = collective.encoded
    return Int(encoded[0]) | Int(encoded[1]) << 3 | Int(encoded[3]) << 5 | Int(encoded[2]) << 8
  }
}

/// The watchdog's thread: every `RollCall.checkEverySeconds` it looks at what the main thread
/// and the reduction thread are waiting in (their `WaitSlot`s), answers another rank's roll
/// call, and ends the job through `RollCall.finish` once a wait has outlasted the timeout.
///
/// A thread of its own, because a waiting thread cannot always watch itself: a collective's
/// blocking part (see `MPICommunicator.watched`) spins inside MPI, so a peer that stops in the
/// middle of it would hold that thread forever. The monitor needs MPI_THREAD_MULTIPLE; without
/// it there is no watchdog.
final class CollectiveMonitor: ThreadBody, @unchecked Sendable {
  private let slots: [WaitSlot]
  private let rollCall: RollCall
  private let watchdog: CollectiveWatchdog
  private let stopping = Atomic<Bool>(false)
  private var thread: pthread_t?

  /// Starts the thread; nil if it could not be created.
  init?(slots: [WaitSlot], rollCall: RollCall, watchdog: CollectiveWatchdog) {
    (self.slots, self.rollCall, self.watchdog) = (slots, rollCall, watchdog)
    guard let created = startThread(self) else { return nil }
    thread = created
  }

  /// Ends the thread and joins it (before MPI_Finalize: the thread calls MPI).
  func stop() {
    stopping.store(true, ordering: .relaxed)
    if let thread { pthread_join(thread, nil) }
    thread = nil
  }

  func run() {
    let pause = UInt32(RollCall.checkEverySeconds * 1e6)
    while !stopping.load(ordering: .relaxed) {
      usleep(pause)
      let now = monotonicSeconds()
      for slot in slots {
        guard let (collective, since) = slot.current,
          now - since >= RollCall.checkEverySeconds
        else { continue }
        let joined = rollCall.look(waitingIn: collective, step: watchdog.step)
        let deadline = min(
          since + watchdog.timeoutSeconds, (joined ?? .infinity) + RollCall.graceSeconds)
        if now >= deadline {
          rollCall.finish(
            waitingIn: collective, step: watchdog.step, timeout: watchdog.timeoutSeconds)
        }
      }
    }
  }
}
