import Foundation
import Support

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
    var table = TextTable([
      .init("collective", minimumWidth: 12, gap: 0),
      .init("calls", alignment: .right, minimumWidth: 11, gap: 0),
      .init("MB", alignment: .right, minimumWidth: 11, gap: 1),
      .init("seconds", alignment: .right, minimumWidth: 9, gap: 1),
    ])
    for (name, counters) in CollectiveCategory.allCases.map({ ($0.rawValue, self[$0]) }) + [
      ("total", total)
    ] {
      table.append([
        name, "\(counters.calls)", String(format: "%.3f", Double(counters.bytes) / 1e6),
        String(format: "%.3f", counters.seconds),
      ])
    }
    return table.text()
  }
}
