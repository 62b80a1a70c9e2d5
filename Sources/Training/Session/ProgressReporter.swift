import Distributed
import Foundation
import Support

#if canImport(Glibc)
  import Glibc
#endif

/// Progress of a long run on standard output: one line rewritten in place on a terminal
/// (step, loss, tokens/s, ETA), plain lines every `plainEvery` steps otherwise (logs, CI).
public struct ProgressReporter {
  public let totalSteps: Int
  /// False on ranks other than 0, which print nothing.
  public let enabled: Bool
  /// One line redrawn in place on a terminal. Under a launcher only when it says its own
  /// output is a terminal (`launch/ddp` sets DDP_TERMINAL=1 then): OpenMPI hands every rank a
  /// pseudo-terminal whatever mpirun's own output is (often a log file), so plain lines there.
  public let interactive =
    isatty(STDOUT_FILENO) == 1
    && (LaunchEnvironment.current.launch == .single
      || ProcessInfo.processInfo.environment["DDP_TERMINAL"] == "1")
  public var plainEvery: Int { max(1, totalSteps / 20) }
  private var lastDraw: Double = 0

  public init(totalSteps: Int, enabled: Bool = true) {
    self.totalSteps = totalSteps
    self.enabled = enabled
  }

  public mutating func update(
    step: Int, loss: Double, tokensPerSecond: Double, elapsed: Double,
    stepsThisSession: Int
  ) {
    guard enabled else { return }
    let remaining = Double(totalSteps - step) * elapsed / Double(max(1, stepsThisSession))
    let line =
      "step \(step)/\(totalSteps)  loss \(fmt(loss, 4))  "
      + "\(Int(tokensPerSecond)) tok/s  ETA \(duration(remaining))"
    if interactive {
      let now = Date().timeIntervalSince1970
      guard now - lastDraw > 0.1 || step == totalSteps else { return }
      lastDraw = now
      print("\r\u{1B}[K" + line, terminator: "")
      fflush(nil)
    } else if step % plainEvery == 0 || step == totalSteps {
      print(line)
      fflush(nil)
    }
  }

  /// Prints a line that must stay (an evaluation, a checkpoint) without breaking the progress.
  public func note(_ text: String) {
    guard enabled else { return }
    print(interactive ? "\r\u{1B}[K" + text : text)
    fflush(nil)
  }

  public func finish() { if enabled && interactive { print("") } }
}

public func duration(_ seconds: Double) -> String {
  guard seconds.isFinite else { return "?" }
  let s = Int(seconds.rounded())
  return s >= 3600
    ? "\(s / 3600)h\(String(format: "%02d", s / 60 % 60))m"
    : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
}
