/// BatchNorm over each channel across the worker's own B·T rows (local statistics), formulas in
/// `BatchNormStatistics`. Nothing is exchanged in forward or backward, so results depend on the
/// worker count; the running statistics differ per worker and are averaged across workers
/// before every evaluation, checkpoint and export (DESIGN.md section 4).
///
/// ### References
/// S. Ioffe, C. Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
/// Internal Covariate Shift", ICML 2015.
struct BatchNormLayer: BatchNormFamily {
  static let displayName = "BatchNorm"
  static let sumsAcrossWorkers = false
  let core: BatchNormStatistics
}
