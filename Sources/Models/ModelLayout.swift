import Config

/// Offsets of one norm layer's tensors: weight and bias in the parameters, running statistics
/// in the buffers. Absent tensors are nil (RMSNorm has no bias; only BatchNorm has running
/// statistics; `none` has nothing).
public struct NormOffsets: Sendable, Equatable {
  public var weight: Int?
  public var bias: Int?
  public var runningMean: Int?
  public var runningVar: Int?
}

/// Offsets of one Transformer block's parameters.
public struct BlockOffsets: Sendable, Equatable {
  public var norm1 = NormOffsets()
  public var qkvWeight = 0, qkvBias = 0, attnProjWeight = 0, attnProjBias = 0
  public var betaWeight: Int?, betaBias: Int?
  public var norm2 = NormOffsets()
  public var fcWeight = 0, fcBias = 0, mlpProjWeight = 0, mlpProjBias = 0
}

/// The named parameter and buffer tensors of a model, in the order of DESIGN.md section 3.
///
/// Parameters are ordered wte, wpe, blocks 0…L−1, norm_f: the backward pass finishes them in
/// roughly reverse order, which is the order gradient buckets become ready.
public struct ModelLayout: Sendable, Equatable {
  public private(set) var parameters = TensorLayout()
  /// Non-trainable state: BatchNorm running statistics.
  public private(set) var buffers = TensorLayout()
  public private(set) var wte = 0, wpe = 0
  public private(set) var blocks: [BlockOffsets] = []
  public private(set) var normF: NormOffsets?

  public init(_ m: ModelConfig) {
    let (c, v) = (m.dModel, m.vocabSize)
    wte = parameters.add("wte.weight", [v, c])
    wpe = parameters.add("wpe.weight", [m.context, c])
    for i in 0..<m.nLayers {
      var b = BlockOffsets()
      let p = "h.\(i)."
      b.norm1 = addNorm(p + "norm_1", m.norm, c)
      b.qkvWeight = parameters.add(p + "attn.qkv.weight", [3 * c, c])
      b.qkvBias = parameters.add(p + "attn.qkv.bias", [3 * c])
      b.attnProjWeight = parameters.add(p + "attn.proj.weight", [c, c])
      b.attnProjBias = parameters.add(p + "attn.proj.bias", [c])
      if m.attention == .fastweight {
        b.betaWeight = parameters.add(p + "attn.beta.weight", [m.nHeads, c])
        b.betaBias = parameters.add(p + "attn.beta.bias", [m.nHeads])
      }
      b.norm2 = addNorm(p + "norm_2", m.norm, c)
      b.fcWeight = parameters.add(p + "mlp.fc.weight", [4 * c, c])
      b.fcBias = parameters.add(p + "mlp.fc.bias", [4 * c])
      b.mlpProjWeight = parameters.add(p + "mlp.proj.weight", [c, 4 * c])
      b.mlpProjBias = parameters.add(p + "mlp.proj.bias", [c])
      blocks.append(b)
    }
    if m.placement != .post { normF = addNorm("norm_f", m.norm, c) }
  }

  private mutating func addNorm(_ name: String, _ kind: NormKind, _ c: Int) -> NormOffsets {
    var n = NormOffsets()
    switch kind {
    case .none:
      break
    case .rmsnorm:
      n.weight = parameters.add(name + ".weight", [c])
    case .layernorm:
      n.weight = parameters.add(name + ".weight", [c])
      n.bias = parameters.add(name + ".bias", [c])
    case .batchnorm, .syncbatchnorm:
      n.weight = parameters.add(name + ".weight", [c])
      n.bias = parameters.add(name + ".bias", [c])
      n.runningMean = buffers.add(name + ".running_mean", [c])
      n.runningVar = buffers.add(name + ".running_var", [c])
    }
    return n
  }

  /// Number of norm layers (2 per block, plus `norm_f` for pre and residual placement); each
  /// SyncBatchNorm layer exchanges statistics twice per micro-step.
  public var normLayerCount: Int { 2 * blocks.count + (normF == nil ? 0 : 1) }
}
