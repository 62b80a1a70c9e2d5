/// How a sweep scales the batch with the workers.
public enum ScalingMode: String, CaseIterable, Sendable {
  /// The global batch fixed: more workers, smaller shards.
  case strong
  /// The batch per worker fixed: more workers, a larger global batch.
  case weak
}
