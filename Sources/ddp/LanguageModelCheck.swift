import Config
import Datasets
import Support

/// Refuses a classifier checkpoint where a command needs a language model: `sample` would draw
/// bytes from class scores, `probe` would measure a next-byte loss the model never trained on.
/// (`classify` refuses the other way round.)
func requireLanguageModel(_ run: RunConfig, path: String, command: String) throws {
  guard run.model.head == .lm else {
    throw DataError(
      "\(MessageText.quoted(path)) is a classifier (model.head = \"\(run.model.head.rawValue)\"); "
        + "ddp \(command) needs a language model (model.head = \"lm\"); ddp classify and "
        + "ddp eval --split take classifiers")
  }
}
