import Support

/// Why a run configuration was refused; `description` is one line naming the key, the value and
/// what would be accepted.
///
/// Values are shown as TOML would write them (`"text"`, `128`, `0.001`, `true`); a `--set` value
/// is shown as the quoted text that was given.
public enum ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The configuration file could not be read (`reason` is the system's).
  case unreadableFile(path: String, reason: String)
  /// The text is not valid TOML; `path` is nil for text that came from no file.
  case syntax(path: String?, line: Int?, column: Int?, message: String)
  /// A section other than `[model]`, `[train]`, `[data]`, `[distributed]`.
  case unknownSection(section: String, suggestion: String?)
  /// A top-level key outside every section; `section` is the one that has such a key, if any.
  case keyOutsideSection(key: String, value: String, section: String?)
  /// A key its section does not have; `key` is dotted, `suggestion` the closest known key.
  case unknownKey(key: String, value: String, suggestion: String?, accepted: [String])
  /// A value of the wrong TOML type, or `--set` text that does not parse as the key's type.
  case wrongType(key: String, value: String, expected: String)
  /// A string that is not one of the key's choices; `noun` names what the key holds.
  case notAChoice(key: String, value: String, noun: String, accepted: [String])
  /// A value of the right type that is impossible (out of range, not divisible, ...).
  case invalidValue(key: String, value: String, expected: String)
  /// A `--set` argument that is not `section.key=value`.
  case malformedOverride(text: String, reason: String)
  /// Sizes that are each allowed but together overflow 64-bit integers.
  case impossibleSize(String)

  /// The one-line message shown to the user, starting with `config: `.
  public var description: String {
    "config: " + MessageText.oneLine(body)
  }

  private var body: String {
    switch self {
    case .unreadableFile(let path, let reason):
      return "cannot read \(MessageText.quoted(path)): \(reason)"
    case .syntax(let path, let line, let column, let message):
      var place = path.map { MessageText.quoted($0) + ": " } ?? ""
      if let line { place += "line \(line)" + (column.map { ", column \($0)" } ?? "") + ": " }
      return "\(place)TOML syntax error: \(message)"
    case .unknownSection(let section, let suggestion):
      let hint = suggestion.map { "did you mean [\($0)]?" } ?? "expected one of \(sections)"
      return "unknown section [\(section)]; \(hint)"
    case .keyOutsideSection(let key, let value, let section):
      let hint =
        section.map { "did you mean to put it under [\($0)]?" }
        ?? "keys belong under one of \(sections)"
      return "\(key) = \(value) is outside any section; \(hint)"
    case .unknownKey(let key, let value, let suggestion, let accepted):
      let hint =
        suggestion.map { "did you mean \($0)?" }
        ?? "expected one of " + accepted.joined(separator: ", ")
      return "unknown key \(key) = \(value); \(hint)"
    case .wrongType(let key, let value, let expected):
      return "\(key) = \(value) has the wrong type; expected \(expected)"
    case .notAChoice(let key, let value, let noun, let accepted):
      return "\(key) = \(value) is not \(noun); expected one of "
        + accepted.joined(separator: ", ")
    case .invalidValue(let key, let value, let expected):
      return "\(key) = \(value) is not allowed; expected \(expected)"
    case .impossibleSize(let message):
      return message
    case .malformedOverride(let text, let reason):
      let given = MessageText.quoted(text)
      return "--set \(given) is malformed: \(reason); expected section.key=value"
    }
  }

  /// `[model], [train], [data], [distributed]`.
  private var sections: String {
    RunConfig.sectionNames.map { "[\($0)]" }.joined(separator: ", ")
  }
}
