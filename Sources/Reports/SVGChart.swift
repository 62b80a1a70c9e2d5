import Foundation

/// A small SVG chart builder for the comparison report: a title, a legend, two axes (linear,
/// logarithmic or bands of bars) and marks placed in data coordinates: rectangles (bars and
/// stacked segments), lines, markers, horizontal rules and text.
///
/// Marks are kept as closures and laid out when `svg(id:)` renders the chart, once the legend's
/// height fixes where the plot area starts. Everything is drawn with presentation attributes
/// (no CSS classes, no scripts), so a chart pasted anywhere looks the same. Text is escaped for
/// XML; non-finite values are left out rather than written as `nan`.
///
/// ```swift
/// var chart = SVGChart(
///   title: "tokens/s", x: .bands("norm", labels: ["layernorm"]), y: .linear("ms", covering: [3]))
/// chart.rectangle(x: 0.2...0.8, y: 0...3, fill: "#0072B2", tooltip: "3 ms")
/// let svg = chart.svg(id: "chart-example")
/// ```
public struct SVGChart {
  public var title: String
  public var titleColour = "#111111"
  public var x: ChartAxis
  public var y: ChartAxis
  public var width = 580.0
  public var height = 340.0
  /// Pixels left of the plot (y tick labels and title) and below it (x tick labels, a second
  /// row of labels, the x title).
  public var leftInset = 72.0
  public var bottomInset = 62.0
  public var rightInset = 18.0

  /// Marks and legend entries in the order they were added, drawn by `svg(id:)`.
  private(set) var marks: [(PlotFrame) -> String] = []
  private(set) var legend: [LegendEntry] = []

  public init(title: String, x: ChartAxis, y: ChartAxis) {
    self.title = title
    self.x = x
    self.y = y
  }

  // MARK: - Marks, in data coordinates

  /// A filled rectangle over `x` × `y` (a bar, or one segment of a stacked bar).
  public mutating func rectangle(
    x: ClosedRange<Double>, y: ClosedRange<Double>, fill: String, tooltip: String? = nil
  ) {
    guard [x.lowerBound, x.upperBound, y.lowerBound, y.upperBound].allSatisfy(\.isFinite) else {
      return
    }
    marks.append { frame in
      let left = frame.px(x.lowerBound)
      let right = frame.px(x.upperBound)
      let top = frame.py(y.upperBound)
      let bottom = frame.py(y.lowerBound)
      let rect =
        "<rect x=\"\(SVGChart.number(min(left, right)))\" y=\"\(SVGChart.number(min(top, bottom)))\""
        + " width=\"\(SVGChart.number(abs(right - left)))\""
        + " height=\"\(SVGChart.number(abs(bottom - top)))\" fill=\"\(fill)\""
      return SVGChart.withTooltip(rect, tooltip)
    }
  }

  /// A polyline through `points` (non-finite points are dropped), dashed when `dash` is given
  /// as an SVG dash array such as `"6 4"`.
  public mutating func line(
    _ points: [(x: Double, y: Double)], stroke: String, width: Double = 2, dash: String? = nil,
    opacity: Double = 1
  ) {
    let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
    guard finite.count > 1 else { return }
    marks.append { frame in
      let coordinates = finite.map {
        "\(SVGChart.number(frame.px($0.x))),\(SVGChart.number(frame.py($0.y)))"
      }
      return "<polyline points=\"\(coordinates.joined(separator: " "))\" fill=\"none\""
        + " stroke=\"\(stroke)\" stroke-width=\"\(SVGChart.number(width))\""
        + " stroke-linejoin=\"round\" stroke-linecap=\"round\""
        + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")
        + (opacity < 1 ? " stroke-opacity=\"\(SVGChart.number(opacity))\"" : "") + "/>"
    }
  }

  /// A marker of `shape` centred on (`x`, `y`).
  public mutating func marker(
    x: Double, y: Double, shape: MarkerShape, fill: String, size: Double = 5,
    tooltip: String? = nil
  ) {
    guard x.isFinite, y.isFinite else { return }
    marks.append { frame in
      let path = shape.path(centreX: frame.px(x), centreY: frame.py(y), radius: size)
      return SVGChart.withTooltip(
        "<path d=\"\(path)\" fill=\"\(fill)\" stroke=\"#ffffff\" stroke-width=\"1\"", tooltip)
    }
  }

  /// A whisker from `low` to `high` at `x`, capped at both ends `cap` pixels wide: the spread
  /// of a median drawn as a bar or a marker (the report draws quartiles). Its path carries
  /// `data-spread="LOW HIGH"` (the values as given) so that readers and tests can find it.
  public mutating func errorBar(
    x: Double, low: Double, high: Double, stroke: String = "#222222", cap: Double = 8,
    tooltip: String? = nil
  ) {
    guard x.isFinite, low.isFinite, high.isFinite, low <= high else { return }
    marks.append { frame in
      let (centre, top, bottom) = (frame.px(x), frame.py(high), frame.py(low))
      let (left, right) = (SVGChart.number(centre - cap / 2), SVGChart.number(centre + cap / 2))
      let path =
        "M\(SVGChart.number(centre)),\(SVGChart.number(top))"
        + " V\(SVGChart.number(bottom)) M\(left),\(SVGChart.number(top)) H\(right)"
        + " M\(left),\(SVGChart.number(bottom)) H\(right)"
      return SVGChart.withTooltip(
        "<path d=\"\(path)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"1.5\""
          + " data-spread=\"\(String(format: "%g", low)) \(String(format: "%g", high))\"", tooltip)
    }
  }

  /// A horizontal line across the plot at `y`, labelled at its right end.
  public mutating func horizontalRule(
    y: Double, stroke: String, dash: String? = "6 4", label: String
  ) {
    guard y.isFinite else { return }
    marks.append { frame in
      let row = SVGChart.number(frame.py(y))
      let right = frame.left + frame.width
      return "<line x1=\"\(SVGChart.number(frame.left))\" y1=\"\(row)\""
        + " x2=\"\(SVGChart.number(right))\" y2=\"\(row)\" stroke=\"\(stroke)\" stroke-width=\"2\""
        + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>"
        + SVGChart.text(
          label, x: right - 4, y: frame.py(y) - 6, anchor: "end", fill: stroke, size: 12,
          bold: true)
    }
  }

  /// `text` at (`x`, `y`) moved by `dy` pixels (negative is up), centred unless `anchor` says.
  public mutating func text(
    _ text: String, x: Double, y: Double, dy: Double = 0, anchor: String = "middle",
    fill: String = "#333333", size: Double = 11, bold: Bool = false
  ) {
    guard x.isFinite, y.isFinite else { return }
    marks.append { frame in
      SVGChart.text(
        text, x: frame.px(x), y: frame.py(y) + dy, anchor: anchor, fill: fill, size: size,
        bold: bold)
    }
  }

  /// A label under the x axis at `x`: `row` 0 is the tick row, row 1 the one below it (group
  /// names under bars labelled by worker count).
  public mutating func axisLabel(
    _ text: String, x: Double, row: Int, fill: String = "#333333", bold: Bool = false
  ) {
    guard x.isFinite else { return }
    marks.append { frame in
      SVGChart.text(
        text, x: frame.px(x), y: frame.top + frame.height + 16 + 16 * Double(row),
        anchor: "middle", fill: fill, size: row == 0 ? 11 : 12.5, bold: bold)
    }
  }

  /// An entry of the legend above the plot.
  public mutating func legendEntry(_ label: String, colour: String, style: LegendEntry.Style) {
    legend.append(LegendEntry(label: label, colour: colour, style: style))
  }
}
