extension Transformer {
  /// Runs the model with its classifier head on one micro-batch and returns the mean
  /// cross-entropy over the B labels (`backward` then trains the head and the body).
  ///
  /// - Parameters:
  ///   - tokens: (B, T) token ids, each row a document's first `lengths[b]` bytes, then padding.
  ///   - lengths: (B) real positions per row, in 1...T; pooling reads only these.
  ///   - labels: (B) class indices in 0..<K.
  ///   - training: as in ``forward(tokens:targets:training:)``.
  /// - Precondition: the model was built with `head = classifier`.
  @discardableResult
  public func classify(
    tokens inputTokens: UnsafePointer<Int32>, lengths: UnsafePointer<Int32>,
    labels: UnsafePointer<Int32>, training: Bool = true
  ) -> Float {
    guard let head = classifierHead else { preconditionFailure("the model has no classifier") }
    head.lengths.update(from: lengths, count: batch)
    head.labels.update(from: labels, count: batch)
    forwardBody(tokens: inputTokens, training: training)
    return head.forward(h: hidden, parameters: parameters)
  }

  /// The class probabilities (K) of `sequence` in the last `classify`; valid until the next
  /// `backward`, which overwrites them with their gradient.
  public func classProbabilities(sequence: Int) -> UnsafePointer<Float> {
    guard let head = classifierHead else { preconditionFailure("the model has no classifier") }
    return UnsafePointer(head.probs + sequence * head.offsets.classes)
  }

  /// Classes K of the classifier head, 0 for the language-model head.
  public var classCount: Int { classifierHead?.offsets.classes ?? 0 }
}
