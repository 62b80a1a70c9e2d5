import Config
import Models
import Support

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// Checkpoint files: everything a run needs to continue bit-for-bit, written atomically and
/// checksummed (DESIGN.md section 6).
///
/// A checkpoint holds the parameters, the BatchNorm running statistics ("buffers"), AdamW's two
/// moments and a metadata block (``CheckpointMetadata``: run configuration, step, optimizer
/// step, sampler state, worker count). Files are named `checkpoint-00000500.ckpt` after the step
/// (``fileName(step:)``).
///
/// ### Byte layout (format version 1; all integers and floats little-endian)
///
/// | Offset         | Bytes | Field                                                           |
/// |----------------|-------|-----------------------------------------------------------------|
/// | 0              | 8     | magic: ASCII `DDPCKPT1`                                         |
/// | 8              | 8     | M: UInt64, length of the header                                 |
/// | 16             | M     | header: UTF-8 JSON, padded with spaces to a multiple of 8 bytes |
/// | 16 + M         | 4·P   | `parameters`: Float32, tensor after tensor in header order      |
/// | 16 + M + 4P    | 4·B   | `buffers`: BatchNorm running statistics                         |
/// | 16 + M + 4P+4B | 4·P   | `adam_m`: AdamW first moment, laid out as the parameters        |
/// | 16 + M + 8P+4B | 4·P   | `adam_v`: AdamW second moment                                   |
/// | 16 + M + 4D    | 8     | FNV-1a 64 (UInt64) of every byte before it                      |
///
/// P and B are the parameter and buffer counts, D = 3P + B. The header, keys sorted:
///
/// ```
/// {"format_version": 1,
///  "metadata": {"config_toml": "[model]\n...", "extra": {}, "optimizer_step": 500,
///               "sampler_state": ["16294208416658607535", "...", "...", "..."],
///               "step": 500, "workers": 2},
///  "tensors": {"adam_m": [{"name": "wte.weight", "shape": [256, 128]}, ...],
///              "adam_v": [...], "buffers": [], "parameters": [...]}}
/// ```
///
/// The sampler's state words are decimal strings, not JSON numbers, which many readers hold
/// as doubles (53 bits). The checksum is FNV-1a 64: `h = 0xcbf29ce484222325`, then for each
/// byte `h = (h ^ byte) · 0x100000001b3 mod 2⁶⁴`.
///
/// ### Writing and reading
/// ``write(metadata:parameters:buffers:firstMoment:secondMoment:to:)`` writes
/// `NAME.tmp-PID` in the destination's directory, fsyncs it, renames it into place and fsyncs
/// the directory: the final name only ever holds a complete file. The readers refuse, with one
/// line naming the file, anything but an intact checkpoint: a truncated file, wrong magic,
/// a header that is not the JSON above, a size that disagrees with the header, a checksum
/// mismatch; loading into a model also refuses names and shapes that differ from its layout.
public enum Checkpoint {
  /// The first 8 bytes of every checkpoint.
  public static let magic: [UInt8] = Array("DDPCKPT1".utf8)
  /// The format version this build writes and reads.
  public static let formatVersion = 1
  /// The stored tensor groups, in the order their data follows the header.
  public static let groupNames = ["parameters", "buffers", "adam_m", "adam_v"]
  /// Bytes before the header: magic and header length.
  static let prefixBytes = 16
  /// Bytes of the trailing checksum.
  static let checksumBytes = 8

  /// `checkpoint-00000500.ckpt` for step 500: eight digits, so names sort by step.
  public static func fileName(step: Int) -> String {
    let digits = String(step)
    return "checkpoint-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
      + ".ckpt"
  }

  /// The step in a name made by ``fileName(step:)`` (any number of digits), or nil for other
  /// names, temporary files included.
  public static func step(fromFileName name: String) -> Int? {
    guard name.hasPrefix("checkpoint-"), name.hasSuffix(".ckpt") else { return nil }
    let digits = name.dropFirst("checkpoint-".count).dropLast(".ckpt".count)
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    return Int(digits)
  }

  /// Writes a checkpoint to `path` atomically (see ``Checkpoint``).
  ///
  /// - Parameters:
  ///   - parameters: the model's parameters; their layout names the stored tensors.
  ///   - buffers: BatchNorm running statistics (an empty layout for other norms).
  ///   - firstMoment, secondMoment: AdamW's moments, laid out as `parameters`.
  ///   - afterGroup: called with 0…3 after each group is written to the temporary file (fault
  ///     injection in tests: a process killed there must leave `path` untouched).
  /// - Throws: ``CheckpointError`` when the moments' layout differs from the parameters', the
  ///   metadata holds negative counts, or the file cannot be created, written, flushed or
  ///   renamed. On error no file is left under `path` or the temporary name (a file already
  ///   under `path` stays as it was).
  /// - Complexity: O(size), one pass that writes and checksums.
  public static func write(
    metadata: CheckpointMetadata, parameters: FlatTensors, buffers: FlatTensors,
    firstMoment: FlatTensors, secondMoment: FlatTensors, to path: String,
    afterGroup: ((Int) -> Void)? = nil
  ) throws {
    guard firstMoment.layout == parameters.layout, secondMoment.layout == parameters.layout else {
      throw CheckpointError(
        "cannot write \(quoted(path)): the optimizer moments are laid out differently from the "
          + "parameters")
    }
    if let problem = metadata.problem {
      throw CheckpointError("cannot write \(quoted(path)): \(problem)")
    }
    let groups = [parameters, buffers, firstMoment, secondMoment]
    let header = try encodeHeader(metadata: metadata, layouts: groups.map(\.layout))
    try AtomicFile.write(to: path, failure: FileKind.checkpoint.failure) { file in
      try file.write(magic)
      try file.write(UInt64(header.count))
      try file.write(header)
      for (index, group) in groups.enumerated() {
        try file.write(floats: group.pointer, count: group.count)
        afterGroup?(index)
      }
      try file.write(file.checksum.value)
    }
  }

  /// The JSON header, padded with spaces to a multiple of 8 bytes.
  static func encodeHeader(metadata: CheckpointMetadata, layouts: [TensorLayout]) throws
    -> [UInt8]
  {
    func stored(_ layout: TensorLayout) -> [StoredTensor] {
      layout.entries.map { StoredTensor(name: $0.name, shape: $0.shape) }
    }
    let header = StoredHeader(
      formatVersion: formatVersion, metadata: metadata,
      tensors: StoredGroups(
        parameters: stored(layouts[0]), buffers: stored(layouts[1]), adamM: stored(layouts[2]),
        adamV: stored(layouts[3])))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var bytes: [UInt8]
    do {
      bytes = [UInt8](try encoder.encode(header))
    } catch {
      throw CheckpointError("cannot encode the header: \(error)")
    }
    bytes += [UInt8](repeating: UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8)
    return bytes
  }
}

/// The JSON header of a checkpoint.
struct StoredHeader: Codable {
  var formatVersion: Int
  var metadata: CheckpointMetadata
  var tensors: StoredGroups

  enum CodingKeys: String, CodingKey {
    case formatVersion = "format_version"
    case metadata, tensors
  }
}

/// Names and shapes of the four tensor groups.
struct StoredGroups: Codable {
  var parameters: [StoredTensor]
  var buffers: [StoredTensor]
  var adamM: [StoredTensor]
  var adamV: [StoredTensor]

  enum CodingKeys: String, CodingKey {
    case parameters, buffers
    case adamM = "adam_m"
    case adamV = "adam_v"
  }

  /// In ``Checkpoint/groupNames`` order.
  var all: [[StoredTensor]] { [parameters, buffers, adamM, adamV] }
}

struct StoredTensor: Codable {
  var name: String
  var shape: [Int]
}
