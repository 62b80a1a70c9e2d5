import Foundation
import Support
import TOMLKit

extension RunConfig {
  /// Reads a TOML file, applies `--set` overrides on top, and validates the result.
  ///
  /// Keys the file leaves out keep their defaults. Overrides are `section.key=value` and are
  /// applied in order, so a later one wins.
  ///
  /// - Throws: ``ConfigError``: `.unreadableFile` when the file cannot be read, otherwise as
  ///   ``load(tomlText:overrides:)``.
  public static func load(path: String, overrides: [String] = []) throws -> RunConfig {
    try load(tomlText: readConfigFile(path), overrides: overrides, path: path)
  }

  /// Parses TOML text, applies `--set` overrides on top, and validates the result.
  ///
  /// An empty text gives the defaults (plus the overrides).
  ///
  /// - Throws: ``ConfigError`` naming the first bad section, key or value: TOML syntax, unknown
  ///   sections or keys, wrong types, unknown choices, impossible values, malformed overrides.
  public static func load(tomlText: String, overrides: [String] = []) throws -> RunConfig {
    try load(tomlText: tomlText, overrides: overrides, path: nil)
  }

  /// Every key with its value, as TOML: `load(tomlText:)` of it gives back an equal config.
  ///
  /// Written to a run directory as the resolved configuration. Holds only for a configuration
  /// that passes ``validate()``.
  public var tomlText: String {
    var lines = ["# Resolved run configuration: every key, defaults and overrides applied."]
    for section in Self.sectionNames {
      lines += ["", "[\(section)]"]
      for field in Self.fields where field.section == section {
        let assignment =
          field.get(self).map { "\(field.name) = \($0.toml)" } ?? "# \(field.name) (unset)"
        let pad = String(repeating: " ", count: max(2, 32 - assignment.count))
        lines.append(assignment + pad + "# " + field.doc)
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func load(tomlText: String, overrides: [String], path: String?) throws -> RunConfig {
    var config = RunConfig()
    try config.apply(parseTOML(tomlText, path: path))
    for text in overrides {
      try config.apply(override: text)
    }
    try config.validate()
    return config
  }

  static func parseTOML(_ text: String, path: String?) throws -> TOMLTable {
    if let nul = text.firstIndex(of: "\0") {
      let line = text[..<nul].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
      throw ConfigError.syntax(path: path, line: line, column: nil, message: "NUL character")
    }
    if let escape = nulEscape(in: text) {
      // toml++ decodes it, and the value reaches Swift cut at the NUL ("layernorm\u0000x"
      // read as "layernorm"): no config value (a name, a path) may hold one.
      throw ConfigError.syntax(
        path: path, line: escape.line, column: nil,
        message: "\(escape.text) escapes a NUL character, which no config value may hold")
    }
    if let header = malformedTableHeader(in: text) {
      // An error earlier in the text is toml++'s to report; the lines before this one are safe
      // to hand to it.
      let utf8 = Array(text.utf8)
      let lineStart = header.offset - (header.column - 1)
      _ = try parseTOML(String(decoding: utf8[..<lineStart], as: UTF8.self), path: path)
      throw ConfigError.syntax(
        path: path, line: header.line, column: header.column,
        message: "expected a table name after '[', saw \(header.seen)")
    }
    do {
      return try TOMLTable(string: text)
    } catch let error as TOMLParseError {
      let begin = error.source.begin
      throw ConfigError.syntax(
        path: path, line: begin.line > 0 ? begin.line : nil,
        column: begin.column > 0 ? begin.column : nil, message: error.description)
    }
  }

  /// The first escape of U+0000 (`\u0000` or `\U00000000`) in `text`, and its line. A
  /// backslash escaped by another (`\\u0000`) starts none.
  static func nulEscape(in text: String) -> (text: String, line: Int)? {
    let bytes = Array(text.utf8)
    var line = 1
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\n") { line += 1 }
      guard byte == UInt8(ascii: "\\"), index + 1 < bytes.count else {
        index += 1
        continue
      }
      let kind = bytes[index + 1]
      let digits = kind == UInt8(ascii: "u") ? 4 : kind == UInt8(ascii: "U") ? 8 : 0
      let zeros = bytes[(index + 2)...].prefix(digits)
      if digits > 0, zeros.count == digits, zeros.allSatisfy({ $0 == UInt8(ascii: "0") }) {
        return (String(decoding: bytes[index..<(index + 2 + digits)], as: UTF8.self), line)
      }
      index += 2  // the escaped character is not the start of another escape
    }
    return nil
  }

  /// Applies every key of a parsed file: the root must hold only the known sections.
  mutating func apply(_ root: TOMLTable) throws {
    let rootKeys = root.keys
    for name in rootKeys {
      guard let value = root[name] else { continue }
      let isSection = Self.sectionNames.contains(name)
      if value.type != .table {
        if isSection {
          throw ConfigError.wrongType(
            key: name, value: Self.render(value), expected: "a table [\(name)]")
        }
        let home = Self.fields.first { $0.name == name }?.section
        throw ConfigError.keyOutsideSection(key: name, value: Self.render(value), section: home)
      }
      if !isSection {
        let suggestion = Self.closest(to: name, in: Self.sectionNames)
        throw ConfigError.unknownSection(section: name, suggestion: suggestion)
      }
    }
    for section in Self.sectionNames where rootKeys.contains(section) {
      guard let table = root[section]?.table else { continue }
      for name in table.keys {
        guard let value = table[name] else { continue }
        let input = Self.input(value)
        let field = try Self.lookUp(section, name, rendered: input.rendered)
        try field.set(&self, field.convert(input))
      }
    }
  }

  /// A TOML value as input: scalars keep their type, anything else only its text.
  static func input(_ value: TOMLValueConvertible) -> ConfigInput {
    switch value.type {
    case .int: if let v = value.int { return .typed(.int(v)) }
    case .double: if let v = value.double { return .typed(.double(v)) }
    case .bool: if let v = value.bool { return .typed(.bool(v)) }
    case .string: if let v = value.string { return .typed(.string(v)) }
    default: break
    }
    return .other(render(value))
  }

  /// A TOML value on one line, shortened to keep messages readable.
  static func render(_ value: TOMLValueConvertible) -> String {
    if let v = value.string { return MessageText.quoted(v) }
    let text = value.debugDescription.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    let limit = 40
    return text.count <= limit ? text : String(text.prefix(limit)) + "..."
  }

  /// Reads a whole file as UTF-8 text, with the system's reason when it cannot.
  static func readConfigFile(_ path: String) throws -> String {
    let bytes: [UInt8]
    do {
      bytes = try FileSystem.contents(of: path)
    } catch let error as FileError {
      throw ConfigError.unreadableFile(path: path, reason: error.reason)
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw ConfigError.unreadableFile(path: path, reason: "not UTF-8 text")
    }
    return text
  }
}
