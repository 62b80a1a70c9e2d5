import Datasets
import XCTest

final class ByteTokenizerTests: XCTestCase {
  func testEncodesUTF8Bytes() {
    XCTAssertEqual(ByteTokenizer.vocabularySize, 256)
    XCTAssertEqual(ByteTokenizer.encode("a é"), [0x61, 0x20, 0xC3, 0xA9])
    XCTAssertEqual(ByteTokenizer.encodeTokens("a é"), [0x61, 0x20, 0xC3, 0xA9])
  }

  func testDecodeRoundTrips() {
    let text = "Fortune: «ça va?» 🍀\n%\n"
    XCTAssertEqual(ByteTokenizer.decode(ByteTokenizer.encodeTokens(text)), text)
    XCTAssertEqual(ByteTokenizer.decode(bytes: ByteTokenizer.encode(text)), text)
  }

  func testDecodeReplacesInvalidInputWithoutCrashing() {
    XCTAssertEqual(ByteTokenizer.decode([0x68, 0xC3]), "h\u{FFFD}")
    XCTAssertEqual(ByteTokenizer.decode([0xFF, 0x69]), "\u{FFFD}i")
    XCTAssertEqual(ByteTokenizer.decode([-1, 256, 0x68, 0x69]), "\u{FFFD}\u{FFFD}hi")
    XCTAssertEqual(ByteTokenizer.decode([0xC3, 300, 0xA9]), "\u{FFFD}\u{FFFD}\u{FFFD}")
    XCTAssertEqual(ByteTokenizer.decode([Int32]()), "")
  }
}
