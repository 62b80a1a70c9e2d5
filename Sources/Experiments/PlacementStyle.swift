import Reports

/// Colour, marker and label of each norm placement in the experiments' charts (Okabe–Ito
/// colours, as the compare report's norms).
struct PlacementStyle {
  var colour: String
  var marker: MarkerShape
  var label: String

  static func of(_ placement: String) -> PlacementStyle {
    switch placement {
    case "post": return PlacementStyle(colour: "#D55E00", marker: .triangle, label: "Post-LN")
    case "pre": return PlacementStyle(colour: "#0072B2", marker: .circle, label: "Pre-LN")
    case "residual":
      return PlacementStyle(colour: "#009E73", marker: .square, label: "ResiDual")
    default: return PlacementStyle(colour: "#000000", marker: .circle, label: placement)
    }
  }

  /// The placements in the order every chart and table lists them.
  static let order = ["post", "pre", "residual"]
}

extension Array where Element == ExperimentJob {
  /// The element-wise mean over seeds of `series` for the jobs that have it.
  func meanSeries(_ series: (ExperimentJob) -> [Double]?) -> [Double] {
    let all = compactMap(series)
    guard let length = all.map(\.count).min(), length > 0 else { return [] }
    return (0..<length).map { i in all.map { $0[i] }.reduce(0, +) / Double(all.count) }
  }
}
