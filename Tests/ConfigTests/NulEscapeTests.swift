import Config
import XCTest

/// A TOML escape of U+0000 reached Swift as a value cut at the NUL (`norm = "layernorm\u0000"`
/// read as "layernorm", a path as its prefix), silently. Refused, with its line; an escaped
/// backslash before `u0000` is plain text.
final class NulEscapeTests: XCTestCase {
  func testEveryNulEscapeIsRefusedWithItsLine() {
    let cases: [(String, String)] = [
      ("[model]\nnorm = \"layernorm\\u0000\"\n", "line 2: TOML syntax error: \\u0000"),
      ("[train]\nschedule = \"cosine\\u0000junk\"\n", "line 2: TOML syntax error: \\u0000"),
      ("[data]\n\npath = \"/tmp/corpus\\U00000000x\"\n", "line 3: TOML syntax error: \\U00000000"),
      ("[train]\ninit_from = \"\"\"\nrun\\u0000\"\"\"\n", "line 3: TOML syntax error: \\u0000"),
      ("[data]\nclasses = \"computers\\u0000,science\"\n", "line 2: TOML syntax error: \\u0000"),
    ]
    for (text, expected) in cases {
      XCTAssertThrowsError(try RunConfig.load(tomlText: text, overrides: []), text) { error in
        XCTAssertTrue("\(error)".hasPrefix("config: " + expected), "\(error)")
        XCTAssertTrue(
          "\(error)".hasSuffix("escapes a NUL character, which no config value may hold"),
          "\(error)")
      }
    }
  }

  func testOtherEscapesAndEscapedBackslashesAreKept() throws {
    // In TOML: "a\\u0000b\u0041\u00e9", an escaped backslash, then two real escapes.
    let config = try RunConfig.load(
      tomlText: "[data]\npath = \"a\\\\u0000b\\u0041\\u00e9\"\n", overrides: [])
    XCTAssertEqual(config.data.path, "a\\u0000bA\u{e9}")
  }
}
