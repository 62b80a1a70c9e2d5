import Foundation
import XCTest

/// The tiny run most command tests train: d_model 32, 2 blocks, context 16, 12 steps of batch
/// 4, evaluations at steps 6 and 12, a checkpoint every 4 steps, on `corpus`; `extra` is
/// appended (more `[data]` keys, or whole tables). Written to a new file in `work`; returns
/// its path.
func writeTinyRunConfig(in work: URL, corpus: String, extra: String = "") throws -> String {
  let text = """
    [model]
    d_model = 32
    n_heads = 4
    n_layers = 2
    context = 16
    [train]
    steps = 12
    batch = 4
    warmup = 3
    eval_every = 6
    eval_batches = 2
    checkpoint_every = 4
    keep_checkpoints = 5
    [data]
    path = "\(corpus)"
    val_fraction = 0.2
    \(extra)
    """
  let path = work.appendingPathComponent("run-\(UUID().uuidString).toml").path
  try text.write(toFile: path, atomically: true, encoding: .utf8)
  return path
}

extension XCTestCase {
  /// Writes `text` to a new `.toml` file in the temporary folder, removed when the test ends;
  /// returns its path.
  func writeConfig(_ text: String) throws -> String {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("ddp-config-\(UUID().uuidString).toml")
    try text.write(to: url, atomically: true, encoding: .utf8)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
  }
}
