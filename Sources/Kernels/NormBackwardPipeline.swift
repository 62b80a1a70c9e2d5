/// The widest rows (C) for which the LayerNorm and RMSNorm backwards pipeline their two passes:
/// one loop does the first pass (the row sums and the `dweight` / `dbias` terms) of row r and
/// the second (`dinp`) of row r − 1, loading each vector of `weight` once for both and keeping
/// more independent work in flight than a row's sums-then-gradient dependency allows.
///
/// Measured on this machine's core (AMD EPYC, AVX-512, 32 KB L1, 1 MB L2), ns per row against
/// the row-at-a-time loops: 9-14% faster at C = 64, 128 and 256 whenever the rows come from L2
/// or L3 (256 to 4096 rows), as fast or up to 10% faster at C = 512 from cache but slower from
/// memory, and 5-20% slower at C = 1024, where the two rows of x and dout it holds (16 KB) and
/// the streams of the next rows no longer fit in L1 together. So only up to 256; the same
/// limit for both kernels, so `ddp bench norms` still compares the formulas.
let normBackwardPipelineChannels = 256
