/// Calls, bytes and seconds of the collectives of one category.
public struct CollectiveCounters: Equatable, Sendable {
  /// Collective calls made; a non-blocking all-reduce counts once, when it starts.
  public var calls: Int
  /// Bytes this rank contributed: the size of the buffer it passed to each call (0 for a
  /// barrier, the per-rank share for an all-gather).
  public var bytes: Int
  /// Seconds spent inside the calls, including waiting for non-blocking ones to complete.
  public var seconds: Double

  public init(calls: Int = 0, bytes: Int = 0, seconds: Double = 0) {
    self.calls = calls
    self.bytes = bytes
    self.seconds = seconds
  }

  /// No calls, no bytes, no time.
  public static let zero = CollectiveCounters()

  /// The counters of both operands added.
  public static func + (lhs: Self, rhs: Self) -> Self {
    Self(
      calls: lhs.calls + rhs.calls,
      bytes: lhs.bytes + rhs.bytes,
      seconds: lhs.seconds + rhs.seconds)
  }

  /// What `lhs` counted beyond `rhs` (a later reading minus an earlier one).
  public static func - (lhs: Self, rhs: Self) -> Self {
    Self(
      calls: lhs.calls - rhs.calls,
      bytes: lhs.bytes - rhs.bytes,
      seconds: lhs.seconds - rhs.seconds)
  }
}

/// The counters of every category at one moment, as `CollectiveAccounting.snapshot()` read them.
public struct CollectiveSnapshot: Equatable, Sendable {
  /// One entry per case of `CollectiveCategory`, in `allCases` order.
  private var counters: [CollectiveCounters]

  /// A snapshot with nothing counted.
  public init() {
    counters = Array(repeating: .zero, count: CollectiveCategory.allCases.count)
  }

  /// The counters of one category.
  public subscript(category: CollectiveCategory) -> CollectiveCounters {
    get { counters[category.counterIndex] }
    set { counters[category.counterIndex] = newValue }
  }

  /// All categories added together.
  public var total: CollectiveCounters { counters.reduce(.zero, +) }

  /// What was counted since `earlier`, category by category (per-step figures from two
  /// snapshots of the same accounting).
  public func subtracting(_ earlier: CollectiveSnapshot) -> CollectiveSnapshot {
    var difference = CollectiveSnapshot()
    for category in CollectiveCategory.allCases {
      difference[category] = self[category] - earlier[category]
    }
    return difference
  }
}

/// Counts every collective a communicator makes, by category: calls, bytes and seconds.
///
/// Communicators call `record` once per collective and `addWaiting` when a non-blocking one
/// is tested or waited for; readers take a `snapshot()`. The counters are this rank's own:
/// bytes are what this rank contributed, seconds what it spent inside MPI (DESIGN.md section 4:
/// LayerNorm and RMSNorm runs show zero `norm_stats` calls from these counters).
///
/// Not thread-safe: like the communicator, use it from one thread at a time.
public final class CollectiveAccounting {
  private var current = CollectiveSnapshot()
  /// The seconds of each call of the category being logged, in call order (see `startLog`).
  public private(set) var loggedCalls: [Double] = []
  private var logged: CollectiveCategory?
  /// CPU seconds the main thread spent inside collectives, all categories (its CPU-time clock:
  /// polling and MPI's own spinning, not the time it slept waiting). A step's own compute is its
  /// CPU seconds less this (`ComputeTimeObserver`).
  public private(set) var cpuSecondsInside: Double = 0

  public init() {}

  /// Counts one collective call of `category` that moved `bytes` from this rank in `seconds`.
  public func record(_ category: CollectiveCategory, bytes: Int, seconds: Double) {
    current[category].calls += 1
    current[category].bytes += bytes
    current[category].seconds += seconds
    if category == logged { loggedCalls.append(seconds) }
  }

  /// Starts keeping the seconds of every blocking call of `category` in `loggedCalls`
  /// (emptied), until the next `startLog`.
  public func startLog(_ category: CollectiveCategory) {
    logged = category
    loggedCalls.removeAll(keepingCapacity: true)
  }

  /// Adds `seconds` of waiting to `category` without counting a call (MPI_Wait, MPI_Test).
  public func addWaiting(_ category: CollectiveCategory, seconds: Double) {
    current[category].seconds += seconds
  }

  /// Adds `seconds` of the main thread's CPU time spent inside a collective.
  public func addCPUInside(seconds: Double) { cpuSecondsInside += seconds }

  /// The counters as they are now.
  public func snapshot() -> CollectiveSnapshot { current }

  /// Sets every counter back to zero.
  public func reset() {
    current = CollectiveSnapshot()
    cpuSecondsInside = 0
  }
}

extension CollectiveCategory {
  /// The position of this case in `allCases`, used to index counter arrays.
  var counterIndex: Int {
    switch self {
    case .gradients: 0
    case .normStats: 1
    case .control: 2
    }
  }
}
