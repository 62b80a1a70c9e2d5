/// Where one norm application's tensors live (`h.0.norm_1`, saved statistics under `s0.norm`)
/// and the shapes it normalizes, with the shared backward scratch.
public struct NormBinding: BindsTensors {
  public let tensors: TensorBinding
  /// Rows of one training application (B·T) and channels (C).
  public let rows: Int
  public let channels: Int
  /// Shared backward scratch of at least `scratchCount(channels:)` floats.
  public let scratch: UnsafeMutablePointer<Float>
}
