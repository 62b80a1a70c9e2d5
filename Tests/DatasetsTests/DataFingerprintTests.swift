import Datasets
import Foundation
import Support
import XCTest

/// The corpus fingerprint: equal for the same bytes under the same names wherever the corpus
/// lives, different (naming the file) for any changed, added or removed file.
final class DataFingerprintTests: XCTestCase {
  private var directory: TemporaryDirectory!

  override func setUpWithError() throws { directory = try TemporaryDirectory() }
  override func tearDown() { directory.remove() }

  private let text = (0..<40).map { "paragraph \($0) of some text" }.joined(separator: "\n\n")

  private func corpus(_ folder: String, b: String) throws -> Corpus {
    try FileManager.default.createDirectory(
      atPath: directory.path + "/" + folder, withIntermediateDirectories: false)
    try directory.write(folder + "/a.txt", text)
    try directory.write(folder + "/b.txt", b)
    return try Corpus.load(path: directory.path + "/" + folder, valFraction: 0.2)
  }

  func testSameBytesInAnotherFolderHaveTheSameFingerprint() throws {
    let one = try corpus("one", b: text + "\n\nmore")
    let two = try corpus("two", b: text + "\n\nmore")
    XCTAssertEqual(one.fingerprint, two.fingerprint)
    XCTAssertEqual(one.fingerprint.value, two.fingerprint.value)
    XCTAssertEqual(one.fingerprint.files.map(\.name), ["a.txt", "b.txt"])
    XCTAssertNil(one.fingerprint.difference(from: two.fingerprint))
  }

  func testAChangedFileIsNamed() throws {
    let trained = try corpus("one", b: text + "\n\nmore")
    let grown = try corpus("two", b: text + "\n\nmore!")
    let edited = try corpus("three", b: text + "\n\nMore")
    XCTAssertNotEqual(trained.fingerprint.value, grown.fingerprint.value)
    XCTAssertNotEqual(trained.fingerprint.value, edited.fingerprint.value)
    XCTAssertEqual(
      grown.fingerprint.difference(from: trained.fingerprint),
      "\"b.txt\" has \(text.utf8.count + 7) bytes, was \(text.utf8.count + 6)")
    XCTAssertEqual(
      edited.fingerprint.difference(from: trained.fingerprint),
      "\"b.txt\" has different bytes of the same size (\(text.utf8.count + 6))")
    let words = (grown.fingerprint.fileWords, trained.fingerprint.fileWords)
    XCTAssertEqual(DataFingerprint.firstDifference(words.0, words.1), 1)
    XCTAssertEqual(DataFingerprint.firstDifference(words.1, words.1), nil)
    XCTAssertEqual(DataFingerprint.firstDifference(Array(words.1.prefix(1)), words.1), 1)
  }

  func testAddedAndRemovedFilesAreNamed() {
    let a = DataFingerprint.File(name: "a.txt", bytes: 3, hash: 1)
    let b = DataFingerprint.File(name: "b.txt", bytes: 4, hash: 2)
    let one = DataFingerprint(files: [a])
    let both = DataFingerprint(files: [a, b])
    XCTAssertEqual(both.difference(from: one), "\"b.txt\" is new")
    XCTAssertEqual(one.difference(from: both), "\"b.txt\" is gone")
  }

  func testJSONRoundTripsAndRefusesAFingerprintThatDoesNotMatchItsFiles() throws {
    let fingerprint = try corpus("one", b: text).fingerprint
    let json = try JSONStyle.line(fingerprint)
    XCTAssertTrue(json.contains("\"fingerprint\":\"\(DataFingerprint.hex(fingerprint.value))\""))
    let decoded = try JSONDecoder().decode(DataFingerprint.self, from: Data(json.utf8))
    XCTAssertEqual(decoded, fingerprint)
    let forged = json.replacingOccurrences(
      of: DataFingerprint.hex(fingerprint.value), with: "0x0000000000000001")
    XCTAssertThrowsError(try JSONDecoder().decode(DataFingerprint.self, from: Data(forged.utf8)))
  }

  /// The cost the README quotes: hashing every byte of the fortunes corpus beside reading it.
  func testFingerprintCostOnTheFortunesCorpus() throws {
    let path = DataConfigPath.fortunes
    guard FileManager.default.fileExists(atPath: path) else {
      throw XCTSkip("the fortunes corpus is not installed")
    }
    let files = try CorpusReader.textFiles(at: path)
    let contents = try files.map { try FileSystem.contents(of: $0) }
    let bytes = contents.reduce(0) { $0 + $1.count }
    func best(_ body: () throws -> Void) rethrows -> Double {
      var fastest = Double.infinity
      for _ in 0..<5 {
        let start = monotonicSeconds()
        try body()
        fastest = min(fastest, monotonicSeconds() - start)
      }
      return fastest
    }
    var hashes: [UInt64] = []
    let hashing = best { hashes = contents.map { FNV1a64.hash($0) } }
    let loading = try best { _ = try Corpus.load(path: path, valFraction: 0.1) }
    print(
      "fortunes: \(files.count) files, \(bytes) bytes: hashing \(fmt(hashing * 1e3, 2)) ms, "
        + "Corpus.load (read, check, split, hash) \(fmt(loading * 1e3, 2)) ms (best of 5)")
    XCTAssertEqual(
      hashes, try Corpus.load(path: path, valFraction: 0.1).fingerprint.files.map(\.hash))
    XCTAssertLessThan(hashing, loading)
  }
}

/// The default corpus path, as `DataConfig` has it (Datasets does not import Config).
private enum DataConfigPath {
  static let fortunes = "/usr/share/games/fortunes"
}
