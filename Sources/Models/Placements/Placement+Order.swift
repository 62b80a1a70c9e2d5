import Config

extension Placement {
  /// The type implementing this placement: the one place a `Placement` is mapped to behaviour.
  var order: any NormPlacement.Type {
    switch self {
    case .post: PostNormPlacement.self
    case .pre: PreNormPlacement.self
    case .residual: ResiDualPlacement.self
    }
  }

  /// Whether the model has the final norm `norm_f` (pre and residual).
  public var hasFinalNorm: Bool { order.hasFinalNorm }
}
