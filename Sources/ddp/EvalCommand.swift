import ArgumentParser
import Config
import Datasets
import Experiments
import Foundation
import Kernels
import Models
import Reports
import Support
import Training

/// `ddp eval`: the mean loss of a checkpoint over a corpus, as one JSON line.
struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Print the mean loss of a checkpoint as {\"loss\": ..., \"tokens\": ...}.",
    discussion: """
      Scores every non-overlapping window of the model's context: of the run's validation \
      split, or of all of --data when given. PATH may be a checkpoint file or a run directory. \
      A classifier (model.head = "classifier") is scored on every document of its validation \
      split, or of --split test: one JSON line (loss, accuracy, documents, classes, confusion \
      as confusion[true][predicted]), then the confusion matrix as a table.
      A run trained on recall episodes (data.recall_pairs > 0) is scored on --episodes new \
      episodes instead: the answer's loss and the accuracy of the most likely answer, \
      {"accuracy": ..., "loss": ..., "tokens": episodes}.

      Example:
        ddp eval --checkpoint runs/fortunes
        ddp eval --checkpoint runs/fortunes/checkpoint-00002000.ckpt --data my.txt
        ddp eval --checkpoint runs/classify --split test
      """)

  @Option(parsing: .unconditional, help: "Checkpoint file or run directory.") var checkpoint: String
  @Option(
    parsing: .unconditional,
    help: "Text file or directory to score instead of the validation split.")
  var data: String?
  @Option(parsing: .unconditional, help: "Sequences per forward pass.") var batch = 16
  @Option(
    parsing: .unconditional,
    help: "Held-out episodes of a recall run (1 to \(Self.maximumEpisodes); default 1024).")
  var episodes: Int?

  /// The most episodes one call scores: minutes at the speed of the recall models here (an
  /// episode of the tiny ones takes ~14 µs), where 2⁶³ ran for ever.
  static let maximumEpisodes = 10_000_000
  @Option(parsing: .unconditional, help: "Classifier runs: the split to score, validation or test.")
  var split: String?

  func validate() throws {
    guard batch > 0 else { throw ValidationError("--batch must be positive, got \(batch)") }
    if let episodes, !(1...Self.maximumEpisodes).contains(episodes) {
      throw ValidationError(
        "--episodes must be between 1 and \(Self.maximumEpisodes), got \(episodes)")
    }
    if let split, !["validation", "test"].contains(split) {
      throw ValidationError("--split must be validation or test, got \"\(split)\"")
    }
  }

  func run() throws {
    // One process's work: under mpirun rank 0 alone does it and prints it once.
    guard LaunchEnvironment.current.rank == 0 else { return }
    setBLASThreads(1)
    let loaded = try reportingInputErrors {
      try CheckpointIO.loadModel(from: checkpoint, batch: batch)
    }
    let scoresEpisodes =
      loaded.run.model.head == .lm && loaded.run.data.recallPairs > 0 && data == nil
    if let episodes, !scoresEpisodes {
      try reportingInputErrors {
        throw DataError(
          "--episodes \(episodes) is for recall runs scored on new episodes (data.recall_pairs "
            + "> 0, no --data); this run is scored on "
            + (loaded.run.model.head == .classifier
              ? "its documents" : data == nil ? "its validation split" : "--data"))
      }
    }
    if loaded.run.model.head == .classifier {
      return try evaluateClassifier(loaded.run, loaded.model, path: loaded.path)
    }
    if let split {
      try reportingInputErrors {
        throw DataError(
          "--split \(split) is for classifier runs; this run's model.head is \"lm\"")
      }
    }
    let context = loaded.run.model.context
    let d = loaded.run.data
    if scoresEpisodes {
      let task = RecallEpisodes(
        pairs: d.recallPairs, keys: d.recallKeys, values: d.recallValues,
        overwrite: d.recallOverwrite)
      // Seeded apart from training's generator (train.seed + 0x9E3779B9).
      let result = RecallEvaluator.evaluate(
        loaded.model, episodes: task, count: episodes ?? 1024,
        seed: loaded.run.train.seed ^ 0x5EED_E7A1)
      try NonFiniteOutput.require([result.loss], "loss values", path: loaded.path)
      let json = try JSONSerialization.data(
        withJSONObject: [
          "accuracy": result.accuracy, "loss": result.loss, "tokens": result.episodes,
        ], options: [.sortedKeys])
      print(String(decoding: json, as: UTF8.self))
      return
    }
    let tokens: [UInt8] = try reportingInputErrors {
      if let data {
        let all = try Corpus.loadWhole(path: data)
        guard all.count > context else {
          throw DataError(
            "\"\(data)\" has \(counted(all.count, "token")), fewer than one context window of "
              + "\(context + 1)")
        }
        return all
      }
      let corpus = try TrainingData.load(loaded.run).corpus
      try corpus.check(context: context)
      noteChangedData(corpus, trained: loaded.data)
      return corpus.validation
    }
    let windows = ValidationWindows(tokens: tokens, context: context)
    let result = Evaluator.loss(
      of: loaded.model, windows: windows, indices: Array(0..<windows.count))
    try NonFiniteOutput.require([result.loss], "loss values", path: loaded.path)
    let json = try JSONSerialization.data(
      withJSONObject: ["loss": result.loss, "tokens": result.tokens], options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
  }

  /// Loss, accuracy and confusion matrix of a classifier on its validation or test split.
  func evaluateClassifier(_ run: RunConfig, _ model: Transformer, path: String) throws {
    if data != nil {
      try reportingInputErrors {
        throw DataError("--data scores language models; a classifier is scored on --split")
      }
    }
    let name = split ?? "validation"
    let classes = try reportingInputErrors { try TrainingData.load(run).classes }
    guard let classes, let documents = classes.split(name), !documents.isEmpty else {
      return try reportingInputErrors {
        throw DataError("the run's \(name) split has no documents")
      }
    }
    let result = ClassifierEvaluator.evaluate(model, documents: documents)
    try NonFiniteOutput.require([result.loss], "loss values", path: path)
    let json = try JSONSerialization.data(
      withJSONObject: [
        "loss": result.loss, "accuracy": result.accuracy, "documents": result.documents,
        "split": name, "classes": classes.classes, "confusion": result.confusion,
      ], options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
    var table = TextTable(
      [TextTable.Column("true \\ predicted")]
        + classes.classes.map { TextTable.Column($0, alignment: .right) })
    for (label, row) in result.confusion.enumerated() {
      table.append([classes.classes[label]] + row.map(String.init))
    }
    print(table.text())
    print(
      "accuracy \(String(format: "%.4f", result.accuracy)) on \(result.documents) \(name) "
        + "documents, loss \(String(format: "%.4f", result.loss))")
  }
}
