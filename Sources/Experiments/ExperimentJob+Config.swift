import Config
import Reports

extension ExperimentJob {
  /// The record of a job that runs `config` with `workers` workers: the placement, the
  /// initialization, the model's depth and width and the schedule (lr, warmup, steps) are
  /// read from the config, so a record cannot disagree with the run it describes. Fields of
  /// one experiment (attention kind, pairs, method, ...) are set by the caller.
  init(name: String, experiment: String, config: RunConfig, seed: UInt64, workers: Int) {
    self.init(
      name: name, experiment: experiment, placement: config.model.placement.rawValue,
      initialization: config.model.initialization.rawValue, layers: config.model.nLayers,
      dModel: config.model.dModel, seed: seed, lr: config.train.lr,
      warmup: config.train.warmup, steps: config.train.steps, workers: workers)
  }
}
