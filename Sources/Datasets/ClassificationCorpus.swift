import Support

/// One labelled document: its bytes and the index of its class.
public struct LabelledDocument: Sendable, Equatable {
  public var bytes: [UInt8]
  public var label: Int
  public init(bytes: [UInt8], label: Int) { (self.bytes, self.label) = (bytes, label) }
}

/// A text-classification corpus from fortune files: each file of a directory named as a class
/// is one label, each of its entries (text between `%` lines) one document.
///
/// - An entry whose bytes occur in two or more class files is dropped (its label is
///   ambiguous); a repeat within one file is kept once.
/// - Split by content, as ``DocumentSplit`` does for language modelling: u in [0, 1) from the
///   document's hash, test when `u >= 1 − testFraction`, validation when
///   `1 − testFraction − valFraction <= u < 1 − testFraction`, training below. So the split is
///   deterministic, independent of the seed and of file order, and the test band sits at the
///   other end of [0, 1) from the language model's validation band (`u < val_fraction`).
///
/// ```swift
/// let corpus = try ClassificationCorpus.load(
///   directory: "/usr/share/games/fortunes", classes: ["computers", "politics"],
///   valFraction: 0.1, testFraction: 0.2)
/// corpus.train[0].label  // 0 or 1
/// ```
public struct ClassificationCorpus: Sendable {
  /// The directory the class files are in.
  public let directory: String
  /// Class names, index = label.
  public let classes: [String]
  public let train: [LabelledDocument]
  public let validation: [LabelledDocument]
  public let test: [LabelledDocument]
  /// Entries dropped because their text is in two or more class files.
  public let ambiguous: Int
  /// The class files' names, sizes and hashes, in class order.
  public let fingerprint: DataFingerprint

  /// Reads the class files `classes` of `directory` and splits their entries.
  ///
  /// - Throws: ``DataError`` naming the class when a file is missing or not a fortune file of
  ///   text, or when a class has no document left, or none for training.
  /// - Complexity: O(bytes of the class files).
  public static func load(
    directory: String, classes: [String], valFraction: Double, testFraction: Double
  ) throws -> ClassificationCorpus {
    guard classes.count >= 2 else {
      throw DataError("data.classes names \(classes.count) class; a classifier needs two or more")
    }
    var perClass: [[[UInt8]]] = []
    var files: [DataFingerprint.File] = []
    for name in classes {
      let path = FileSystem.join(directory, name)
      let kind = try? FileSystem.kind(of: path)
      guard kind == .file else {
        throw DataError(
          "data.classes names \(DataError.quoted(name)), which is not a file in "
            + "\(DataError.quoted(directory)); name fortune files of data.path")
      }
      let bytes = try DataError.reading { try FileSystem.contents(of: path) }
      try TextCheck.requireText(bytes, path: path)
      files.append(DataFingerprint.File(name: name, contents: bytes))
      var seen = Set<[UInt8]>()
      perClass.append(Documents.split(bytes, onlyFile: false).filter { seen.insert($0).inserted })
    }
    var owners: [[UInt8]: Int] = [:]
    for documents in perClass { for d in documents { owners[d, default: 0] += 1 } }
    var splits: [[LabelledDocument]] = [[], [], []]
    var ambiguous = 0
    for (label, documents) in perClass.enumerated() {
      let kept = documents.filter { owners[$0] == 1 }
      ambiguous += documents.count - kept.count
      guard !kept.isEmpty else {
        throw DataError(
          "class \(DataError.quoted(classes[label])) has no documents (its file holds no "
            + "entries between % lines that no other class file has)")
      }
      var perSplit = [0, 0, 0]
      for d in kept {
        let band = band(of: d, valFraction: valFraction, testFraction: testFraction)
        splits[band].append(LabelledDocument(bytes: d, label: label))
        perSplit[band] += 1
      }
      // The model could not learn a class it never sees. (A class missing from the validation
      // or test split is allowed: the scores and the confusion matrix stay true.)
      if perSplit[0] == 0 {
        throw DataError(
          "class \(DataError.quoted(classes[label])) has \(counted(kept.count, "document")), none "
            + "in the training split; give it more entries (or smaller data.val_fraction and "
            + "data.test_fraction)")
      }
    }
    return ClassificationCorpus(
      directory: directory, classes: classes, train: splits[0], validation: splits[1],
      test: splits[2], ambiguous: ambiguous, fingerprint: DataFingerprint(files: files))
  }

  /// 0 (train), 1 (validation) or 2 (test) for `document`, by its position in [0, 1).
  public static func band(of document: [UInt8], valFraction: Double, testFraction: Double)
    -> Int
  {
    let u = DocumentSplit.position(document)
    if u >= 1 - testFraction { return 2 }
    return u >= 1 - testFraction - valFraction ? 1 : 0
  }

  /// The split called `name` (`train`, `validation` or `test`), or nil.
  public func split(_ name: String) -> [LabelledDocument]? {
    switch name {
    case "train": return train
    case "validation": return validation
    case "test": return test
    default: return nil
    }
  }

  /// One line for logs: classes and documents per split.
  public var summary: String {
    "\(classes.count) classes (\(classes.joined(separator: ", "))): train \(train.count), "
      + "validation \(validation.count), test \(test.count) documents, \(ambiguous) in two "
      + "classes dropped"
  }
}
