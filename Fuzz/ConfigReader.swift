// libFuzzer harness for the run-configuration reader (`RunConfig.load(tomlText:overrides:)`):
// config files, the config stored in every checkpoint, and `--set` overrides are user input.
// Built and run by launch/fuzz, never by `swift build` (this folder is outside Sources).
//
// Any crash is a reader bug: every input must either load or throw a `ConfigError`.

import Config

#if canImport(Glibc)
  import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  if let config = try? RunConfig.load(tomlText: text) {
    // What a run directory keeps must load back equal.
    guard (try? RunConfig.load(tomlText: config.tomlText)) == config else {
      fatalError("tomlText of a loaded config does not load back equal")
    }
  }
  _ = try? RunConfig.load(tomlText: "", overrides: [text])
  return 0
}

/// Writes seed inputs into the folder named by `FUZZ_WRITE_SEEDS` and exits, when it is set.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>
) -> CInt {
  guard let folder = getenv("FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
  let seeds = [
    RunConfig().tomlText,
    "[model]\nd_model = 16 # channels\nnorm = 'rmsnorm'\n[train]\nlr = 3e-4\n",
    "model.n_heads=2",
    "[data]\npath = \"\"\"\n/tmp/x\"\"\"\n[distributed]\noverlap = false\n",
  ]
  for (index, text) in seeds.enumerated() {
    guard let file = fopen(folder + "/seed-\(index).toml", "wb") else { exit(1) }
    fputs(text, file)
    fclose(file)
  }
  exit(0)
}
