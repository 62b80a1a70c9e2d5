import Config
import Datasets
import Models
import Support

/// Everything a checkpoint holds besides the tensors: what a resumed run needs to continue
/// bit-for-bit (the run configuration, the step, AdamW's step, the batch sampler's generator).
///
/// Stored as the JSON object `metadata` of the checkpoint header (see ``Checkpoint``), with
/// snake_case keys. The sampler state is stored as four decimal strings: JSON numbers are read
/// as doubles by many tools, which keep only 53 bits.
public struct CheckpointMetadata: Codable, Equatable, Sendable {
  /// The fully resolved run configuration as TOML (`RunConfig.tomlText`).
  public var configTOML: String
  /// Optimizer steps completed; the learning-rate schedule continues from here.
  public var step: Int
  /// AdamW's update count (t in its bias correction).
  public var optimizerStep: Int
  /// The batch sampler's generator: the data position.
  public var sampler: RandomNumbers
  /// Workers (MPI ranks) of the run that wrote the checkpoint; a resumed run may use others.
  public var workers: Int
  /// Further state as text, for additions that need no new format version.
  public var extra: [String: String]
  /// The data the run was trained on, compared on resume; nil in checkpoints written before
  /// fingerprints were recorded (such a checkpoint resumes with a note, unchecked).
  public var data: DataFingerprint?

  public init(
    configTOML: String, step: Int, optimizerStep: Int, sampler: RandomNumbers, workers: Int,
    extra: [String: String] = [:], data: DataFingerprint? = nil
  ) {
    self.configTOML = configTOML
    self.step = step
    self.optimizerStep = optimizerStep
    self.sampler = sampler
    self.workers = workers
    self.extra = extra
    self.data = data
  }

  /// The sampler's four state words.
  public var samplerState: [UInt64] {
    let s = sampler.state
    return [s.0, s.1, s.2, s.3]
  }

  enum CodingKeys: String, CodingKey {
    case configTOML = "config_toml"
    case step
    case optimizerStep = "optimizer_step"
    case samplerState = "sampler_state"
    case workers
    case extra
    case data
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    configTOML = try c.decode(String.self, forKey: .configTOML)
    step = try c.decode(Int.self, forKey: .step)
    optimizerStep = try c.decode(Int.self, forKey: .optimizerStep)
    workers = try c.decode(Int.self, forKey: .workers)
    extra = try c.decodeIfPresent([String: String].self, forKey: .extra) ?? [:]
    data = try c.decodeIfPresent(DataFingerprint.self, forKey: .data)
    let words = try c.decode([String].self, forKey: .samplerState).map { UInt64($0, radix: 10) }
    guard words.count == 4, let a = words[0], let b = words[1], let x = words[2], let y = words[3]
    else {
      throw DecodingError.dataCorruptedError(
        forKey: .samplerState, in: c,
        debugDescription: "expected four unsigned 64-bit integers as decimal strings")
    }
    sampler = RandomNumbers(state: (a, b, x, y))
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(configTOML, forKey: .configTOML)
    try c.encode(step, forKey: .step)
    try c.encode(optimizerStep, forKey: .optimizerStep)
    try c.encode(samplerState.map { String($0) }, forKey: .samplerState)
    try c.encode(workers, forKey: .workers)
    try c.encode(extra, forKey: .extra)
    try c.encodeIfPresent(data, forKey: .data)
  }

  /// Why these values cannot be stored, or nil.
  var problem: String? {
    if step < 0 { return "step \(step) is negative" }
    if optimizerStep < 0 { return "optimizer step \(optimizerStep) is negative" }
    if workers < 1 { return "workers \(workers) is not positive" }
    return nil
  }
}
