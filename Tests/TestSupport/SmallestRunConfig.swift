import Foundation

/// The smallest training run the process tests launch (one layer, d_model 16, 2 heads, context
/// 8, batch 4, one warm-up step, no evaluation, no periodic checkpoint), `steps` steps long,
/// written to `folder/tiny.toml`; returns its path.
public func writeSmallestRunConfig(in folder: URL, steps: Int) throws -> String {
  let path = folder.appendingPathComponent("tiny.toml").path
  try """
  [model]
  d_model = 16
  n_heads = 2
  n_layers = 1
  context = 8
  [train]
  steps = \(steps)
  batch = 4
  warmup = 1
  eval_every = 0
  eval_batches = 1
  checkpoint_every = 0
  """.write(toFile: path, atomically: true, encoding: .utf8)
  return path
}
