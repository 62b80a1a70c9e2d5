import ArgumentParser

/// Values the parser took that the user cannot have meant. Every option takes the next word
/// as its value (`parsing: .unconditional`, so `--rows -5` reaches the option's own check), so
/// in `ddp train --out --dry-run` the option `--dry-run` became the run's folder and a real
/// 2000-step run started. Refused, in one line like any usage error:
///
/// ```
/// --out --dry-run      the next word is one of the command's own options
/// --out ""             an empty value (the sweeps wrote /points, /results.json)
/// --prompt=            nothing after '=' (the parser then takes the next word)
/// ```
/// `--prompt` and `--long` may be empty (`--prompt ""`, `--long ""`). A value that is an
/// option's name can still be given after `=`: `--prompt=--force`. Checked before parsing, so a
/// swallowed option followed by its own value (`--checkpoint --batch 4`) is named too.
enum OptionValues {
  /// Options whose empty value means something.
  static let mayBeEmpty: Set<String> = ["--prompt", "--long"]

  /// The command the words name (`ddp bench norms ...` → BenchNorms), the default subcommand
  /// of a group when the next word names none.
  static func command(named arguments: ArraySlice<String>) -> any ParsableCommand.Type {
    var command: any ParsableCommand.Type = DDP.self
    var words = arguments.makeIterator()
    while let word = words.next(),
      let next = command.configuration.subcommands.first(where: { $0._commandName == word })
    {
      command = next
    }
    while let fallback = command.configuration.defaultSubcommand { command = fallback }
    return command
  }

  static func check(_ arguments: ArraySlice<String>, of command: any ParsableCommand.Type) throws {
    let help = DDP.helpMessage(for: command, columns: 10_000)
    let names = Set(help.matches(of: /--[a-z][a-z0-9-]*/).map { String($0.output) })
    let takingValues = Set(help.matches(of: /(--[a-z][a-z0-9-]*) </).map { String($0.output.1) })
    let words = Array(arguments)
    var index = 0
    while index < words.count {
      let word = words[index]
      index += 1
      if word == "--" { return }
      let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let name = String(parts[0])
      guard takingValues.contains(name) else { continue }
      let inline = parts.count == 2 ? String(parts[1]) : nil
      if inline == "" {
        throw ValidationError(
          "\(name)= has nothing after '='; write \(name) \"\" for an empty value")
      }
      guard let value = inline ?? (index < words.count ? words[index] : nil) else { return }
      if inline == nil { index += 1 }
      if value.isEmpty && !mayBeEmpty.contains(name) {
        throw ValidationError("\(name) needs a value, got an empty one")
      }
      if inline == nil && (names.contains(value) || value == "-h") {
        throw ValidationError(
          "\(name) needs a value, but the next word is the option \(value) "
            + "(a value spelled like an option goes after '=': \(name)=\(value))")
      }
    }
  }
}
