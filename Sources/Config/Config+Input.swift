import Foundation
import Support

/// A value before conversion to its key's type.
enum ConfigInput {
  /// A TOML scalar, with its TOML type.
  case typed(ConfigValue)
  /// A TOML table, array or date, which no key accepts, as its text.
  case other(String)
  /// The text after `=` in `--set section.key=value`, parsed by the key's type.
  case text(String)

  /// The input as a message shows it.
  var rendered: String {
    switch self {
    case .typed(let value): return value.toml
    case .other(let text): return text
    case .text(let text): return MessageText.quoted(text)
    }
  }
}

extension ConfigField {
  /// Converts an input to this field's kind: integers widen to floats, `--set` text is parsed.
  func convert(_ input: ConfigInput) throws -> ConfigValue {
    switch (kind, input) {
    case (.int, .typed(.int(let v))): return .int(v)
    case (.double, .typed(.double(let v))): return .double(v)
    case (.double, .typed(.int(let v))): return .double(Double(v))
    case (.bool, .typed(.bool(let v))): return .bool(v)
    case (.string, .typed(.string(let v))): return .string(v)
    case (.choice(let noun, let accepted), .typed(.string(let v))):
      guard accepted.contains(v) else {
        throw ConfigError.notAChoice(
          key: key, value: input.rendered, noun: noun, accepted: accepted)
      }
      return .string(v)
    case (_, .text(let text)):
      if let value = parse(text) { return try convert(.typed(value)) }
    default:
      break
    }
    throw ConfigError.wrongType(key: key, value: input.rendered, expected: kind.expected)
  }

  /// `--set` text as a value of this field's kind, or nil when it is not one.
  private func parse(_ text: String) -> ConfigValue? {
    let digits = text.filter { $0 != "_" }
    switch kind {
    case .int: return Int(digits).map(ConfigValue.int)
    case .double: return Double(digits).map(ConfigValue.double)
    case .bool: return ["true": true, "false": false][text].map(ConfigValue.bool)
    case .string, .choice: return .string(Self.unquoted(text))
    }
  }

  /// Drops one pair of matching surrounding quotes, which a shell may have passed through.
  private static func unquoted(_ text: String) -> String {
    guard text.count >= 2, let first = text.first, first == "\"" || first == "'",
      text.last == first
    else { return text }
    return String(text.dropFirst().dropLast())
  }
}

extension RunConfig {
  /// Applies one `--set section.key=value`; the value is parsed as the key's type.
  mutating func apply(override text: String) throws {
    guard let equals = text.firstIndex(of: "=") else {
      throw ConfigError.malformedOverride(text: text, reason: "no \"=\"")
    }
    let name = text[..<equals].trimmingCharacters(in: .whitespaces)
    let value = text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces)
    guard let dot = name.firstIndex(of: ".") else {
      throw ConfigError.malformedOverride(text: text, reason: "no \".\" in \"\(name)\"")
    }
    let section = String(name[..<dot])
    let key = String(name[name.index(after: dot)...])
    guard !section.isEmpty, !key.isEmpty else {
      throw ConfigError.malformedOverride(text: text, reason: "empty section or key")
    }
    guard Self.sectionNames.contains(section) else {
      let suggestion = Self.closest(to: section, in: Self.sectionNames)
      throw ConfigError.unknownSection(section: section, suggestion: suggestion)
    }
    let input = ConfigInput.text(value)
    let field = try Self.lookUp(section, key, rendered: input.rendered)
    try field.set(&self, field.convert(input))
  }

  /// The field `section.name`, or an error suggesting the closest key: a near spelling in the
  /// same section, else the same name in another section.
  static func lookUp(_ section: String, _ name: String, rendered: String) throws -> ConfigField {
    if let field = field(section, name) { return field }
    let names = fields.filter { $0.section == section }.map(\.name)
    let suggestion =
      closest(to: name, in: names).map { section + "." + $0 }
      ?? fields.first { $0.name == name }?.key
    throw ConfigError.unknownKey(
      key: section + "." + name, value: rendered, suggestion: suggestion, accepted: names)
  }

  /// The candidate nearest to `word` within edit distance 2 (and shorter than the candidate),
  /// the first on ties; nil when none is that close.
  static func closest(to word: String, in candidates: [String]) -> String? {
    // The distance is at least the difference in length: a 3 MB key is compared with nothing
    // (it took seconds).
    let length = word.count
    let scored = candidates.filter { abs($0.count - length) <= 2 }.map {
      ($0, editDistance(word, $0))
    }
    .filter { $0.1 <= 2 && $0.1 < $0.0.count }
    return scored.min { $0.1 < $1.1 }?.0
  }

  /// Levenshtein distance over characters.
  /// - Complexity: O(a.count * b.count).
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    var previous = Array(0...b.count)
    for (i, x) in a.enumerated() {
      var current = [i + 1] + Array(repeating: 0, count: b.count)
      for (j, y) in b.enumerated() {
        current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
      }
      previous = current
    }
    return previous[b.count]
  }
}
