/// Text that must stay on one line wherever it is shown: paths and names in error messages
/// (config, data, checkpoints, safetensors) and strings in the TOML the config writes back.
public enum MessageText {
  /// `text` with control characters escaped, so a message stays on one line.
  public static func oneLine(_ text: String) -> String {
    escaped(text, quote: false)
  }

  /// `text` in double quotes with `"`, `\` and control characters escaped as `\uXXXX`: a TOML
  /// basic string and a JSON string alike.
  public static func quoted(_ text: String) -> String {
    "\"" + escaped(text, quote: true) + "\""
  }

  private static func escaped(_ text: String, quote: Bool) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"" where quote: out += "\\\""
      case "\\" where quote: out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        let digits = String(scalar.value, radix: 16, uppercase: true)
        out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}
