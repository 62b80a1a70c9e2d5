extension RunConfig {
  /// Checks the `data.recall_*` keys: ranges the episodes can be drawn from, and a context of
  /// exactly one episode, S + 1 tokens (`Datasets/RecallEpisodes`).
  func validateRecall() throws {
    let d = data
    func check(_ condition: Bool, _ key: String, _ value: ConfigValue, _ expected: String) throws {
      guard condition else {
        throw ConfigError.invalidValue(key: key, value: value.toml, expected: expected)
      }
    }
    try check(d.recallPairs >= 0, "data.recall_pairs", .int(d.recallPairs), "an integer >= 0")
    guard d.recallPairs > 0 else { return }
    try check(
      model.head == .lm && d.classNames.isEmpty, "data.recall_pairs", .int(d.recallPairs),
      "0 with model.head = \"classifier\" or data.classes (recall episodes train the LM head)")
    try check(
      d.recallKeys >= 1 && d.recallKeys <= 128, "data.recall_keys", .int(d.recallKeys),
      "an integer in 1...128")
    try check(
      d.recallValues >= 2 && d.recallKeys * (d.recallValues + 1) <= 256, "data.recall_values",
      .int(d.recallValues),
      "an integer >= 2 with recall_keys x (recall_values + 1) <= 256 tokens "
        + "(recall_keys = \(d.recallKeys))")
    try check(
      d.recallOverwrite || d.recallKeys >= d.recallPairs, "data.recall_keys",
      .int(d.recallKeys),
      "at least data.recall_pairs = \(d.recallPairs) (distinct keys per episode), or "
        + "data.recall_overwrite = true")
    try check(
      model.context == d.recallPairs + 1, "model.context", .int(model.context),
      "data.recall_pairs + 1 = \(d.recallPairs + 1) (one recall episode per sequence)")
  }
}
