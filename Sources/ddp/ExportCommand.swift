import ArgumentParser
import Config
import Experiments
import Foundation
import Models
import Reports
import Support
import Training

/// `ddp export`: writes a checkpoint's weights as safetensors for other tools.
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export a checkpoint's weights to a .safetensors file.",
    discussion: """
      Little-endian F32 tensors with the names and shapes of DESIGN.md section 3 (PyTorch's \
      (out, in) layout for linear weights, BatchNorm running statistics included) and the \
      model config as JSON in the header's __metadata__["config"].

      The output is written to a temporary file and renamed into place. An existing file is \
      replaced only with --force; a directory, symbolic link, FIFO or device is never written \
      over.

      Example:
        ddp export --checkpoint runs/fortunes --output fortunes.safetensors
      """)

  @Option(help: "Checkpoint file or run directory.") var checkpoint: String
  @Option(help: "The .safetensors file to write.") var output: String
  @Flag(help: "Replace --output if it is an existing regular file.") var force = false

  func run() throws {
    try reportingInputErrors {
      do {
        try FileSystem.requireWritableTarget(output, replacing: force, hint: "use --force")
      } catch let error as FileError { throw SafeTensorsError(error.description) }
    }
    let loaded = try reportingInputErrors { try CheckpointIO.loadModel(from: checkpoint, batch: 1) }
    let m = loaded.run.model
    let config: [String: Any] = [
      "vocab_size": m.vocabSize, "d_model": m.dModel, "n_heads": m.nHeads,
      "n_layers": m.nLayers, "context": m.context, "norm": m.norm.rawValue,
      "placement": m.placement.rawValue, "attention": m.attention.rawValue,
      "tokenizer": m.tokenizer,
    ]
    let json = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
    try reportingInputErrors {
      try SafeTensors.write(
        [loaded.model.parameters, loaded.model.buffers],
        metadata: ["config": String(decoding: json, as: UTF8.self), "format": "pt"],
        to: output, replacing: force)
    }
    print("ddp export: \(loaded.path) → \(output)")
  }
}
