import Config
import Reports
import Support
import Training

extension ExperimentRunner {
  /// `ddp eval --split test` of a classifier job's final checkpoint (one worker): its JSON
  /// line's accuracy and loss into the job.
  func runTestEval(_ job: inout ExperimentJob, in directory: String) throws {
    let arguments = [
      "eval", "--checkpoint", directory + "/run", "--split", "test", "--batch", "64",
    ]
    (job.accuracy, job.testLoss) = try runEval(job.name, arguments: arguments, in: directory)
  }

  /// Byte n-gram naive Bayes on the classification split `config` reads (its
  /// `data.labels_per_class` training documents), scored on the test split, in this process.
  func runNaiveBayes(_ job: inout ExperimentJob, config: RunConfig) throws {
    let data: TrainingData
    do { data = try TrainingData.load(config) } catch {
      throw RunError("the naive Bayes baseline cannot read its data: \(error)")
    }
    guard let corpus = data.classes else {
      throw RunError("the naive Bayes baseline needs data.classes")
    }
    let model = ByteNGramNaiveBayes(training: corpus.train, classes: corpus.classes.count)
    job.accuracy = model.accuracy(on: corpus.test)
  }
}
