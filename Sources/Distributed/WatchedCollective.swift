/// One collective a rank waits for, as the watchdog names it: its kind, its category and its
/// number among the collectives of the thread that makes it.
///
/// The main thread and the reduction thread number their collectives separately (1, 2, …);
/// every rank makes the same collectives in the same order, so two ranks waiting in the same
/// collective report the same kind, thread and number, and a rank reporting another one is
/// somewhere else in the program.
struct WatchedCollective: Equatable, CustomStringConvertible {
  enum Kind: Int64 {
    case allReduce, broadcast, allGather, barrier, gradientBucket

    var noun: String {
      switch self {
      case .allReduce: "all-reduce"
      case .broadcast: "broadcast"
      case .allGather: "all-gather"
      case .barrier: "barrier"
      case .gradientBucket: "background all-reduce"
      }
    }
  }

  var kind: Kind
  var category: CollectiveCategory
  /// 1 for the thread's first collective.
  var number: Int
  /// Whether the reduction thread makes it (`startAllReduceSum`'s reductions).
  var onBackground: Bool

  /// "all-reduce #12 (norm_stats)", "background all-reduce #40 (gradients)".
  var description: String { "\(kind.noun) #\(number) (\(category.rawValue))" }

  /// The wire form for the roll call: kind, category, number, thread.
  var encoded: [Int64] {
    let category = Int64(CollectiveCategory.allCases.firstIndex(of: category) ?? 0)
    return [kind.rawValue, category, Int64(number), onBackground ? 1 : 0]
  }

  init(kind: Kind, category: CollectiveCategory, number: Int, onBackground: Bool = false) {
    (self.kind, self.category, self.number, self.onBackground) =
      (kind, category, number, onBackground)
  }

  /// Reads `encoded`; nil for values no rank of this build sends.
  init?(encoded: ArraySlice<Int64>) {
    let values = Array(encoded)
    let categories = CollectiveCategory.allCases
    guard values.count == 4, let kind = Kind(rawValue: values[0]),
      let categoryIndex = Int(exactly: values[1]), categories.indices.contains(categoryIndex)
    else { return nil }
    self.init(
      kind: kind, category: categories[categoryIndex], number: Int(values[2]),
      onBackground: values[3] != 0)
  }
}
