import Support

/// Synthetic associative retrieval (Schlag et al. 2021, section 6.1): S (key, value) pairs,
/// then a query key; the answer is the value stored under it. As in the paper, a pair is
/// presented at one position (its key and value in one token), so a single attention layer
/// can write it to memory and the task measures the memory, not how positions are combined.
/// One episode fills one row of T = S + 1 tokens:
///
/// ```
/// inputs   pair(k_1, v_1) … pair(k_S, v_S) query(q)     pair(k, v) = k·values + v
///                                                       query(k)   = keys·values + k
/// targets  −1             … −1             answer       (−1: no loss at that position)
/// ```
/// The answer's target is the value's number, 0 ..< values. With the byte vocabulary the
/// tokens must fit in 256: keys·(values + 1) ≤ 256 (32 keys and 7 values fill it exactly).
/// Setting 1 (`overwrite = false`): S distinct keys, drawn without replacement; the query is
/// one of them. Setting 2 (`overwrite = true`): keys drawn with replacement from a pool of
/// max(1, S/2) keys chosen per episode, so each key is written about twice; the query is one
/// of the written keys and the answer is the value written under it last.
///
/// ### References
/// I. Schlag, K. Irie, J. Schmidhuber, "Linear Transformers Are Secretly Fast Weight
/// Programmers", ICML 2021, section 6.1 (settings 1 and 2).
public struct RecallEpisodes: Sendable, Equatable {
  /// The target of a position with no loss.
  public static let ignored: Int32 = -1
  /// Token ids available (the byte vocabulary).
  public static let vocabulary = 256

  /// Pairs per episode, S.
  public var pairs: Int
  /// Distinct keys; at least S for setting 1.
  public var keys: Int
  /// Distinct values: the answer's classes (chance is 1/values).
  public var values: Int
  /// Setting 2: keys repeat and the latest value wins.
  public var overwrite: Bool

  public init(pairs: Int, keys: Int, values: Int, overwrite: Bool) {
    (self.pairs, self.keys, self.values, self.overwrite) = (pairs, keys, values, overwrite)
  }

  /// Tokens per episode, S + 1: the context a model needs.
  public var length: Int { pairs + 1 }

  /// Why these settings cannot make episodes, or nil when they can.
  public var problem: String? {
    if pairs < 1 { return "pairs = \(pairs) must be at least 1" }
    if keys < 1 || values < 2 || keys * (values + 1) > Self.vocabulary {
      return "keys = \(keys) and values = \(values) need keys >= 1, values >= 2 and "
        + "keys x (values + 1) <= \(Self.vocabulary) tokens"
    }
    if !overwrite && keys < pairs {
      return "keys = \(keys) cannot give \(pairs) distinct keys per episode; use keys >= pairs"
    }
    return nil
  }

  /// Fills one episode into `inputs` and `targets` (each `length` tokens) from `rng`.
  ///
  /// - Precondition: `problem == nil`.
  public func fill(
    inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>,
    rng: inout RandomNumbers
  ) {
    // A random ordering of the key symbols; its first entries are the episode's keys (setting
    // 1) or its pool (setting 2).
    var symbols = Array(0..<keys)
    let chosen = overwrite ? max(1, pairs / 2) : pairs
    for i in 0..<min(chosen, keys) {
      symbols.swapAt(i, i + rng.nextInt(below: keys - i))
    }
    let pool = min(chosen, keys)
    var written: [Int] = []
    var latest = [Int](repeating: -1, count: keys)
    for s in 0..<pairs {
      let key = overwrite ? symbols[rng.nextInt(below: pool)] : symbols[s]
      let value = rng.nextInt(below: values)
      inputs[s] = Int32(key * values + value)
      targets[s] = Self.ignored
      if latest[key] < 0 { written.append(key) }
      latest[key] = value
    }
    let query = written[rng.nextInt(below: written.count)]
    inputs[pairs] = Int32(keys * values + query)
    targets[pairs] = Int32(latest[query])
  }
}
