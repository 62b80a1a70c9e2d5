import Datasets
import Support

/// One note on standard error when the corpus a command scores is not the one the checkpoint
/// was trained on (`--resume` refuses that; scoring it may be meant, so it is said, not refused).
func noteChangedData(_ corpus: Corpus, trained: DataFingerprint?) {
  guard let trained, let difference = corpus.fingerprint.difference(from: trained) else { return }
  writeErrorLine(
    "ddp: note: \(MessageText.quoted(corpus.path)) changed since the checkpoint was written "
      + "(\(difference)); using it as it is now")
}
