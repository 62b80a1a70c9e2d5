import Models

/// ULMFiT's layer groups of a model's parameters: the unit of discriminative learning rates
/// (`train.lr_decay_per_layer`) and of gradual unfreezing (`train.unfreeze`).
///
/// ```
/// group 0        wte, wpe        the embeddings (wte is also the tied output head)
/// group i + 1    h.i.*           block i, for i in 0..<L
/// group L + 1    norm_f, classifier.*   the head; absent when the model has neither
///                                (post placement with the tied LM head), so L + 1 groups
/// ```
/// The parameter layout lists the groups in this order, each contiguous, so "groups g and up"
/// is one range of the flat buffers: the suffix from ``firstOffset(ofGroup:)``.
///
/// ### References
/// J. Howard, S. Ruder, "Universal Language Model Fine-tuning for Text Classification",
/// ACL 2018, section 3.2 (discriminative fine-tuning) and 3.3 (gradual unfreezing).
public struct LayerGroups: Sendable, Equatable {
  /// Groups in the model: L + 2, or L + 1 without a head group.
  public let count: Int
  /// The group of each parameter layout entry, in layout order (non-decreasing).
  public let groupOfEntry: [Int]
  /// Float offset of each group's first parameter (`offsets[count]` is the total).
  public let offsets: [Int]

  /// The top group: the head, or the last block without one.
  public var top: Int { count - 1 }

  public init(parameters: TensorLayout, layers: Int) {
    let groups = parameters.entries.map { Self.group(of: $0.name, layers: layers) }
    precondition(
      zip(groups, groups.dropFirst()).allSatisfy { $0 <= $1 },
      "the parameter layout must list layer groups in order")
    groupOfEntry = groups
    count = groups.contains(layers + 1) ? layers + 2 : layers + 1
    var offsets = Array(repeating: parameters.totalCount, count: count + 1)
    for (entry, group) in zip(parameters.entries, groups).reversed() {
      offsets[group] = entry.offset
    }
    for g in stride(from: count - 1, through: 0, by: -1) where offsets[g] > offsets[g + 1] {
      offsets[g] = offsets[g + 1]  // an empty group starts where the next one does
    }
    self.offsets = offsets
  }

  /// The group of the tensor called `name` in a model of `layers` blocks.
  public static func group(of name: String, layers: Int) -> Int {
    if name.hasPrefix("wte.") || name.hasPrefix("wpe.") { return 0 }
    if name.hasPrefix("h."), let i = Int(name.dropFirst(2).prefix { $0.isNumber }) { return i + 1 }
    return layers + 1
  }

  /// Float offset where group `g`'s parameters start: groups `g` and up are the flat buffer
  /// from here to its end.
  public func firstOffset(ofGroup g: Int) -> Int { offsets[min(max(g, 0), count)] }

  /// Each entry's learning-rate factor for discriminative fine-tuning (ULMFiT eq. 2 with a
  /// fixed ratio): `1 / decay^(top − group)`, so the top group trains at `lr` and each group
  /// below at the rate of the one above divided by `decay`.
  public func rateScales(decay: Double) -> [Float] {
    groupOfEntry.map { Float(1 / decay.power(top - $0)) }
  }
}
