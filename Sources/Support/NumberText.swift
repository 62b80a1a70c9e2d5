import Foundation

/// `x` with `digits` digits after the point (`%.{digits}f`): how tables, logs and reports
/// print a measured figure. A negative value that rounds to zero prints without its sign
/// ("0.00", not printf's "-0.00"): a slope of −0.0003 is no slope, and a sign on it reads as
/// a finding.
public func fmt(_ x: Double, _ digits: Int) -> String {
  let text = String(format: "%.\(digits)f", x)
  let roundsToZero = text.dropFirst().allSatisfy { $0 == "0" || $0 == "." }
  return text.hasPrefix("-") && roundsToZero ? String(text.dropFirst()) : text
}

/// `count` and `noun`, the noun in the plural unless the count is one: "1 layer", "2 layers",
/// "0 steps". For the regular nouns of the messages and reports (the plural adds an "s").
public func counted(_ count: some BinaryInteger, _ noun: String) -> String {
  "\(count) \(noun)\(count == 1 ? "" : "s")"
}
