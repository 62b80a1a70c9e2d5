/// A complete run configuration: the model, the training recipe, the data and the
/// data-parallel settings.
///
/// Load one with ``load(path:overrides:)`` or ``load(tomlText:overrides:)``; both apply the
/// `--set section.key=value` overrides on top of the file and refuse anything invalid with a
/// ``ConfigError``. ``tomlText`` writes every key back, so a run directory can keep the resolved
/// configuration and loading that text gives an equal value.
///
/// ```toml
/// [model]        # tokenizer d_model n_heads n_layers context norm placement attention init
///                # chunk head head_hidden
/// [train]        # steps batch grad_accum lr warmup schedule min_lr weight_decay beta1 beta2
///                # clip seed eval_every eval_batches checkpoint_every keep_checkpoints
///                # skip_nonfinite memory_limit_gb (optional: left out, no limit)
///                # init_from lr_decay_per_layer stlr_cut_frac stlr_ratio unfreeze unfreeze_every
/// [data]         # path val_fraction classes test_fraction lm_text labels_per_class
/// [distributed]  # bucket_mb overlap check_every timing_barriers timeout_s
/// ```
public struct RunConfig: Sendable, Equatable {
  /// The `[model]` section: shapes and the kinds of norm, placement and attention.
  public var model: ModelConfig {
    didSet { model.classCount = data.classNames.count }
  }
  /// The `[train]` section: optimizer, schedule, batch, evaluation and checkpoints.
  public var train: TrainConfig
  /// The `[data]` section: the corpus and the validation split.
  public var data: DataConfig {
    didSet { model.classCount = data.classNames.count }
  }
  /// The `[distributed]` section: gradient bucketing, overlap and consistency checks.
  public var distributed: DistributedConfig

  /// Creates a configuration; every section defaults to its own defaults.
  public init(
    model: ModelConfig = ModelConfig(), train: TrainConfig = TrainConfig(),
    data: DataConfig = DataConfig(), distributed: DistributedConfig = DistributedConfig()
  ) {
    self.model = model
    self.train = train
    self.data = data
    self.distributed = distributed
    self.model.classCount = data.classNames.count
  }
}

/// The `[model]` section: a decoder-only Transformer's shapes and kinds (DESIGN.md section 3).
public struct ModelConfig: Sendable, Equatable {
  /// `tokenizer`: how text becomes tokens; only `"byte"` (UTF-8 bytes) exists.
  public var tokenizer: String
  /// `d_model`: channels C of the residual stream; a multiple of ``nHeads``.
  public var dModel: Int
  /// `n_heads`: attention heads H.
  public var nHeads: Int
  /// `n_layers`: Transformer blocks L.
  public var nLayers: Int
  /// `context`: maximum sequence length T (rows of the position embedding).
  public var context: Int
  /// `norm`: the normalization used in every block and in the final norm.
  public var norm: NormKind
  /// `placement`: where the norms sit relative to the residual stream.
  public var placement: Placement
  /// `attention`: the attention kind of every block.
  public var attention: AttentionKind
  /// `init`: how weights are drawn (GPT-2's scaled normal, or Xavier as in Xiong et al.).
  public var initialization: InitKind
  /// `chunk`: positions per chunk of the chunkwise training kernels of `linear`, `fastweight`
  /// and `fastweight_sum` attention (any value ≥ 1; above `context` it is the whole sequence).
  public var chunk: Int
  /// `head`: what reads the last hidden state: the tied language-model head or a classifier.
  public var head: HeadKind = .lm
  /// `head_hidden`: width of the classifier's hidden layer (ULMFiT uses 50).
  public var headHidden: Int = 50
  /// Classes K of the classifier head: not a key, the count of `data.classes`, kept in step by
  /// ``RunConfig`` (so a layout built from the model section alone has the head's shapes).
  public var classCount: Int = 0

  /// Vocabulary size V implied by ``tokenizer`` (256 for `"byte"`).
  public var vocabSize: Int { 256 }
  /// Channels per head, `dModel / nHeads`.
  public var headSize: Int { nHeads > 0 ? dModel / nHeads : 0 }

  /// Creates a model section; the defaults are a small pre-LN softmax model.
  public init(
    tokenizer: String = "byte", dModel: Int = 128, nHeads: Int = 4, nLayers: Int = 4,
    context: Int = 64, norm: NormKind = .layernorm, placement: Placement = .pre,
    attention: AttentionKind = .softmax, initialization: InitKind = .gpt2, chunk: Int = 64
  ) {
    self.tokenizer = tokenizer
    self.dModel = dModel
    self.nHeads = nHeads
    self.nLayers = nLayers
    self.context = context
    self.norm = norm
    self.placement = placement
    self.attention = attention
    self.initialization = initialization
    self.chunk = chunk
  }
}

/// The `[train]` section: AdamW, the learning-rate schedule, batching, evaluation, checkpoints.
public struct TrainConfig: Sendable, Equatable {
  /// `steps`: optimizer steps in the run.
  public var steps: Int
  /// `batch`: sequences per optimizer step summed over all workers and accumulation steps.
  public var batch: Int
  /// `grad_accum`: micro-steps accumulated per optimizer step; divides ``batch``.
  public var gradAccum: Int
  /// `lr`: peak learning rate, reached at the end of warmup.
  public var lr: Double
  /// `warmup`: steps of linear warmup from 0 to ``lr``.
  public var warmup: Int
  /// `schedule`: the learning-rate shape after warmup.
  public var schedule: ScheduleKind
  /// `min_lr`: the learning rate the cosine schedule ends at; at most ``lr``.
  public var minLR: Double
  /// `weight_decay`: AdamW decoupled weight decay on matrices (not on vectors).
  public var weightDecay: Double
  /// `beta1`: AdamW first-moment decay, in [0, 1).
  public var beta1: Double
  /// `beta2`: AdamW second-moment decay, in [0, 1).
  public var beta2: Double
  /// `clip`: maximum global gradient norm; 0 turns clipping off.
  public var clip: Double
  /// `seed`: seeds initialization, data order and sampling; at most `Int64.max` (TOML integers
  /// are signed 64-bit).
  public var seed: UInt64
  /// `eval_every`: steps between validation evaluations; 0 evaluates only at the end.
  public var evalEvery: Int
  /// `eval_batches`: batches averaged per validation evaluation.
  public var evalBatches: Int
  /// `checkpoint_every`: steps between checkpoints; 0 writes only the final one.
  public var checkpointEvery: Int
  /// `keep_checkpoints`: how many of the newest checkpoints are kept.
  public var keepCheckpoints: Int
  /// `skip_nonfinite`: a step whose loss or gradient holds NaN or Inf is skipped (no update;
  /// the data and schedule move on) instead of stopping the run.
  public var skipNonFinite: Bool
  /// `log_layer_gradients`: each metrics.jsonl record carries every block's weight-gradient
  /// norms (attention qkv and proj, MLP fc and proj); off by default (4·L numbers a step).
  public var logLayerGradients: Bool
  /// `memory_limit_gb`: the most memory one worker may need, in GB (10^9 bytes), as
  /// estimated before anything is allocated (``Footprint``); a run that needs more is refused.
  /// nil (the key left out) sets no limit beyond the memory the machine has available. For a
  /// shared machine or a job whose scheduler kills it at a limit the kernel does not show.
  public var memoryLimitGB: Double?
  /// `nudge_step`: after this optimizer step, every parameter moves by one ulp (0: never).
  /// A twin of a run that differs from it by float noise alone: `ddp compare` measures how far
  /// such noise carries in the sweep's own runs, the scale its parity verdict is judged on.
  public var nudgeStep: Int

  // MARK: Transfer (ULMFiT, Howard & Ruder 2018; README "Transfer")

  /// `init_from`: parameters to start from: a checkpoint file, a run folder (its newest intact
  /// checkpoint) or a safetensors file as `ddp export` writes it; `""` starts from the seed's
  /// initialization. Parameters only: the optimizer starts fresh at step 0.
  public var initFrom = ""
  /// `lr_decay_per_layer`: discriminative learning rates; layer group g trains at
  /// `lr / lr_decay_per_layer^(top − g)` (1: every group at `lr`; ULMFiT uses 2.6).
  public var lrDecayPerLayer = 1.0
  /// `stlr_cut_frac`: with `schedule = "stlr"`, the fraction of the steps spent rising.
  public var stlrCutFrac = 0.1
  /// `stlr_ratio`: with `schedule = "stlr"`, how much smaller the lowest rate is than `lr`.
  public var stlrRatio = 32.0
  /// `unfreeze`: `none` trains every layer group from the start; `gradual` starts with the top
  /// group alone and unfreezes one more group downwards every ``unfreezeEvery`` steps.
  public var unfreeze = UnfreezeKind.none
  /// `unfreeze_every`: steps between two unfreezings with `unfreeze = "gradual"`.
  public var unfreezeEvery = 100

  /// Creates a train section; the defaults are the `configs/fortunes.toml` recipe.
  public init(
    steps: Int = 2000, batch: Int = 16, gradAccum: Int = 1, lr: Double = 1e-3, warmup: Int = 100,
    schedule: ScheduleKind = .cosine, minLR: Double = 1e-4, weightDecay: Double = 0.1,
    beta1: Double = 0.9, beta2: Double = 0.95, clip: Double = 1.0, seed: UInt64 = 1337,
    evalEvery: Int = 200, evalBatches: Int = 20, checkpointEvery: Int = 500,
    keepCheckpoints: Int = 2, skipNonFinite: Bool = false, logLayerGradients: Bool = false,
    memoryLimitGB: Double? = nil,
    nudgeStep: Int = 0
  ) {
    self.steps = steps
    self.batch = batch
    self.gradAccum = gradAccum
    self.lr = lr
    self.warmup = warmup
    self.schedule = schedule
    self.minLR = minLR
    self.weightDecay = weightDecay
    self.beta1 = beta1
    self.beta2 = beta2
    self.clip = clip
    self.seed = seed
    self.evalEvery = evalEvery
    self.evalBatches = evalBatches
    self.checkpointEvery = checkpointEvery
    self.keepCheckpoints = keepCheckpoints
    self.skipNonFinite = skipNonFinite
    self.logLayerGradients = logLayerGradients
    self.memoryLimitGB = memoryLimitGB
    self.nudgeStep = nudgeStep
  }
}

/// The `[data]` section: where the corpus is and how much of it is held out.
public struct DataConfig: Sendable, Equatable {
  /// The corpus every new user has: the fortunes directory.
  public static let defaultPath = "/usr/share/games/fortunes"

  /// `path`: a text file or a directory of text files (fortune files are split at `%` lines).
  public var path: String
  /// `val_fraction`: fraction of documents held out for validation, in (0, 1).
  public var valFraction: Double
  /// `classes`: comma-separated fortune files of the directory ``path``, one label each
  /// (`"computers,politics"`); empty for a plain language-model corpus.
  public var classes: String = ""
  /// `test_fraction`: labelled documents held out as the classifier's test split, in (0, 1).
  public var testFraction: Double = 0.2
  /// `lm_text`: with ``classes`` set, what a language-model run reads (the held-out labelled
  /// documents never).
  public var lmText: LMTextKind = .othersAndTrain
  /// `labels_per_class`: a classifier trains on at most this many labelled documents of each
  /// class, the first by content hash (``ClassificationCorpus/limitingTraining(perClass:)``);
  /// 0 = every training document. Validation and test splits, and a language model's text,
  /// are unchanged.
  public var labelsPerClass: Int = 0

  /// `recall_pairs`: S > 0 trains on synthetic associative-recall episodes of S (key, value)
  /// pairs and a query, loss on the answer only (`Datasets/RecallEpisodes`), instead of
  /// windows of `path` (which is still read, for the validation windows); 0 = off.
  public var recallPairs: Int = 0
  /// `recall_keys`: distinct key symbols of the episodes (at least S without overwrite).
  public var recallKeys: Int = 32
  /// `recall_values`: distinct values of the episodes (keys x (values + 1) <= 256 tokens).
  public var recallValues: Int = 7
  /// `recall_overwrite`: keys repeat and the latest value wins (setting 2).
  public var recallOverwrite: Bool = false

  /// Creates a data section; the default is the fortunes corpus with a tenth held out.
  public init(path: String = DataConfig.defaultPath, valFraction: Double = 0.1) {
    self.path = path
    self.valFraction = valFraction
  }
}

/// The `[distributed]` section: how gradients travel between workers (DESIGN.md section 4).
public struct DistributedConfig: Sendable, Equatable {
  /// `bucket_mb`: size of a gradient all-reduce bucket in MiB; in (0, `largestBucketMB`].
  public var bucketMB: Double
  /// `overlap`: start each bucket's all-reduce during backward (`true`) or after it.
  public var overlap: Bool
  /// `check_every`: steps between cross-rank parameter checksums; 0 turns the check off.
  public var checkEvery: Int
  /// `timing_barriers`: a barrier (counted as `control`) before every gradient and
  /// norm-statistics all-reduce, so that their seconds hold the communication alone and the
  /// control seconds the load imbalance (waiting for the slowest worker). For measurements:
  /// `ddp compare` sets it; it costs one extra synchronization per collective.
  public var timingBarriers: Bool
  /// `timeout_s`: seconds a rank waits for a collective before the job ends with one line
  /// naming the ranks that did not arrive (the watchdog, `Distributed/CollectiveWatchdog`);
  /// in [`shortestTimeoutSeconds`, `largestTimeoutSeconds`].
  public var timeoutS: Double

  /// 5 minutes, the watchdog's own default (it guards the collectives before the config is
  /// read): beyond any step or checkpoint of this trainer, short beside a stuck job. PyTorch
  /// waits 30 minutes (gloo) or 10 (NCCL).
  public static let defaultTimeoutSeconds = 300.0
  /// One day: a larger value is a typo, or a wish for no timeout, which a stuck job punishes.
  public static let largestTimeoutSeconds = 86_400.0
  /// The shortest `timeout_s`: a tenth of a second, far above the watchdog's 1 ms polling.
  public static let shortestTimeoutSeconds = 0.1
  /// The largest `bucket_mb`, 1 TiB: a bucket's bytes stay far inside 64-bit integers.
  public static let largestBucketMB = 1_048_576.0

  /// Creates a distributed section: 25 MiB buckets, overlapped, no periodic check, 5 minutes'
  /// timeout.
  public init(
    bucketMB: Double = 25, overlap: Bool = true, checkEvery: Int = 0, timingBarriers: Bool = false,
    timeoutS: Double = DistributedConfig.defaultTimeoutSeconds
  ) {
    self.bucketMB = bucketMB
    self.overlap = overlap
    self.checkEvery = checkEvery
    self.timingBarriers = timingBarriers
    self.timeoutS = timeoutS
  }
}
