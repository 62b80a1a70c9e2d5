/// The evaluation windows of a token stream: consecutive, non-overlapping windows of the
/// model's context, as `ddp eval` reads them.
///
/// Window i covers `tokens[i·T ..< i·T + T + 1]`: inputs from `i·T`, targets one token ahead.
/// Windows advance by T, so every token after the first is predicted at most once, and the
/// last partial window is left out. Workers share a range of windows by ``shard(_:rank:workers:)``:
/// contiguous chunks, in rank order.
public struct ValidationWindows: Sendable {
  /// The stream the windows cover.
  public let tokens: [UInt8]
  /// Tokens per input row, T.
  public let context: Int

  /// The windows of `tokens` for a model of context `context`.
  public init(tokens: [UInt8], context: Int) {
    precondition(context > 0, "context must be positive")
    self.tokens = tokens
    self.context = context
  }

  /// Number of whole windows: `(tokens.count − 1) / T`, or 0 for an empty stream.
  public var count: Int { max(tokens.count - 1, 0) / context }

  /// Fills one row per window of `windows`, in order: `inputs` and `targets` are
  /// (windows.count, T) row-major.
  ///
  /// - Precondition: `windows` lies within `0..<count`.
  public func fill(
    windows: Range<Int>, inputs: UnsafeMutablePointer<Int32>,
    targets: UnsafeMutablePointer<Int32>
  ) {
    precondition(windows.lowerBound >= 0 && windows.upperBound <= count, "no such window")
    tokens.withUnsafeBufferPointer { stream in
      for (row, window) in windows.enumerated() {
        TokenWindow.copy(
          stream, start: window * context, context: context, inputs: inputs + row * context,
          targets: targets + row * context)
      }
    }
  }

  /// Rank `rank`'s contiguous share of `windows`: chunks of `windows.count / workers` or one
  /// more (the first `windows.count % workers` ranks take one more), in rank order, so the
  /// chunks of all ranks concatenated are `windows`.
  public static func shard(_ windows: Range<Int>, rank: Int, workers: Int) -> Range<Int> {
    precondition(workers > 0 && rank >= 0 && rank < workers, "rank outside 0..<workers")
    let base = windows.count / workers
    let extra = windows.count % workers
    let lower = windows.lowerBound + rank * base + min(rank, extra)
    return lower..<lower + base + (rank < extra ? 1 : 0)
  }
}
