import Models
import Support

/// `train.init_from`: a new run's parameters (and BatchNorm running statistics) taken from
/// another run's checkpoint, a run folder's newest intact checkpoint, or a safetensors file as
/// `ddp export` writes it; the optimizer starts fresh at step 0 (ULMFiT's stages b and c start
/// from the stage before).
///
/// Tensors are matched by name (``ModelLayout``'s names, those of the export) and must agree in
/// shape. What may differ:
/// - tensors the model has and the file lacks keep their initialization and are listed (a new
///   head, extra blocks);
/// - tensors the file has and the model lacks are skipped and listed when they belong to a head
///   (`classifier.*`: a classifier's head is not part of a language model or of a classifier
///   for other classes); any other one is refused, as it means a different model (another
///   norm kind, more blocks, another attention kind).
public enum InitialWeights {
  /// One tensor of the source file: name, shape and values.
  struct Tensor {
    var name: String
    var shape: [Int]
    var values: ArraySlice<Float>
  }

  /// What a load did, for the run's info line.
  public struct Outcome: Sendable, Equatable {
    /// The file read (a run folder resolves to its newest intact checkpoint).
    public var file: String
    public var loaded: Int
    /// Model tensors the file lacks: left at their initialization.
    public var keptInitial: [String]
    /// File tensors of another head: not loaded.
    public var skippedHead: [String]

    /// One line: `init_from: 42 tensors from FILE; kept at init: ...; skipped head: ...`.
    public var summary: String {
      var line = "init_from: \(counted(loaded, "tensor")) from \(MessageText.quoted(file))"
      if !keptInitial.isEmpty { line += "; kept at init: " + keptInitial.joined(separator: ", ") }
      if !skippedHead.isEmpty {
        line += "; skipped (another head): " + skippedHead.joined(separator: ", ")
      }
      return line
    }
  }

  /// Prefixes of head tensors that a file may hold and a model lack.
  static let headPrefixes = ["classifier."]

  /// Copies the matching tensors of `path` into `parameters` and `buffers`.
  ///
  /// - Throws: ``InitError`` before copying anything for a shape mismatch, an unknown non-head
  ///   tensor or a file that shares no tensor with the model; the file's own errors
  ///   (``CheckpointError``, ``SafeTensorsError``) for one that cannot be read.
  @discardableResult
  public static func load(
    from path: String, parameters: FlatTensors, buffers: FlatTensors
  ) throws -> Outcome {
    let (file, tensors) = try read(path)
    var outcome = Outcome(file: file, loaded: 0, keptInitial: [], skippedHead: [])
    var copies: [(Tensor, UnsafeMutablePointer<Float>)] = []
    for tensor in tensors {
      let target = [parameters, buffers].lazy.compactMap { group in
        group.layout.entry(tensor.name).map { (group, $0) }
      }.first
      guard let (group, entry) = target else {
        guard headPrefixes.contains(where: tensor.name.hasPrefix) else {
          throw InitError(
            "\(MessageText.quoted(file)) has tensor \(displayed(tensor.name)) "
              + "\(shapeText(tensor.shape)) that the model lacks: it was trained with another "
              + "[model] (norm, attention, placement or n_layers)")
        }
        outcome.skippedHead.append(tensor.name)
        continue
      }
      guard entry.shape == tensor.shape else {
        throw InitError(
          "tensor \(tensor.name) has shape \(shapeText(tensor.shape)) in "
            + "\(MessageText.quoted(file)) but \(shapeText(entry.shape)) in this model")
      }
      copies.append((tensor, group.pointer + entry.offset))
    }
    guard !copies.isEmpty else {
      throw InitError("\(MessageText.quoted(file)) shares no tensor with this model")
    }
    let loaded = Set(copies.map(\.0.name))
    outcome.keptInitial = (parameters.layout.entries + buffers.layout.entries).map(\.name)
      .filter { !loaded.contains($0) }
    for (tensor, destination) in copies {
      tensor.values.withUnsafeBufferPointer { source in
        if let base = source.baseAddress { destination.update(from: base, count: source.count) }
      }
    }
    outcome.loaded = copies.count
    return outcome
  }

  /// The file `path` names (a run folder's newest intact checkpoint) and its parameter and
  /// buffer tensors; a checkpoint is told from a safetensors file by its magic bytes.
  ///
  /// - Throws: ``InitError`` with the reader's own message after `train.init_from: `.
  static func read(_ path: String) throws -> (file: String, tensors: [Tensor]) {
    do {
      let file = try CheckpointIO.resolve(path)
      let source = try FileSource(path: file, kind: .checkpoint)
      let magic = Checkpoint.magic
      if source.size >= magic.count, try source.bytes(count: magic.count, at: 0) == magic {
        let checkpoint = try Checkpoint.read(path: file)
        try checkpoint.requireUsable()
        return (file, [checkpoint.parameters, checkpoint.buffers].flatMap(tensors))
      }
      do { return (file, try safetensors(file)) } catch let error as SafeTensorsError {
        throw InitError(
          "\(MessageText.quoted(file)) is not a checkpoint (it does not start with "
            + "\(String(decoding: magic, as: UTF8.self))) and not a readable safetensors file: "
            + "\(error)")
      }
    } catch let error as CheckpointError {
      throw InitError(error.description)
    }
  }

  /// The tensors of a safetensors file.
  /// The tensors of a safetensors file, refusing NaN and infinities as the checkpoint reader
  /// does (a run started from them would stop at its first step).
  private static func safetensors(_ file: String) throws -> [Tensor] {
    let safetensors = try SafeTensors.read(path: file)
    let floats = MemoryLayout<Float>.size
    let tensors = safetensors.tensors.map {
      let range = $0.dataOffsets
      return Tensor(
        name: $0.name, shape: $0.shape,
        values: safetensors.data[range.lowerBound / floats..<range.upperBound / floats])
    }
    for tensor in tensors {
      if let index = tensor.values.firstIndex(where: { !$0.isFinite }) {
        throw InitError(
          "\(MessageText.quoted(file)) holds \(tensor.values[index]) in tensor "
            + "\(MessageText.quoted(tensor.name)) (element \(index - tensor.values.startIndex))")
      }
    }
    return tensors
  }

  private static func tensors(_ group: CheckpointTensors) -> [Tensor] {
    group.layout.entries.map {
      Tensor(name: $0.name, shape: $0.shape, values: group.values[$0.offset..<$0.offset + $0.count])
    }
  }
}

/// Why `train.init_from` could not start a run from its file: one line naming the tensor.
public struct InitError: Error, CustomStringConvertible, Equatable, Sendable {
  public let description: String
  public init(_ message: String) { description = "train.init_from: " + message }
}
