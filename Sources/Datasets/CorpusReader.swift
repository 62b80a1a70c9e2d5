import Support

/// Reads a corpus path into documents: the files it names, each checked to be text and cut
/// into documents.
///
/// A path is a text file or a directory of text files. A directory is read one level deep,
/// its files in byte order of their names, so every machine reads the same corpus in the same
/// order; hidden files, subdirectories, special files and the `.dat` and `.u8` companions that
/// the Debian `fortunes` packages ship beside each fortune file are skipped. An entry that cannot
/// be examined (a broken symbolic link) is refused rather than silently left out.
///
/// Each file becomes documents by ``Documents/split(_:onlyFile:)``: the entries of a fortune
/// file, a plain file as one document, or, when the corpus is a single plain file, its
/// paragraphs.
public enum CorpusReader {
  /// Suffixes of files that are never text: the fortune index (`strfile`) and its UTF-8 link.
  public static let skippedSuffixes = [".dat", ".u8"]

  /// The documents of `path`, in corpus order (files by name, documents in file order).
  ///
  /// - Throws: ``DataError`` naming the path when it is missing or unreadable, when a
  ///   directory has no usable file, when a file is binary, or when no document is found.
  public static func documents(at path: String) throws -> [[UInt8]] {
    try documents(of: textFiles(at: path), corpus: path)
  }

  /// The documents of `files` (from ``textFiles(at:)``) of the corpus at `path`.
  public static func documents(of files: [String], corpus path: String) throws -> [[UInt8]] {
    try read(files, corpus: path).documents
  }

  /// The documents of `files` (from ``textFiles(at:)``) of the corpus at `path`, with the
  /// fingerprint of the bytes they came from (see ``DataFingerprint``).
  public static func read(_ files: [String], corpus path: String) throws -> (
    documents: [[UInt8]], fingerprint: DataFingerprint
  ) {
    var documents: [[UInt8]] = []
    var fingerprinted: [DataFingerprint.File] = []
    for file in files {
      let bytes = try DataError.reading { try FileSystem.contents(of: file) }
      try TextCheck.requireText(bytes, path: file)
      let name = String(file.split(separator: "/").last ?? Substring(file))
      fingerprinted.append(DataFingerprint.File(name: name, contents: bytes))
      documents += Documents.split(bytes, onlyFile: files.count == 1)
    }
    guard !documents.isEmpty else { throw DataError.noDocuments(path) }
    return (documents, DataFingerprint(files: fingerprinted))
  }

  /// The files `path` stands for: itself when it is a file, or the usable files of a
  /// directory sorted by name.
  public static func textFiles(at path: String) throws -> [String] {
    switch try DataError.reading({ try FileSystem.kind(of: path) }) {
    case .file:
      return [path]
    case .other:
      throw DataError("\(DataError.quoted(path)) is neither a file nor a directory")
    case .directory:
      let names = try DataError.reading { try FileSystem.entries(of: path) }.filter { name in
        !name.hasPrefix(".") && !skippedSuffixes.contains { name.hasSuffix($0) }
      }
      let sorted = names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      let files = try sorted.map { FileSystem.join(path, $0) }.filter { file in
        try DataError.reading { try FileSystem.kind(of: file) } == .file
      }
      guard !files.isEmpty else { throw DataError.noTextFiles(path) }
      return files
    }
  }
}
