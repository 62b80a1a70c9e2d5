import Support

extension ClassificationCorpus {
  /// The same corpus with at most `perClass` training documents of each class
  /// (`data.labels_per_class`), for learning curves over the number of labels.
  ///
  /// Each class keeps the `perClass` documents that come first in ``labelOrder(_:)``: a hash of
  /// the content, so the subset is deterministic, independent of seed, file order and worker
  /// count, and nested (the 10 kept of a class are among its 50). The order is a second hash,
  /// not the split's position u: ordering by u would keep exactly the documents with the
  /// smallest u, which a language model on the training text (`data.lm_text = "train"`) holds
  /// out as its validation split. Validation and test are unchanged. `perClass` 0, or at least
  /// a class's count, keeps that class whole.
  ///
  /// - Complexity: O(n log n) for n training documents.
  public func limitingTraining(perClass: Int) -> ClassificationCorpus {
    guard perClass > 0 else { return self }
    var keep = Set<Int>()
    for label in classes.indices {
      let ranked = train.indices.filter { train[$0].label == label }
        .map { (order: Self.labelOrder(train[$0].bytes), index: $0) }
        .sorted {
          $0.order != $1.order
            ? $0.order < $1.order
            : train[$0.index].bytes.lexicographicallyPrecedes(train[$1.index].bytes)
        }
      keep.formUnion(ranked.prefix(perClass).map(\.index))
    }
    // In the order of the full training split.
    let kept = train.indices.filter(keep.contains).map { train[$0] }
    return ClassificationCorpus(
      directory: directory, classes: classes, train: kept, validation: validation, test: test,
      ambiguous: ambiguous, fingerprint: fingerprint)
  }

  /// The rank of `document` among its class's labelled documents: the MurmurHash3 finalizer of
  /// FNV-1a 64 offset by 2⁶⁴/φ, a hash independent of the split's ``DocumentSplit/position(_:)``.
  public static func labelOrder(_ document: [UInt8]) -> UInt64 {
    DocumentSplit.mix(FNV1a64.hash(document) &+ 0x9E37_79B9_7F4A_7C15)
  }
}
