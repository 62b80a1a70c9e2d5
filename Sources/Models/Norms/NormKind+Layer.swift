import Config

extension NormKind {
  /// The type implementing this kind: the one place a `NormKind` is mapped to behaviour.
  public var layer: any NormLayer.Type {
    switch self {
    case .layernorm: LayerNormLayer.self
    case .rmsnorm: RMSNormLayer.self
    case .batchnorm: BatchNormLayer.self
    case .syncbatchnorm: SyncBatchNormLayer.self
    case .none: IdentityNormLayer.self
    }
  }

  /// Whether the kind's training statistics are over the batch (see `NormLayer`).
  public var usesBatchStatistics: Bool { layer.usesBatchStatistics }

  /// Whether running statistics are averaged across workers before evaluation, checkpoints
  /// and export (see `NormLayer`).
  public var averagesRunningStatistics: Bool { layer.averagesRunningStatistics }

  /// Whether an application sums statistics across workers in its forward or backward.
  public var exchangesStatistics: Bool { layer.exchangeCounts(channels: 1).calls > 0 }

  /// The name reports print, e.g. `SyncBatchNorm`.
  public var displayName: String { layer.displayName }
}
