// libFuzzer harness for the safetensors reader (`SafeTensors.parse`); built and run by
// launch/fuzz, never by `swift build` (this folder is outside Sources).
//
// Any crash is a reader bug: every input must either parse or throw a `SafeTensorsError`, and
// every tensor of a parsed file must be readable by name.

import Models
import Training

#if canImport(Glibc)
  import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let file = try? SafeTensors.parse(bytes) else { return 0 }
  var sum: Float = 0
  for tensor in file.tensors {
    sum += file.values(tensor.name)?.reduce(0, +) ?? 0
  }
  blackHole(sum)
  return 0
}

/// Writes seed inputs into the folder named by `FUZZ_WRITE_SEEDS` and exits, when it is set.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>
) -> CInt {
  guard let folder = getenv("FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
  do {
    try writeSeeds(to: folder)
  } catch {
    fputs("seed: \(error)\n", stderr)
    exit(1)
  }
  exit(0)
}

@inline(never) func blackHole(_ value: Float) { if value.bitPattern == 0x7fc0_1234 { print("") } }

/// Small valid files: a matrix, a vector, a scalar and an empty tensor, with and without
/// metadata. Real exports are added by launch/fuzz.
func writeSeeds(to folder: String) throws {
  let values: [Float] = (0..<16).map { Float($0) * 0.5 }
  try values.withUnsafeBufferPointer { buffer in
    let base = buffer.baseAddress!
    let tensors: [(name: String, shape: [Int], data: UnsafePointer<Float>)] = [
      ("wte.weight", [3, 2], base), ("ln_f.bias", [2], base + 6), ("scale", [], base + 8),
      ("empty", [0, 4], base + 9),
    ]
    try SafeTensors.write(
      tensors: tensors, metadata: ["config": "{\"d_model\":2}", "format": "pt"],
      to: folder + "/seed-0.safetensors")
    try SafeTensors.write(
      tensors: Array(tensors.prefix(2)), metadata: [:], to: folder + "/seed-1.safetensors")
  }
}
