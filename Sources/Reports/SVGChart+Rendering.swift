import Foundation

extension SVGChart {
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
  func layOutLegend() -> [[(entry: LegendEntry, x: Double)]] {
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

  func yAxis(_ frame: PlotFrame) -> [String] {
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

  func xAxis(_ frame: PlotFrame) -> [String] {
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
  static func withTooltip(_ start: String, _ tooltip: String?) -> String {
    guard let tooltip else { return start + "/>" }
    let name = start.dropFirst().prefix { $0 != " " }
    return start + "><title>\(tooltip.xmlEscaped)</title></\(name)>"
  }
}
