import Datasets
import XCTest

/// The classification corpus: labels, the content-hash split, and the language-model text
/// beside it that never holds a held-out labelled document.
final class ClassifierSplitTests: XCTestCase {
  static let fortunes = "/usr/share/games/fortunes"
  static let classes = ["computers", "politics", "science", "work", "men-women"]

  func requireFortunes() throws {
    var isDirectory: ObjCBool = false
    try XCTSkipUnless(
      FileManager.default.fileExists(atPath: Self.fortunes, isDirectory: &isDirectory)
        && isDirectory.boolValue, "\(Self.fortunes) is not installed")
  }

  func load() throws -> ClassificationCorpus {
    try ClassificationCorpus.load(
      directory: Self.fortunes, classes: Self.classes, valFraction: 0.1, testFraction: 0.2)
  }

  /// Loading twice gives the same split; the test split shares no text with training or
  /// validation (compared by content), and holds about its fraction of the documents.
  func testSplitIsDeterministicAndTestNeverOverlapsTraining() throws {
    try requireFortunes()
    let (a, b) = (try load(), try load())
    XCTAssertEqual(a.train, b.train)
    XCTAssertEqual(a.validation, b.validation)
    XCTAssertEqual(a.test, b.test)
    print("classes: \(a.summary)")
    let seen = Set((a.train + a.validation).map(\.bytes))
    XCTAssertFalse(a.test.contains { seen.contains($0.bytes) })
    XCTAssertTrue(Set(a.train.map(\.bytes)).isDisjoint(with: a.validation.map(\.bytes)))
    let total = Double(a.train.count + a.validation.count + a.test.count)
    XCTAssert((0.17...0.23).contains(Double(a.test.count) / total), a.summary)
    XCTAssert((0.08...0.12).contains(Double(a.validation.count) / total), a.summary)
    XCTAssertEqual(Set(a.train.map(\.label)), Set(0..<5))
    XCTAssertEqual(Set(a.test.map(\.label)), Set(0..<5))
  }

  /// Every language-model text a run can ask for beside the classes: no document of the
  /// classifier's test split is a document of either stream, checked by content.
  func testLanguageModelTextNeverHoldsTestDocuments() throws {
    try requireFortunes()
    let classes = try load()
    let test = Set(classes.test.map { String(decoding: $0.bytes, as: UTF8.self) })
    let whole = Set(documents(of: try Corpus.load(path: Self.fortunes, valFraction: 0.1).train))
    XCTAssertFalse(test.isDisjoint(with: whole), "the plain corpus does hold test documents")
    for text in [Corpus.ClassText.othersAndTrain, .others, .train] {
      let corpus = try Corpus.load(
        path: Self.fortunes, valFraction: 0.1, besides: classes, text: text)
      let read = Set(documents(of: corpus.train) + documents(of: corpus.validation))
      XCTAssertTrue(read.isDisjoint(with: test), "\(text)")
      print("LM text \(text): \(corpus.summary)")
    }
    let train = try Corpus.load(
      path: Self.fortunes, valFraction: 0.1, besides: classes, text: .train)
    XCTAssertEqual(train.documents, classes.train.count)
  }

  /// An entry in two class files is dropped from both; a repeat inside one file is kept once.
  func testEntriesOfTwoClassesAreDropped() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    try folder.write("a", "shared\n%\nonly a\n%\nonly a\n%\nmore a\n")
    try folder.write("b", "only b\n%\nshared\n")
    let corpus = try ClassificationCorpus.load(
      directory: folder.path, classes: ["a", "b"], valFraction: 0.1, testFraction: 0.2)
    let all = corpus.train + corpus.validation + corpus.test
    XCTAssertEqual(
      Set(all.map { String(decoding: $0.bytes, as: UTF8.self) }), ["only a", "more a", "only b"])
    XCTAssertEqual(all.count, 3)
    XCTAssertEqual(corpus.ambiguous, 2)
  }

  /// A class that is not a file, and a class with no document left, are refused naming it.
  func testBadClassesAreRefusedInOneLine() throws {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    try folder.write("a", "alpha\n%\nbeta\n")
    try folder.write("empty", "%\n%\n")
    try folder.write("copy", "alpha\n%\nbeta\n")
    func message(_ classes: [String]) -> String {
      do {
        _ = try ClassificationCorpus.load(
          directory: folder.path, classes: classes, valFraction: 0.1, testFraction: 0.2)
        return "loaded"
      } catch { return "\(error)" }
    }
    XCTAssertEqual(
      message(["a", "nope"]),
      "data: data.classes names \"nope\", which is not a file in \"\(folder.path)\"; name "
        + "fortune files of data.path")
    XCTAssertEqual(
      message(["a", "empty"]),
      "data: class \"empty\" has no documents (its file holds no entries between % lines that "
        + "no other class file has)")
    XCTAssertTrue(message(["a", "copy"]).hasPrefix("data: class \"a\" has no documents"))
    for text in [message(["a", "nope"]), message(["a", "empty"])] {
      XCTAssertFalse(text.contains("\n"))
    }
  }
}
