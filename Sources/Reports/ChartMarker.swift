/// The shape of a line chart's markers: one per norm, so series stay apart without colour.
public enum MarkerShape: Sendable {
  case circle, square, triangle, diamond, cross

  /// An SVG path of this shape around (`centreX`, `centreY`), about `radius` from the centre.
  public func path(centreX x: Double, centreY y: Double, radius r: Double) -> String {
    func point(_ dx: Double, _ dy: Double) -> String {
      "\(SVGChart.number(x + dx * r)),\(SVGChart.number(y + dy * r))"
    }
    switch self {
    case .circle:
      return "M\(point(-1, 0))A\(SVGChart.number(r)),\(SVGChart.number(r)) 0 1,0 \(point(1, 0))"
        + "A\(SVGChart.number(r)),\(SVGChart.number(r)) 0 1,0 \(point(-1, 0))Z"
    case .square:
      return "M\(point(-0.9, -0.9))L\(point(0.9, -0.9))L\(point(0.9, 0.9))L\(point(-0.9, 0.9))Z"
    case .triangle:
      return "M\(point(0, -1.2))L\(point(1.1, 0.8))L\(point(-1.1, 0.8))Z"
    case .diamond:
      return "M\(point(0, -1.25))L\(point(1.1, 0))L\(point(0, 1.25))L\(point(-1.1, 0))Z"
    case .cross:
      let a = 0.4
      return "M\(point(-a, -1.1))L\(point(a, -1.1))L\(point(a, -a))L\(point(1.1, -a))"
        + "L\(point(1.1, a))L\(point(a, a))L\(point(a, 1.1))L\(point(-a, 1.1))L\(point(-a, a))"
        + "L\(point(-1.1, a))L\(point(-1.1, -a))L\(point(-a, -a))Z"
    }
  }
}
