extension RunConfig {
  /// Every key with its value as one JSON object of sections, `{"data": {...},
  /// "distributed": {...}, "model": {"attention": "softmax", "context": 64, ...}, "train":
  /// {...}}`, sections and keys sorted; an unset optional key is `null`.
  ///
  /// The same keys and values as ``tomlText``, for readers without a TOML parser: an exported
  /// model carries it in its safetensors `__metadata__`, so Python rebuilds the whole run
  /// configuration with `json.loads` alone. Written by hand rather than by
  /// `JSONSerialization`, which rounds doubles to 16 digits (0.1 + 0.2 would come back as
  /// 0.3000000000000001): Swift's shortest round-trip form, as in the TOML, reads back exact.
  public var jsonText: String {
    let sections = Self.sectionNames.sorted().map { section in
      let members = Self.fields.filter { $0.section == section }.sorted { $0.name < $1.name }
        .map { ConfigValue.jsonString($0.name) + ": " + ($0.get(self)?.json ?? "null") }
      return ConfigValue.jsonString(section) + ": {" + members.joined(separator: ", ") + "}"
    }
    return "{" + sections.joined(separator: ", ") + "}"
  }
}

extension ConfigValue {
  /// The value as a JSON literal (a validated config holds finite numbers only; a non-finite
  /// one, which JSON cannot write, is `null`).
  var json: String {
    switch self {
    case .int(let v): return String(v)
    case .double(let v): return v.isFinite ? "\(v)" : "null"
    case .bool(let v): return v ? "true" : "false"
    case .string(let v): return Self.jsonString(v)
    }
  }

  /// `text` as a JSON string: quotes, backslashes and control characters escaped.
  static func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }
}
