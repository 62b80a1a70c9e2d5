/// The `byte` tokenizer of DESIGN.md section 3: each UTF-8 byte is one token, V = 256.
///
/// Encoding never fails and decoding never crashes: any token sequence decodes, with invalid
/// UTF-8 (a sequence cut in the middle of a character, or a token outside 0…255) shown as
/// U+FFFD, the replacement character.
public enum ByteTokenizer {
  /// Vocabulary size V: one token per byte value.
  public static let vocabularySize = 256

  /// The UTF-8 bytes of `text`, each a token in 0…255.
  public static func encode(_ text: String) -> [UInt8] { Array(text.utf8) }

  /// The UTF-8 bytes of `text` as `Int32` tokens, the type the model's inputs use.
  public static func encodeTokens(_ text: String) -> [Int32] { text.utf8.map { Int32($0) } }

  /// The text of `tokens`, replacing invalid UTF-8 and tokens outside 0…255 with U+FFFD.
  public static func decode(_ tokens: some Sequence<Int32>) -> String {
    var text = ""
    var bytes: [UInt8] = []
    for token in tokens {
      if let byte = UInt8(exactly: token) {
        bytes.append(byte)
      } else {
        text += String(decoding: bytes, as: UTF8.self) + "\u{FFFD}"
        bytes.removeAll(keepingCapacity: true)
      }
    }
    return text + String(decoding: bytes, as: UTF8.self)
  }

  /// The text of byte `tokens`, replacing invalid UTF-8 with U+FFFD.
  public static func decode(bytes tokens: some Sequence<UInt8>) -> String {
    String(decoding: Array(tokens), as: UTF8.self)
  }
}
