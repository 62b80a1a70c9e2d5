import Foundation
import Support

/// What reads the model's last hidden state h (`model.head`).
public enum HeadKind: String, CaseIterable, Sendable {
  /// The tied language-model head: logits = h wteᵀ, next-byte cross-entropy.
  case lm
  /// Concat pooling `[h_last, max_t h_t, mean_t h_t]` into a small MLP over the classes of
  /// `data.classes` (Howard and Ruder 2018, section 3.3).
  case classifier
}

/// What a language-model run reads when `data.classes` names labelled files (`data.lm_text`).
/// The labelled documents of the classifier's test split are left out in every case, wherever
/// their text occurs (any file, matched by content).
public enum LMTextKind: String, CaseIterable, Sendable {
  /// Every file of `data.path`, less the labelled documents outside the classifier's training
  /// split: "the other fortune files plus the unlabelled training text" (ULMFiT stage a).
  case othersAndTrain = "others_and_train"
  /// The files of `data.path` that are not class files, less any document whose text is a
  /// labelled one: general-domain text only.
  case others
  /// The classifier's training documents alone, without labels (ULMFiT stage b).
  case train
}

extension HeadKind: ConfigChoice { static var noun: String { "a head" } }
extension LMTextKind: ConfigChoice { static var noun: String { "a choice of LM text" } }

extension DataConfig {
  /// The class names of ``classes``, in order: comma-separated, spaces around names trimmed,
  /// empty pieces dropped.
  public var classNames: [String] {
    classes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
  }
}

extension RunConfig {
  /// The classifier keys: a classifier head needs two or more distinct classes, each a plain
  /// file name, and a test and validation split that leave training documents.
  func validateClassifier() throws {
    let names = data.classNames
    func refuse(_ key: String, _ value: ConfigValue, _ expected: String) -> ConfigError {
      .invalidValue(key: key, value: value.toml, expected: expected)
    }
    guard data.labelsPerClass >= 0 else {
      throw refuse(
        "data.labels_per_class", .int(data.labelsPerClass),
        "an integer >= 0 (labelled training documents per class; 0 = all)")
    }
    guard model.headHidden > 0 else {
      throw refuse("model.head_hidden", .int(model.headHidden), "an integer > 0")
    }
    let test = data.testFraction
    guard test > 0 && test < 1 && test + data.valFraction < 1 else {
      throw refuse(
        "data.test_fraction", .double(test),
        "a number in (0, 1) with data.val_fraction + data.test_fraction < 1")
    }
    if model.head == .classifier && names.count < 2 {
      throw refuse(
        "data.classes", .string(data.classes),
        "two or more comma-separated fortune files of data.path (model.head = \"classifier\")")
    }
    let pieces = data.classes.split(separator: ",", omittingEmptySubsequences: false)
    if !data.classes.isEmpty, pieces.contains(where: { $0.allSatisfy(\.isWhitespace) }) {
      throw refuse(
        "data.classes", .string(data.classes),
        "comma-separated file names, none of them empty")
    }
    if let bad = names.first(where: { $0.contains("/") || $0.hasPrefix(".") }) {
      throw refuse(
        "data.classes", .string(data.classes),
        "file names inside data.path, not paths (\(MessageText.quoted(bad)))")
    }
    if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
      throw refuse(
        "data.classes", .string(data.classes),
        "each class once (\(MessageText.quoted(twice)) is named twice)")
    }
  }
}
