import Foundation
import Reports
import Support
import Training

extension ExperimentRunner {
  /// `ddp eval` of a recall job's final checkpoint (one worker): its JSON line's accuracy and
  /// answer loss into the job.
  func runRecallEval(_ job: inout ExperimentJob, episodes: Int, in directory: String) throws {
    let log = directory + "/eval.log"
    let arguments = [
      "eval", "--checkpoint", directory + "/run", "--episodes", "\(episodes)", "--batch", "64",
    ]
    try JobLauncher.requireSuccess(
      launcher.run(workers: 1, arguments: arguments, log: log, silentLimit: 60),
      job: "evaluation of \(job.name)", log: log)
    let text = (try? FileSystem.text(of: log)) ?? ""
    guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
      let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
      let accuracy = object["accuracy"] as? Double, let loss = object["loss"] as? Double
    else {
      throw RunError("the evaluation of \(job.name) printed no accuracy; see \(log)")
    }
    job.accuracy = accuracy
    job.answerLoss = loss
  }
}
