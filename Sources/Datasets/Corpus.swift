import Support

/// A corpus split by document into a training and a validation token stream.
///
/// Each stream holds its documents in corpus order, each followed by ``separator`` (`\n%\n`),
/// so that the stream reads like a fortune file and generated text learns where an entry ends.
/// Which split a document goes to is decided by ``DocumentSplit``: by its content alone,
/// independent of the run's seed and of the other documents.
///
/// ```swift
/// let corpus = try Corpus.load(path: "/usr/share/games/fortunes", valFraction: 0.1)
/// try corpus.check(context: 64)
/// ```
public struct Corpus: Sendable {
  /// Bytes after every document in a stream: a line holding only `%`, as in fortune files.
  public static let separator: [UInt8] = Array("\n%\n".utf8)

  /// The path the corpus was loaded from, as given.
  public let path: String
  /// The files read (1 when ``path`` is a file).
  public let files: Int
  /// The training stream, tokens 0…255.
  public let train: [UInt8]
  /// The validation stream, tokens 0…255.
  public let validation: [UInt8]
  /// Documents in ``train``.
  public let trainDocuments: Int
  /// Documents in ``validation``.
  public let validationDocuments: Int
  /// The names, sizes and hashes of the files read: compared across ranks and with a
  /// resumed run's checkpoint.
  public let fingerprint: DataFingerprint

  /// Documents in both splits.
  public var documents: Int { trainDocuments + validationDocuments }

  /// Reads the documents of `path` (see ``CorpusReader``) and splits them, holding out about
  /// `valFraction` of the documents for validation.
  ///
  /// - Throws: ``DataError`` when `path` cannot be read or holds no text, or when
  ///   `valFraction` is not in (0, 1).
  /// - Complexity: O(bytes of the corpus).
  public static func load(path: String, valFraction: Double) throws -> Corpus {
    guard valFraction > 0 && valFraction < 1 else { throw DataError.fraction(valFraction) }
    let files = try CorpusReader.textFiles(at: path)
    let (documents, fingerprint) = try CorpusReader.read(files, corpus: path)
    return split(
      documents, path: path, files: files.count, valFraction: valFraction,
      fingerprint: fingerprint)
  }

  /// `documents` split by ``DocumentSplit`` into the two streams.
  static func split(
    _ documents: [[UInt8]], path: String, files: Int, valFraction: Double,
    fingerprint: DataFingerprint
  ) -> Corpus {
    let isValidation = DocumentSplit.assign(documents, valFraction: valFraction)
    var train: [[UInt8]] = []
    var validation: [[UInt8]] = []
    for (document, held) in zip(documents, isValidation) {
      if held { validation.append(document) } else { train.append(document) }
    }
    return Corpus(
      path: path, files: files, train: stream(train), validation: stream(validation),
      trainDocuments: train.count, validationDocuments: validation.count,
      fingerprint: fingerprint)
  }

  /// All documents of `path` as one stream, for evaluating a model on a whole corpus.
  ///
  /// - Throws: ``DataError`` when `path` cannot be read or holds no text.
  public static func loadWhole(path: String) throws -> [UInt8] {
    stream(try CorpusReader.documents(at: path))
  }

  /// `documents` in order, each followed by ``separator``.
  public static func stream(_ documents: some Sequence<[UInt8]>) -> [UInt8] {
    var tokens: [UInt8] = []
    tokens.reserveCapacity(documents.underestimatedCount * 64)
    for document in documents {
      tokens += document
      tokens += separator
    }
    return tokens
  }

  /// Throws unless both streams hold at least one window of `context + 1` tokens (a
  /// sequence of `context` inputs and its shifted targets).
  public func check(context: Int) throws {
    try Corpus.check(
      train, split: "training", path: path, context: context,
      remedy: "a smaller data.val_fraction")
    try Corpus.check(
      validation, split: "validation", path: path, context: context,
      remedy: "a larger data.val_fraction")
  }

  /// One line for logs: files, documents and tokens of each split.
  public var summary: String {
    "\(counted(files, "file")), \(counted(documents, "document")): "
      + "train \(counted(trainDocuments, "document")), \(counted(train.count, "token")); "
      + "validation \(counted(validationDocuments, "document")), "
      + counted(validation.count, "token")
  }

  private static func check(
    _ tokens: [UInt8], split: String, path: String, context: Int, remedy: String
  ) throws {
    guard tokens.count < context + 1 else { return }
    throw DataError.shortSplit(
      split, path: path, tokens: tokens.count, window: context + 1, remedy: remedy)
  }
}
