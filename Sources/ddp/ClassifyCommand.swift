import ArgumentParser
import Config
import Datasets
import Foundation
import Kernels
import Models
import Support
import Training

/// `ddp classify`: class probabilities of texts from a classifier checkpoint.
struct ClassifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "classify",
    abstract: "Print a classifier's class probabilities for texts.",
    discussion: """
      PATH may be a checkpoint file or a run directory of a run with model.head = \
      "classifier". Each --text, or else each non-empty line of standard input, is one \
      document (its first model.context bytes are read, as in training); for each, one JSON \
      line: {"text": ..., "label": the most probable class, "probabilities": {class: p, ...}}, \
      the probabilities summing to 1.

      Example:
        ddp classify --checkpoint runs/classify --text "A bug in the compiler."
        ddp classify --checkpoint runs/classify < texts.txt
      """)

  @Option(parsing: .unconditional, help: "Checkpoint file or run directory of a classifier run.")
  var checkpoint: String
  @Option(
    parsing: .unconditionalSingleValue,
    help: "A text to classify (repeatable); without it, lines of standard input.")
  var text: [String] = []

  func run() throws {
    // One process's work: under mpirun rank 0 alone does it and prints it once.
    guard LaunchEnvironment.current.rank == 0 else { return }
    setBLASThreads(1)
    let loaded = try reportingInputErrors {
      try CheckpointIO.loadModel(from: checkpoint, batch: 8)
    }
    let classes = loaded.run.data.classNames
    try reportingInputErrors {
      guard loaded.run.model.head == .classifier, loaded.model.classCount == classes.count else {
        throw DataError(
          "\(MessageText.quoted(loaded.path)) is not a classifier (model.head = "
            + "\"\(loaded.run.model.head.rawValue)\"); train one with model.head = \"classifier\"")
      }
    }
    let texts = try text.isEmpty ? reportingInputErrors { try ClassifyInput.lines() } : text
    try reportingInputErrors {
      guard !texts.isEmpty, !texts.contains(where: \.isEmpty) else {
        throw DataError("nothing to classify: give --text with a non-empty text, or lines on stdin")
      }
    }
    let probabilities = ClassifierEvaluator.probabilities(
      loaded.model, texts: texts.map { Array($0.utf8) })
    try NonFiniteOutput.require(
      probabilities.joined(), "class probabilities", path: loaded.path)
    for (text, p) in zip(texts, probabilities) {
      let best = p.indices.max { p[$0] < p[$1] } ?? 0
      let members = zip(classes, p).map { "\(jsonString($0)): \($1)" }
      print(
        "{\"text\": \(jsonString(text)), \"label\": \(jsonString(classes[best])), "
          + "\"probabilities\": {\(members.joined(separator: ", "))}}")
    }
  }

  /// `text` as a JSON string.
  func jsonString(_ text: String) -> String {
    let data =
      (try? JSONSerialization.data(withJSONObject: [text], options: [])) ?? Data("[\"\"]".utf8)
    return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
  }
}
