import Distributed

/// Several observers on the one gather: each one's figures, concatenated in order, and its own
/// slice of every rank's figures back (every rank gives the same number per observer).
public final class StepObservers: StepObserver {
  public let observers: [any StepObserver]
  private var counts: [Int] = []

  public init(_ observers: [any StepObserver]) { self.observers = observers }

  public func stepBegins(_ accounting: CollectiveAccounting) {
    for observer in observers { observer.stepBegins(accounting) }
  }

  public func figures(_ accounting: CollectiveAccounting) -> [Double] {
    let each = observers.map { $0.figures(accounting) }
    counts = each.map(\.count)
    return each.flatMap { $0 }
  }

  public func gathered(_ figures: [[Double]]) {
    var start = 0
    for (observer, count) in zip(observers, counts) {
      observer.gathered(
        figures.map { Array($0[min(start, $0.count)..<min(start + count, $0.count)]) })
      start += count
    }
  }
}
