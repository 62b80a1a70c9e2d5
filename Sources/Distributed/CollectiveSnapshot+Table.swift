import Foundation

extension CollectiveSnapshot {
  /// The counters as a text table, one row per category and a total, for the end of a run:
  ///
  /// ```
  /// collective        calls          MB   seconds
  /// gradients            40     497.026     1.234
  /// ```
  ///
  /// MB are 10⁶ bytes this rank contributed.
  public func table() -> String {
    let header = "collective        calls          MB   seconds"
    let rows =
      CollectiveCategory.allCases.map { row($0.rawValue, self[$0]) } + [row("total", total)]
    return ([header] + rows).joined(separator: "\n")
  }

  private func row(_ name: String, _ counters: CollectiveCounters) -> String {
    name.padding(toLength: 12, withPad: " ", startingAt: 0)
      + String(
        format: "%11d %11.3f %9.3f", counters.calls, Double(counters.bytes) / 1e6, counters.seconds)
  }
}
