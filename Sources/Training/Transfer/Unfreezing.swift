import Config

/// Which layer groups train in a step (`train.unfreeze`): all of them, or, gradually, the top
/// group alone at first and one more group downwards every `unfreeze_every` steps.
///
/// ```
/// none:     lowest trained group = 0
/// gradual:  lowest trained group = max(0, top − ⌊step / unfreeze_every⌋)      (step from 0)
/// ```
/// A pure function of the step, so every worker computes the same frozen set without a word
/// and a resumed run continues it. Groups below the lowest trained one are frozen: no backward
/// below it, no gradient all-reduce, no AdamW update (their moments stay as they were).
///
/// ### References
/// J. Howard, S. Ruder, "Universal Language Model Fine-tuning for Text Classification",
/// ACL 2018, section 3.3 (one group per epoch there; per `unfreeze_every` steps here).
public struct Unfreezing: Sendable, Equatable {
  public var kind: UnfreezeKind
  public var every: Int
  /// The top layer group (``LayerGroups/top``).
  public var top: Int

  public init(kind: UnfreezeKind, every: Int, top: Int) {
    (self.kind, self.every, self.top) = (kind, max(1, every), top)
  }

  /// The first step (from 0) in which group `g` trains: `(top − g) · every`, or `Int.max`
  /// (never) where that product overflows, as with `unfreeze_every` near 2⁶³.
  public func firstStep(ofGroup g: Int) -> Int {
    guard kind == .gradual else { return 0 }
    let (first, overflow) = max(0, top - g).multipliedReportingOverflow(by: every)
    return overflow ? Int.max : first
  }

  /// The lowest layer group that trains in step `step` (counted from 0).
  public func lowestTrained(at step: Int) -> Int {
    kind == .gradual ? max(0, top - step / every) : 0
  }
}
