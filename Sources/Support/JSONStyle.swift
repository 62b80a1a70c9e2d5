import Foundation

/// The project's one JSON style for the files and lines its processes hand to each other:
/// `JSONEncoder` with sorted keys, pretty-printed for files people read (`summary.json`,
/// `results.json`), one compact line per record otherwise (`metrics.jsonl`, the last line of
/// `ddp bench allreduce`). Non-finite numbers are written as `null` by the types themselves
/// (`encodeFinite`), since JSON has no NaN.
public enum JSONStyle {
  /// The encoder: sorted keys, no escaped slashes, pretty-printed when `pretty`.
  public static func encoder(pretty: Bool) -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting =
      pretty
      ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
      : [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }

  /// `value` as one compact JSON line, without the newline.
  public static func line(_ value: some Encodable) throws -> String {
    String(decoding: try encoder(pretty: false).encode(value), as: UTF8.self)
  }

  /// `value` as a pretty-printed JSON document ending in a newline.
  public static func document(_ value: some Encodable) throws -> String {
    String(decoding: try encoder(pretty: true).encode(value), as: UTF8.self) + "\n"
  }

  /// Decodes `text`, naming `source` (a file, and a line where it has several) and the key
  /// in the error when a key is missing or holds the wrong kind of value.
  public static func decode<T: Decodable>(
    _ type: T.Type, from text: some StringProtocol, source: String
  ) throws -> T {
    do {
      return try JSONDecoder().decode(type, from: Data(text.utf8))
    } catch let error as DecodingError {
      throw JSONReadError(source: source, error)
    }
  }
}

/// A JSON hand-off that does not hold what its reader expects: which file (and line), which key,
/// and what was wrong.
public struct JSONReadError: Error, CustomStringConvertible, Equatable {
  public let description: String

  public init(_ message: String) { description = message }

  init(source: String, _ error: DecodingError) {
    func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
      let keys = (codingPath + (last.map { [$0] } ?? [])).map { key in
        key.intValue.map { "[\($0)]" } ?? key.stringValue
      }
      return keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
    switch error {
    case .keyNotFound(let key, let context):
      description = "\(source): no key \"\(path(context.codingPath, key))\""
    case .typeMismatch(let type, let context):
      description = "\(source): \"\(path(context.codingPath))\" is not a \(type)"
    case .valueNotFound(let type, let context):
      description = "\(source): \"\(path(context.codingPath))\" is null, expected a \(type)"
    case .dataCorrupted(let context) where context.codingPath.isEmpty:
      description = "\(source): not JSON"
    case .dataCorrupted(let context):
      description =
        "\(source): \"\(path(context.codingPath))\": \(context.debugDescription)"
    @unknown default:
      description = "\(source): \(error)"
    }
  }
}

extension KeyedEncodingContainer {
  /// `value`, or `null` when it is NaN or infinite (JSON has neither).
  public mutating func encodeFinite(_ value: Double, forKey key: Key) throws {
    if value.isFinite { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
  }
}

extension KeyedDecodingContainer {
  /// The number at `key`, NaN where the writer wrote `null` for a non-finite value; a missing
  /// key is an error.
  public func decodeFinite(forKey key: Key) throws -> Double {
    guard contains(key) else {
      throw DecodingError.keyNotFound(
        key, .init(codingPath: codingPath, debugDescription: "no value for \(key.stringValue)"))
    }
    return try decodeNil(forKey: key) ? .nan : decode(Double.self, forKey: key)
  }
}
