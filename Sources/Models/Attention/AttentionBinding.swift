/// Where one block's attention tensors live (`h.0.attn`, saved tensors under `s0`) and the
/// shapes it mixes, with the shared backward scratch.
public struct AttentionBinding: BindsTensors {
  public let tensors: TensorBinding
  public let batch: Int
  public let time: Int
  public let channels: Int
  public let heads: Int
  /// Positions per chunk of the chunkwise training kernels (`model.chunk`).
  public let chunk: Int
  /// Shared backward scratch of at least `scratchCount(...)` floats.
  public let scratch: UnsafeMutablePointer<Float>
}
