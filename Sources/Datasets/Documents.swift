/// Cuts the bytes of one file into documents.
///
/// The rule, chosen so that the split by document works on any corpus:
/// - A fortune file (one with at least one line holding only `%`) yields its entries, the text
///   between `%` lines.
/// - Another file is one document, unless it is the only file of the corpus: then its
///   paragraphs (text between blank lines) are the documents, so that a single plain text file
///   still gets a validation split.
///
/// Every document loses its trailing line breaks; documents holding only white space are
/// dropped. A line may end in `\r\n`.
public enum Documents {
  /// The documents of a file's `bytes`; `onlyFile` when it is the corpus's only file.
  public static func split(_ bytes: [UInt8], onlyFile: Bool) -> [[UInt8]] {
    let lines = lineRanges(bytes)
    if lines.contains(where: { isFortuneSeparator(bytes[$0]) }) {
      return pieces(bytes, lines: lines, cutAt: isFortuneSeparator)
    }
    if onlyFile { return pieces(bytes, lines: lines, cutAt: isBlank) }
    return pieces(bytes, lines: lines, cutAt: { _ in false })
  }

  /// Whether `line` (without its `\n`) holds only `%`.
  static func isFortuneSeparator(_ line: ArraySlice<UInt8>) -> Bool {
    line.elementsEqual([percent]) || line.elementsEqual([percent, carriageReturn])
  }

  /// Whether `bytes` hold only spaces, tabs and line breaks.
  static func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool {
    bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == lineFeed || $0 == carriageReturn }
  }

  /// The documents between the lines for which `cutAt` holds, each without trailing line
  /// breaks, blank ones dropped.
  private static func pieces(
    _ bytes: [UInt8], lines: [Range<Int>], cutAt: (ArraySlice<UInt8>) -> Bool
  ) -> [[UInt8]] {
    var documents: [[UInt8]] = []
    var start = 0
    func close(at end: Int) {
      var piece = bytes[start..<end]
      while let last = piece.last, last == lineFeed || last == carriageReturn {
        piece = piece.dropLast()
      }
      if !isBlank(piece) { documents.append(Array(piece)) }
    }
    for line in lines where cutAt(bytes[line]) {
      close(at: line.lowerBound)
      start = min(line.upperBound + 1, bytes.count)
    }
    close(at: bytes.count)
    return documents
  }

  /// The ranges of the lines of `bytes`, each without its `\n`.
  private static func lineRanges(_ bytes: [UInt8]) -> [Range<Int>] {
    var lines: [Range<Int>] = []
    var start = 0
    for (index, byte) in bytes.enumerated() where byte == lineFeed {
      lines.append(start..<index)
      start = index + 1
    }
    if start < bytes.count { lines.append(start..<bytes.count) }
    return lines
  }

  private static let percent = UInt8(ascii: "%")
  private static let lineFeed = UInt8(ascii: "\n")
  private static let carriageReturn = UInt8(ascii: "\r")
}
