import Foundation
import Reports
import Support

/// The mean and sample standard deviation of one figure over seeds.
public struct SeedSpread: Sendable, Equatable {
  public var mean: Double
  /// Sample standard deviation (n − 1); 0 for a single seed.
  public var deviation: Double
  public var count: Int

  public init(_ values: [Double]) {
    let finite = values.filter(\.isFinite)
    count = finite.count
    mean = finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count)
    let m = mean
    deviation =
      finite.count > 1
      ? (finite.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(finite.count - 1)).squareRoot()
      : 0
  }

  /// `-0.48 ± 0.03 (3 seeds)`, with `digits` decimals.
  public func text(_ digits: Int = 2) -> String {
    let seeds = "\(counted(count, "seed"))"
    guard count > 1 else { return "\(fmt(mean, digits)) (\(seeds))" }
    return "\(fmt(mean, digits)) ± \(fmt(deviation, digits)) (\(seeds))"
  }

  /// Whether the whole interval mean ± 2·deviation lies inside `band`.
  public func inside(_ band: ClosedRange<Double>) -> Bool {
    band.contains(mean - 2 * deviation) && band.contains(mean + 2 * deviation)
  }

  /// Whether the whole interval mean ± 2·deviation lies outside `band`.
  public func outside(_ band: ClosedRange<Double>) -> Bool {
    mean + 2 * deviation < band.lowerBound || mean - 2 * deviation > band.upperBound
  }

  /// The rule most claims share: reproduced when mean ± 2 sd lies inside the predicted band,
  /// not reproduced when it lies wholly outside, inconclusive when it straddles an edge (the
  /// seeds disagree more than the band allows). No finite value at all is inconclusive.
  public func verdict(predicted band: ClosedRange<Double>) -> ClaimVerdict.Verdict {
    guard count > 0 else { return .inconclusive }
    if inside(band) { return .reproduced }
    if outside(band) { return .notReproduced }
    return .inconclusive
  }
}

/// The least-squares slope of log y against log x: the exponent p of y ∝ x^p. Pairs with a
/// non-positive or non-finite value are left out; fewer than two points give NaN.
public func logLogSlope(_ points: [(x: Double, y: Double)]) -> Double {
  let usable = points.filter { $0.x > 0 && $0.y > 0 && $0.x.isFinite && $0.y.isFinite }
    .map { (log($0.x), log($0.y)) }
  guard usable.count > 1 else { return .nan }
  let n = Double(usable.count)
  let meanX = usable.map(\.0).reduce(0, +) / n
  let meanY = usable.map(\.1).reduce(0, +) / n
  let sxx = usable.map { ($0.0 - meanX) * ($0.0 - meanX) }.reduce(0, +)
  let sxy = usable.map { ($0.0 - meanX) * ($0.1 - meanY) }.reduce(0, +)
  return sxx > 0 ? sxy / sxx : .nan
}

/// The worse of several verdicts: any `not reproduced` wins, then `inconclusive`.
public func combined(_ verdicts: [ClaimVerdict.Verdict]) -> ClaimVerdict.Verdict {
  if verdicts.contains(.notReproduced) { return .notReproduced }
  if verdicts.contains(.inconclusive) || verdicts.isEmpty { return .inconclusive }
  return .reproduced
}
