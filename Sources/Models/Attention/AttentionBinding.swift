/// Where one block's attention tensors live: its own parameters and gradients under the export
/// prefix (`h.0.attn`), its saved tensors under the activation prefix (`s0`), and the shared
/// backward scratch. Resolved once, when the model is built.
public struct AttentionBinding {
  /// Export prefix, e.g. `h.0.attn`.
  public let name: String
  /// Prefix of the saved tensors in `activations`, e.g. `s0`.
  public let savedName: String
  public let batch: Int
  public let time: Int
  public let channels: Int
  public let heads: Int
  let parameters: FlatTensors
  let gradients: FlatTensors
  let activations: FlatTensors
  /// Shared backward scratch of at least `scratchCount(...)` floats.
  public let scratch: UnsafeMutablePointer<Float>

  /// The parameter `name.suffix`, declared by the type's `parameterShapes`.
  public func parameter(_ suffix: String) -> UnsafeMutablePointer<Float> {
    parameters.view(name + "." + suffix)
  }

  /// The gradient of the parameter `name.suffix`.
  public func gradient(_ suffix: String) -> UnsafeMutablePointer<Float> {
    gradients.view(name + "." + suffix)
  }

  /// The saved tensor `savedName.suffix`, declared by the type's `savedShapes`.
  public func saved(_ suffix: String) -> UnsafeMutablePointer<Float> {
    activations.view(savedName + "." + suffix)
  }
}
