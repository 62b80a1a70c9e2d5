import Foundation

/// `x` with `digits` digits after the point (`%.{digits}f`): how tables, logs and reports
/// print a measured figure.
public func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
