import Datasets
import Experiments
import XCTest

/// The ULMFiT experiment's classic baseline: byte n-gram multinomial naive Bayes, checked
/// against the formula by hand and on the fortunes classes.
final class NaiveBayesTests: XCTestCase {
  /// Sums of a few logarithms: only rounding differs.
  static let tolerance = 1e-12

  func document(_ text: String, _ label: Int) -> LabelledDocument {
    LabelledDocument(bytes: Array(text.utf8), label: label)
  }

  func testNGramsAreCountedPerLengthWithoutCollisions() {
    let counts = ByteNGramNaiveBayes.nGrams(Array("abca".utf8), orders: 1...3)
    let a = UInt32(UInt8(ascii: "a"))
    let b = UInt32(UInt8(ascii: "b"))
    XCTAssertEqual(counts[1 << 24 | a], 2)
    XCTAssertEqual(counts[2 << 24 | a << 8 | b], 1)
    XCTAssertEqual(counts.values.reduce(0, +), 4 + 3 + 2)
    XCTAssertEqual(counts.count, 3 + 3 + 2)
    // The byte pair (0, "a") and "a" alone are different n-grams: 0, "a" and (0, "a").
    XCTAssertEqual(ByteNGramNaiveBayes.nGrams([0, UInt8(ascii: "a")], orders: 1...2).count, 3)
    XCTAssertEqual(ByteNGramNaiveBayes.nGrams([7], orders: 2...3).count, 0)
  }

  /// Unigrams, α = 1, two classes of one document each: "aab" (0) and "bbc" (1). V = {a, b,
  /// c}; each class has 3 counts, so P(f | k) = (N_kf + 1) / 6.
  func testScoresFollowTheFormula() {
    let model = ByteNGramNaiveBayes(
      training: [document("aab", 0), document("bbc", 1)], classes: 2, orders: 1...1)
    let scores = model.logScores(Array("ab".utf8))
    XCTAssertEqual(scores[0], log(0.5) + log(3.0 / 6) + log(2.0 / 6), accuracy: Self.tolerance)
    XCTAssertEqual(scores[1], log(0.5) + log(1.0 / 6) + log(3.0 / 6), accuracy: Self.tolerance)
    XCTAssertEqual(model.predict(Array("ab".utf8)), 0)
    XCTAssertEqual(model.predict(Array("cc".utf8)), 1)
    // Never seen in training: only the priors, and the first of equal classes wins.
    XCTAssertEqual(model.logScores(Array("zz".utf8)), model.logPriors)
    XCTAssertEqual(model.predict(Array("zz".utf8)), 0)
    XCTAssertEqual(model.accuracy(on: [document("ab", 0), document("cc", 0)]), 0.5)
  }

  /// Uneven classes: the prior is each class's share of the documents.
  func testPriorsAreClassShares() {
    let model = ByteNGramNaiveBayes(
      training: [document("x", 0), document("y", 0), document("z", 0), document("w", 1)],
      classes: 2)
    XCTAssertEqual(model.logPriors[0], log(0.75), accuracy: Self.tolerance)
    XCTAssertEqual(model.logPriors[1], log(0.25), accuracy: Self.tolerance)
  }

  /// On the five fortune classes, the whole training split: well above the majority class
  /// (29.5% of the test split), as a bag of byte n-grams should be on topics.
  func testFortuneClassesAreLearnedAboveTheMajorityClass() throws {
    let fortunes = "/usr/share/games/fortunes"
    try XCTSkipUnless(FileManager.default.fileExists(atPath: fortunes), "no \(fortunes)")
    let corpus = try ClassificationCorpus.load(
      directory: fortunes, classes: ["computers", "politics", "science", "work", "men-women"],
      valFraction: 0.1, testFraction: 0.2)
    let model = ByteNGramNaiveBayes(training: corpus.train, classes: 5)
    let accuracy = model.accuracy(on: corpus.test)
    let few = ByteNGramNaiveBayes(
      training: corpus.limitingTraining(perClass: 10).train, classes: 5
    ).accuracy(on: corpus.test)
    print("naive Bayes test accuracy: \(accuracy) (all labels), \(few) (10 per class)")
    XCTAssertGreaterThan(accuracy, 0.4)
    XCTAssertGreaterThan(accuracy, few)
  }
}
