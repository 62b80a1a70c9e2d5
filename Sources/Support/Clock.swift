#if canImport(Glibc)
  import Glibc
#endif

/// Seconds on the monotonic clock; differences of two readings time an interval.
public func monotonicSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// CPU seconds the calling thread has run (its CPU-time clock, `CLOCK_THREAD_CPUTIME_ID`):
/// unlike the monotonic clock it stops while the thread sleeps, waits for a core or is
/// preempted, so the difference of two readings is the work the thread itself did.
public func threadCPUSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
