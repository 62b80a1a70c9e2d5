import Config

extension AttentionKind {
  /// The type implementing this kind: the one place an `AttentionKind` is mapped to behaviour.
  public var mixer: any AttentionMixer.Type {
    switch self {
    case .softmax: SoftmaxAttentionMixer.self
    case .linear: LinearAttentionMixer.self
    case .fastweight: FastWeightAttentionMixer.self
    case .fastweightSum: FastWeightSumAttentionMixer.self
    }
  }
}
