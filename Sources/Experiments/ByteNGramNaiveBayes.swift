import Datasets
import Foundation

/// A classic text classifier for the ULMFiT experiment's baseline: multinomial naive Bayes over
/// the byte n-grams of each document (orders 1 to 3 by default), with add-α smoothing.
///
/// Training counts, for each class k, how often each n-gram f occurs in its documents, N_kf,
/// and their total N_k. A document with n-gram counts c_f is given to
///
/// ```
/// argmax_k  log P(k) + Σ_f c_f · log((N_kf + α) / (N_k + α |V|))
/// ```
///
/// where P(k) is the class's share of the training documents and V the n-grams seen in
/// training. An n-gram never seen in training is skipped (scikit-learn's `MultinomialNB` with a
/// vocabulary built from the training text does the same).
///
/// ### References
/// A. McCallum, K. Nigam, "A Comparison of Event Models for Naive Bayes Text Classification",
/// AAAI-98 Workshop on Learning for Text Categorization; S. Wang, C. Manning, "Baselines and
/// Bigrams: Simple, Good Sentiment and Topic Classification", ACL 2012 (n-gram NB baselines).
public struct ByteNGramNaiveBayes: Sendable {
  /// The n-gram lengths counted.
  public let orders: ClosedRange<Int>
  /// The add-α smoothing constant (1 = Laplace).
  public let alpha: Double
  /// log P(k), by class.
  public let logPriors: [Double]
  /// log P(f | k) for each n-gram key f seen in training, by class.
  let logLikelihoods: [UInt32: [Double]]

  /// Counts the n-grams of `documents` (labels in 0..<`classes`).
  ///
  /// - Precondition: `orders` lies in 1...3 (an n-gram and its length fit one `UInt32` key),
  ///   `alpha` > 0, and every class has at least one document.
  /// - Complexity: O(total bytes × orders + |V| × classes).
  public init(
    training documents: [LabelledDocument], classes: Int, orders: ClosedRange<Int> = 1...3,
    alpha: Double = 1
  ) {
    precondition(orders.lowerBound >= 1 && orders.upperBound <= 3 && alpha > 0)
    (self.orders, self.alpha) = (orders, alpha)
    var counts: [UInt32: [Double]] = [:]  // N_kf
    var totals = [Double](repeating: 0, count: classes)  // N_k
    var documentsPerClass = [Double](repeating: 0, count: classes)
    for document in documents {
      documentsPerClass[document.label] += 1
      for (key, count) in Self.nGrams(document.bytes, orders: orders) {
        counts[key, default: [Double](repeating: 0, count: classes)][document.label] += count
        totals[document.label] += count
      }
    }
    let vocabulary = Double(counts.count)
    logPriors = documentsPerClass.map { log($0 / Double(max(1, documents.count))) }
    logLikelihoods = counts.mapValues { perClass in
      perClass.indices.map { k in log((perClass[k] + alpha) / (totals[k] + alpha * vocabulary)) }
    }
  }

  /// log P(k) + Σ_f c_f log P(f | k) for each class k: the log joint probability up to a
  /// term that is the same for every class.
  public func logScores(_ bytes: [UInt8]) -> [Double] {
    var scores = logPriors
    for (key, count) in Self.nGrams(bytes, orders: orders) {
      guard let perClass = logLikelihoods[key] else { continue }
      for k in scores.indices { scores[k] += count * perClass[k] }
    }
    return scores
  }

  /// The most probable class of `bytes` (the lowest index among equals).
  public func predict(_ bytes: [UInt8]) -> Int {
    let scores = logScores(bytes)
    var best = 0
    for k in scores.indices where scores[k] > scores[best] { best = k }
    return best
  }

  /// The fraction of `documents` predicted as labelled.
  public func accuracy(on documents: [LabelledDocument]) -> Double {
    guard !documents.isEmpty else { return .nan }
    let right = documents.filter { predict($0.bytes) == $0.label }.count
    return Double(right) / Double(documents.count)
  }

  /// Each n-gram of `bytes` with a length in `orders`, and how often it occurs. The key is
  /// `length << 24 | bytes` (big-endian), so n-grams of different lengths never collide.
  public static func nGrams(_ bytes: [UInt8], orders: ClosedRange<Int>) -> [UInt32: Double] {
    var counts: [UInt32: Double] = [:]
    for n in orders where n <= bytes.count {
      for start in 0...(bytes.count - n) {
        var key = UInt32(n) << 24
        for i in 0..<n { key |= UInt32(bytes[start + i]) << (8 * UInt32(n - 1 - i)) }
        counts[key, default: 0] += 1
      }
    }
    return counts
  }
}
