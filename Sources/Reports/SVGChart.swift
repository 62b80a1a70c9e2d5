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

  private var marks: [(PlotFrame) -> String] = []
  private var legend: [LegendEntry] = []

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

  // MARK: - Rendering

  /// The chart as an `<svg class="chart" id="ID">` element with its own size and fonts.
  public func svg(id: String) -> String {
    let legendRows = layOutLegend()
    let legendHeight = Double(legendRows.count) * 20
    let frame = PlotFrame(
      left: leftInset, top: 44 + legendHeight,
      width: width - leftInset - rightInset,
      height: height - 44 - legendHeight - bottomInset, x: x, y: y)
    var parts = [
      "<svg class=\"chart\" id=\"\(id.xmlEscaped)\" xmlns=\"http://www.w3.org/2000/svg\""
        + " viewBox=\"0 0 \(SVGChart.number(width)) \(SVGChart.number(height))\""
        + " width=\"\(SVGChart.number(width))\" height=\"\(SVGChart.number(height))\""
        + " role=\"img\" aria-label=\"\(title.xmlEscaped)\""
        + " font-family=\"system-ui, 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif\">",
      "<title>\(title.xmlEscaped)</title>",
      "<rect x=\"0\" y=\"0\" width=\"\(SVGChart.number(width))\""
        + " height=\"\(SVGChart.number(height))\" fill=\"#ffffff\"/>",
      SVGChart.text(
        title, x: 12, y: 22, anchor: "start", fill: titleColour, size: 15, bold: true),
    ]
    parts += legendRows.enumerated().flatMap { row, entries in
      entries.map { $0.entry.svg(x: $0.x, y: 42 + Double(row) * 20) }
    }
    parts += yAxis(frame) + xAxis(frame)
    parts += marks.map { $0(frame) }
    parts.append("</svg>")
    return parts.joined(separator: "\n")
  }

  /// Legend entries placed left to right, wrapping onto a new row when one is full.
  private func layOutLegend() -> [[(entry: LegendEntry, x: Double)]] {
    var rows: [[(entry: LegendEntry, x: Double)]] = []
    var cursor = width
    for entry in legend {
      let entryWidth = entry.width
      if cursor + entryWidth > width - rightInset || rows.isEmpty {
        rows.append([])
        cursor = 12
      }
      rows[rows.count - 1].append((entry, cursor))
      cursor += entryWidth
    }
    return rows
  }

  private func yAxis(_ frame: PlotFrame) -> [String] {
    var parts: [String] = []
    for tick in y.ticks where tick.value.isFinite {
      let row = SVGChart.number(frame.py(tick.value))
      parts.append(
        "<line x1=\"\(SVGChart.number(frame.left))\" y1=\"\(row)\""
          + " x2=\"\(SVGChart.number(frame.left + frame.width))\" y2=\"\(row)\""
          + " stroke=\"#e4e4e4\" stroke-width=\"1\"/>")
      parts.append(
        SVGChart.text(
          tick.label, x: frame.left - 6, y: frame.py(tick.value) + 4, anchor: "end",
          fill: "#555555", size: 11))
    }
    parts.append(
      "<line x1=\"\(SVGChart.number(frame.left))\" y1=\"\(SVGChart.number(frame.top))\""
        + " x2=\"\(SVGChart.number(frame.left))\""
        + " y2=\"\(SVGChart.number(frame.top + frame.height))\" stroke=\"#888888\"/>")
    let middle = SVGChart.number(frame.top + frame.height / 2)
    parts.append(
      "<text x=\"16\" y=\"\(middle)\" transform=\"rotate(-90 16 \(middle))\""
        + " text-anchor=\"middle\" fill=\"#333333\" font-size=\"12\">\(y.title.xmlEscaped)</text>")
    return parts
  }

  private func xAxis(_ frame: PlotFrame) -> [String] {
    let bottom = frame.top + frame.height
    var parts = [
      "<line x1=\"\(SVGChart.number(frame.left))\" y1=\"\(SVGChart.number(bottom))\""
        + " x2=\"\(SVGChart.number(frame.left + frame.width))\" y2=\"\(SVGChart.number(bottom))\""
        + " stroke=\"#888888\"/>"
    ]
    for tick in x.ticks where tick.value.isFinite {
      let column = SVGChart.number(frame.px(tick.value))
      parts.append(
        "<line x1=\"\(column)\" y1=\"\(SVGChart.number(bottom))\" x2=\"\(column)\""
          + " y2=\"\(SVGChart.number(bottom + 4))\" stroke=\"#888888\"/>")
      parts.append(
        SVGChart.text(
          tick.label, x: frame.px(tick.value), y: bottom + 16, anchor: "middle",
          fill: "#555555", size: 11))
    }
    parts.append(
      SVGChart.text(
        x.title, x: frame.left + frame.width / 2, y: height - 8, anchor: "middle",
        fill: "#333333", size: 12))
    return parts
  }

  // MARK: - SVG text

  /// A coordinate with at most one decimal, never `nan` (non-finite values become 0).
  public static func number(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let rounded = (value * 10).rounded() / 10
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
  }

  public static func text(
    _ text: String, x: Double, y: Double, anchor: String, fill: String, size: Double,
    bold: Bool = false
  ) -> String {
    "<text x=\"\(number(x))\" y=\"\(number(y))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\""
      + " font-size=\"\(number(size))\"" + (bold ? " font-weight=\"bold\"" : "")
      + ">\(text.xmlEscaped)</text>"
  }

  /// Closes the open element `start` with a hover tooltip (`<title>`) when there is one.
  private static func withTooltip(_ start: String, _ tooltip: String?) -> String {
    guard let tooltip else { return start + "/>" }
    let name = start.dropFirst().prefix { $0 != " " }
    return start + "><title>\(tooltip.xmlEscaped)</title></\(name)>"
  }
}

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
    return String(format: "%.\(decimals)f", scaled) + (scaled == 0 ? "" : suffix)
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

/// One entry of a chart's legend: a swatch, a line (maybe dashed), a band or a marker, and its
/// label.
public struct LegendEntry {
  public enum Style {
    case swatch
    case line(dash: String?)
    /// A wide pale line: a reference series drawn under the others.
    case band
    case marker(MarkerShape)
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
    }
    return key
      + SVGChart.text(label, x: x + 28, y: y, anchor: "start", fill: "#333333", size: 12)
  }
}

extension String {
  /// The string with XML's five special characters replaced by entities, safe in text and in
  /// attribute values of both SVG and HTML.
  public var xmlEscaped: String {
    var escaped = ""
    escaped.reserveCapacity(count)
    for character in self {
      switch character {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&#39;"
      default: escaped.append(character)
      }
    }
    return escaped
  }
}
