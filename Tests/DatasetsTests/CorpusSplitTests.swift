import Datasets
import XCTest

final class CorpusSplitTests: XCTestCase {
  private var directory: TemporaryDirectory!

  override func setUpWithError() throws { directory = try TemporaryDirectory() }
  override func tearDown() { directory.remove() }

  private func synthetic(_ count: Int) -> [String] {
    (0..<count).map { "Document \($0): a saying of \($0 * 7919 % 1000) words." }
  }

  func testSplitIsByDocumentDisjointAndNearTheFraction() throws {
    let all = synthetic(1000)
    try directory.write("sayings", all.joined(separator: "\n%\n") + "\n")
    let corpus = try Corpus.load(path: directory.path, valFraction: 0.1)
    let train = documents(of: corpus.train)
    let validation = documents(of: corpus.validation)
    XCTAssertEqual(corpus.trainDocuments, train.count)
    XCTAssertEqual(corpus.validationDocuments, validation.count)
    XCTAssertEqual(corpus.documents, 1000)
    XCTAssert((60...140).contains(validation.count), "\(validation.count) held out")
    XCTAssert(Set(train).isDisjoint(with: validation))
    XCTAssertEqual(Set(train + validation), Set(all))
    // Corpus order within each split.
    XCTAssertEqual(train, all.filter(Set(train).contains))
    XCTAssertEqual(validation, all.filter(Set(validation).contains))
  }

  func testSplitIsDeterministicAndIndependentOfFileOrder() throws {
    let all = synthetic(200)
    try directory.write("a", all.joined(separator: "\n%\n"))
    try directory.write("b", all.reversed().joined(separator: "\n%\n"))
    let first = try Corpus.load(path: directory.path + "/a", valFraction: 0.2)
    let again = try Corpus.load(path: directory.path + "/a", valFraction: 0.2)
    let reversed = try Corpus.load(path: directory.path + "/b", valFraction: 0.2)
    XCTAssertEqual(first.train, again.train)
    XCTAssertEqual(first.validation, again.validation)
    XCTAssertEqual(Set(documents(of: first.validation)), Set(documents(of: reversed.validation)))
    XCTAssertEqual(documents(of: reversed.validation), documents(of: first.validation).reversed())
  }

  func testEqualDocumentsLandInTheSameSplit() {
    let unique = synthetic(100).map { Array($0.utf8) }
    let held = DocumentSplit.assign(unique + unique, valFraction: 0.3)
    XCTAssertEqual(Array(held[..<100]), Array(held[100...]))
    // Also when a split is filled up by moving a document.
    let same = Array("same".utf8)
    for fraction in [1e-12, 1 - 1e-12] {
      let moved = DocumentSplit.assign([same, Array("x".utf8), same], valFraction: fraction)
      XCTAssertEqual(moved[0], moved[2], "val_fraction \(fraction)")
      XCTAssertNotEqual(moved[0], moved[1], "val_fraction \(fraction)")
    }
  }

  func testEachSplitGetsADocumentWhenThereAreTwo() throws {
    try directory.write("two", "first\n%\nsecond\n")
    for fraction in [1e-12, 1 - 1e-12] {
      let corpus = try Corpus.load(path: directory.path, valFraction: fraction)
      XCTAssertEqual(corpus.trainDocuments, 1, "val_fraction \(fraction)")
      XCTAssertEqual(corpus.validationDocuments, 1, "val_fraction \(fraction)")
    }
    let rare = DocumentSplit.assign(synthetic(50).map { Array($0.utf8) }, valFraction: 1e-12)
    XCTAssertEqual(rare.filter { $0 }.count, 1)
    let common = DocumentSplit.assign(synthetic(50).map { Array($0.utf8) }, valFraction: 1 - 1e-12)
    XCTAssertEqual(common.filter { !$0 }.count, 1)
  }

  func testPositionsAreSpreadOverTheUnitInterval() {
    let positions = synthetic(1000).map { DocumentSplit.position(Array($0.utf8)) }
    XCTAssert(positions.allSatisfy { $0 >= 0 && $0 < 1 })
    for decile in 0..<10 {
      let inside = positions.filter { Int($0 * 10) == decile }.count
      XCTAssert((60...140).contains(inside), "decile \(decile) has \(inside) of 1000")
    }
  }

  func testSummaryCountsDocumentsAndTokens() throws {
    try directory.write("two", "first\n%\nsecond\n")
    let corpus = try Corpus.load(path: directory.path, valFraction: 0.5)
    XCTAssertEqual(corpus.train.count + corpus.validation.count, 11 + 3 * 2)
    XCTAssertEqual(
      corpus.summary,
      "1 file, 2 documents: train 1 document, \(corpus.train.count) tokens; "
        + "validation 1 document, \(corpus.validation.count) tokens")
  }
}
