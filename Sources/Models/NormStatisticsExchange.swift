/// Sums SyncBatchNorm statistics over all workers, in place.
///
/// The model calls it twice per norm layer and micro-step when the norm is `syncbatchnorm`:
/// in the forward with (Σx, Σx², count), 2C + 1 values, and in the backward with
/// (Σdy, Σdy·x̂), 2C values (DESIGN.md section 4). The distributed module implements it over
/// MPI; without one, statistics stay local and `syncbatchnorm` equals `batchnorm`.
public protocol NormStatisticsExchange: AnyObject {
  func sumAcrossWorkers(_ values: UnsafeMutablePointer<Float>, count: Int)
}
