/// Every experiment `ddp experiment` runs, by name.
public enum ExperimentCatalog {
  public static let names = [
    GradientsExperiment.name, WarmupExperiment.name, DepthExperiment.name,
    RecallExperiment.name, AttentionExperiment.name, UlmfitExperiment.name,
  ]

  /// The experiment called `name`, or nil.
  public static func experiment(named name: String, settings: ExperimentSettings)
    -> (any Experiment)?
  {
    switch name {
    case GradientsExperiment.name: return GradientsExperiment(settings: settings)
    case WarmupExperiment.name: return WarmupExperiment(settings: settings)
    case DepthExperiment.name: return DepthExperiment(settings: settings)
    case RecallExperiment.name: return RecallExperiment(settings: settings)
    case AttentionExperiment.name: return AttentionExperiment(settings: settings)
    case UlmfitExperiment.name: return UlmfitExperiment(settings: settings)
    default: return nil
    }
  }
}
