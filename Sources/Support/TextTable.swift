/// A table of text cells printed as aligned plain text or as a Markdown table: the one table
/// printer of the project (collective counters, benchmarks, the cost model, compare reports).
///
/// Each column is as wide as its widest cell (title included), at least `minimumWidth`, and is
/// preceded by `gap` spaces (the first column's gap is its indent). A left-aligned last column
/// gets no trailing spaces (and no gap when its cell is empty).
///
/// ```
/// var table = TextTable([.init("name"), .init("calls", alignment: .right)])
/// table.append(["gradients", "40"])
/// table.text()
/// // name       calls
/// // gradients     40
/// ```
///
/// - Complexity: O(cells) to print.
public struct TextTable: Sendable {
  public enum Alignment: Sendable {
    case left, right
  }

  public struct Column: Sendable {
    /// The header cell; a table whose titles are all nil prints no header line.
    public var title: String?
    public var alignment: Alignment
    public var minimumWidth: Int
    /// Spaces before the column (plain text only).
    public var gap: Int

    public init(
      _ title: String? = nil, alignment: Alignment = .left, minimumWidth: Int = 0, gap: Int = 2
    ) {
      self.title = title
      self.alignment = alignment
      self.minimumWidth = minimumWidth
      self.gap = gap
    }
  }

  public var columns: [Column]
  public private(set) var rows: [[String]] = []

  public init(_ columns: [Column]) {
    self.columns = columns
  }

  /// Adds a row; missing cells are empty, cells beyond the columns are dropped.
  public mutating func append(_ cells: [String]) {
    rows.append(columns.indices.map { $0 < cells.count ? cells[$0] : "" })
  }

  private var hasHeader: Bool { columns.contains { $0.title != nil } }
  private var header: [String] { columns.map { $0.title ?? "" } }

  /// The width of each column: its widest cell, title included, at least its minimum.
  public var widths: [Int] {
    let lines = (hasHeader ? [header] : []) + rows
    return columns.indices.map { column in
      lines.map { $0[column].count }.reduce(columns[column].minimumWidth, max)
    }
  }

  /// The header line (if any) and one line per row, joined with newlines (no final newline).
  public func text() -> String {
    let widths = widths
    let lines = (hasHeader ? [header] : []) + rows
    return lines.map { cells in
      var line = ""
      for column in columns.indices {
        let last = column == columns.count - 1
        let cell = cells[column]
        let fill = String(repeating: " ", count: max(0, widths[column] - cell.count))
        if last && cell.isEmpty && columns[column].alignment == .left { break }
        line += String(repeating: " ", count: columns[column].gap)
        switch columns[column].alignment {
        case .right: line += fill + cell
        case .left: line += last ? cell : cell + fill
        }
      }
      return line
    }.joined(separator: "\n")
  }

  /// A Markdown table, padded so it also reads as plain text: right-aligned columns get a
  /// `---:` rule. Cells are written as they are (escape `|` as `\|` before appending).
  public func markdown() -> String {
    let widths = widths
    func line(_ cells: [String]) -> String {
      let padded = cells.indices.map { column in
        let fill = String(repeating: " ", count: max(0, widths[column] - cells[column].count))
        return columns[column].alignment == .right ? fill + cells[column] : cells[column] + fill
      }
      return "| " + padded.joined(separator: " | ") + " |"
    }
    let rule = columns.indices.map { column in
      columns[column].alignment == .right
        ? String(repeating: "-", count: widths[column] + 1) + ":"
        : String(repeating: "-", count: widths[column] + 2)
    }
    return ([line(header), "|" + rule.joined(separator: "|") + "|"] + rows.map(line))
      .joined(separator: "\n")
  }
}

extension TextTable {
  /// Labels and values, the labels left-aligned in one column and the values two spaces after
  /// the longest label: the shape of the benchmark summaries.
  public static func keyValue(_ pairs: [(String, String)]) -> String {
    var table = TextTable([.init(gap: 0), .init()])
    for (key, value) in pairs { table.append([key, value]) }
    return table.text()
  }
}
