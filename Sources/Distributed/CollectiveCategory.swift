/// What a collective is for, so every byte moved between workers is accounted to a purpose
/// (DESIGN.md section 4).
public enum CollectiveCategory: String, CaseIterable, Sendable {
  /// The gradient all-reduce.
  case gradients
  /// SyncBatchNorm statistics, and averaging local BatchNorm running statistics.
  case normStats = "norm_stats"
  /// Everything else: start-up checks, loss averaging, checksums, shutdown.
  case control
}
