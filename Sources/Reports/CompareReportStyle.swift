import Foundation

/// Colour and marker of each norm in every chart, from the Okabe–Ito palette, whose colours
/// stay apart under the common colour-vision deficiencies: blues and greens for the norms that
/// need no communication, vermillion for local BatchNorm (workers disagree), orange for
/// SyncBatchNorm (communicates).
///
/// ### References
/// - Okabe, Ito, "Color Universal Design (CUD): how to make figures and presentations that are
///   friendly to colorblind people" (2008).
public struct NormStyle: Sendable {
  public var colour: String
  public var marker: MarkerShape

  public static let byNorm: [String: NormStyle] = [
    "layernorm": NormStyle(colour: "#0072B2", marker: .circle),
    "rmsnorm": NormStyle(colour: "#009E73", marker: .square),
    "batchnorm": NormStyle(colour: "#D55E00", marker: .triangle),
    "syncbatchnorm": NormStyle(colour: "#E69F00", marker: .diamond),
    "none": NormStyle(colour: "#7F7F7F", marker: .cross),
  ]

  /// The style of `norm`; black circles for a norm the map does not know.
  public static func of(_ norm: String) -> NormStyle {
    byNorm[norm] ?? NormStyle(colour: "#000000", marker: .circle)
  }
}

/// The page's CSS and the HTML pieces every section shares.
public enum CompareReportStyle {
  public static func swatch(_ norm: String) -> String {
    "<span class=\"swatch\" style=\"background:\(NormStyle.of(norm).colour)\"></span>"
  }

  /// A titled section with a caption and its charts in a grid (four columns when `small`), or
  /// the `empty` sentence when there are no charts.
  public static func section(
    _ title: String, caption: String, charts: [String], small: Bool = false,
    empty: String = "No data for this chart."
  ) -> String {
    let content =
      charts.isEmpty
      ? "<p class=\"note\">\(empty.xmlEscaped)</p>"
      : "<div class=\"grid\(small ? " small" : "")\">\n" + charts.joined(separator: "\n")
        + "\n</div>"
    return "<section>\n<h2>\(title.xmlEscaped)</h2>\n<p class=\"caption\">"
      + caption.xmlEscaped + "</p>\n" + content + "\n</section>"
  }

  /// A whole self-contained page: inline CSS, no scripts, nothing fetched, so it opens from
  /// disk, attaches to a mail and renders in a headless browser.
  public static func page(title: String, body: [String]) -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8"/>
    <meta name="viewport" content="width=device-width, initial-scale=1"/>
    <title>\(title.xmlEscaped)</title>
    <style>\(css)</style>
    </head>
    <body>
    \(body.joined(separator: "\n"))
    </body>
    </html>

    """
  }

  public static let css = """
    body { font: 15px/1.5 system-ui, "DejaVu Sans", "Helvetica Neue", Arial, sans-serif;
      color: #1d1d1f; background: #f7f7f8; max-width: 1220px; margin: 0 auto;
      padding: 20px 28px 40px; }
    h1 { font-size: 27px; margin: 4px 0 2px; }
    h2 { font-size: 20px; margin: 30px 0 2px; }
    h3 { font-size: 15px; margin: 16px 0 6px; }
    .subtitle { color: #555; font-size: 13.5px; margin: 0 0 14px; }
    .headline { background: #fff; border: 1px solid #dde2e8; border-left: 6px solid #0072B2;
      border-radius: 6px; padding: 6px 20px; font-size: 18px; line-height: 1.5;
      margin-bottom: 16px; }
    .headline p { margin: 8px 0; }
    .swatch { display: inline-block; width: 13px; height: 13px; border-radius: 3px;
      margin-right: 5px; vertical-align: -1px; }
    table { border-collapse: collapse; background: #fff; border: 1px solid #e1e4e8; }
    table.summary { width: 100%; }
    th, td { border-bottom: 1px solid #e6e8eb; padding: 7px 12px; text-align: left; }
    th { background: #eef1f4; font-size: 13px; font-weight: 600; }
    td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    code { font-size: 12px; color: #666; }
    .quiet { color: #00704f; font-weight: 700; }
    .sync { color: #9a5b00; font-weight: 700; }
    .differs { color: #b0361a; font-weight: 700; }
    .detail { color: #666; font-size: 13px; }
    .caption { color: #444; margin: 2px 0 10px; max-width: 960px; }
    .note { color: #666; font-style: italic; }
    .grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
    .grid.small { grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); }
    svg.chart { display: block; width: 100%; height: auto; background: #fff;
      border: 1px solid #e1e4e8; border-radius: 6px; }
    .formula { font-family: "DejaVu Sans Mono", monospace; font-size: 14px; background: #fff;
      border: 1px solid #e1e4e8; border-radius: 6px; padding: 8px 14px; display: inline-block; }
    footer { margin-top: 34px; border-top: 1px solid #ddd; color: #444; font-size: 13.5px; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
    dt { font-weight: 600; }
    dd { margin: 0; }
    """
}
