import Config
import Kernels

// Shapes: B = sequences per micro-batch, T = context, C = d_model, H = heads, L = layers,
// V = vocabulary, N = B·T rows.

/// The decoder-only language model of DESIGN.md section 3, with every norm kind, placement and
/// attention kind, for one fixed micro-batch shape (B, T).
///
/// Parameters, gradients, buffers (running statistics), activations and backward scratch are
/// five allocations made here, with named views; a training step allocates nothing.
/// `forward` runs the blocks and the loss, `backward` the same list reversed, adding into
/// `gradients` (clear them with `zeroGradients`).
public final class Transformer {
  public let config: ModelConfig
  public let batch: Int
  public let layout: ModelLayout
  public let parameters: FlatTensors
  public let gradients: FlatTensors
  public let buffers: FlatTensors
  let activations: FlatTensors
  let scratch: FlatTensors
  /// Token ids of the current micro-batch, (B, T), and the targets, (B, T).
  let tokens: UnsafeMutablePointer<Int32>
  let targets: UnsafeMutablePointer<Int32>

  var sublayers: [SublayerActivations] = []
  var attention: [AttentionActivations] = []
  var mlp: [MLPActivations] = []
  var finalInput: UnsafeMutablePointer<Float>
  /// `norm_f` (pre and residual placement), nil for post.
  var finalNorm: NormActivations?
  /// ResiDual's un-normed stream xd, (N, C); nil for the other placements.
  var deltaStream: UnsafeMutablePointer<Float>?
  /// Views of the backward scratch.
  let work: BackwardScratch
  /// The output hidden state h the head reads, (N, C).
  var hidden: UnsafeMutablePointer<Float>
  var probs: UnsafeMutablePointer<Float>
  /// The classifier head (`model.head = "classifier"`), nil for the language-model head.
  let classifierHead: ClassifierHead?

  /// The configured placement's forward and backward order.
  let placement: any NormPlacement.Type

  /// Set by the distributed module to make `syncbatchnorm` exchange statistics.
  public var statisticsExchange: NormStatisticsExchange?
  /// Whether the last `forward` ran in training mode (BatchNorm batch statistics).
  public internal(set) var training = true

  /// Builds a model for micro-batches of `batch` sequences of `config.context` tokens, with
  /// parameters initialized from `seed`.
  ///
  /// - Throws: `ModelError` naming the problem when the shape is impossible.
  public init(config: ModelConfig, batch: Int, seed: UInt64) throws {
    try Self.validate(config, batch: batch)
    self.config = config
    self.batch = batch
    layout = ModelLayout(config)
    parameters = FlatTensors(layout: layout.parameters)
    gradients = FlatTensors(layout: layout.parameters)
    buffers = FlatTensors(layout: layout.buffers)
    let plan = ActivationPlan(config, batch: batch)
    activations = FlatTensors(layout: plan.layout)
    scratch = FlatTensors(layout: plan.scratchLayout)
    let n = batch * config.context
    tokens = .allocate(capacity: n)
    tokens.initialize(repeating: 0, count: n)
    targets = .allocate(capacity: n)
    targets.initialize(repeating: 0, count: n)
    let a = activations
    let order = config.placement.order
    placement = order
    let sublayerCount = 2 * config.nLayers
    let (normType, normScratch) = (config.norm.layer, scratch.view("norm_stats"))
    let (modelLayout, c) = (layout, config.dModel)
    let (p, g, stored) = (parameters, gradients, buffers)
    func bindNorm(_ name: String, saved: String) -> any NormLayer {
      normType.init(
        NormBinding(
          tensors: TensorBinding(
            name: name, savedName: saved, parameters: p, gradients: g, buffers: stored,
            activations: a),
          rows: n, channels: c, scratch: normScratch))
    }
    let (mixerType, attentionScratch) = (config.attention.mixer, scratch.view("attention"))
    func bindMixer(_ i: Int, saved: String) -> any AttentionMixer {
      mixerType.init(
        AttentionBinding(
          tensors: TensorBinding(
            name: "h.\(i).attn", savedName: saved, parameters: p, gradients: g, buffers: stored,
            activations: a),
          batch: batch, time: config.context, channels: c, heads: config.nHeads,
          chunk: config.chunk, scratch: attentionScratch))
    }
    func streamInput(_ s: Int) -> UnsafeMutablePointer<Float> {
      a.view(s < sublayerCount ? "s\(s).input" : "final.input")
    }
    for s in 0..<sublayerCount {
      let prefix = "s\(s)."
      let input = a.view(prefix + "input")
      sublayers.append(
        SublayerActivations(
          input: input,
          normInput: order.savesNormInput ? a.view(prefix + "norm_input") : input,
          norm: NormActivations(
            out: order.savesNormOutput ? a.view(prefix + "norm.out") : streamInput(s + 1),
            layer: bindNorm(
              s % 2 == 0 ? modelLayout.blocks[s / 2].norm1 : modelLayout.blocks[s / 2].norm2,
              saved: prefix + "norm"))))
      if s % 2 == 0 {
        attention.append(
          AttentionActivations(
            qkv: a.view(prefix + "qkv"), mixer: bindMixer(s / 2, saved: "s\(s)"),
            out: a.view(prefix + "attn_out")))
      } else {
        mlp.append(
          MLPActivations(
            gelu: a.view(prefix + "gelu"),
            geluDerivative: a.view(prefix + "gelu_derivative")))
      }
    }
    finalInput = a.view("final.input")
    finalNorm = modelLayout.normF.map {
      NormActivations(out: a.view("final.norm.out"), layer: bindNorm($0, saved: "final.norm"))
    }
    // h: norm_f's output (pre), the last stream (post), or xa + norm_f(xd) (residual).
    hidden =
      order.hasDeltaStream
      ? a.view("final.hidden") : order.hasFinalNorm ? a.view("final.norm.out") : finalInput
    probs = a.view("probs")
    deltaStream = order.hasDeltaStream ? a.view("final.delta") : nil
    work = BackwardScratch(scratch)
    classifierHead = layout.classifier.map {
      ClassifierHead($0, activations: a, batch: batch, time: config.context, channels: c)
    }
    initializeParameters(
      parameters, buffers: buffers, layers: config.nLayers, seed: seed,
      kind: config.initialization)
  }

  deinit {
    tokens.deallocate()
    targets.deallocate()
  }

  static func validate(_ m: ModelConfig, batch: Int) throws {
    for (name, value) in [
      ("model.d_model", m.dModel), ("model.n_heads", m.nHeads), ("model.n_layers", m.nLayers),
      ("model.context", m.context), ("micro-batch", batch),
    ] where value <= 0 {
      throw ModelError("model: \(name) = \(value) must be a positive integer")
    }
    if m.head == .classifier, m.classCount < 2 || m.headHidden < 1 {
      throw ModelError(
        "model: a classifier head needs 2 or more classes and head_hidden >= 1, got "
          + "\(m.classCount) classes and head_hidden = \(m.headHidden)")
    }
    guard m.dModel % m.nHeads == 0 else {
      throw ModelError(
        "model: d_model = \(m.dModel) is not divisible by n_heads = \(m.nHeads); "
          + "each head needs d_model / n_heads channels")
    }
  }

  /// Parameter count (trainable).
  public var parameterCount: Int { parameters.count }

  /// Floats held for activations and backward scratch.
  public var activationCount: Int { activations.count + scratch.count }

  public func zeroGradients() { gradients.zero() }
}
