import Support

/// The JSON line `ddp bench allreduce` prints last: the α–β fit, every size's figures and the
/// run's collective counters. The one type its writer and its readers (`ddp compare`'s fits,
/// `ddp model-cost --fit`) share; keys as README documents them, non-finite numbers as null.
public struct AllReduceBenchResult: Codable, Equatable, Sendable {
  /// One message size.
  public struct Size: Codable, Equatable, Sendable {
    public var bytes: Int
    public var iterations: Int
    /// The ranks' mean time per call, µs.
    public var latencyMicroseconds: Double
    public var minimumLatencyMicroseconds: Double
    public var maximumLatencyMicroseconds: Double
    /// Per call the least time over the ranks, median over calls, µs.
    public var leastLatencyMicroseconds: Double
    public var algorithmBandwidthGBps: Double
    public var busBandwidthGBps: Double
    public var verified: Bool

    enum CodingKeys: String, CodingKey {
      case bytes, iterations, verified
      case latencyMicroseconds = "latency_us"
      case minimumLatencyMicroseconds = "min_latency_us"
      case maximumLatencyMicroseconds = "max_latency_us"
      case leastLatencyMicroseconds = "least_latency_us"
      case algorithmBandwidthGBps = "algbw_gbps"
      case busBandwidthGBps = "busbw_gbps"
    }

    public init(_ m: AllReduceMeasurement, workers: Int) {
      bytes = m.bytes
      iterations = m.iterations
      latencyMicroseconds = m.seconds * 1e6
      minimumLatencyMicroseconds = m.minimumSeconds * 1e6
      maximumLatencyMicroseconds = m.maximumSeconds * 1e6
      leastLatencyMicroseconds = m.leastOverRanksSeconds * 1e6
      algorithmBandwidthGBps =
        AllReduceCostModel.algorithmBandwidth(bytes: m.bytes, seconds: m.seconds) / 1e9
      busBandwidthGBps =
        AllReduceCostModel.busBandwidth(bytes: m.bytes, seconds: m.seconds, workers: workers)
        / 1e9
      verified = m.verified
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      bytes = try c.decode(Int.self, forKey: .bytes)
      iterations = try c.decode(Int.self, forKey: .iterations)
      latencyMicroseconds = try c.decodeFinite(forKey: .latencyMicroseconds)
      minimumLatencyMicroseconds = try c.decodeFinite(forKey: .minimumLatencyMicroseconds)
      maximumLatencyMicroseconds = try c.decodeFinite(forKey: .maximumLatencyMicroseconds)
      leastLatencyMicroseconds = try c.decodeFinite(forKey: .leastLatencyMicroseconds)
      algorithmBandwidthGBps = try c.decodeFinite(forKey: .algorithmBandwidthGBps)
      busBandwidthGBps = try c.decodeFinite(forKey: .busBandwidthGBps)
      verified = try c.decode(Bool.self, forKey: .verified)
    }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(bytes, forKey: .bytes)
      try c.encode(iterations, forKey: .iterations)
      try c.encodeFinite(latencyMicroseconds, forKey: .latencyMicroseconds)
      try c.encodeFinite(minimumLatencyMicroseconds, forKey: .minimumLatencyMicroseconds)
      try c.encodeFinite(maximumLatencyMicroseconds, forKey: .maximumLatencyMicroseconds)
      try c.encodeFinite(leastLatencyMicroseconds, forKey: .leastLatencyMicroseconds)
      try c.encodeFinite(algorithmBandwidthGBps, forKey: .algorithmBandwidthGBps)
      try c.encodeFinite(busBandwidthGBps, forKey: .busBandwidthGBps)
      try c.encode(verified, forKey: .verified)
    }
  }

  public var workers: Int
  /// The fit's α in µs (0 when there was no fit).
  public var alphaMicroseconds: Double
  /// The fit's β in ns per byte (0 when there was no fit).
  public var betaNanosecondsPerByte: Double
  public var fitMaximumRelativeError: Double
  public var allVerified: Bool
  public var collectivesChecked: Bool
  public var sizes: [Size]
  public var comm: CollectiveSnapshot

  enum CodingKeys: String, CodingKey {
    case workers, sizes, comm
    case alphaMicroseconds = "alpha_us"
    case betaNanosecondsPerByte = "beta_ns_per_byte"
    case fitMaximumRelativeError = "fit_max_relative_error"
    case allVerified = "all_verified"
    case collectivesChecked = "collectives_checked"
  }

  /// The result of `measurements` on `workers` ranks with the fit `model` of their least times.
  public init(
    _ measurements: [AllReduceMeasurement], model: AllReduceCostModel?, workers: Int,
    communication: CollectiveSnapshot, checked: Bool
  ) {
    self.workers = workers
    alphaMicroseconds = (model?.alpha ?? 0) * 1e6
    betaNanosecondsPerByte = (model?.beta ?? 0) * 1e9
    fitMaximumRelativeError =
      model?.maximumRelativeError(
        bytes: measurements.map(\.bytes), seconds: measurements.map(\.leastOverRanksSeconds))
      ?? 0
    allVerified = measurements.allSatisfy(\.verified)
    collectivesChecked = checked
    sizes = measurements.map { Size($0, workers: workers) }
    comm = communication
  }

  /// The fitted t(n) = α + β·n in seconds.
  public var costModel: AllReduceCostModel {
    AllReduceCostModel(alpha: alphaMicroseconds * 1e-6, beta: betaNanosecondsPerByte * 1e-9)
  }

  /// The result in the last line of `text` (a log of `ddp bench allreduce`) that starts with
  /// `{` and holds `"alpha_us"`; errors name `source`, the line and the key.
  ///
  /// - Throws: `JSONReadError` when there is no such line or it lacks a key.
  public static func read(log text: String, source: String) throws -> AllReduceBenchResult {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard
      let index = lines.lastIndex(where: { $0.hasPrefix("{") && $0.contains("\"alpha_us\"") })
    else {
      throw JSONReadError("\(source): no JSON line of `ddp bench allreduce`")
    }
    return try JSONStyle.decode(
      AllReduceBenchResult.self, from: lines[index], source: "\(source) line \(index + 1)")
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    workers = try c.decode(Int.self, forKey: .workers)
    alphaMicroseconds = try c.decodeFinite(forKey: .alphaMicroseconds)
    betaNanosecondsPerByte = try c.decodeFinite(forKey: .betaNanosecondsPerByte)
    fitMaximumRelativeError = try c.decodeFinite(forKey: .fitMaximumRelativeError)
    allVerified = try c.decode(Bool.self, forKey: .allVerified)
    collectivesChecked = try c.decode(Bool.self, forKey: .collectivesChecked)
    sizes = try c.decode([Size].self, forKey: .sizes)
    comm = try c.decode(CollectiveSnapshot.self, forKey: .comm)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(workers, forKey: .workers)
    try c.encodeFinite(alphaMicroseconds, forKey: .alphaMicroseconds)
    try c.encodeFinite(betaNanosecondsPerByte, forKey: .betaNanosecondsPerByte)
    try c.encodeFinite(fitMaximumRelativeError, forKey: .fitMaximumRelativeError)
    try c.encode(allVerified, forKey: .allVerified)
    try c.encode(collectivesChecked, forKey: .collectivesChecked)
    try c.encode(sizes, forKey: .sizes)
    try c.encode(comm, forKey: .comm)
  }
}
