/// How much memory a worker needs for a config, worked out from the sizes alone, before anything
/// is allocated: a run that cannot fit is refused in one line instead of ending in the kernel's
/// OOM killer, and a size that overflows 64 bits is refused instead of wrapping.
///
/// ```
/// P  = V·C + T·C + L·(12C² + 13C + 4C) + 2C  (+ L·(H·C + H) for fastweight)
/// N  = micro-batch · T rows
/// per block  24·N·C + 4·max(N, C + 1) + 4·N·H (+ B·H·T² for softmax)   (saved activations)
/// head       4·N·C + 2·max(N, C + 1) + N·V               (final stream, norm, probabilities)
/// scratch    9·N·C + N·H + 2C + 1 + attention, where attention is T² + T·C/H + T for
///            softmax and, with c = min(chunk, T) and hs = C/H, 2c² + (⌈T/c⌉ + 1)·hs² + 5·c·hs
///            + c for the chunkwise linear, fastweight and fastweight_sum kernels
/// floats     4·P (parameters, gradients, AdamW moments) + blocks + head + scratch
/// ```
/// An upper bound on what the model allocates (each kind saves less than the sum of all
/// kinds), within about 1.5x of it for the shapes here (tested against the model's own counts).
public struct Footprint: Sendable, Equatable {
  /// Trainable parameters (the closed form above; the model's own count is exact).
  public var parameters: Int
  /// Floats a worker holds for parameters, gradients, moments, activations and scratch.
  public var floats: Int
  /// `floats` in bytes.
  public var bytes: Int { floats &* MemoryLayout<Float>.size }
}

extension RunConfig {
  /// The footprint of one worker training micro-batches of `microBatch` sequences, or nil when
  /// a size overflows 64-bit integers (then nothing of that size could exist).
  public func footprint(microBatch: Int) -> Footprint? {
    let m = model
    let (v, c, t, l, h) = (m.vocabSize, m.dModel, m.context, m.nLayers, m.nHeads)
    guard h > 0, microBatch > 0 else { return nil }
    var size = CheckedSize()
    let perBlockParameters = size.sum(
      size.product(12, c, c), size.product(17, c),
      m.attention == .fastweight ? size.sum(size.product(h, c), h) : 0)
    let (d, k) = m.head == .classifier ? (m.headHidden, m.classCount) : (0, 0)
    let classifier = size.sum(size.product(3, c, d), d, size.product(k, d), k)
    let parameters = size.sum(
      size.product(v, c), size.product(t, c), size.product(l, perBlockParameters),
      size.product(2, c), classifier)
    let n = size.product(microBatch, t)
    // Softmax trains through a T x T matrix per head; the linear and both fast-weight kinds
    // chunkwise.
    let quadratic = m.attention == .softmax
    let statistics = max(n, size.sum(c, 1))
    let block = size.sum(
      size.product(24, n, c), size.product(4, statistics), size.product(4, n, h),
      quadratic ? size.product(microBatch, h, t, t) : 0)
    let head = size.sum(
      size.product(4, n, c), size.product(2, statistics), size.product(n, v),
      k > 0 ? size.product(microBatch, size.sum(size.product(7, c), size.product(2, d), k)) : 0)
    let hs = c / h
    let chunk = max(1, min(m.chunk, t))
    let chunks = size.sum(t / chunk, t % chunk == 0 ? 0 : 1)  // ⌈T / chunk⌉ without overflow
    let attention =
      quadratic
      ? size.sum(size.product(t, t), size.product(t, hs), t)
      : size.sum(
        size.product(2, chunk, chunk), size.product(size.sum(chunks, 1), hs, hs),
        size.product(5, chunk, hs), chunk)
    let scratch = size.sum(
      size.product(9, n, c), size.product(n, h), attention, size.product(2, c), 1)
    let floats = size.sum(size.product(4, parameters), size.product(l, block), head, scratch)
    // The evaluation keeps one index per window it scores: eval_batches · batch / grad_accum.
    _ = size.product(train.evalBatches, train.batch)
    guard !size.overflowed, floats.multipliedReportingOverflow(by: 4).overflow == false else {
      return nil
    }
    return Footprint(parameters: parameters, floats: floats)
  }
}

/// Products and sums of sizes that remember whether any of them overflowed.
struct CheckedSize {
  private(set) var overflowed = false

  mutating func product(_ factors: Int...) -> Int {
    var result = 1
    for factor in factors {
      let (value, overflow) = result.multipliedReportingOverflow(by: factor)
      if overflow || factor < 0 {
        overflowed = true
        return 0
      }
      result = value
    }
    return result
  }

  mutating func sum(_ terms: Int...) -> Int {
    var result = 0
    for term in terms {
      let (value, overflow) = result.addingReportingOverflow(term)
      if overflow {
        overflowed = true
        return 0
      }
      result = value
    }
    return result
  }
}
