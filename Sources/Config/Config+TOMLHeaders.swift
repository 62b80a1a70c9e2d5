extension RunConfig {
  /// Where a table header's name should start but does not: 1-based line and column (in UTF-8
  /// bytes), and the offset of the offending byte in the text's UTF-8.
  struct MalformedHeader: Equatable {
    var line: Int
    var column: Int
    var offset: Int
    /// The offending byte as a message shows it: `'#'`, `a line break`, `byte 0x01`.
    var seen: String
  }

  /// The first table header whose name does not start right.
  ///
  /// toml++ 3.4 (inside TOMLKit) asserts, and aborts the process, on a header like `[` followed
  /// by a line break, `[#`, `[=` or `[[ .`: after `[`, `[[` and spaces or tabs it expects a bare
  /// key character (`A-Z a-z 0-9 _ -`), a quote or `]`, and checks that only with an
  /// `assert` (undefined behaviour once asserts are compiled out). This scan finds such a
  /// header first, so the text is refused with a message instead (found by fuzzing).
  ///
  /// A header is a `[` that starts a statement: first on its line, outside strings, comments,
  /// arrays and inline tables. The scan follows TOML's basic, literal and multi-line strings,
  /// comments, and the nesting of `[` and `{` in values, so it does not mistake an array row
  /// or string text for a header.
  ///
  /// - Complexity: O(n) in the length of the text.
  static func malformedTableHeader(in text: String) -> MalformedHeader? {
    let bytes = Array(text.utf8)
    let (quote, apostrophe) = (UInt8(ascii: "\""), UInt8(ascii: "'"))
    var (i, line, lineStart, depth, statementStart) = (0, 1, 0, 0, true)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { (i, lineStart) = (3, 3) }  // a byte-order mark
    func at(_ k: Int) -> UInt8? { k < bytes.count ? bytes[k] : nil }
    func isBlank(_ k: Int) -> Bool { at(k) == UInt8(ascii: " ") || at(k) == UInt8(ascii: "\t") }
    func skipBlanks(_ k: inout Int) { while isBlank(k) { k += 1 } }
    func startsName(_ byte: UInt8?) -> Bool {
      guard let byte else { return true }  // end of text: toml++ reports it
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), quote,
        apostrophe, UInt8(ascii: "]"):
        return true
      default:
        return false
      }
    }
    func describe(_ byte: UInt8) -> String {
      switch byte {
      case UInt8(ascii: "\n"): return "a line break"
      case 0x21...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
      case 0x80...: return "a non-ASCII character"
      default: return "byte 0x" + String(byte, radix: 16, uppercase: true)
      }
    }
    /// Moves `i` past a string that opens at `i` with `delimiter` (escapes only in basic
    /// strings), counting the lines it spans.
    func skipString(_ delimiter: UInt8) {
      let multiLine = at(i + 1) == delimiter && at(i + 2) == delimiter
      i += multiLine ? 3 : 1
      while let byte = at(i) {
        if byte == UInt8(ascii: "\\") && delimiter == quote {
          if at(i + 1) == UInt8(ascii: "\n") { (line, lineStart) = (line + 1, i + 2) }
          i += 2
          continue
        }
        if byte == UInt8(ascii: "\n") {
          if !multiLine { return }  // an unterminated string: toml++ reports it
          (line, lineStart) = (line + 1, i + 1)
        }
        if byte == delimiter && (!multiLine || (at(i + 1) == delimiter && at(i + 2) == delimiter)) {
          i += multiLine ? 3 : 1
          return
        }
        i += 1
      }
    }
    while let byte = at(i) {
      switch byte {
      case UInt8(ascii: "\n"):
        (line, lineStart, i) = (line + 1, i + 1, i + 1)
        statementStart = depth == 0
        continue
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
        i += 1
        continue
      case UInt8(ascii: "#"):
        while let next = at(i), next != UInt8(ascii: "\n") { i += 1 }
        continue
      case quote, apostrophe:
        skipString(byte)
      case UInt8(ascii: "[") where statementStart:
        var k = i + 1
        let arrayOfTables = at(k) == UInt8(ascii: "[")
        if arrayOfTables { k += 1 }
        skipBlanks(&k)
        // `[ [` is refused by toml++ itself; after `[[` a `[` is not a name.
        let fine = startsName(at(k)) || (!arrayOfTables && at(k) == UInt8(ascii: "["))
        if !fine, let bad = at(k) {
          return MalformedHeader(
            line: line, column: k - lineStart + 1, offset: k, seen: describe(bad))
        }
        i += 1
      case UInt8(ascii: "["), UInt8(ascii: "{"):
        depth += 1
        i += 1
      case UInt8(ascii: "]"), UInt8(ascii: "}"):
        depth = max(0, depth - 1)
        i += 1
      default:
        i += 1
      }
      statementStart = false
    }
    return nil
  }
}
