import Support

/// What a corpus path held when a run read it: each file's name, size and FNV-1a 64 of its
/// bytes, and one 64-bit ``value`` over all of them.
///
/// The ranks of a job compare their values at start and a resume compares its value with the
/// checkpoint's, because the same config text can name different bytes (a per-host copy of the
/// corpus, a relative path, a file edited between a run and its resume): training on them
/// would go on silently, and a resume would no longer be bit-exact. The token streams are a
/// function of these bytes and `data.val_fraction` (compared with the rest of the config), so
/// hashing the files covers them, and per-file hashes can name the file that differs.
///
/// Names are relative to the corpus path (the file name for a single file), so that the same
/// corpus under another folder has the same fingerprint.
/// - Complexity: O(bytes of the corpus), one FNV-1a pass over bytes already read: 2.8 ms for
///   the 43 files (2.6 MB) of the `fortunes` corpus, against 25 ms for the whole `Corpus.load`
///   (read, check, split and hash), best of 5 (`DataFingerprintTests`).
public struct DataFingerprint: Codable, Equatable, Sendable {
  /// One file of the corpus.
  public struct File: Codable, Equatable, Sendable {
    /// The name relative to the corpus path.
    public var name: String
    /// Its size in bytes.
    public var bytes: Int
    /// FNV-1a 64 of its bytes.
    public var hash: UInt64

    public init(name: String, bytes: Int, hash: UInt64) {
      (self.name, self.bytes, self.hash) = (name, bytes, hash)
    }

    /// The file's `bytes`, named `name`.
    public init(name: String, contents: [UInt8]) {
      self.init(name: name, bytes: contents.count, hash: FNV1a64.hash(contents))
    }

    enum CodingKeys: String, CodingKey {
      case name, bytes
      case hash = "fnv1a64"
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      name = try c.decode(String.self, forKey: .name)
      bytes = try c.decode(Int.self, forKey: .bytes)
      hash = try DataFingerprint.decodeHex(c, .hash)
    }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(name, forKey: .name)
      try c.encode(bytes, forKey: .bytes)
      try c.encode(DataFingerprint.hex(hash), forKey: .hash)
    }
  }

  /// The files in corpus order.
  public var files: [File]

  public init(files: [File]) { self.files = files }

  /// FNV-1a 64 over every file's name, size and hash, in order: equal values mean the same
  /// bytes under the same names (up to a 2^-64 chance).
  public var value: UInt64 {
    var bytes: [UInt8] = []
    for file in files {
      bytes += Array(file.name.utf8) + [0]
      bytes += littleEndian(UInt64(file.bytes)) + littleEndian(file.hash)
    }
    return FNV1a64.hash(bytes)
  }

  /// Bytes in all files.
  public var totalBytes: Int { files.reduce(0) { $0 + $1.bytes } }

  /// One phrase for logs: `fingerprint 0x0123456789abcdef (12 files, 1.3 MB)`.
  public var summary: String {
    "fingerprint \(Self.hex(value)) (\(counted(files.count, "file")), "
      + "\(totalBytes) bytes)"
  }

  /// What differs from `other` (the fingerprint the run was trained with), naming the first
  /// file that differs, or nil when the two are equal; e.g. `"b.txt" has 1200 bytes, was
  /// 1000` or `"c.txt" is new`.
  public func difference(from other: DataFingerprint) -> String? {
    guard self != other else { return nil }
    for (mine, theirs) in zip(files, other.files) where mine != theirs {
      let name = MessageText.quoted(mine.name)
      if mine.name != theirs.name {
        return "\(name) where it had \(MessageText.quoted(theirs.name))"
      }
      return mine.bytes != theirs.bytes
        ? "\(name) has \(mine.bytes) bytes, was \(theirs.bytes)"
        : "\(name) has different bytes of the same size (\(mine.bytes))"
    }
    if files.count > other.files.count {
      return "\(MessageText.quoted(files[other.files.count].name)) is new"
    }
    return "\(MessageText.quoted(other.files[files.count].name)) is gone"
  }

  /// Index of the first file whose name, size or hash differs between `files` and `reference`
  /// (a count of files on another rank's corpus), or nil when equal.
  public static func firstDifference(_ files: [UInt64], _ reference: [UInt64]) -> Int? {
    let common = min(files.count, reference.count)
    if let index = (0..<common).first(where: { files[$0] != reference[$0] }) { return index }
    return files.count == reference.count ? nil : min(files.count, reference.count)
  }

  /// One 64-bit word per file (its name, size and hash), for comparing across ranks.
  public var fileWords: [UInt64] {
    files.map { DataFingerprint(files: [$0]).value }
  }

  /// `value` as `0x` and 16 hex digits, as JSON stores it (JSON numbers keep only 53 bits).
  public static func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
  }

  fileprivate static func decodeHex<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K)
    throws -> UInt64
  {
    let text = try c.decode(String.self, forKey: key)
    guard text.hasPrefix("0x"), text.count == 18, let value = UInt64(text.dropFirst(2), radix: 16)
    else {
      throw DecodingError.dataCorruptedError(
        forKey: key, in: c, debugDescription: "expected 0x and 16 hex digits")
    }
    return value
  }

  private func littleEndian(_ value: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
  }

  enum CodingKeys: String, CodingKey {
    case value = "fingerprint"
    case files
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    files = try c.decode([File].self, forKey: .files)
    let stored = try Self.decodeHex(c, .value)
    guard stored == value else {
      throw DecodingError.dataCorruptedError(
        forKey: .value, in: c, debugDescription: "does not match its files")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(Self.hex(value), forKey: .value)
    try c.encode(files, forKey: .files)
  }
}
