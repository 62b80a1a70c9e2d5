/// One entry of a chart's legend: a swatch, a line (maybe dashed), a band or a marker, and its
/// label.
public struct LegendEntry {
  public enum Style {
    case swatch
    case line(dash: String?)
    /// A wide pale line: a reference series drawn under the others.
    case band
    case marker(MarkerShape)
    /// A capped whisker: the spread drawn on bars and markers.
    case whisker
  }

  public var label: String
  public var colour: String
  public var style: Style

  /// Pixels the entry takes in a legend row: the key, then the label at an estimated 6.6
  /// pixels per character of 12 px text, then a gap.
  public var width: Double { 28 + Double(label.count) * 6.6 + 14 }

  public func svg(x: Double, y: Double) -> String {
    let key: String
    switch style {
    case .swatch:
      key =
        "<rect x=\"\(SVGChart.number(x))\" y=\"\(SVGChart.number(y - 10))\" width=\"22\""
        + " height=\"12\" fill=\"\(colour)\"/>"
    case .line(let dash):
      key =
        "<line x1=\"\(SVGChart.number(x))\" y1=\"\(SVGChart.number(y - 4))\""
        + " x2=\"\(SVGChart.number(x + 22))\" y2=\"\(SVGChart.number(y - 4))\" stroke=\"\(colour)\""
        + " stroke-width=\"2.5\"" + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>"
    case .band:
      key =
        "<line x1=\"\(SVGChart.number(x))\" y1=\"\(SVGChart.number(y - 4))\""
        + " x2=\"\(SVGChart.number(x + 22))\" y2=\"\(SVGChart.number(y - 4))\" stroke=\"\(colour)\""
        + " stroke-width=\"7\" stroke-opacity=\"0.3\" stroke-linecap=\"round\"/>"
    case .marker(let shape):
      key =
        "<path d=\"\(shape.path(centreX: x + 11, centreY: y - 4, radius: 5))\" fill=\"\(colour)\"/>"
    case .whisker:
      let (left, centre, right) = (x + 7, x + 11, x + 15)
      key =
        "<path d=\"M\(SVGChart.number(centre)),\(SVGChart.number(y - 11)) V\(SVGChart.number(y + 3))"
        + " M\(SVGChart.number(left)),\(SVGChart.number(y - 11)) H\(SVGChart.number(right))"
        + " M\(SVGChart.number(left)),\(SVGChart.number(y + 3)) H\(SVGChart.number(right))\""
        + " fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>"
    }
    return key
      + SVGChart.text(label, x: x + 28, y: y, anchor: "start", fill: "#333333", size: 12)
  }
}
