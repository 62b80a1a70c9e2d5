import Datasets
import Support

#if canImport(Glibc)
  import Glibc
#endif

/// The texts `ddp classify` reads from standard input: one per non-empty line (a trailing
/// `\r` dropped), refused when the input is binary (a NUL byte, or mostly invalid UTF-8, as a
/// corpus is: `TextCheck`) or longer than ``maximumBytes`` (`ddp classify < /dev/zero` must
/// end, not fill the memory).
enum ClassifyInput {
  static let maximumBytes = 64 << 20

  static func lines() throws -> [String] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw DataError("cannot read standard input: \(systemErrorText())")
      }
      if count == 0 { break }
      bytes += chunk[0..<count]
      if chunk[0..<count].contains(0) { try TextCheck.requireText(bytes, path: "standard input") }
      guard bytes.count <= maximumBytes else {
        throw DataError(
          "standard input holds more than \(maximumBytes >> 20) MB; classify the texts in parts")
      }
    }
    try TextCheck.requireText(bytes, path: "standard input")
    return bytes.split(separator: UInt8(ascii: "\n")).map { line in
      String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
    }.filter { !$0.isEmpty }
  }
}
