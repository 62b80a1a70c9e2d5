/// Where a block's norms sit relative to its sublayers and the residual stream (DESIGN.md
/// section 3): the order of one sublayer's forward, of its backward, and of the end of the
/// network. The training model (N rows) and the generator (one row) run the same forward
/// order through `PlacementSteps`; only the training model runs the backward.
///
/// `Placement.order` maps a configured placement to its type; that is the only switch over
/// `Placement`.
protocol NormPlacement {
  /// Whether the model has the final norm `norm_f`.
  static var hasFinalNorm: Bool { get }
  /// Whether each sublayer saves its norm's input (`x + f(x)`) apart from its own input.
  static var savesNormInput: Bool { get }
  /// Whether each sublayer saves its norm's output apart from the next sublayer's input.
  static var savesNormOutput: Bool { get }
  /// Whether a second, un-normed stream runs beside the residual stream (ResiDual's xd).
  static var hasDeltaStream: Bool { get }

  /// One sublayer's forward over `slots`.
  static func forward<Steps: PlacementSteps>(_ s: Int, _ slots: StreamSlots, _ steps: Steps)

  /// The end of the network: from the last stream to the hidden state the head reads.
  static func forwardEnd<Steps: PlacementSteps>(_ slots: EndSlots, _ steps: Steps)

  /// Where the head writes ∂loss/∂hidden (zeroed first where it is not `grads.stream`, which
  /// the model zeroes).
  static func headGradient(_ grads: BackwardSlots) -> UnsafeMutablePointer<Float>

  /// Backward of `forwardEnd`: from ∂loss/∂hidden in `headGradient` to the gradient of the
  /// last stream in `grads.stream`.
  static func backwardEnd(_ model: Transformer, _ grads: BackwardSlots)

  /// Backward of one sublayer's `forward`, leaving the gradient of its input in
  /// `grads.stream`.
  static func backward(_ model: Transformer, _ s: Int, _ grads: BackwardSlots)

  /// After the first sublayer's backward: joins any second stream into `grads.stream`.
  static func backwardStart(_ model: Transformer, _ grads: BackwardSlots)
}

extension NormPlacement {
  static var hasDeltaStream: Bool { false }
  static func headGradient(_ grads: BackwardSlots) -> UnsafeMutablePointer<Float> {
    grads.stream
  }
  static func backwardStart(_ model: Transformer, _ grads: BackwardSlots) {}
}

/// The operations a placement's forward order calls, over `count` floats of one stream: the
/// training model implements them over (N, C), the generator over one row (C).
protocol PlacementSteps {
  /// Floats of one stream.
  var count: Int { get }
  /// `y = f_s(inp) (+ residual)`: sublayer s (even: attention, odd: MLP of block s/2).
  func sublayer(
    _ s: Int, inp: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>,
    residual: UnsafeMutablePointer<Float>?)
  /// The norm after (post, residual) or before (pre) sublayer s.
  func norm(_ s: Int, out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>)
  /// `norm_f`.
  func finalNorm(out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>)
}

/// The buffers one sublayer's forward reads and writes. In the training model each is its own
/// saved tensor; in the generator `input`, `normOut` and `next` are the same row.
struct StreamSlots {
  /// The stream entering the sublayer (x, or xa for ResiDual).
  var input: UnsafeMutablePointer<Float>
  /// The norm's input `input + f(·)` (post, residual).
  var normInput: UnsafeMutablePointer<Float>
  /// The norm's output: the sublayer's input (pre) or the next stream (post, residual).
  var normOut: UnsafeMutablePointer<Float>
  /// The stream after the sublayer.
  var next: UnsafeMutablePointer<Float>
  /// The sublayer's output before any residual (residual placement).
  var y: UnsafeMutablePointer<Float>
  /// ResiDual's un-normed stream xd; nil for the other placements.
  var delta: UnsafeMutablePointer<Float>?
}

/// The buffers of the end of the network.
struct EndSlots {
  /// The stream after the last sublayer.
  var input: UnsafeMutablePointer<Float>
  /// ResiDual's xd.
  var delta: UnsafeMutablePointer<Float>?
  /// Output of `norm_f` (the hidden state itself for pre).
  var normOut: UnsafeMutablePointer<Float>
  /// The hidden state the head reads.
  var hidden: UnsafeMutablePointer<Float>
}

/// The gradient buffers of the backward, (N, C) each, from the model's scratch.
struct BackwardSlots {
  /// ∂loss/∂ the current stream (x, or xa for ResiDual).
  var stream: UnsafeMutablePointer<Float>
  /// ResiDual: ∂loss/∂xd.
  var delta: UnsafeMutablePointer<Float>
  /// ∂loss/∂ a norm's input or output.
  var normGrad: UnsafeMutablePointer<Float>
  /// Head gradient (pre) / sublayer output gradient (residual).
  var y: UnsafeMutablePointer<Float>
  var count: Int
}
