extension String {
  /// The string with XML's five special characters replaced by entities, safe in text and in
  /// attribute values of both SVG and HTML.
  public var xmlEscaped: String {
    var escaped = ""
    escaped.reserveCapacity(count)
    for character in self {
      switch character {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&#39;"
      default: escaped.append(character)
      }
    }
    return escaped
  }
}
