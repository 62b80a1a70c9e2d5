import Config
import Datasets

/// What a run trains on, as its config says: a language-model corpus, or a classification
/// corpus with the streams of its documents.
///
/// - `data.classes` empty: the corpus of `data.path` (``Corpus/load(path:valFraction:)``).
/// - `model.head = "classifier"`: the labelled class files (``ClassificationCorpus``), at most
///   `data.labels_per_class` training documents of each class; the corpus is their training
///   and validation documents as streams, for logs and fingerprints.
/// - `model.head = "lm"` with `data.classes`: the text `data.lm_text` names, never holding a
///   held-out labelled document (``Corpus/load(path:valFraction:besides:text:)``).
public struct TrainingData: Sendable {
  public let corpus: Corpus
  public let classes: ClassificationCorpus?

  /// Reads the data of `run`.
  ///
  /// - Throws: ``DataError`` naming the path or class that cannot be used.
  public static func load(_ run: RunConfig) throws -> TrainingData {
    let data = run.data
    guard !data.classNames.isEmpty else {
      return TrainingData(
        corpus: try Corpus.load(path: data.path, valFraction: data.valFraction), classes: nil)
    }
    let classes = try ClassificationCorpus.load(
      directory: data.path, classes: data.classNames, valFraction: data.valFraction,
      testFraction: data.testFraction)
    if run.model.head == .classifier {
      // `data.labels_per_class` limits the labels; a language model reads the text of all.
      let labelled = classes.limitingTraining(perClass: data.labelsPerClass)
      for (name, split) in [("training", labelled.train), ("validation", labelled.validation)]
      where split.isEmpty {
        throw DataError(
          "the classifier's \(name) split of data.classes = \"\(data.classes)\" is empty; "
            + "use more classes or other data.val_fraction / data.test_fraction")
      }
      return TrainingData(corpus: Corpus.labelled(labelled), classes: labelled)
    }
    let text: Corpus.ClassText =
      switch data.lmText {
      case .othersAndTrain: .othersAndTrain
      case .others: .others
      case .train: .train
      }
    return TrainingData(
      corpus: try Corpus.load(
        path: data.path, valFraction: data.valFraction, besides: classes, text: text),
      classes: classes)
  }
}
