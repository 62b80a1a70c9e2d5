import Support
import XCTest

/// Error lines stay readable whatever they quote: a 5 MB config value is shown by its start and
/// its end, with the count of characters left out.
final class ErrorLineTests: XCTestCase {
  func testShortLinesAreWhole() {
    for line in ["", "ddp: x", String(repeating: "é", count: errorLineLimit)] {
      XCTAssertEqual(shortenedErrorLine(line), line)
    }
  }

  func testLongLinesKeepTheirStartAndEnd() {
    for length in [errorLineLimit + 1, 5000, 5_000_000] {
      let line = "ddp: unknown key x = \"" + String(repeating: "a", count: length) + "\"; the hint"
      let shown = shortenedErrorLine(line)
      XCTAssertLessThanOrEqual(shown.count, errorLineLimit + 60, "\(length)")
      XCTAssertTrue(shown.hasPrefix("ddp: unknown key x = \"aaa"), "\(length)")
      XCTAssertTrue(shown.hasSuffix("aaa\"; the hint"), "\(length)")
      XCTAssertTrue(shown.contains(" … (\(line.count - 950) characters left out) … "), shown)
    }
  }
}
