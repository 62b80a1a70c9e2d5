/// One attention kind of DESIGN.md section 3: how a block mixes positions between its `qkv`
/// projection (N, 3C) and its output projection (N, C). Shapes: B sequences, T positions,
/// C channels, H heads, N = B·T.
///
/// A conforming type declares the extra tensors it owns (fastweight's β projection), what one
/// training forward saves for the backward, the backward scratch it borrows, and the state and
/// scratch of its one-token generation step. An instance is one block's attention, bound once
/// to its tensors; a step calls it through the protocol and allocates nothing.
///
/// `AttentionKind.mixer` maps a configured kind to its type; that is the only switch over
/// `AttentionKind`.
public protocol AttentionMixer {
  /// Trainable tensors beyond qkv and proj, by export suffix under `h.{i}.attn` and shape.
  static func parameterShapes(channels c: Int, heads nh: Int) -> [NamedShape]

  /// Tensors one training forward saves for the backward.
  static func savedShapes(batch b: Int, time t: Int, channels c: Int, heads nh: Int)
    -> [NamedShape]

  /// Floats of forward and backward scratch (shared by all blocks); `chunk` is `model.chunk`,
  /// the positions per chunk of the chunkwise kinds.
  static func scratchCount(batch b: Int, time t: Int, channels c: Int, heads nh: Int, chunk: Int)
    -> Int

  /// Floats of generation state per block (a KV cache or a recurrent state).
  static func stateCount(context t: Int, channels c: Int, heads nh: Int) -> Int

  /// Floats of scratch one generation step borrows.
  static func rowScratchCount(context t: Int, channels c: Int, heads nh: Int) -> Int

  /// Binds one block's attention to its tensors.
  init(_ binding: AttentionBinding)

  /// Mixes `qkv` (N, 3C) into `out` (N, C), saving what the backward needs; `inp` (N, C) is
  /// the sublayer's input (fastweight projects β from it).
  func forward(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>)

  /// Backward of the mixing, before the qkv projection's backward: writes `dqkv` (N, 3C)
  /// from `dout` (N, C).
  func backward(
    dqkv: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>)

  /// After the qkv projection's backward (which may overwrite `dinp`): adds the gradients of
  /// the kind's own projections into `dinp` and the parameter gradients.
  func backwardInput(dinp: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>)

  /// One token at `position`: mixes `qkv` (3C) into `out` (C) against `state`
  /// (`stateCount` floats, zero at position 0); `inp` (C) is the sublayer's input.
  func step(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, position: Int)
}

extension AttentionMixer {
  public static func parameterShapes(channels c: Int, heads nh: Int) -> [NamedShape] { [] }
  public func backwardInput(dinp: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>) {}
}
