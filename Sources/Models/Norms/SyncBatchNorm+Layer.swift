/// BatchNorm whose training statistics are over the global batch, across all workers
/// (formulas in `BatchNormStatistics`): per application, the forward sums (Σx, Σx², count),
/// 2C + 1 floats, and the backward sums (Σdy, Σdy·x̂), 2C floats, over the workers before using
/// them. Both are blocking: the next layer needs the result. N workers compute what one worker
/// computes on the whole batch, so running statistics agree and need no averaging. Without an
/// exchange (one worker) it equals `BatchNormLayer`.
///
/// ### References
/// S. Ioffe, C. Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
/// Internal Covariate Shift", ICML 2015.
/// PyTorch `torch.nn.SyncBatchNorm` (statistics all-reduced across processes).
struct SyncBatchNormLayer: BatchNormFamily {
  static let displayName = "SyncBatchNorm"
  static let sumsAcrossWorkers = true
  let core: BatchNormStatistics
}
