extension ByteTokenizer {
  /// Decodes tokens as they are generated into text that can be printed at once: whole
  /// characters only, an incomplete UTF-8 sequence at the end held back until its remaining
  /// bytes arrive (or `finish` shows it as U+FFFD). The concatenated pieces equal
  /// ``ByteTokenizer/decode(_:)`` of all tokens.
  public struct StreamingDecoder {
    private var pending: [Int32] = []

    public init() {}

    /// The text `token` completes (often empty while a character is incomplete).
    public mutating func append(_ token: Int32) -> String {
      pending.append(token)
      let held = incompleteSuffixLength(pending)
      guard held < pending.count else { return "" }
      let text = ByteTokenizer.decode(pending.dropLast(held))
      pending.removeFirst(pending.count - held)
      return text
    }

    /// The text of whatever is still held back.
    public mutating func finish() -> String {
      defer { pending.removeAll() }
      return ByteTokenizer.decode(pending)
    }

    /// How many trailing tokens start a UTF-8 sequence that more bytes could still complete.
    private func incompleteSuffixLength(_ tokens: [Int32]) -> Int {
      for back in 1...min(3, tokens.count) {
        guard let byte = UInt8(exactly: tokens[tokens.count - back]) else { return 0 }
        if byte & 0xC0 == 0x80 { continue }  // a continuation byte: look further back
        let length =
          byte & 0xE0 == 0xC0 ? 2 : byte & 0xF0 == 0xE0 ? 3 : byte & 0xF8 == 0xF0 ? 4 : 1
        return length > back ? back : 0
      }
      return 0
    }
  }
}
