/// Language-model text beside a classification corpus: what a pretraining or fine-tuning run
/// may read without ever seeing the classifier's held-out documents.
extension Corpus {
  /// Which text of a corpus directory a language model reads next to labelled class files.
  public enum ClassText: Sendable {
    /// Every file, less the labelled documents outside the classifier's training split.
    case othersAndTrain
    /// Only files that are not class files, less any document whose text is labelled.
    case others
    /// The classifier's training documents alone, without their labels.
    case train
  }

  /// The corpus of `path` (a directory holding the class files of `classes`) as `text` says,
  /// split by ``DocumentSplit`` with `valFraction`.
  ///
  /// Held-out documents are left out by content: a document of any file whose bytes equal a
  /// labelled validation or test document (any labelled document for `.others`) is dropped, so
  /// a fortune repeated in another file cannot carry a test entry into pretraining. A test
  /// entry quoted inside a longer entry of another file is not found this way (25 of the 3,591
  /// labelled fortunes of the five default classes occur so); `ClassifierSplitTests` checks
  /// that none of the test split occurs whole.
  ///
  /// - Throws: ``DataError`` as ``load(path:valFraction:)``.
  public static func load(
    path: String, valFraction: Double, besides classes: ClassificationCorpus, text: ClassText
  ) throws -> Corpus {
    guard valFraction > 0 && valFraction < 1 else { throw DataError.fraction(valFraction) }
    if case .train = text {
      return split(
        classes.train.map(\.bytes), path: path, files: classes.classes.count,
        valFraction: valFraction, fingerprint: classes.fingerprint)
    }
    var files = try CorpusReader.textFiles(at: path)
    var excluded = classes.validation + classes.test
    if case .others = text {
      let classFiles = Set(classes.classes)
      files = files.filter { !classFiles.contains(String($0.split(separator: "/").last ?? "")) }
      excluded += classes.train
      guard !files.isEmpty else { throw DataError.noTextFiles(path) }
    }
    let held = Set(excluded.map(\.bytes))
    let (documents, fingerprint) = try CorpusReader.read(files, corpus: path)
    return split(
      documents.filter { !held.contains($0) }, path: path, files: files.count,
      valFraction: valFraction, fingerprint: fingerprint)
  }
}

extension Corpus {
  /// The classifier's training and validation documents as the two streams of a corpus (each
  /// document followed by ``separator``), with the class files' fingerprint: what a classifier
  /// run logs, checks across ranks and records in its checkpoints.
  public static func labelled(_ classes: ClassificationCorpus) -> Corpus {
    Corpus(
      path: classes.directory, files: classes.classes.count,
      train: stream(classes.train.map(\.bytes)),
      validation: stream(classes.validation.map(\.bytes)),
      trainDocuments: classes.train.count, validationDocuments: classes.validation.count,
      fingerprint: classes.fingerprint)
  }
}
