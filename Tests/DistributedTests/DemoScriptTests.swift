import Foundation
import XCTest

/// `launch/demo`: a mistyped option fails at once, before the set-up and the release build.
final class DemoScriptTests: XCTestCase {
  let script = packageRoot.appendingPathComponent("launch/demo").path

  func testBadArgumentsFailBeforeTheSetUp() throws {
    let cases: [([String], String)] = [
      (["--bogus"], "unknown option '--bogus'"),
      (["--steps=3", "--bogus=1"], "unknown option '--bogus'"),
      (["--cluster", "--workers"], "--workers needs a value"),
      (["--steps"], "--steps needs a value"),
      (["runs/x"], "unexpected argument 'runs/x'"),
    ]
    for (arguments, message) in cases {
      let started = Date()
      let outcome = try runProcess("/bin/bash", [script] + arguments)
      XCTAssertEqual(outcome.status, 2, "\(arguments)")
      // One line: the set-up and the build would have added their own.
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, "\(arguments)")
      XCTAssertTrue(outcome.stderr.hasPrefix("launch/demo: "), outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
      XCTAssertLessThan(Date().timeIntervalSince(started), 10, "\(arguments)")
    }
  }

  /// The README's test command takes no arguments: a stray one must not start a 10-minute run.
  func testTheTestCommandRefusesArguments() throws {
    let script = packageRoot.appendingPathComponent("launch/test").path
    for argument in ["--bogus", "CommandLineTests"] {
      let outcome = try runProcess("/bin/bash", [script, argument])
      XCTAssertEqual(outcome.status, 2, argument)
      XCTAssertEqual(
        outcome.stderr,
        "launch/test: takes no arguments, got '\(argument)' (swift test -c release --filter NAME "
          + "runs some tests)\n")
    }
  }

  /// The script's list of `ddp compare` options that take a value is the one `ddp compare
  /// --help` prints; its flags are --cluster (the script's own) and the parser's.
  func testKnowsTheOptionsOfDDPCompare() throws {
    guard FileManager.default.isExecutableFile(atPath: ddpExecutable) else {
      throw XCTSkip("\(ddpExecutable) is missing: run `swift build -c release` first")
    }
    let help = try runProcess(ddpExecutable, ["compare", "--help"])
    XCTAssertEqual(help.status, 0, help.stderr)
    let usage = try XCTUnwrap(
      help.stdout.split(separator: "\n").first { $0.hasPrefix("USAGE: ddp compare") })
    let bracketed = try Regex(#"\[(--[a-z-]+)( <[a-z-]+>)?"#)
    var withValues = Set<String>()
    var flags = Set<String>()
    for match in usage.matches(of: bracketed) {
      let name = String(match.output[1].substring!)
      if match.output[2].substring == nil { flags.insert(name) } else { withValues.insert(name) }
    }
    XCTAssertFalse(withValues.isEmpty, String(usage))
    let text = try String(contentsOfFile: script, encoding: .utf8)
    let line = try XCTUnwrap(
      text.split(separator: "\n").first { $0.hasPrefix("compare_options_with_values=") })
    let listed = Set(line.split(separator: "\"")[1].split(separator: " ").map(String.init))
    XCTAssertEqual(listed, withValues)
    XCTAssertTrue(flags.isSubset(of: ["--cluster", "--version", "--help"]), "\(flags)")
  }
}
