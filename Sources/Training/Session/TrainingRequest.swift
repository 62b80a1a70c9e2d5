import Support

/// What a user asked `ddp train` to do, as the training session needs it (the command line
/// parses it; nothing here knows about argument parsing).
public struct TrainingRequest: Sendable {
  /// The TOML config; nil with `resume`, which uses the run's own `config.toml`.
  public var configPath: String?
  /// `--set key=value` overrides, applied after the file.
  public var overrides: [String]
  /// The run directory to write (or, with `resume`, to continue).
  public var runDirectory: String
  /// Continue the run in `runDirectory` from its newest intact checkpoint.
  public var resume: Bool
  /// Stop with a checkpoint after this step (`--stop-at`); it must lie ahead of a resumed run.
  public var stopAt: Int?
  /// The OpenBLAS threads the command set for each worker, named in the run's first line
  /// (nil when the caller did not set any, as in tests that build a session directly).
  public var blasThreads: BLASThreads?

  public init(
    configPath: String?, overrides: [String], runDirectory: String, resume: Bool,
    stopAt: Int? = nil, blasThreads: BLASThreads? = nil
  ) {
    (self.configPath, self.overrides, self.runDirectory, self.resume, self.stopAt) =
      (configPath, overrides, runDirectory, resume, stopAt)
    self.blasThreads = blasThreads
  }
}
