import Foundation
import XCTest

@testable import Config

final class ConfigTests: XCTestCase {
  // MARK: - Defaults

  func testDefaultsAreTheSmallFortunesRecipe() throws {
    let config = try RunConfig.load(tomlText: "", overrides: [])
    XCTAssertEqual(config, RunConfig())
    let m = config.model
    XCTAssertEqual(m.tokenizer, "byte")
    XCTAssertEqual([m.dModel, m.nHeads, m.nLayers, m.context], [128, 4, 4, 64])
    XCTAssertEqual(m.norm, .layernorm)
    XCTAssertEqual(m.placement, .pre)
    XCTAssertEqual(m.attention, .softmax)
    XCTAssertEqual(m.vocabSize, 256)
    XCTAssertEqual(m.headSize, 32)
    let t = config.train
    XCTAssertEqual([t.steps, t.batch, t.gradAccum, t.warmup], [2000, 16, 1, 100])
    XCTAssertEqual(t.schedule, .cosine)
    XCTAssertEqual([t.lr, t.minLR, t.weightDecay], [1e-3, 1e-4, 0.1])
    XCTAssertEqual([t.beta1, t.beta2, t.clip], [0.9, 0.95, 1.0])
    XCTAssertEqual(t.seed, 1337)
    XCTAssertEqual(
      [t.evalEvery, t.evalBatches, t.checkpointEvery, t.keepCheckpoints],
      [
        200, 20, 500, 2,
      ])
    XCTAssertEqual(config.data.path, "/usr/share/games/fortunes")
    XCTAssertEqual(config.data.valFraction, 0.1)
    XCTAssertEqual(config.distributed.bucketMB, 25)
    XCTAssertTrue(config.distributed.overlap)
    XCTAssertEqual(config.distributed.checkEvery, 0)
    XCTAssertEqual(config.distributed.timeoutS, 300)
    XCTAssertNoThrow(try RunConfig().validate())
  }

  func testEveryKeyIsKnownOnceAndInTheIssueOrder() {
    // 36 + transfer's 6 + classifier's 5 + recall's 4 (data.recall_pairs, recall_keys,
    // recall_values, recall_overwrite)
    // + model.chunk
    XCTAssertEqual(RunConfig.knownKeys.count, 53)
    XCTAssertEqual(Set(RunConfig.knownKeys).count, 53)
    let first = ["model.tokenizer", "model.d_model", "model.n_heads"]
    XCTAssertEqual(Array(RunConfig.knownKeys.prefix(3)), first)
    XCTAssertEqual(RunConfig.knownKeys.last, "distributed.timeout_s")
  }

  // MARK: - File and overrides

  func testFileKeepsDefaultsForMissingKeysAndOverridesWin() throws {
    let toml = """
      [model]
      d_model = 256
      n_layers = 6
      norm = "rmsnorm"

      [train]
      lr = 0.002
      seed = 7
      """
    let config = try RunConfig.load(
      tomlText: toml,
      overrides: ["train.lr=3e-4", "model.norm=syncbatchnorm", "model.norm = batchnorm"])
    XCTAssertEqual(config.model.dModel, 256, "file beats default")
    XCTAssertEqual(config.model.nLayers, 6)
    XCTAssertEqual(config.model.nHeads, 4, "default kept")
    XCTAssertEqual(config.train.lr, 3e-4, "override beats file")
    XCTAssertEqual(config.model.norm, .batchnorm, "later override beats earlier")
    XCTAssertEqual(config.train.seed, 7)
    XCTAssertEqual(config.model.headSize, 64)
  }

  func testOverridesAreParsedByTheKeysType() throws {
    let config = try RunConfig.load(
      tomlText: "",
      overrides: [
        "train.steps=1_000", "train.clip=2", "distributed.overlap=false", "data.path=\"/tmp/a b\"",
        "train.schedule=constant", "data.val_fraction=.25", "distributed.bucket_mb=0.5",
        "train.seed=9223372036854775807",
      ])
    XCTAssertEqual(config.train.steps, 1000)
    XCTAssertEqual(config.train.clip, 2.0, "an integer is accepted for a float key")
    XCTAssertFalse(config.distributed.overlap)
    XCTAssertEqual(config.data.path, "/tmp/a b", "one pair of shell quotes is dropped")
    XCTAssertEqual(config.train.schedule, .constant)
    XCTAssertEqual(config.data.valFraction, 0.25)
    XCTAssertEqual(config.distributed.bucketMB, 0.5)
    XCTAssertEqual(config.train.seed, UInt64(Int64.max))
  }

  func testIntegerIsAcceptedForFloatKeyInFile() throws {
    let config = try RunConfig.load(tomlText: "[train]\nlr = 1\nmin_lr = 0\n", overrides: [])
    XCTAssertEqual(config.train.lr, 1.0)
    XCTAssertEqual(config.train.minLR, 0.0)
  }

  func testOverridesAloneCanFixAnInvalidFile() throws {
    // Validation runs on the final values, so the file alone need not be consistent.
    let config = try RunConfig.load(
      tomlText: "[model]\nn_heads = 3\n", overrides: ["model.d_model=96"])
    XCTAssertEqual(config.model.headSize, 32)
  }

  func testLoadFromFile() throws {
    let dir = try temporaryDirectory()
    let path = dir.appendingPathComponent("run.toml").path
    try "[train]\nsteps = 30\n".write(toFile: path, atomically: true, encoding: .utf8)
    let config = try RunConfig.load(path: path, overrides: ["train.batch=8"])
    XCTAssertEqual(config.train.steps, 30)
    XCTAssertEqual(config.train.batch, 8)
  }

  // MARK: - Round trip

  func testResolvedTOMLRoundTripsDefaults() throws {
    let text = RunConfig().tomlText
    XCTAssertEqual(try RunConfig.load(tomlText: text, overrides: []), RunConfig())
    for key in RunConfig.knownKeys {
      let name = key.split(separator: ".")[1]
      // An optional key left unset is written as a comment.
      let line = key == "train.memory_limit_gb" ? "\n# \(name) (unset)" : "\n\(name) = "
      XCTAssertTrue(text.contains(line), "resolved TOML lacks \(key)")
    }
  }

  /// `jsonText` (an export's `run_config`) holds every key of the TOML with the same value,
  /// numbers to the last digit, and `null` for an unset optional key.
  func testJSONTextHoldsEveryKeyWithItsValue() throws {
    var config = RunConfig()
    config.train.lr = 0.1 + 0.2
    config.data.path = "a \"quoted\" path/with\\backslash\u{1}"
    let sections = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(config.jsonText.utf8)) as? [String: [String: Any]])
    XCTAssertEqual(sections.values.map(\.count).reduce(0, +), RunConfig.knownKeys.count)
    XCTAssertTrue(config.jsonText.contains("\"lr\": 0.30000000000000004,"), config.jsonText)
    for field in RunConfig.fields {
      let value = sections[field.section]?[field.name]
      switch field.get(config) {
      case .int(let v): XCTAssertEqual(value as? Int, v, field.key)
      case .double(let v):
        // JSONSerialization reads doubles to about 16 digits; the text itself is exact (below).
        XCTAssertEqual((value as? NSNumber)?.doubleValue ?? .nan, v, accuracy: v * 1e-15)
      case .bool(let v): XCTAssertEqual(value as? Bool, v, field.key)
      case .string(let v): XCTAssertEqual(value as? String, v, field.key)
      case nil: XCTAssertTrue(value is NSNull, field.key)
      }
    }
  }

  func testResolvedTOMLRoundTripsEveryKeyChanged() throws {
    let config = RunConfig(
      model: ModelConfig(
        dModel: 96, nHeads: 3, nLayers: 2, context: 17, norm: .syncbatchnorm,
        placement: .residual, attention: .fastweight),
      train: TrainConfig(
        steps: 7, batch: 12, gradAccum: 3, lr: 0.1 + 0.2, warmup: 0, schedule: .constant,
        minLR: 1e-7, weightDecay: 0, beta1: 0, beta2: 0.999_999_999_9, clip: 0,
        seed: UInt64(Int64.max), evalEvery: 0, evalBatches: 1, checkpointEvery: 3,
        keepCheckpoints: 9, memoryLimitGB: 2.5),
      data: DataConfig(path: "/tmp/dir \"quoted\"\\back\tslash/é", valFraction: 1e-300),
      distributed: DistributedConfig(bucketMB: 123_456.789, overlap: false, checkEvery: 5))
    XCTAssertNoThrow(try config.validate())
    let text = config.tomlText
    XCTAssertEqual(try RunConfig.load(tomlText: text, overrides: []), config, text)
    for line in text.split(separator: "\n") {
      XCTAssertLessThanOrEqual(line.count, 100, String(line))
    }
  }

  /// Every attention kind is read by its raw name, `fastweight_sum` included.
  func testEveryAttentionKindParses() throws {
    for kind in AttentionKind.allCases {
      let config = try RunConfig.load(tomlText: "", overrides: ["model.attention=\(kind.rawValue)"])
      XCTAssertEqual(config.model.attention, kind)
    }
    XCTAssertEqual(AttentionKind.fastweightSum.rawValue, "fastweight_sum")
  }

  func testEveryKeyCanBeSetFromTheCommandLine() throws {
    let target = try RunConfig.load(
      tomlText: "",
      overrides: [
        "model.d_model=48", "model.n_heads=2", "model.n_layers=1", "model.context=8",
        "model.norm=none", "model.placement=post", "model.attention=linear",
        "model.tokenizer=byte", "train.steps=3", "train.batch=4", "train.grad_accum=2",
        "train.lr=0.5", "train.warmup=1", "train.schedule=constant", "train.min_lr=0.25",
        "train.weight_decay=0", "train.beta1=0.5", "train.beta2=0.75", "train.clip=0.5",
        "train.seed=0", "train.eval_every=1", "train.eval_batches=1",
        "train.checkpoint_every=1", "train.keep_checkpoints=1", "data.path=x",
        "data.val_fraction=0.5", "distributed.bucket_mb=1", "distributed.overlap=false",
        "distributed.check_every=1", "train.memory_limit_gb=2", "distributed.timeout_s=7.5",
      ])
    for field in RunConfig.fields {
      var config = RunConfig()
      try config.apply(override: "\(field.key)=\(try XCTUnwrap(field.get(target)).toml)")
      XCTAssertEqual(field.get(config), field.get(target), field.key)
    }
  }

  // MARK: - Bad input

  /// One refused input: TOML text and overrides, and words its message must contain.
  struct Bad {
    let toml: String
    let overrides: [String]
    let needles: [String]

    /// A file that is refused.
    static func file(_ toml: String, _ needles: String...) -> Bad {
      Bad(toml: toml, overrides: [], needles: needles)
    }

    /// A `--set` over the given file (default: empty) that is refused.
    static func set(_ override: String, over toml: String = "", _ needles: String...) -> Bad {
      Bad(toml: toml, overrides: [override], needles: needles)
    }
  }

  let badInputs: [Bad] = [
    .file("[modle]\nd_model = 64", "[modle]", "did you mean [model]"),
    .file("[extra]\nx = 1", "[extra]", "[model], [train], [data], [distributed]"),
    .file("[model]\nd_modle = 64", "model.d_modle = 64", "did you mean model.d_model"),
    .file("[model]\nlr = 0.1", "model.lr = 0.1", "did you mean train.lr"),
    .file("steps = 100", "steps = 100", "outside any section", "[train]"),
    .file("model = 5", "model = 5", "a table [model]"),
    .file("[model]\nd_model = \"128\"", "model.d_model = \"128\"", "an integer"),
    .file("[train]\nsteps = 1.5", "train.steps = 1.5", "an integer"),
    .file("[train]\nsteps = [1, 2]", "train.steps = [ 1, 2 ]", "an integer"),
    .file("[train]\nlr = true", "train.lr = true", "a number"),
    .file("[distributed]\noverlap = \"yes\"", "distributed.overlap = \"yes\"", "true or false"),
    .file(
      "[model]\nplacement = \"middle\"", "model.placement = \"middle\"", "not a placement",
      "post, pre, residual"),
    .file(
      "[model]\nattention = \"quadratic\"", "model.attention = \"quadratic\"",
      "softmax, linear, fastweight, fastweight_sum"),
    .file("[train]\nschedule = \"linear\"", "train.schedule = \"linear\"", "cosine, constant"),
    .file("[data]\nrecall_pairs = 8", "model.context = 64", "data.recall_pairs + 1 = 9"),
    .file(
      "[model]\ncontext = 5\n[data]\nrecall_pairs = 4\nrecall_values = 8", "data.recall_values = 8",
      "<= 256"),
    .file(
      "[model]\ncontext = 41\n[data]\nrecall_pairs = 40", "data.recall_keys = 32",
      "recall_overwrite = true"),
    .file("[model]\ntokenizer = \"bpe\"", "model.tokenizer = \"bpe\"", "byte"),
    .file("[model]\nd_model = 0", "model.d_model = 0", "> 0"),
    .file("[model]\nn_heads = -2", "model.n_heads = -2", "> 0"),
    .file("[model]\nn_layers = 0", "model.n_layers = 0", "> 0"),
    .file("[model]\ncontext = 0", "model.context = 0", "> 0"),
    .file("[train]\nsteps = 0", "train.steps = 0", "> 0"),
    .file("[train]\nbatch = -16", "train.batch = -16", "> 0"),
    .file("[train]\ngrad_accum = 0", "train.grad_accum = 0", "> 0"),
    .file("[train]\neval_batches = 0", "train.eval_batches = 0", "> 0"),
    .file("[train]\nkeep_checkpoints = 0", "train.keep_checkpoints = 0", "> 0"),
    .file("[model]\nd_model = 130", "model.d_model = 130", "multiple of model.n_heads = 4"),
    .file("[train]\nbatch = 10\ngrad_accum = 4", "train.batch = 10", "of train.grad_accum = 4"),
    .file("[train]\nlr = nan", "train.lr = nan", "finite number > 0"),
    .file("[train]\nlr = inf", "train.lr = inf", "finite"),
    .file("[train]\nlr = -0.1", "train.lr = -0.1", "> 0"),
    .file("[train]\nmin_lr = 0.01", "train.min_lr = 0.01", "train.lr = 0.001"),
    .file("[train]\nweight_decay = -0.1", "train.weight_decay = -0.1", ">= 0"),
    .file("[train]\nclip = -1", "train.clip = -1.0", ">= 0"),
    .file("[train]\nwarmup = -5", "train.warmup = -5", ">= 0"),
    .file("[train]\nbeta1 = 1.0", "train.beta1 = 1.0", "[0, 1)"),
    .file("[train]\nbeta2 = -0.5", "train.beta2 = -0.5", "[0, 1)"),
    .file("[train]\nseed = -1", "train.seed = -1", "0...9223372036854775807"),
    .file("[data]\nval_fraction = 0", "data.val_fraction = 0.0", "(0, 1)"),
    .file("[data]\nval_fraction = 1", "data.val_fraction = 1.0", "(0, 1)"),
    .file("[distributed]\nbucket_mb = 0", "distributed.bucket_mb = 0.0", "> 0"),
    .file("[model]\nd_model = = 3", "line 2", "TOML syntax error"),
    .file("[model]\nd_model = 1\nd_model = 2", "line 3", "TOML syntax error"),
    .set("train.lr", "\"train.lr\"", "no \"=\""),
    .set("lr=0.1", "\"lr=0.1\"", "no \".\""),
    .set(".lr=0.1", "\".lr=0.1\"", "empty section"),
    .set("train.lr=fast", "train.lr = \"fast\"", "a number"),
    .set("train.steps=2k", "train.steps = \"2k\"", "integer"),
    .set("distributed.overlap=1", "distributed.overlap = \"1\"", "true or false"),
    .set(
      "model.norm=batchnorn", "model.norm = \"batchnorn\"",
      "layernorm, rmsnorm, batchnorm, syncbatchnorm, none"),
    .set("trian.lr=0.1", "[trian]", "did you mean [train]"),
    .set(
      "train.learning_rate=0.1", "train.learning_rate = \"0.1\"", "expected one of steps, batch"),
    .set("train.seed=-1", "train.seed = -1", "0..."),
    .set("data.path=", "data.path = \"\"", "non-empty"),
    .file("[distributed]\ncheck_every = -1", "distributed.check_every = -1"),
    .file("[distributed]\ntimeout_s = -3", "distributed.timeout_s = -3.0", ">= 0.1"),
    .set("distributed.timeout_s=nan", "distributed.timeout_s = nan", "<= 86400.0"),
    .set("train.lr=0", over: "[train]\nlr = 0.01", "train.lr = 0.0"),
    .set("train.memory_limit_gb=0", "train.memory_limit_gb = 0.0", "> 0"),
    .set("train.memory_limit_gb=-1", "train.memory_limit_gb = -1.0", "> 0"),
    .set("train.memory_limit_gb=nan", "train.memory_limit_gb = nan", "finite"),
    .file("[train]\nmemory_limit_gb = inf", "train.memory_limit_gb = inf", "finite"),
    .set("train.memory_limit_gb=lots", "train.memory_limit_gb = \"lots\"", "a number"),
    .set("data.labels_per_class=-5", "data.labels_per_class = -5", ">= 0"),
  ]

  func testBadInputsAreRefusedNamingKeyValueAndAccepted() {
    XCTAssertGreaterThanOrEqual(badInputs.count, 15)
    for bad in badInputs {
      let label = "\(bad.toml.debugDescription) \(bad.overrides)"
      let load = { try RunConfig.load(tomlText: bad.toml, overrides: bad.overrides) }
      XCTAssertThrowsError(try load(), label) {
        guard let error = $0 as? ConfigError else { return XCTFail("\(label): \($0)") }
        let message = error.description
        XCTAssertTrue(message.hasPrefix("config: "), message)
        XCTAssertFalse(message.contains("\n"), message)
        for needle in bad.needles {
          XCTAssertTrue(message.contains(needle), "\(label): \(message) lacks \(needle)")
        }
      }
    }
  }

  func testUnknownNormMessageIsExactlyTheDocumentedOne() {
    XCTAssertThrowsError(
      try RunConfig.load(tomlText: "[model]\nnorm = \"batchnorn\"\n", overrides: [])
    ) {
      XCTAssertEqual(
        "\($0)",
        "config: model.norm = \"batchnorn\" is not a norm; expected one of layernorm, rmsnorm, "
          + "batchnorm, syncbatchnorm, none")
    }
  }

  func testSyntaxErrorCarriesPathLineAndColumn() throws {
    let path = try temporaryDirectory().appendingPathComponent("bad.toml").path
    try "[train]\nsteps = 10\nlr = \n".write(toFile: path, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try RunConfig.load(path: path, overrides: [])) {
      guard case .syntax(let p, let line, let column, _) = $0 as? ConfigError else {
        return XCTFail("\($0)")
      }
      XCTAssertEqual(p, path)
      XCTAssertEqual(line, 3)
      XCTAssertNotNil(column)
      XCTAssertTrue("\($0)".contains(path), "\($0)")
    }
  }

  func testUnreadableFilesAreRefusedWithTheReason() throws {
    let dir = try temporaryDirectory()
    let missing = dir.appendingPathComponent("missing.toml").path
    let binary = dir.appendingPathComponent("binary.toml").path
    try Data([0x5B, 0xFF, 0xFE, 0x5D]).write(to: URL(fileURLWithPath: binary))
    // A FIFO with no writer would block a read forever: refused before reading.
    let fifo = dir.appendingPathComponent("fifo.toml").path
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    let cases = [
      (missing, "No such file or directory"), (dir.path, "it is a directory, not a file"),
      (binary, "not UTF-8 text"), (fifo, "not a regular file"),
    ]
    for (path, reason) in cases {
      XCTAssertThrowsError(try RunConfig.load(path: path, overrides: [])) {
        let message = "\($0)"
        XCTAssertTrue(message.hasPrefix("config: cannot read \"\(path)\""), message)
        XCTAssertTrue(message.contains(reason), message)
      }
    }
  }

  func testValidateRefusesConfigsBuiltInCode() {
    var config = RunConfig()
    config.train.seed = UInt64.max
    XCTAssertThrowsError(try config.validate()) {
      XCTAssertTrue("\($0)".contains("train.seed = 18446744073709551615"), "\($0)")
    }
    config = RunConfig(model: ModelConfig(dModel: 10, nHeads: 3))
    XCTAssertThrowsError(try config.validate())
  }

  func testSuggestionsNeedAnEditDistanceOfAtMostTwo() {
    XCTAssertEqual(RunConfig.editDistance("kitten", "sitting"), 3)
    XCTAssertEqual(RunConfig.editDistance("", "abc"), 3)
    XCTAssertEqual(RunConfig.closest(to: "n_head", in: ["n_heads", "n_layers"]), "n_heads")
    XCTAssertEqual(RunConfig.closest(to: "bach", in: ["batch", "beta1"]), "batch")
    XCTAssertNil(RunConfig.closest(to: "learning_rate", in: ["lr", "min_lr"]))
    XCTAssertNil(RunConfig.closest(to: "x", in: ["lr"]))
  }

  // MARK: - Helpers

  private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("ConfigTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
  }
}

/// The transfer keys of `[train]` (README, "Transfer"): accepted values round-trip, impossible
/// ones are refused naming the key.
final class TransferConfigTests: XCTestCase {
  func testTransferKeysRoundTripAndBadValuesAreRefused() throws {
    let text = """
      [train]
      init_from = "runs/pretrained"
      lr_decay_per_layer = 2.6
      schedule = "stlr"
      stlr_cut_frac = 0.1
      stlr_ratio = 32
      unfreeze = "gradual"
      unfreeze_every = 50
      """
    let config = try RunConfig.load(tomlText: text)
    XCTAssertEqual(config.train.initFrom, "runs/pretrained")
    XCTAssertEqual(config.train.lrDecayPerLayer, 2.6)
    XCTAssertEqual(config.train.schedule, .stlr)
    XCTAssertEqual(config.train.unfreeze, .gradual)
    XCTAssertEqual(config.train.unfreezeEvery, 50)
    XCTAssertEqual(try RunConfig.load(tomlText: config.tomlText), config)
    let bad = [
      "train.lr_decay_per_layer=0.5", "train.stlr_cut_frac=1", "train.stlr_ratio=0.5",
      "train.unfreeze_every=0", "train.unfreeze=sometimes",
    ]
    for override in bad {
      XCTAssertThrowsError(try RunConfig.load(tomlText: "", overrides: [override])) { error in
        let key = String(override.prefix { $0 != "=" })
        XCTAssertTrue("\(error)".contains(key), "\(error)")
      }
    }
  }
}
