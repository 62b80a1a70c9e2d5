import Foundation
import Support

/// Where the plot area sits in the SVG, and the axes that map data into it.
public struct PlotFrame {
  public var left: Double
  public var top: Double
  public var width: Double
  public var height: Double
  public var x: ChartAxis
  public var y: ChartAxis

  /// The pixel column of data value `value` on the x axis.
  public func px(_ value: Double) -> Double { left + x.fraction(value) * width }
  /// The pixel row of data value `value` on the y axis (up is larger).
  public func py(_ value: Double) -> Double { top + (1 - y.fraction(value)) * height }
}

/// A tick on a chart axis: where it sits (in data units) and what it says.
public struct ChartTick: Equatable {
  public var value: Double
  public var label: String

  public init(value: Double, label: String) { (self.value, self.label) = (value, label) }
}

/// How one axis of an `SVGChart` maps data values onto the plot: linearly, or by decades.
public struct ChartAxis {
  public enum Scale { case linear, logarithmic }

  public var title: String
  public var scale: Scale
  public var lower: Double
  public var upper: Double
  public var ticks: [ChartTick]

  /// Where `value` falls from `lower` (0) to `upper` (1), clamped to the plot; values that
  /// cannot be placed (non-finite, or ≤ 0 on a logarithmic axis) fall on `lower`.
  public func fraction(_ value: Double) -> Double {
    let position: Double
    switch scale {
    case .linear:
      position = (value - lower) / (upper - lower)
    case .logarithmic:
      guard value > 0 else { return 0 }
      position = (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
    }
    return position.isFinite ? min(1, max(0, position)) : 0
  }

  /// A linear axis from 0 (or from a round number below the smallest value when `fromZero` is
  /// false) to a round number above the largest value plus `headroom` of the range (room for
  /// labels on top of bars), ticked every 1, 2 or 5 × 10ᵏ.
  public static func linear(
    _ title: String, covering values: [Double], fromZero: Bool = true, headroom: Double = 0.08
  ) -> ChartAxis {
    let finite = values.filter(\.isFinite)
    let smallest = fromZero ? min(0, finite.min() ?? 0) : finite.min() ?? 0
    var largest = (finite.max() ?? 1)
    largest += (largest - smallest) * headroom
    if largest <= smallest { largest = smallest + 1 }
    let step = niceStep((largest - smallest) / 5)
    let lower = (smallest / step).rounded(.down) * step
    let upper = (largest / step).rounded(.up) * step
    let ticks = stride(from: lower, through: upper + step / 2, by: step).map {
      ChartTick(value: $0, label: linearLabel($0, step: step))
    }
    return ChartAxis(title: title, scale: .linear, lower: lower, upper: upper, ticks: ticks)
  }

  /// A logarithmic axis over the whole decades around the positive values, ticked at each
  /// power of ten (every second one beyond eight decades).
  public static func logarithmic(_ title: String, covering values: [Double]) -> ChartAxis {
    let positive = values.filter { $0 > 0 && $0.isFinite }
    var lowest = (log10(positive.min() ?? 1)).rounded(.down)
    var highest = (log10(positive.max() ?? 10)).rounded(.up)
    if highest <= lowest { highest = lowest + 1 }
    if highest - lowest < 2 { lowest -= 1 }
    let every = highest - lowest > 8 ? 2.0 : 1.0
    let ticks = stride(from: lowest, through: highest, by: every).map {
      ChartTick(value: pow(10, $0), label: powerOfTenLabel(Int($0)))
    }
    return ChartAxis(
      title: title, scale: .logarithmic, lower: pow(10, lowest), upper: pow(10, highest),
      ticks: ticks)
  }

  /// `labels.count` equal bands, band i spanning [i, i + 1] and ticked at its centre.
  public static func bands(_ title: String, labels: [String]) -> ChartAxis {
    let ticks = labels.enumerated().map { ChartTick(value: Double($0) + 0.5, label: $1) }
    return ChartAxis(
      title: title, scale: .linear, lower: 0, upper: Double(max(1, labels.count)), ticks: ticks)
  }

  /// 1, 2 or 5 × 10ᵏ, the smallest not below `raw`.
  public static func niceStep(_ raw: Double) -> Double {
    guard raw > 0, raw.isFinite else { return 1 }
    let magnitude = pow(10, log10(raw).rounded(.down))
    let multiple = [1.0, 2, 5, 10].first { $0 * magnitude >= raw * 0.999_999 } ?? 10
    return multiple * magnitude
  }

  /// A tick value with as many decimals as the step needs, thousands as `k`, millions as `M`.
  public static func linearLabel(_ value: Double, step: Double) -> String {
    let (scaled, suffix, scaledStep) =
      step >= 1e6
      ? (value / 1e6, "M", step / 1e6)
      : step >= 1e3
        ? (value / 1e3, "k", step / 1e3)
        : (value, "", step)
    let decimals = max(0, Int((-log10(scaledStep)).rounded(.up)))
    return fmt(scaled, decimals) + (scaled == 0 ? "" : suffix)
  }

  /// 10ᵏ as a plain number from 0.01 to 1000, otherwise with a superscript exponent (10⁻⁶).
  public static func powerOfTenLabel(_ exponent: Int) -> String {
    if (0...3).contains(exponent) { return String(Int(pow(10, Double(exponent)))) }
    if (-2)...(-1) ~= exponent {
      return String(format: "%.\(-exponent)f", pow(10, Double(exponent)))
    }
    let superscripts: [Character: Character] = [
      "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷",
      "8": "⁸", "9": "⁹",
    ]
    return "10" + String(String(exponent).compactMap { superscripts[$0] })
  }
}
