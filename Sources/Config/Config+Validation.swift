import Support

extension RunConfig {
  /// Checks every value is possible, throwing a ``ConfigError`` for the first one that is not.
  ///
  /// `load` calls this after applying the overrides; call it yourself on a configuration built
  /// in code. A configuration that passes writes a ``tomlText`` that loads back equal.
  public func validate() throws {
    let tokenizers = ["byte"]
    guard tokenizers.contains(model.tokenizer) else {
      throw ConfigError.notAChoice(
        key: "model.tokenizer", value: MessageText.quoted(model.tokenizer), noun: "a tokenizer",
        accepted: tokenizers)
    }
    let positive: [(String, Int)] = [
      ("model.d_model", model.dModel), ("model.n_heads", model.nHeads),
      ("model.n_layers", model.nLayers), ("model.context", model.context),
      ("model.chunk", model.chunk),
      ("train.steps", train.steps), ("train.batch", train.batch),
      ("train.grad_accum", train.gradAccum), ("train.eval_batches", train.evalBatches),
      ("train.keep_checkpoints", train.keepCheckpoints),
    ]
    for (key, value) in positive {
      try require(value > 0, key, .int(value), "an integer > 0")
    }
    let nonNegative: [(String, Int)] = [
      ("train.warmup", train.warmup), ("train.eval_every", train.evalEvery),
      ("train.checkpoint_every", train.checkpointEvery), ("train.nudge_step", train.nudgeStep),
      ("distributed.check_every", distributed.checkEvery),
    ]
    for (key, value) in nonNegative {
      try require(value >= 0, key, .int(value), "an integer >= 0")
    }
    try require(
      model.dModel % model.nHeads == 0, "model.d_model", .int(model.dModel),
      "a multiple of model.n_heads = \(model.nHeads)")
    try require(
      train.batch % train.gradAccum == 0, "train.batch", .int(train.batch),
      "a multiple of train.grad_accum = \(train.gradAccum)")
    guard train.seed <= UInt64(Int.max) else {
      throw ConfigError.invalidValue(
        key: "train.seed", value: String(train.seed), expected: ConfigField.seedRange)
    }
    try validateRates()
    try validateTransfer()
    try validateClassifier()
    guard footprint(microBatch: train.batch / train.gradAccum) != nil else {
      throw ConfigError.impossibleSize(
        "model.d_model = \(model.dModel), model.n_layers = \(model.nLayers), model.context = "
          + "\(model.context), train.batch = \(train.batch) and train.eval_batches = "
          + "\(train.evalBatches) give sizes that overflow 64-bit integers; no machine holds "
          + "such a run")
    }
  }

  /// The floating-point keys: learning rates, AdamW, clipping, split and bucket size.
  private func validateRates() throws {
    let lr = train.lr
    try require(lr.isFinite && lr > 0, "train.lr", .double(lr), "a finite number > 0")
    try require(
      train.minLR.isFinite && train.minLR >= 0, "train.min_lr", .double(train.minLR),
      "a finite number >= 0")
    try require(
      train.minLR <= lr, "train.min_lr", .double(train.minLR),
      "a number <= train.lr = \(ConfigValue.double(lr).toml)")
    let nonNegative: [(String, Double)] = [
      ("train.weight_decay", train.weightDecay), ("train.clip", train.clip),
    ]
    for (key, value) in nonNegative {
      try require(value.isFinite && value >= 0, key, .double(value), "a finite number >= 0")
    }
    for (key, value) in [("train.beta1", train.beta1), ("train.beta2", train.beta2)] {
      try require(value >= 0 && value < 1, key, .double(value), "a number in [0, 1)")
    }
    let fraction = data.valFraction
    try require(
      fraction > 0 && fraction < 1, "data.val_fraction", .double(fraction),
      "a number in (0, 1), exclusive")
    try require(!data.path.isEmpty, "data.path", .string(data.path), "a non-empty path")
    try validateRecall()
    if let limit = train.memoryLimitGB {
      try require(
        limit.isFinite && limit > 0, "train.memory_limit_gb", .double(limit),
        "a finite number of GB > 0 (leave the key out for no limit)")
    }
    let bucket = distributed.bucketMB
    let largestBucket = DistributedConfig.largestBucketMB
    try require(
      bucket.isFinite && bucket > 0 && bucket <= largestBucket, "distributed.bucket_mb",
      .double(bucket),
      "MiB, a number > 0 and <= \(ConfigValue.double(largestBucket).toml) (1 TiB)")
    let timeout = distributed.timeoutS
    let largest = DistributedConfig.largestTimeoutSeconds
    let shortest = DistributedConfig.shortestTimeoutSeconds
    try require(
      timeout.isFinite && timeout >= shortest && timeout <= largest, "distributed.timeout_s",
      .double(timeout),
      "seconds, a number >= \(ConfigValue.double(shortest).toml) and <= "
        + "\(ConfigValue.double(largest).toml) (one day)")
  }

  /// The transfer keys: discriminative rates, STLR and unfreezing.
  private func validateTransfer() throws {
    let decay = train.lrDecayPerLayer
    try require(
      decay.isFinite && decay >= 1, "train.lr_decay_per_layer", .double(decay),
      "a finite number >= 1 (1 = one rate for every layer group; ULMFiT uses 2.6)")
    let cut = train.stlrCutFrac
    try require(cut > 0 && cut < 1, "train.stlr_cut_frac", .double(cut), "a number in (0, 1)")
    let ratio = train.stlrRatio
    try require(
      ratio.isFinite && ratio >= 1, "train.stlr_ratio", .double(ratio), "a finite number >= 1")
    try require(
      train.unfreezeEvery > 0, "train.unfreeze_every", .int(train.unfreezeEvery), "an integer > 0")
  }

  private func require(
    _ condition: Bool, _ key: String, _ value: ConfigValue, _ expected: String
  ) throws {
    guard condition else {
      throw ConfigError.invalidValue(key: key, value: value.toml, expected: expected)
    }
  }
}
