import Config

/// Colour and marker of each attention kind in the bench charts, from the Okabe–Ito palette
/// (as `NormStyle`): vermillion for softmax (quadratic in T), blues and greens for the linear
/// kinds (linear in T).
///
/// ### References
/// - Okabe, Ito, "Color Universal Design (CUD): how to make figures and presentations that are
///   friendly to colorblind people" (2008).
public struct AttentionStyle: Sendable {
  public var colour: String
  public var marker: MarkerShape

  public static let byKind: [String: AttentionStyle] = [
    AttentionKind.softmax.rawValue: AttentionStyle(colour: "#D55E00", marker: .circle),
    AttentionKind.linear.rawValue: AttentionStyle(colour: "#0072B2", marker: .square),
    AttentionKind.fastweight.rawValue: AttentionStyle(colour: "#009E73", marker: .triangle),
    AttentionKind.fastweightSum.rawValue: AttentionStyle(colour: "#CC79A7", marker: .diamond),
  ]

  /// The style of `kind`; black crosses for a kind the map does not know.
  public static func of(_ kind: String) -> AttentionStyle {
    byKind[kind] ?? AttentionStyle(colour: "#000000", marker: .cross)
  }

  /// A logarithmic axis ticked at the measured values (contexts or positions), with a little
  /// room either side so the end markers are not cut.
  static func measuredAxis(_ title: String, _ values: [Int]) -> ChartAxis {
    let sorted = Set(values.filter { $0 > 0 }).sorted()
    return ChartAxis(
      title: title, scale: .logarithmic, lower: Double(sorted.first ?? 1) / 1.25,
      upper: Double(sorted.last ?? 1) * 1.25,
      ticks: sorted.map { ChartTick(value: Double($0), label: String($0)) })
  }

  /// The chart as a standalone `.svg` file: an XML declaration, then the `<svg>` element.
  static func standalone(_ chart: SVGChart, id: String) -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + chart.svg(id: id) + "\n"
  }
}
