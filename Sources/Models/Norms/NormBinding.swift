/// Where one norm application's tensors live: its parameters, gradients and buffers under the
/// export prefix (`h.0.norm_1`), its saved statistics under the activation prefix
/// (`s0.norm`), and the shared backward scratch. Resolved once, when the model is built.
public struct NormBinding {
  /// Export prefix of the parameters and buffers, e.g. `h.0.norm_1` or `norm_f`.
  public let name: String
  /// Prefix of the saved statistics in `activations`, e.g. `s0.norm` or `final.norm`.
  public let savedName: String
  /// Rows of one training application (B·T) and channels (C).
  public let rows: Int
  public let channels: Int
  let parameters: FlatTensors
  let gradients: FlatTensors
  let buffers: FlatTensors
  let activations: FlatTensors
  /// Shared backward scratch of at least `scratchCount(channels:)` floats.
  public let scratch: UnsafeMutablePointer<Float>

  /// The parameter `name.suffix`, declared by the type's `parameterShapes`.
  public func parameter(_ suffix: String) -> UnsafeMutablePointer<Float> {
    parameters.view(name + "." + suffix)
  }

  /// The gradient of the parameter `name.suffix`.
  public func gradient(_ suffix: String) -> UnsafeMutablePointer<Float> {
    gradients.view(name + "." + suffix)
  }

  /// The buffer `name.suffix`, declared by the type's `bufferShapes`.
  public func buffer(_ suffix: String) -> UnsafeMutablePointer<Float> {
    buffers.view(name + "." + suffix)
  }

  /// The saved statistic `savedName.suffix`, declared by the type's `savedShapes`.
  public func saved(_ suffix: String) -> UnsafeMutablePointer<Float> {
    activations.view(savedName + "." + suffix)
  }
}
