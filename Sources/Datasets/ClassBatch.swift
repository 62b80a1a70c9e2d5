import Support

/// Batches of labelled documents for a classifier: each row one document's first T bytes,
/// padded, with its length and label.
///
/// A document longer than the context T is cut to its first T bytes (a fortune's opening
/// names its subject; the attribution lines at the end are shared across classes); a shorter
/// one is padded with byte 0 (text never holds NUL, ``TextCheck``). The model is causal, so
/// padding after a document never changes its real positions, and the classifier pools over
/// positions `0..<length` only.
public enum ClassBatch {
  /// The byte after a document's end in a row.
  public static let padding: Int32 = 0

  /// Fills row `row` of `tokens` (B, T) and entry `row` of `lengths` and `labels` (B).
  public static func fill(
    _ document: LabelledDocument, row: Int, context t: Int, tokens: UnsafeMutablePointer<Int32>,
    lengths: UnsafeMutablePointer<Int32>, labels: UnsafeMutablePointer<Int32>
  ) {
    let length = min(document.bytes.count, t)
    let out = tokens + row * t
    for i in 0..<t { out[i] = i < length ? Int32(document.bytes[i]) : padding }
    lengths[row] = Int32(length)
    labels[row] = Int32(document.label)
  }

  /// Draws a global batch of `globalBatch` documents uniformly, with replacement, and fills
  /// rank `rank`'s rows `rank·b ..< (rank+1)·b` (b = globalBatch / workers) into rows 0..<b.
  /// Every rank draws every index, so all generators advance alike and the shards of all
  /// ranks, in rank order, are the batch one worker draws (as ``BatchSampler``).
  ///
  /// - Precondition: `documents` is not empty; `workers` divides `globalBatch`.
  public static func drawShard(
    from documents: [LabelledDocument], generator: inout RandomNumbers, globalBatch: Int,
    rank: Int, workers: Int, context: Int, tokens: UnsafeMutablePointer<Int32>,
    lengths: UnsafeMutablePointer<Int32>, labels: UnsafeMutablePointer<Int32>
  ) {
    precondition(!documents.isEmpty && globalBatch % workers == 0, "no documents to draw")
    let rows = globalBatch / workers
    let shard = rank * rows..<(rank + 1) * rows
    for index in 0..<globalBatch {
      let pick = generator.nextInt(below: documents.count)
      guard shard.contains(index) else { continue }
      fill(
        documents[pick], row: index - shard.lowerBound, context: context, tokens: tokens,
        lengths: lengths, labels: labels)
    }
  }
}
