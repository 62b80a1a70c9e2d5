import ArgumentParser
import Support

/// `ddp help COMMAND [SUBCOMMAND]`: the argument parser prints the main help, with exit 0, for a
/// word that names no command (`ddp help trian`), so a typo looked like an answer. Each word
/// after `help` must name a subcommand of the one before it.
enum HelpTopic {
  static func check(_ arguments: ArraySlice<String>) throws {
    guard arguments.first == "help" else { return }
    var command: any ParsableCommand.Type = DDP.self
    var path = ["ddp"]
    // Options (`ddp help -h`) are the parser's to judge.
    for word in arguments.dropFirst().prefix(while: { !$0.hasPrefix("-") }) {
      if word == "help" && path.count == 1 { return }  // `ddp help help`: the parser's own
      let subcommands = command.configuration.subcommands
      guard let next = subcommands.first(where: { $0._commandName == word }) else {
        let owner = path.joined(separator: " ")
        let names = subcommands.compactMap { subcommand -> String? in
          let configuration = subcommand.configuration
          return configuration.shouldDisplay ? subcommand._commandName : nil
        }
        throw ValidationError(
          names.isEmpty
            ? "help: \(owner) has no subcommands (\(MessageText.quoted(word)))"
            : "help: \(MessageText.quoted(word)) is not a command of \(owner); choose from "
              + names.joined(separator: ", "))
      }
      command = next
      path.append(word)
    }
  }
}
