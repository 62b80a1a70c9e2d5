import Config
import Foundation
import Models
import Training
import XCTest

/// `train.init_from` in one process: which tensors a checkpoint, a run folder or a
/// safetensors file gives a model, and which files are refused.
final class InitialWeightsTests: XCTestCase {
  var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("init-from-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    if let folder { try? FileManager.default.removeItem(at: folder) }
  }

  func shape(dModel: Int = 16, layers: Int = 2) -> ModelConfig {
    ModelConfig(dModel: dModel, nHeads: 2, nLayers: layers, context: 8)
  }

  /// A trained source: a run folder holding one checkpoint, and its trainer.
  func source() throws -> (run: String, trainer: Trainer) {
    var config = RunConfig()
    config.model = shape()
    config.train.batch = 4
    config.train.steps = 3
    let trainer = try Trainer(run: config, trainTokens: transferTokens())
    for _ in 0..<3 { _ = trainer.trainStep() }
    let run = folder.appendingPathComponent("source").path
    try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
    try CheckpointIO.save(trainer, in: run, keep: 1)
    return (run, trainer)
  }

  func testCheckpointRunFolderAndSafetensorsGiveTheSameParameters() throws {
    let (run, trainer) = try source()
    let exported = folder.appendingPathComponent("source.safetensors").path
    try SafeTensors.write(
      [trainer.model.parameters, trainer.model.buffers], metadata: [:], to: exported)
    let checkpoint = try CheckpointIO.resolve(run)
    for path in [run, checkpoint, exported] {
      let model = try Transformer(config: shape(), batch: 1, seed: 99)
      let outcome = try InitialWeights.load(
        from: path, parameters: model.parameters, buffers: model.buffers)
      XCTAssertEqual(Array(model.parameters.buffer), Array(trainer.model.parameters.buffer), path)
      XCTAssertEqual(outcome.file, path == run ? checkpoint : path)
      XCTAssertEqual(outcome.loaded, trainer.model.layout.parameters.entries.count)
      XCTAssertEqual(outcome.keptInitial, [])
    }
  }

  /// NaN or an infinity in a file is refused, naming the tensor and the element, before a run
  /// starts from it: a checkpoint (its reader refuses) and a safetensors file alike.
  func testNonFiniteWeightsAreRefused() throws {
    let (_, trainer) = try source()
    let parameters = trainer.model.parameters
    let entry = try XCTUnwrap(parameters.layout.entry("h.1.mlp.fc.weight"))
    for (index, value) in [(0, Float.nan), (7, .infinity), (entry.count - 1, -.infinity)] {
      let saved = parameters.pointer[entry.offset + index]
      parameters.pointer[entry.offset + index] = value
      defer { parameters.pointer[entry.offset + index] = saved }
      let exported = folder.appendingPathComponent("bad-\(index).safetensors").path
      try SafeTensors.write([parameters, trainer.model.buffers], metadata: [:], to: exported)
      let run = folder.appendingPathComponent("bad-\(index)").path
      try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
      try CheckpointIO.save(trainer, in: run, keep: 1)
      let checkpoint = try CheckpointIO.resolve(run)
      for (path, expected) in [
        (exported, "train.init_from: \"\(exported)\" holds \(value) in tensor "),
        (run, "checkpoint: \"\(checkpoint)\" holds \(value) in parameters tensor "),
      ] {
        let model = try Transformer(config: shape(), batch: 1, seed: 1)
        XCTAssertThrowsError(
          try InitialWeights.load(from: path, parameters: model.parameters, buffers: model.buffers)
        ) { error in
          XCTAssertTrue("\(error)".contains(expected), "\(error)")
          XCTAssertTrue(
            "\(error)".contains("\"h.1.mlp.fc.weight\" (element \(index))"), "\(error)")
        }
      }
      // The reader keeps the bits; the commands that use the values refuse them.
      XCTAssertNoThrow(try Checkpoint.read(path: checkpoint))
      XCTAssertThrowsError(try Checkpoint.read(path: checkpoint).requireUsable())
    }
  }

  func testShapeMismatchNamesTheTensorAndBothShapes() throws {
    let (run, _) = try source()
    let wider = try Transformer(config: shape(dModel: 32), batch: 1, seed: 1)
    XCTAssertThrowsError(
      try InitialWeights.load(from: run, parameters: wider.parameters, buffers: wider.buffers)
    ) { error in
      XCTAssertEqual(
        "\(error)",
        "train.init_from: tensor wte.weight has shape (256, 16) in \"\(try! CheckpointIO.resolve(run))\" "
          + "but (256, 32) in this model")
    }
  }

  /// A deeper model keeps its extra block at init and lists it; a shallower one is refused (the
  /// file's extra block is no head); a file's classifier head is skipped.
  func testMissingAndExtraTensors() throws {
    let (run, trainer) = try source()
    let deeper = try Transformer(config: shape(layers: 3), batch: 1, seed: 1)
    let outcome = try InitialWeights.load(
      from: run, parameters: deeper.parameters, buffers: deeper.buffers)
    XCTAssertTrue(outcome.keptInitial.allSatisfy { $0.hasPrefix("h.2.") }, "\(outcome.keptInitial)")
    XCTAssertEqual(outcome.keptInitial.count, 12)
    XCTAssertTrue(outcome.summary.contains("kept at init: h.2.norm_1.weight"), outcome.summary)

    let shallower = try Transformer(config: shape(layers: 1), batch: 1, seed: 1)
    XCTAssertThrowsError(
      try InitialWeights.load(
        from: run, parameters: shallower.parameters, buffers: shallower.buffers)
    ) { error in
      XCTAssertTrue(
        "\(error)".contains("has tensor h.1.norm_1.weight (16) that the model lacks"), "\(error)")
    }

    let head = [Float](repeating: 0.5, count: 6)
    let withHead = folder.appendingPathComponent("classifier.safetensors").path
    try withExtendedLifetime(trainer) {
      let parameters = trainer.model.parameters
      try head.withUnsafeBufferPointer { values in
        try SafeTensors.write(
          tensors: parameters.layout.entries.map {
            (name: $0.name, shape: $0.shape, data: UnsafePointer(parameters.pointer + $0.offset))
          } + [(name: "classifier.weight", shape: [2, 3], data: values.baseAddress!)],
          metadata: [:], to: withHead)
      }
    }
    let model = try Transformer(config: shape(), batch: 1, seed: 1)
    let loaded = try InitialWeights.load(
      from: withHead, parameters: model.parameters, buffers: model.buffers)
    XCTAssertEqual(loaded.skippedHead, ["classifier.weight"])
    XCTAssertEqual(Array(model.parameters.buffer), Array(trainer.model.parameters.buffer))
  }
}
