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
      Little-endian F32 tensors named as this project names them (wte.weight, \
      h.0.norm_1.weight, h.0.attn.qkv.weight, h.0.mlp.fc.weight, norm_f.weight, ...; the \
      README's "Exported tensors" table lists every name and shape), in PyTorch's (out, in) \
      layout for linear weights, BatchNorm running statistics included. The header's \
      __metadata__ holds the model section as JSON ("config"), every resolved key as JSON \
      ("run_config") and as the run's config.toml text ("config_toml"), and the step the \
      checkpoint was written after ("step").

      The output is written to a temporary file and renamed into place. An existing file is \
      replaced only with --force; a directory, symbolic link, FIFO or device is never written \
      over.

      Example:
        ddp export --checkpoint runs/fortunes --output fortunes.safetensors
      """)

  @Option(parsing: .unconditional, help: "Checkpoint file or run directory.") var checkpoint: String
  @Option(parsing: .unconditional, help: "The .safetensors file to write.") var output: String
  @Flag(help: "Replace --output if it is an existing regular file.") var force = false

  func run() throws {
    // One process's work: under mpirun rank 0 alone does it and prints it once.
    guard LaunchEnvironment.current.rank == 0 else { return }
    try reportingInputErrors {
      do {
        try FileSystem.requireWritableTarget(output, replacing: force, hint: "use --force")
        try FileSystem.requireNotAnInput(output, inputs: [checkpoint])
      } catch let error as FileError { throw SafeTensorsError(error.description) }
    }
    let loaded = try reportingInputErrors { try CheckpointIO.loadModel(from: checkpoint, batch: 1) }
    try reportingInputErrors {
      try SafeTensors.write(
        [loaded.model.parameters, loaded.model.buffers],
        metadata: ExportMetadata.make(run: loaded.run, step: loaded.step),
        to: output, replacing: force)
    }
    print("ddp export: \(loaded.path) → \(output)")
  }
}
