import Support

/// A value a config key holds, after parsing and type conversion.
enum ConfigValue: Equatable, Sendable {
  case int(Int)
  case double(Double)
  case bool(Bool)
  case string(String)

  /// The value as TOML writes it; floats keep every digit needed to read back the same Double.
  var toml: String {
    switch self {
    case .int(let v): return String(v)
    case .double(let v): return v.isFinite ? "\(v)" : (v.isNaN ? "nan" : v < 0 ? "-inf" : "inf")
    case .bool(let v): return v ? "true" : "false"
    case .string(let v): return MessageText.quoted(v)
    }
  }
}

/// The type a config key accepts.
enum ConfigKind: Sendable {
  case int
  case double
  case bool
  case string
  /// One of `accepted`; `noun` names the kind in messages (`"a norm"`).
  case choice(noun: String, accepted: [String])

  /// What a value of this kind looks like, for messages.
  var expected: String {
    switch self {
    case .int: return "an integer"
    case .double: return "a number"
    case .bool: return "true or false"
    case .string: return "a string"
    case .choice(_, let accepted): return "one of " + accepted.joined(separator: ", ")
    }
  }
}

/// One key of the configuration: where it lives, its type, and how to read and write it.
struct ConfigField: Sendable {
  let section: String
  let name: String
  let kind: ConfigKind
  /// One short phrase, written as a comment beside the key in the resolved TOML.
  let doc: String
  /// The value, or nil for an optional key that is unset (the resolved TOML leaves it out).
  let get: @Sendable (RunConfig) -> ConfigValue?
  /// Stores a value already converted to `kind`; throws only for values the type allows but
  /// the field cannot hold (a negative seed).
  let set: @Sendable (inout RunConfig, ConfigValue) throws -> Void

  /// The dotted name, `section.name`, used in messages and by `--set`.
  var key: String { section + "." + name }
}

extension ConfigField {
  static func int(
    _ section: String, _ name: String, _ path: WritableKeyPath<RunConfig, Int> & Sendable,
    _ doc: String
  ) -> ConfigField {
    ConfigField(
      section: section, name: name, kind: .int, doc: doc, get: { .int($0[keyPath: path]) },
      set: { if case .int(let v) = $1 { $0[keyPath: path] = v } })
  }

  static func double(
    _ section: String, _ name: String, _ path: WritableKeyPath<RunConfig, Double> & Sendable,
    _ doc: String
  ) -> ConfigField {
    ConfigField(
      section: section, name: name, kind: .double, doc: doc,
      get: { .double($0[keyPath: path]) },
      set: { if case .double(let v) = $1 { $0[keyPath: path] = v } })
  }

  /// An optional number: unset (nil) unless the file or `--set` gives it.
  static func optionalDouble(
    _ section: String, _ name: String, _ path: WritableKeyPath<RunConfig, Double?> & Sendable,
    _ doc: String
  ) -> ConfigField {
    ConfigField(
      section: section, name: name, kind: .double, doc: doc,
      get: { $0[keyPath: path].map(ConfigValue.double) },
      set: { if case .double(let v) = $1 { $0[keyPath: path] = v } })
  }

  static func bool(
    _ section: String, _ name: String, _ path: WritableKeyPath<RunConfig, Bool> & Sendable,
    _ doc: String
  ) -> ConfigField {
    ConfigField(
      section: section, name: name, kind: .bool, doc: doc, get: { .bool($0[keyPath: path]) },
      set: { if case .bool(let v) = $1 { $0[keyPath: path] = v } })
  }

  static func string(
    _ section: String, _ name: String, _ path: WritableKeyPath<RunConfig, String> & Sendable,
    _ doc: String
  ) -> ConfigField {
    ConfigField(
      section: section, name: name, kind: .string, doc: doc,
      get: { .string($0[keyPath: path]) },
      set: { if case .string(let v) = $1 { $0[keyPath: path] = v } })
  }

  static func choice<E: ConfigChoice>(
    _ section: String, _ name: String, _ path: WritableKeyPath<RunConfig, E> & Sendable,
    _ doc: String
  ) -> ConfigField {
    ConfigField(
      section: section, name: name, kind: .choice(noun: E.noun, accepted: E.accepted),
      doc: doc, get: { .string($0[keyPath: path].rawValue) },
      set: { if case .string(let v) = $1, let e = E(rawValue: v) { $0[keyPath: path] = e } })
  }

  /// `train.seed`: a TOML integer (signed 64-bit) that must not be negative.
  static let seed = ConfigField(
    section: "train", name: "seed", kind: .int, doc: "initialization, data order, sampling",
    get: { .int(Int(clamping: $0.train.seed)) },
    set: { config, value in
      guard case .int(let v) = value else { return }
      guard v >= 0 else {
        throw ConfigError.invalidValue(
          key: "train.seed", value: String(v), expected: ConfigField.seedRange)
      }
      config.train.seed = UInt64(v)
    })

  static let seedRange = "an integer in 0...\(Int.max)"
}

extension RunConfig {
  /// The section names, in the order the resolved TOML writes them.
  static let sectionNames = ["model", "train", "data", "distributed"]

  /// Every dotted key `--set` accepts, in the order the resolved TOML writes them.
  public static var knownKeys: [String] { fields.map(\.key) }

  /// Every key, grouped by section in `sectionNames` order.
  static let fields: [ConfigField] = [
    .string("model", "tokenizer", \.model.tokenizer, "byte (UTF-8 bytes, vocabulary 256)"),
    .int("model", "d_model", \.model.dModel, "channels C; a multiple of n_heads"),
    .int("model", "n_heads", \.model.nHeads, "attention heads H"),
    .int("model", "n_layers", \.model.nLayers, "blocks L"),
    .int("model", "context", \.model.context, "sequence length T"),
    .choice("model", "norm", \.model.norm, NormKind.accepted.joined(separator: " ")),
    .choice("model", "placement", \.model.placement, Placement.accepted.joined(separator: " ")),
    .choice(
      "model", "attention", \.model.attention, AttentionKind.accepted.joined(separator: " ")),
    .choice("model", "init", \.model.initialization, InitKind.accepted.joined(separator: " ")),
    .choice("model", "head", \.model.head, "lm classifier (classes from data.classes)"),
    .int("model", "head_hidden", \.model.headHidden, "classifier hidden width"),
    .int("model", "chunk", \.model.chunk, "linear, fastweight, fastweight_sum training chunk"),
    .int("train", "steps", \.train.steps, "optimizer steps"),
    .int("train", "batch", \.train.batch, "sequences per step over all workers"),
    .int("train", "grad_accum", \.train.gradAccum, "micro-steps per step; divides batch"),
    .double("train", "lr", \.train.lr, "peak learning rate"),
    .int("train", "warmup", \.train.warmup, "steps of linear warmup"),
    .choice("train", "schedule", \.train.schedule, "cosine constant stlr"),
    .double("train", "min_lr", \.train.minLR, "cosine floor; at most lr"),
    .double("train", "weight_decay", \.train.weightDecay, "AdamW decay on matrices"),
    .double("train", "beta1", \.train.beta1, "AdamW, in [0, 1)"),
    .double("train", "beta2", \.train.beta2, "AdamW, in [0, 1)"),
    .double("train", "clip", \.train.clip, "max global gradient norm; 0 = off"),
    .seed,
    .int("train", "eval_every", \.train.evalEvery, "steps between evaluations; 0 = at end"),
    .int("train", "eval_batches", \.train.evalBatches, "batches per evaluation"),
    .int("train", "checkpoint_every", \.train.checkpointEvery, "steps; 0 = at end only"),
    .int("train", "keep_checkpoints", \.train.keepCheckpoints, "newest checkpoints kept"),
    .bool("train", "skip_nonfinite", \.train.skipNonFinite, "skip steps with NaN/Inf; else stop"),
    .bool(
      "train", "log_layer_gradients", \.train.logLayerGradients,
      "per-block gradient norms in metrics.jsonl"),
    .optionalDouble(
      "train", "memory_limit_gb", \.train.memoryLimitGB, "most GB per worker; unset = no limit"),
    .int("train", "nudge_step", \.train.nudgeStep, "nudge all parameters 1 ulp after it; 0 = off"),
    .string(
      "train", "init_from", \.train.initFrom, "checkpoint, run folder, safetensors; \"\" = none"),
    .double(
      "train", "lr_decay_per_layer", \.train.lrDecayPerLayer, "lr / this^(top - group); 1 = off"),
    .double("train", "stlr_cut_frac", \.train.stlrCutFrac, "stlr: fraction of steps rising"),
    .double("train", "stlr_ratio", \.train.stlrRatio, "stlr: lr / lowest lr"),
    .choice("train", "unfreeze", \.train.unfreeze, "none gradual"),
    .int("train", "unfreeze_every", \.train.unfreezeEvery, "steps between unfreezings (gradual)"),
    .string("data", "path", \.data.path, "text file or directory of text files"),
    .double("data", "val_fraction", \.data.valFraction, "documents held out, in (0, 1)"),
    .string("data", "classes", \.data.classes, "fortune files as labels, a,b,...; empty = none"),
    .double("data", "test_fraction", \.data.testFraction, "labelled test split, in (0, 1)"),
    .choice("data", "lm_text", \.data.lmText, "LM text with classes: never their held-out"),
    .int("data", "labels_per_class", \.data.labelsPerClass, "classifier labels per class; 0 = all"),
    .int("data", "recall_pairs", \.data.recallPairs, "S pairs of recall episodes; 0 = text"),
    .int("data", "recall_keys", \.data.recallKeys, "keys of recall episodes"),
    .int("data", "recall_values", \.data.recallValues, "values; keys x (values + 1) <= 256"),
    .bool("data", "recall_overwrite", \.data.recallOverwrite, "keys repeat, latest value wins"),
    .double("distributed", "bucket_mb", \.distributed.bucketMB, "gradient bucket, MiB"),
    .bool("distributed", "overlap", \.distributed.overlap, "all-reduce during backward"),
    .int("distributed", "check_every", \.distributed.checkEvery, "steps between checks; 0 = off"),
    .bool(
      "distributed", "timing_barriers", \.distributed.timingBarriers,
      "barrier before each all-reduce"),
    .double(
      "distributed", "timeout_s", \.distributed.timeoutS,
      "seconds a collective may wait, then the job ends"),
  ]

  /// The field for `section.name`, if there is one.
  static func field(_ section: String, _ name: String) -> ConfigField? {
    fields.first { $0.section == section && $0.name == name }
  }
}
