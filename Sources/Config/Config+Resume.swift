extension RunConfig {
  /// The keys a resumed run may give new values (`--set` with `--resume`, or an edited
  /// `config.toml`): how long it runs, how often it evaluates, checkpoints and checks its
  /// workers, and how long its collectives may wait. Every other key shaped the state in the
  /// checkpoint (the model, the optimizer, the schedule, the data, the gradient summation), so
  /// changing it would continue a different run from this one's state without a word.
  public static let resumableKeys = [
    "train.steps", "train.eval_every", "train.eval_batches", "train.checkpoint_every",
    "train.keep_checkpoints", "train.log_layer_gradients", "train.memory_limit_gb",
    "distributed.check_every", "distributed.timeout_s",
  ]

  /// The dotted keys whose values differ from `other`'s, in the order the TOML writes them,
  /// each with the two values as TOML writes them.
  public func changes(from other: RunConfig) -> [(key: String, old: String, new: String)] {
    Self.fields.compactMap { field in
      let (old, new) = (field.get(other), field.get(self))
      return old == new ? nil : (field.key, old?.toml ?? "unset", new?.toml ?? "unset")
    }
  }

  /// Refuses a resumed config that changes a key outside ``resumableKeys`` from `trained` (the
  /// config its checkpoint was written with).
  ///
  /// - Throws: ``ConfigError/invalidValue(key:value:expected:)`` naming the first such key, e.g.
  ///   `train.lr = 0.01 is not allowed; expected 0.001, the value the run's checkpoint was
  ///   trained with (a resume may change only train.steps, ...)`.
  public func requireResumable(from trained: RunConfig) throws {
    guard let change = changes(from: trained).first(where: { !Self.resumableKeys.contains($0.key) })
    else { return }
    throw ConfigError.invalidValue(
      key: change.key, value: change.new,
      expected: "\(change.old), the value the run's checkpoint was trained with (a resume may "
        + "change only " + Self.resumableKeys.joined(separator: ", ") + ")")
  }
}
