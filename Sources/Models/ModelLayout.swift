import Config

/// Offsets of one Transformer block's parameters.
public struct BlockOffsets: Sendable, Equatable {
  /// Export prefixes of the two norms (`h.{i}.norm_1`, `h.{i}.norm_2`); their tensors are
  /// those their kind's `NormLayer` type declares.
  public var norm1 = "", norm2 = ""
  public var qkvWeight = 0, qkvBias = 0, attnProjWeight = 0, attnProjBias = 0
  public var fcWeight = 0, fcBias = 0, mlpProjWeight = 0, mlpProjBias = 0
}

/// The named parameter and buffer tensors of a model, in the order and with the names an export
/// writes (README, "Exported weights", lists them with their shapes).
///
/// Parameters are ordered wte, wpe, blocks 0…L−1, norm_f, classifier: the backward pass finishes them in
/// roughly reverse order, which is the order gradient buckets become ready.
public struct ModelLayout: Sendable, Equatable {
  public private(set) var parameters = TensorLayout()
  /// Non-trainable state: BatchNorm running statistics.
  public private(set) var buffers = TensorLayout()
  public private(set) var wte = 0, wpe = 0
  public private(set) var blocks: [BlockOffsets] = []
  /// Export prefix of the final norm (`norm_f`), for pre and residual placement.
  public private(set) var normF: String?
  /// The classifier head's tensors (`model.head = "classifier"`), nil for the LM head.
  public private(set) var classifier: ClassifierOffsets?

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
      for t in m.attention.mixer.parameterShapes(channels: c, heads: m.nHeads) {
        parameters.add(p + "attn." + t.name, t.shape)  // the kind's own (fastweight's β)
      }
      b.norm2 = addNorm(p + "norm_2", m.norm, c)
      b.fcWeight = parameters.add(p + "mlp.fc.weight", [4 * c, c])
      b.fcBias = parameters.add(p + "mlp.fc.bias", [4 * c])
      b.mlpProjWeight = parameters.add(p + "mlp.proj.weight", [c, 4 * c])
      b.mlpProjBias = parameters.add(p + "mlp.proj.bias", [c])
      blocks.append(b)
    }
    if m.placement.hasFinalNorm { normF = addNorm("norm_f", m.norm, c) }
    if m.head == .classifier {
      classifier = ClassifierOffsets(
        &parameters, channels: c, hidden: m.headHidden, classes: m.classCount)
    }
  }

  /// Adds the parameters and buffers the norm kind declares under `name` and returns `name`.
  private mutating func addNorm(_ name: String, _ kind: NormKind, _ c: Int) -> String {
    for t in kind.layer.parameterShapes(channels: c) {
      parameters.add(name + "." + t.name, t.shape)
    }
    for t in kind.layer.bufferShapes(channels: c) { buffers.add(name + "." + t.name, t.shape) }
    return name
  }

  /// Number of norm layers (2 per block, plus `norm_f` for pre and residual placement); each
  /// SyncBatchNorm layer exchanges statistics twice per micro-step.
  public var normLayerCount: Int { 2 * blocks.count + (normF == nil ? 0 : 1) }
}
