import Support

/// Decides which documents are held out for validation: by a hash of each document's bytes,
/// so the split is deterministic, independent of the run's seed and of file order, and equal
/// documents (repeated fortunes) always land in the same split.
///
/// A document goes to validation when `u < valFraction`, where u in [0, 1) is the top 53 bits
/// of FNV-1a 64 of its bytes passed through the MurmurHash3 64-bit finalizer (FNV-1a alone
/// mixes the last bytes poorly into the high bits). When a corpus of two or more documents
/// would leave a split empty, the document with the smallest u moves to validation, or the one
/// with the largest u moves to training, each with its copies (so a corpus of one document
/// repeated keeps everything in training).
public enum DocumentSplit {
  /// For each document, whether it is held out for validation.
  public static func assign(_ documents: [[UInt8]], valFraction: Double) -> [Bool] {
    let positions = documents.map(position)
    var held = positions.map { $0 < valFraction }
    guard documents.count >= 2 else { return held }
    if !held.contains(true), let lowest = positions.min() {
      for i in held.indices where positions[i] == lowest { held[i] = true }
    }
    if !held.contains(false), let highest = positions.max() {
      for i in held.indices where positions[i] == highest { held[i] = false }
    }
    return held
  }

  /// Where `document` falls in [0, 1): its hash scaled down.
  public static func position(_ document: [UInt8]) -> Double {
    Double(mix(FNV1a64.hash(document)) >> 11) * 0x1.0p-53
  }

  /// The MurmurHash3 `fmix64` finalizer: every input bit affects every output bit.
  static func mix(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
    z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
    return z ^ (z >> 33)
  }
}
