import Support

/// A JSON key named by a collective category (`gradients`, `norm_stats`, `control`), so the
/// keys of every per-category object come from `CollectiveCategory` itself.
public struct CategoryKey: CodingKey {
  public let stringValue: String
  public var intValue: Int? { nil }
  public init(_ category: CollectiveCategory) { stringValue = category.rawValue }
  public init?(stringValue: String) { self.stringValue = stringValue }
  public init?(intValue: Int) { nil }
}

/// `{"bytes": Int, "calls": Int, "seconds": Double}`.
extension CollectiveCounters: Codable {
  enum CodingKeys: String, CodingKey { case calls, bytes, seconds }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      calls: try container.decode(Int.self, forKey: .calls),
      bytes: try container.decode(Int.self, forKey: .bytes),
      seconds: try container.decodeFinite(forKey: .seconds))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(calls, forKey: .calls)
    try container.encode(bytes, forKey: .bytes)
    try container.encodeFinite(seconds, forKey: .seconds)
  }
}

/// One object per category, `{"control": {...}, "gradients": {...}, "norm_stats": {...}}`: the
/// `"comm"` object of metrics.jsonl, summary.json and `ddp bench allreduce`. Every category is
/// required on reading.
extension CollectiveSnapshot: Codable {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CategoryKey.self)
    self.init()
    for category in CollectiveCategory.allCases {
      self[category] = try container.decode(
        CollectiveCounters.self, forKey: CategoryKey(category))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CategoryKey.self)
    for category in CollectiveCategory.allCases {
      try container.encode(self[category], forKey: CategoryKey(category))
    }
  }
}
