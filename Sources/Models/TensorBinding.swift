/// Where one layer application's tensors live, by name: its parameters, gradients and buffers
/// under the export prefix (`h.0.norm_1`, `h.0.attn`), its saved tensors under the activation
/// prefix (`s0.norm`, `s0`). Looked up once, when the model is built; a step holds pointers.
public struct TensorBinding {
  /// Export prefix of the parameters and buffers, e.g. `h.0.norm_1` or `norm_f`.
  public let name: String
  /// Prefix of the saved tensors in `activations`, e.g. `s0.norm` or `final.norm`.
  public let savedName: String
  let parameters: FlatTensors
  let gradients: FlatTensors
  let buffers: FlatTensors
  let activations: FlatTensors
}

/// A binding of one layer kind (norm, attention): its tensors and the sizes the kind needs.
public protocol BindsTensors {
  var tensors: TensorBinding { get }
}

extension BindsTensors {
  /// Export prefix of the layer's tensors.
  public var name: String { tensors.name }

  /// The parameter `name.suffix`, declared by the type's `parameterShapes`.
  public func parameter(_ suffix: String) -> UnsafeMutablePointer<Float> {
    tensors.parameters.view(tensors.name + "." + suffix)
  }

  /// The gradient of the parameter `name.suffix`.
  public func gradient(_ suffix: String) -> UnsafeMutablePointer<Float> {
    tensors.gradients.view(tensors.name + "." + suffix)
  }

  /// The buffer `name.suffix`, declared by the type's `bufferShapes`.
  public func buffer(_ suffix: String) -> UnsafeMutablePointer<Float> {
    tensors.buffers.view(tensors.name + "." + suffix)
  }

  /// The saved tensor `savedName.suffix`, declared by the type's `savedShapes`.
  public func saved(_ suffix: String) -> UnsafeMutablePointer<Float> {
    tensors.activations.view(tensors.savedName + "." + suffix)
  }
}
