import Config
import Foundation

/// The `__metadata__` strings `ddp export` writes beside the weights, so a tool that knows
/// nothing of this project can rebuild the model and the whole run from the file alone.
///
/// - `config`: the model section as one JSON object (`vocab_size`, `d_model`, `n_heads`,
///   `n_layers`, `context`, `norm`, `placement`, `attention`, `tokenizer`), unchanged for the
///   readers that already use it (Tests/python/check_safetensors.py checks its keys).
/// - `run_config`: every key of the resolved config as JSON, grouped by section
///   (``RunConfig/jsonText``).
/// - `config_toml`: the same as the run's `config.toml` text, which `ddp train --config` reads.
/// - `step`: the optimizer step the checkpoint was written after, in decimal.
/// - `format`: `pt`, which tells Hugging Face loaders the tensors are PyTorch-shaped.
///
/// safetensors metadata maps strings to strings only, so numbers and objects are text.
public enum ExportMetadata {
  /// The metadata for the weights of `run` written after optimizer step `step`.
  public static func make(run: RunConfig, step: Int) -> [String: String] {
    let m = run.model
    let model: [String: Any] = [
      "vocab_size": m.vocabSize, "d_model": m.dModel, "n_heads": m.nHeads,
      "n_layers": m.nLayers, "context": m.context, "norm": m.norm.rawValue,
      "placement": m.placement.rawValue, "attention": m.attention.rawValue,
      "tokenizer": m.tokenizer,
    ]
    let json =
      (try? JSONSerialization.data(withJSONObject: model, options: [.sortedKeys])) ?? Data()
    return [
      "config": String(decoding: json, as: UTF8.self), "run_config": run.jsonText,
      "config_toml": run.tomlText, "step": String(step), "format": "pt",
    ]
  }
}
