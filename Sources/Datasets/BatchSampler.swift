import Support

/// Draws random training windows from a token stream with a seeded generator, reproducibly and
/// resumably, and gives each worker its shard of every global batch.
///
/// Every rank draws all `globalBatch` window starts, uniformly from `0...tokens.count −
/// context − 1`, so all generators advance alike; a rank then fills only its own windows,
/// `rank·b ..< (rank+1)·b` with `b = globalBatch / workers`. The shards of all ranks, in rank
/// order, are exactly the batch one worker draws (DESIGN.md section 4).
///
/// ```swift
/// var sampler = BatchSampler(tokens: corpus.train, context: 64, seed: 1)
/// sampler.nextBatch(globalBatch: 16, rank: 0, workers: 2, inputs: x, targets: y)  // (8, 64)
/// let saved = sampler.state  // into the checkpoint
/// ```
public struct BatchSampler: Sendable {
  /// The stream windows are drawn from.
  public let tokens: [UInt8]
  /// Tokens per input row, T.
  public let context: Int
  /// The generator of window starts; its ``state`` is the data position of a checkpoint.
  public var generator: RandomNumbers
  /// When set, every row is a fresh recall episode drawn from `generator` instead of a window
  /// of `tokens` (every rank draws every episode of the global batch, so generators stay in
  /// step, and keeps its shard); `context` must be its length.
  public var episodes: RecallEpisodes?

  /// The generator's four state words, to store in a checkpoint.
  public var state: (UInt64, UInt64, UInt64, UInt64) { generator.state }

  /// A sampler over `tokens` whose generator is seeded with `seed`.
  ///
  /// - Precondition: `tokens.count > context > 0` (``Corpus/check(context:)`` ensures it).
  public init(tokens: [UInt8], context: Int, seed: UInt64) {
    self.init(tokens: tokens, context: context, generator: RandomNumbers(seed: seed))
  }

  /// A sampler that continues from a saved ``state``: it draws the windows the saved sampler
  /// would have drawn next.
  public init(tokens: [UInt8], context: Int, state: (UInt64, UInt64, UInt64, UInt64)) {
    self.init(tokens: tokens, context: context, generator: RandomNumbers(state: state))
  }

  private init(tokens: [UInt8], context: Int, generator: RandomNumbers) {
    precondition(context > 0, "context must be positive")
    precondition(tokens.count > context, "a stream of \(tokens.count) tokens has no window")
    self.tokens = tokens
    self.context = context
    self.generator = generator
  }

  /// Draws the next global batch and fills this rank's shard of it.
  ///
  /// `inputs` and `targets` are (b, T) row-major, b = `globalBatch / workers`; `targets` are
  /// `inputs` shifted one token ahead.
  ///
  /// - Precondition: `workers` divides `globalBatch` and `0 <= rank < workers`.
  /// - Complexity: O(globalBatch + b·T).
  public mutating func nextBatch(
    globalBatch: Int, rank: Int, workers: Int,
    inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>
  ) {
    precondition(workers > 0 && globalBatch % workers == 0, "workers must divide the batch")
    precondition(rank >= 0 && rank < workers, "rank \(rank) outside 0..<\(workers)")
    let rows = globalBatch / workers
    let shard = rank * rows..<(rank + 1) * rows
    if let episodes {
      precondition(episodes.length == context, "a recall episode must fill the context")
      withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * context) { spare in
        guard let spare = spare.baseAddress else { return }
        for index in 0..<globalBatch {
          let mine = shard.contains(index)
          let row = (index - shard.lowerBound) * context
          episodes.fill(
            inputs: mine ? inputs + row : spare, targets: mine ? targets + row : spare + context,
            rng: &generator)
        }
      }
      return
    }
    let starts = tokens.count - context
    tokens.withUnsafeBufferPointer { stream in
      for index in 0..<globalBatch {
        let start = generator.nextInt(below: starts)
        guard shard.contains(index) else { continue }
        let row = (index - shard.lowerBound) * context
        TokenWindow.copy(
          stream, start: start, context: context, inputs: inputs + row, targets: targets + row)
      }
    }
  }
}
