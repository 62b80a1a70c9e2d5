/// The version `ddp --version` prints, kept here alone so a release changes one line.
///
/// A plain semantic version: SwiftPM has no build step that could stamp the git commit into
/// the binary without a plugin that runs git at every build, so the commit is not included
/// (`git -C PACKAGE log -1` names it for a build from a checkout).
enum DDPVersion {
  static let text = "0.9.0"
}
