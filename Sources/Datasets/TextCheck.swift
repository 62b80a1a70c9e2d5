/// Tells text from binary data before it becomes tokens.
public enum TextCheck {
  /// Largest share of bytes that may be invalid UTF-8 in a text file. Text in a legacy
  /// encoding such as Latin-1 has a few percent of such bytes (accented letters; a short
  /// French line can reach a tenth), which the byte tokenizer handles; random binary data has
  /// 40 to 50 percent, so a quarter separates the two with a margin on both sides.
  static let maximumInvalidShare = 0.25

  /// Throws when `bytes` has a NUL byte or more than ``maximumInvalidShare`` of invalid UTF-8.
  public static func requireText(_ bytes: [UInt8], path: String) throws {
    if let offset = bytes.firstIndex(of: 0) { throw DataError.nulByte(path, offset: offset) }
    if String(validating: bytes, as: UTF8.self) != nil { return }
    let invalid = invalidBytes(bytes)
    if Double(invalid) > maximumInvalidShare * Double(bytes.count) {
      throw DataError.notUTF8(path, invalid: invalid, of: bytes.count)
    }
  }

  /// How many bytes of `bytes` lie in invalid UTF-8 sequences (each decoding error counted as
  /// one byte, the decoder resuming at the next byte).
  static func invalidBytes(_ bytes: [UInt8]) -> Int {
    var decoder = UTF8()
    var iterator = bytes.makeIterator()
    var invalid = 0
    while true {
      switch decoder.decode(&iterator) {
      case .scalarValue: continue
      case .emptyInput: return invalid
      case .error: invalid += 1
      }
    }
  }
}
