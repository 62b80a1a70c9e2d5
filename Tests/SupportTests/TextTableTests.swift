import Support
import XCTest

/// The one table printer: widths from the widest cell, minimum widths, per-column gaps, no
/// trailing spaces after a left-aligned last column, and the Markdown form.
final class TextTableTests: XCTestCase {
  func testColumnsAreAsWideAsTheirWidestCell() {
    var table = TextTable([.init("name", gap: 0), .init("calls", alignment: .right)])
    table.append(["gradients", "40"])
    table.append(["control", "1234567"])
    XCTAssertEqual(
      table.text(),
      """
      name         calls
      gradients       40
      control    1234567
      """)
  }

  /// `minimumWidth` and `gap` give printf-style fixed columns (`%-12s%11d %9.3f`); a cell
  /// wider than its minimum widens the whole column instead of running into the next one.
  func testMinimumWidthsAndGapsGiveFixedColumns() {
    var table = TextTable([
      .init("a", minimumWidth: 4, gap: 0), .init("b", alignment: .right, minimumWidth: 5, gap: 1),
    ])
    table.append(["x", "1"])
    XCTAssertEqual(table.text(), "a        b\nx        1")
    table.append(["y", "1234567"])
    XCTAssertEqual(table.text(), "a          b\nx          1\ny    1234567")
  }

  func testLeftAlignedLastColumnHasNoTrailingSpacesAndMissingCellsAreEmpty() {
    var table = TextTable([.init("n", alignment: .right, gap: 0), .init("check")])
    table.append(["1", "ok"])
    table.append(["2", "WRONG (3 elements)"])
    table.append(["3"])
    XCTAssertEqual(table.text(), "n  check\n1  ok\n2  WRONG (3 elements)\n3")
    XCTAssertEqual(table.rows.last, ["3", ""])
  }

  func testKeyValueHasNoHeader() {
    XCTAssertEqual(
      TextTable.keyValue([("workers", "2"), ("ms/step (median)", "254.8")]),
      "workers           2\nms/step (median)  254.8")
  }

  func testMarkdownRightAlignsNumericColumns() {
    var table = TextTable([.init("norm"), .init("workers", alignment: .right)])
    table.append(["layernorm", "4"])
    XCTAssertEqual(
      table.markdown(),
      """
      | norm      | workers |
      |-----------|--------:|
      | layernorm |       4 |
      """)
  }
}
