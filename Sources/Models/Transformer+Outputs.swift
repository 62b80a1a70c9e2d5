#if canImport(Glibc)
  import Glibc
#endif

extension Transformer {
  /// Σ −log p(target) over every scored position (target ≥ 0) of the given sequences of the
  /// last `forward`: the unnormalized loss of part of a micro-batch, for evaluation with
  /// partial batches.
  /// Valid until the next `backward`, which overwrites the probabilities with their gradient.
  public func summedLoss(sequences: Range<Int>) -> Double {
    let (t, v) = (config.context, config.vocabSize)
    var total: Double = 0
    for row in (sequences.lowerBound * t)..<(sequences.upperBound * t) where targets[row] >= 0 {
      let p = probs[row * v + Int(targets[row])]
      total -= log(Double(max(p, Float.leastNormalMagnitude)))
    }
    return total
  }

  /// The next-token distribution (V) after `position` of `sequence` in the last `forward`.
  public func nextTokenProbabilities(sequence: Int, position: Int) -> UnsafePointer<Float> {
    UnsafePointer(probs + (sequence * config.context + position) * config.vocabSize)
  }
}
