import Config
import Models

/// One tensor group of a checkpoint read into memory: names and shapes, and the values.
public struct CheckpointTensors: Equatable, Sendable {
  /// The group's name in the file: `parameters`, `buffers`, `adam_m` or `adam_v`.
  public let group: String
  /// The tensors in stored order; offsets index ``values``.
  public let layout: TensorLayout
  /// All values of the group, in layout order.
  public let values: [Float]

  /// The values of the tensor called `name`, or nil.
  public func values(_ name: String) -> ArraySlice<Float>? {
    layout.entry(name).map { values[$0.offset..<$0.offset + $0.count] }
  }
}

/// A checkpoint read and verified in full (``Checkpoint/read(path:)``).
public struct LoadedCheckpoint: Equatable, Sendable {
  /// The file it was read from (a label for data read from memory).
  public let path: String
  public let metadata: CheckpointMetadata
  public let parameters: CheckpointTensors
  /// BatchNorm running statistics (empty for other norms).
  public let buffers: CheckpointTensors
  /// AdamW's first and second moments, laid out as the parameters.
  public let firstMoment: CheckpointTensors
  public let secondMoment: CheckpointTensors

  /// Throws unless every value is one a trained state can hold (`Checkpoint.requireUsable`).
  public func requireUsable() throws {
    for group in [parameters, buffers, firstMoment, secondMoment] {
      try Checkpoint.requireUsable(group, path: path)
    }
  }

  /// Copies the four groups into a model's storage, by name.
  ///
  /// - Throws: ``CheckpointError`` before copying anything when a tensor is missing, extra or
  ///   shaped differently from the destination's layout.
  public func load(
    parameters: FlatTensors, buffers: FlatTensors, firstMoment: FlatTensors,
    secondMoment: FlatTensors
  ) throws {
    let pairs = [
      (self.parameters, parameters), (self.buffers, buffers), (self.firstMoment, firstMoment),
      (self.secondMoment, secondMoment),
    ]
    for (stored, destination) in pairs {
      try Checkpoint.checkCompatible(
        stored: stored.layout, group: stored.group, model: destination.layout, path: path)
    }
    for (stored, destination) in pairs {
      stored.values.withUnsafeBufferPointer { source in
        for entry in stored.layout.entries where entry.count > 0 {
          guard let target = destination.layout.entry(entry.name) else { continue }
          (destination.pointer + target.offset).update(
            from: source.baseAddress! + entry.offset, count: entry.count)
        }
      }
    }
  }
}
