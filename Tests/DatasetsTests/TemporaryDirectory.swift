import Foundation

/// A directory under the system's temporary directory, created for one test and removed with
/// everything in it by ``remove()``.
final class TemporaryDirectory {
  /// The directory's path, without a trailing `/`.
  let path: String

  init() throws {
    let name = "DatasetsTests-" + UUID().uuidString
    path = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
  }

  /// Writes `text` (UTF-8) to `name` inside the directory and returns the file's path.
  @discardableResult
  func write(_ name: String, _ text: String) throws -> String {
    try write(name, bytes: Array(text.utf8))
  }

  /// Writes `bytes` to `name` inside the directory and returns the file's path.
  @discardableResult
  func write(_ name: String, bytes: [UInt8]) throws -> String {
    let file = path + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: file))
    return file
  }

  /// Makes `name` a symbolic link to `target` and returns the link's path.
  @discardableResult
  func link(_ name: String, to target: String) throws -> String {
    let file = path + "/" + name
    try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: target)
    return file
  }

  /// Creates subdirectory `name` and returns its path.
  @discardableResult
  func makeDirectory(_ name: String) throws -> String {
    let directory = path + "/" + name
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
  }

  /// Removes the directory and everything in it.
  func remove() {
    try? FileManager.default.removeItem(atPath: path)
  }
}

/// The documents of a stream: the text between ``Corpus/separator``s.
func documents(of stream: [UInt8]) -> [String] {
  var text = String(decoding: stream, as: UTF8.self)
  guard text.hasSuffix("\n%\n") else { return text.isEmpty ? [] : [text] }
  text.removeLast(3)
  return text.components(separatedBy: "\n%\n")
}
