/// One norm kind of DESIGN.md section 3, applied to a (rows, C) activation.
///
/// A conforming type declares everything the rest of the program needs to know about its kind:
/// the tensors it owns (export names and shapes), the statistics it saves per application, the
/// scratch it borrows, whether it normalizes over the batch, and what it exchanges between
/// workers. An instance is one application (`h.{i}.norm_1`, `h.{i}.norm_2` or `norm_f`), bound
/// once to its parameters, gradients, buffers and saved statistics; a step calls it through the
/// protocol and allocates nothing.
///
/// `NormKind.layer` maps a configured kind to its type; that is the only switch over `NormKind`.
public protocol NormLayer {
  /// The name reports print, e.g. `LayerNorm`.
  static var displayName: String { get }

  /// Trainable tensors of one application, by export suffix (`weight`, `bias`) and shape.
  static func parameterShapes(channels c: Int) -> [NamedShape]

  /// Non-trainable tensors of one application (`running_mean`, `running_var`).
  static func bufferShapes(channels c: Int) -> [NamedShape]

  /// Statistics one training forward saves for its backward, for (rows, C) inputs.
  static func savedShapes(rows n: Int, channels c: Int) -> [NamedShape]

  /// Floats of backward scratch one application borrows (shared by all applications).
  static func scratchCount(channels c: Int) -> Int

  /// Floats of scratch the one-row evaluation step (`evalRow`) borrows.
  static func rowScratchCount(channels c: Int) -> Int

  /// Whether training statistics are over the batch (per channel) rather than per row: such a
  /// model's N-worker results differ from one worker's unless statistics are exchanged.
  static var usesBatchStatistics: Bool { get }

  /// Whether running statistics differ per worker and are averaged across workers before every
  /// evaluation, checkpoint and export (local BatchNorm).
  static var averagesRunningStatistics: Bool { get }

  /// Floats summed across workers per application, in the forward and in the backward.
  static func exchangeCounts(channels c: Int) -> NormExchangeCounts

  /// Binds one application to its tensors.
  init(_ binding: NormBinding)

  /// Training forward over (rows, C): writes `out` and the saved statistics. Statistics go
  /// through `exchange` when the kind exchanges them and one is given.
  func forward(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    exchange: NormStatisticsExchange?)

  /// Evaluation forward over (rows, C); may overwrite the saved statistics as scratch.
  func evalForward(out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>)

  /// Backward of the last training `forward`: adds the input gradient into `dinp` and the
  /// parameter gradients into the gradient buffer.
  func backward(
    dinp: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, exchange: NormStatisticsExchange?)

  /// Evaluation forward of one row (C), for generation; `scratch` has `rowScratchCount` floats.
  func evalRow(
    out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>)
}

/// A tensor's name suffix and shape, e.g. `("weight", [C])`.
public struct NamedShape: Sendable, Equatable {
  public var name: String
  public var shape: [Int]
  public init(_ name: String, _ shape: [Int]) {
    self.name = name
    self.shape = shape
  }
}

/// Floats one norm application sums across workers: once in the forward, once in the backward
/// (SyncBatchNorm: 2C + 1 and 2C; every other kind 0 and 0).
public struct NormExchangeCounts: Sendable, Equatable {
  public var forward: Int
  public var backward: Int
  public init(forward: Int, backward: Int) {
    self.forward = forward
    self.backward = backward
  }
  public static let none = NormExchangeCounts(forward: 0, backward: 0)
  /// All-reduce calls per application and pass pair: one per non-empty direction.
  public var calls: Int { (forward > 0 ? 1 : 0) + (backward > 0 ? 1 : 0) }
}

extension NormLayer {
  public static func bufferShapes(channels c: Int) -> [NamedShape] { [] }
  public static func scratchCount(channels c: Int) -> Int { 0 }
  public static var usesBatchStatistics: Bool { false }
  public static var averagesRunningStatistics: Bool { false }
  public static func exchangeCounts(channels c: Int) -> NormExchangeCounts { .none }
}
