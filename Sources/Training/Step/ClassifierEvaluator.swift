import Datasets
import Models

#if canImport(Glibc)
  import Glibc
#endif

/// How a classifier did on labelled documents.
public struct ClassificationResult: Sendable, Equatable {
  /// Mean cross-entropy over the documents, nats.
  public var loss: Double
  /// Share of documents whose most probable class is their label.
  public var accuracy: Double
  public var documents: Int
  /// `confusion[true][predicted]`: documents of class `true` predicted as `predicted`.
  public var confusion: [[Int]]
}

/// Scores a classifier on labelled documents, and gives class probabilities of any text, in
/// evaluation mode (BatchNorm uses running statistics), batch by batch.
///
/// Batches have the model's micro-batch size; a last partial batch repeats its final document
/// in the spare rows, which are not counted.
public enum ClassifierEvaluator {
  /// Loss, accuracy and confusion matrix over `documents` (labels below the model's K).
  public static func evaluate(_ model: Transformer, documents: [LabelledDocument])
    -> ClassificationResult
  {
    let k = model.classCount
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
    var (loss, correct) = (0.0, 0)
    forEachBatch(model, documents) { row, document, probabilities in
      let predicted = (0..<k).max { probabilities[$0] < probabilities[$1] } ?? 0
      confusion[document.label][predicted] += 1
      if predicted == document.label { correct += 1 }
      loss -= log(max(Double(probabilities[document.label]), Double(Float.leastNormalMagnitude)))
    }
    let n = Double(documents.count)
    return ClassificationResult(
      loss: documents.isEmpty ? .nan : loss / n,
      accuracy: documents.isEmpty ? .nan : Double(correct) / n, documents: documents.count,
      confusion: confusion)
  }

  /// The class probabilities (K each) of every text, in order.
  public static func probabilities(_ model: Transformer, texts: [[UInt8]]) -> [[Double]] {
    var result: [[Double]] = []
    let documents = texts.map { LabelledDocument(bytes: $0, label: 0) }
    forEachBatch(model, documents) { _, _, probabilities in
      result.append((0..<model.classCount).map { Double(probabilities[$0]) })
    }
    return result
  }

  /// Runs the model over `documents` in batches; `body(index, document, probabilities)` per
  /// document, in order.
  static func forEachBatch(
    _ model: Transformer, _ documents: [LabelledDocument],
    _ body: (Int, LabelledDocument, UnsafePointer<Float>) -> Void
  ) {
    let (b, t) = (model.batch, model.config.context)
    var tokens = [Int32](repeating: 0, count: b * t)
    var lengths = [Int32](repeating: 1, count: b)
    var labels = [Int32](repeating: 0, count: b)
    var start = 0
    while start < documents.count {
      let chunk = documents[start..<min(documents.count, start + b)]
      tokens.withUnsafeMutableBufferPointer { tokens in
        lengths.withUnsafeMutableBufferPointer { lengths in
          labels.withUnsafeMutableBufferPointer { labels in
            for row in 0..<b {
              let document = chunk[chunk.startIndex + min(row, chunk.count - 1)]
              ClassBatch.fill(
                document, row: row, context: t, tokens: tokens.baseAddress!,
                lengths: lengths.baseAddress!, labels: labels.baseAddress!)
            }
          }
        }
      }
      model.classify(tokens: tokens, lengths: lengths, labels: labels, training: false)
      for (row, document) in chunk.enumerated() {
        body(start + row, document, model.classProbabilities(sequence: row))
      }
      start += b
    }
  }
}
