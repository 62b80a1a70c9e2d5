import Foundation

extension RunConfig {
  /// Every key with its value as one JSON object of sections, `{"model": {"d_model": 128, ...},
  /// "train": {...}, "data": {...}, "distributed": {...}}`, keys sorted; an unset optional key
  /// is `null`.
  ///
  /// The same keys and values as ``tomlText``, for readers without a TOML parser: an exported
  /// model carries it in its safetensors `__metadata__`, so Python rebuilds the whole run
  /// configuration with `json.loads` alone.
  public var jsonText: String {
    var sections: [String: [String: Any]] = [:]
    for field in Self.fields {
      sections[field.section, default: [:]][field.name] = field.get(self)?.json ?? NSNull()
    }
    let data =
      (try? JSONSerialization.data(withJSONObject: sections, options: [.sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self)
  }
}

extension ConfigValue {
  /// The value as `JSONSerialization` writes it (a validated config holds finite numbers only).
  var json: Any {
    switch self {
    case .int(let v): return v
    case .double(let v): return v
    case .bool(let v): return v
    case .string(let v): return v
    }
  }
}
