// libFuzzer harness for the checkpoint reader (`Checkpoint.read(bytes:)`); built and run by
// launch/fuzz, never by `swift build` (this folder is outside Sources).
//
// Each input is read twice: as it is, and with its last 8 bytes replaced by the FNV-1a 64 of
// the bytes before them, so that mutations also reach the code past the checksum test (the
// tensor data, loading by name, the stored config). Any crash is a reader bug: every input
// must either load or throw a `CheckpointError`.

import Config
import Datasets
import Models
import Support
import Training

#if canImport(Glibc)
  import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  exercise(bytes)
  if bytes.count >= 8 {
    exercise(withValidChecksum(bytes))
  }
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

/// `bytes` with the trailing checksum recomputed over everything before it.
func withValidChecksum(_ bytes: [UInt8]) -> [UInt8] {
  var fixed = bytes
  let end = fixed.count - 8
  let hash = FNV1a64.hash(fixed[..<end])
  for i in 0..<8 { fixed[end + i] = UInt8(truncatingIfNeeded: hash >> (8 * UInt64(i))) }
  return fixed
}

/// Reads `bytes`, then uses everything a command uses after a read: every tensor by name,
/// loading into storage of the stored layouts, and the stored config.
func exercise(_ bytes: [UInt8]) {
  guard let loaded = try? Checkpoint.read(bytes: bytes) else { return }
  var sum: Float = 0
  for group in [loaded.parameters, loaded.buffers, loaded.firstMoment, loaded.secondMoment] {
    for entry in group.layout.entries {
      sum += group.values(entry.name)?.reduce(0, +) ?? 0
    }
  }
  let storage = [loaded.parameters, loaded.buffers, loaded.firstMoment, loaded.secondMoment]
    .map { FlatTensors(layout: $0.layout) }
  try? loaded.load(
    parameters: storage[0], buffers: storage[1], firstMoment: storage[2],
    secondMoment: storage[3])
  _ = try? RunConfig.load(tomlText: loaded.metadata.configTOML)
  blackHole(sum)
}

@inline(never) func blackHole(_ value: Float) { if value.bitPattern == 0x7fc0_1234 { print("") } }

/// Small valid checkpoints: a parameter matrix, a vector and BatchNorm statistics, with a data
/// fingerprint; and one with no buffers and no fingerprint (as older checkpoints). Real run
/// checkpoints are added by launch/fuzz.
func writeSeeds(to folder: String) throws {
  for (index, withBuffers) in [true, false].enumerated() {
    var parameters = TensorLayout()
    parameters.add("h.0.attn.qkv.weight", [3, 2])
    parameters.add("h.0.ln_1.bias", [2])
    parameters.add("scalar", [])
    var buffers = TensorLayout()
    if withBuffers {
      buffers.add("h.0.ln_1.running_mean", [2])
      buffers.add("h.0.ln_1.running_var", [2])
    }
    let groups = [parameters, buffers, parameters, parameters].map(FlatTensors.init(layout:))
    for (g, group) in groups.enumerated() {
      for i in 0..<group.count { group.pointer[i] = Float(g * 10 + i) * 0.25 }
    }
    let metadata = CheckpointMetadata(
      configTOML: RunConfig().tomlText, step: 3, optimizerStep: 3,
      sampler: RandomNumbers(seed: 7), workers: 2, extra: ["note": "seed"],
      data: withBuffers
        ? DataFingerprint(files: [
          .init(name: "a.txt", bytes: 12, hash: 0x0123_4567_89AB_CDEF),
          .init(name: "b.txt", bytes: 0, hash: FNV1a64.offsetBasis),
        ]) : nil)
    try Checkpoint.write(
      metadata: metadata, parameters: groups[0], buffers: groups[1], firstMoment: groups[2],
      secondMoment: groups[3], to: folder + "/seed-\(index).ckpt")
  }
}
