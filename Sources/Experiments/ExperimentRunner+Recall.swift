import Foundation
import Reports
import Support
import Training

extension ExperimentRunner {
  /// `ddp eval` of a recall job's final checkpoint (one worker): its JSON line's accuracy and
  /// answer loss into the job.
  func runRecallEval(_ job: inout ExperimentJob, episodes: Int, in directory: String) throws {
    let arguments = [
      "eval", "--checkpoint", directory + "/run", "--episodes", "\(episodes)", "--batch", "64",
    ]
    (job.accuracy, job.answerLoss) = try runEval(job.name, arguments: arguments, in: directory)
  }

  /// `ddp ARGUMENTS` (an evaluation) on one worker, logged to `eval.log`: the accuracy and
  /// loss of the last JSON line it printed.
  func runEval(_ name: String, arguments: [String], in directory: String) throws
    -> (accuracy: Double, loss: Double)
  {
    let log = directory + "/eval.log"
    try JobLauncher.requireSuccess(
      launcher.run(workers: 1, arguments: arguments, log: log, silentLimit: 60),
      job: "evaluation of \(name)", log: log)
    let text = (try? FileSystem.text(of: log)) ?? ""
    guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
      let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
      let accuracy = object["accuracy"] as? Double, let loss = object["loss"] as? Double
    else {
      throw RunError("the evaluation of \(name) printed no accuracy; see \(log)")
    }
    return (accuracy, loss)
  }
}
