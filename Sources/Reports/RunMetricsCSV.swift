import Distributed
import Training

/// A run's `metrics.jsonl` as CSV, for spreadsheets and pandas: one header line, then one row
/// per step in the file's order.
///
/// ```
/// step,loss,lr,grad_norm,step_seconds,tokens_per_s,eval_loss,skipped,
///   comm_gradients_seconds,comm_gradients_calls,comm_gradients_bytes,
///   comm_norm_stats_seconds,…,comm_control_bytes,compute_mean_seconds,compute_slowest_seconds
/// 1,5.5451,0.0001,1.23,0.031,2064.5,,false,0,0,0,…,0.027,0.029
/// ```
///
/// `compute_*` are the workers' own CPU seconds in the step (`ComputeSeconds`): the mean over
/// the workers and the slowest; empty in runs recorded before they were measured.
///
/// Numbers are written in Swift's shortest round-trip form, so a reader parsing a cell gets
/// back exactly the double that metrics.jsonl holds. An absent value (`eval_loss` on a step
/// that did not evaluate) or a non-finite one (the null loss of a skipped step) is an empty
/// cell, which pandas reads as NaN and a spreadsheet as blank; never `nan` or `inf`, which
/// tools disagree about. No cell needs quoting: every one is a number or `true` / `false`.
public enum RunMetricsCSV {
  /// The collective categories of the comm columns, in column order.
  public static let categories = CollectiveCategory.allCases

  public static let header: [String] =
    ["step", "loss", "lr", "grad_norm", "step_seconds", "tokens_per_s", "eval_loss", "skipped"]
    + categories.flatMap { category in
      ["seconds", "calls", "bytes"].map { "comm_\(category.rawValue)_\($0)" }
    }
    + ["compute_mean_seconds", "compute_slowest_seconds"]

  /// The CSV text of `steps`, ending with a newline.
  public static func text(_ steps: [StepRecord]) -> String {
    ([header] + steps.map(row)).map { $0.joined(separator: ",") + "\n" }.joined()
  }

  /// The cells of one step, in `header` order.
  public static func row(_ step: StepRecord) -> [String] {
    let figures = [
      cell(step.loss), cell(step.learningRate), cell(step.gradNorm), cell(step.stepSeconds),
      cell(step.tokensPerSecond), step.evalLoss.map(cell) ?? "",
    ]
    let comm = categories.flatMap { category -> [String] in
      let counters = step.comm[category]
      return [cell(counters.seconds), String(counters.calls), String(counters.bytes)]
    }
    let compute = [step.computeSeconds?.mean, step.computeSeconds?.slowest].map {
      $0.map(cell) ?? ""
    }
    return [String(step.step)] + figures + [step.skipped ? "true" : "false"] + comm + compute
  }

  /// `value` in its shortest round-trip form, or an empty cell when it is not finite.
  public static func cell(_ value: Double) -> String {
    value.isFinite ? "\(value)" : ""
  }
}
