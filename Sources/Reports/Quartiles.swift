/// The spread of a sample: its first quartile, median and third quartile.
///
/// ```
/// q(p) = x₍ₖ₎ + (h − k)·(x₍ₖ₊₁₎ − x₍ₖ₎),   h = (n − 1)·p,  k = ⌊h⌋     (x sorted, 0-based)
/// ```
/// Linear interpolation between the closest ranks (Hyndman & Fan 1996, definition 7; NumPy's
/// and R's default), so the median of an even count is the mean of the middle two, as
/// `RunMeasurement.median` takes it.
///
/// ### References
/// - R. J. Hyndman, Y. Fan, "Sample Quantiles in Statistical Packages", The American
///   Statistician 50(4), 1996.
public struct Quartiles: Equatable {
  public var lower: Double
  public var median: Double
  public var upper: Double

  public init(lower: Double, median: Double, upper: Double) {
    (self.lower, self.median, self.upper) = (lower, median, upper)
  }

  /// The quartiles of the finite values of `sample`, or nil when it has none.
  /// - Complexity: O(n log n) (a sort).
  public init?(_ sample: [Double]) {
    let sorted = sample.filter(\.isFinite).sorted()
    guard !sorted.isEmpty else { return nil }
    lower = Self.quantile(sorted, 0.25)
    median = Self.quantile(sorted, 0.5)
    upper = Self.quantile(sorted, 0.75)
  }

  /// The `p`-quantile of an ascending, non-empty sample (definition 7 above).
  public static func quantile(_ sorted: [Double], _ p: Double) -> Double {
    let h = Double(sorted.count - 1) * p
    let k = Int(h.rounded(.down))
    guard k + 1 < sorted.count else { return sorted[k] }
    return sorted[k] + (h - Double(k)) * (sorted[k + 1] - sorted[k])
  }

  /// The quartiles of `f(x)` for a decreasing `f` (tokens/s from step time): the bounds swap.
  public func mappedDecreasing(_ f: (Double) -> Double) -> Quartiles {
    Quartiles(lower: f(upper), median: f(median), upper: f(lower))
  }
}
