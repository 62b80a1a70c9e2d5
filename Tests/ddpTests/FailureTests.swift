import Foundation
import Training
import XCTest

/// Faults in real processes: a killed worker, a kill during a checkpoint write, preemption by
/// a signal, a change of worker count, a non-finite step, a silently diverged worker and a
/// stalled or stopped worker (the collective watchdog).
final class FailureTests: XCTestCase {
  var work: URL!

  override func setUpWithError() throws { work = try temporaryWorkDirectory("ddp-failure") }

  /// A text corpus of made-up paragraphs.
  func corpus() throws -> String {
    let path = work.appendingPathComponent("corpus.txt").path
    try writeMadeUpCorpus(
      to: path, paragraphs: 400, seed: 99, shortest: 6, spread: 10,
      words: ["alpha", "beta", "gamma", "delta", "is", "not", "a", "the", "of", "and", "so"])
    return path
  }

  /// A config of `steps` steps with a checkpoint every `every` steps; batch 8 divides among 1, 2
  /// and 4 workers.
  func config(steps: Int, every: Int, extra: String = "") throws -> String {
    let text = """
      [model]
      d_model = 48
      n_heads = 4
      n_layers = 2
      context = 32
      [train]
      steps = \(steps)
      batch = 8
      warmup = 5
      eval_every = 0
      eval_batches = 1
      checkpoint_every = \(every)
      keep_checkpoints = 3
      [data]
      path = "\(try corpus())"
      val_fraction = 0.1
      \(extra)
      """
    let path = work.appendingPathComponent("config-\(UUID().uuidString).toml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  func runDirectory(_ name: String) -> String { work.appendingPathComponent(name).path }

  /// Trains to the end without interruption and returns the final parameters.
  func uninterrupted(workers: Int, config: String, set: [String] = []) throws -> [Float] {
    let out = runDirectory("reference-\(workers)-\(UUID().uuidString)")
    let outcome = try runMPI(
      ["-np", "\(workers)", ddpExecutable, "train", "--config", config, "--out", out] + set)
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    return try finalParameters(out).values
  }

  func resume(workers: Int, out: String, extra: [String] = []) throws -> Outcome {
    try runMPI(["-np", "\(workers)", ddpExecutable, "train", "--out", out, "--resume"] + extra)
  }

  /// SIGKILL one rank mid-training: the job ends within 10 s, non-zero; `--resume` continues
  /// from the newest intact checkpoint to the parameters of an uninterrupted run, bit for bit.
  func testKilledWorkerEndsJobAndResumeIsBitIdentical() throws {
    for workers in [2, 4] {
      let config = try config(steps: 400, every: 20)
      let reference = try uninterrupted(workers: workers, config: config)
      let out = runDirectory("killed-\(workers)")
      let job = try BackgroundJob(
        workers: workers, arguments: ["train", "--config", config, "--out", out], folder: work)
      XCTAssertTrue(waitUntil { checkpointSteps(out).contains(40) }, job.stderr)
      let victim = try XCTUnwrap(job.pid(ofRank: workers - 1))
      kill(victim, SIGKILL)
      let ended = try XCTUnwrap(job.wait(timeout: 30), "the job hung after a worker died")
      XCTAssertNotEqual(ended.status, 0)
      XCTAssertLessThan(ended.seconds, 10, "\(workers) workers: \(ended.seconds) s")
      let stoppedAt = try XCTUnwrap(checkpointSteps(out).last)
      XCTAssertLessThan(stoppedAt, 400, "the job finished before the kill")
      let resumed = try resume(workers: workers, out: out)
      XCTAssertEqual(resumed.status, 0, resumed.stderr)
      XCTAssertTrue(resumed.stdout.contains("resuming \(out) at step \(stoppedAt)"), resumed.stdout)
      let final = try finalParameters(out)
      XCTAssertEqual(final.step, 400)
      XCTAssertTrue(final.values == reference, "\(workers) workers: resumed run differs")
    }
  }

  /// Rank 0 killed while it writes a checkpoint: the previous checkpoint stays intact and is
  /// the one resumed; the half-written file never takes the checkpoint's name.
  func testKillDuringCheckpointWriteKeepsThePreviousOne() throws {
    let config = try config(steps: 60, every: 20)
    let reference = try uninterrupted(workers: 2, config: config)
    let out = runDirectory("write-killed")
    let job = try BackgroundJob(
      workers: 2, arguments: ["train", "--config", config, "--out", out],
      environment: ["DDP_FAULT_CHECKPOINT_PAUSE": "40:60"], folder: work)
    let temporary = { () -> Bool in
      let names = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
      return names.contains { $0.hasPrefix("checkpoint-00000040.ckpt.tmp") }
    }
    XCTAssertTrue(waitUntil(temporary), job.stderr)
    kill(try XCTUnwrap(job.pid(ofRank: 0)), SIGKILL)
    let ended = try XCTUnwrap(job.wait(timeout: 30), "the job hung after rank 0 died")
    XCTAssertNotEqual(ended.status, 0)
    XCTAssertLessThan(ended.seconds, 10)
    XCTAssertEqual(checkpointSteps(out), [20])
    let resumed = try resume(workers: 2, out: out)
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertTrue(resumed.stdout.contains("at step 20"), resumed.stdout)
    XCTAssertTrue(resumed.stdout.contains("a checkpoint its writer did not finish"), resumed.stdout)
    let left = try FileManager.default.contentsOfDirectory(atPath: out)
    XCTAssertFalse(left.contains { $0.contains(".tmp") }, "\(left)")
    XCTAssertTrue(try finalParameters(out).values == reference)
  }

  /// `ddp train ... | head -1`: the closed pipe stops the run as SIGTERM does (the step
  /// finishes, a checkpoint is written, one line on standard error, exit 75), where SIGPIPE
  /// used to kill it with no message and no checkpoint.
  func testClosedOutputStopsWithACheckpoint() throws {
    let config = try config(steps: 4000, every: 0)
    let out = runDirectory("piped")
    let script =
      "set -o pipefail; \"$0\" train --config \"$1\" --out \"$2\" | head -1; "
      + "echo \"status ${PIPESTATUS[0]}\" >&2"
    let outcome = try runProcess("/bin/bash", ["-c", script, ddpExecutable, config, out])
    XCTAssertTrue(outcome.stderr.contains("status 75"), outcome.stderr)
    XCTAssertTrue(
      outcome.stderr.contains("stopped by SIGPIPE (standard output was closed) after step"),
      outcome.stderr)
    let step = try XCTUnwrap(checkpointSteps(out).last, "no checkpoint")
    XCTAssertLessThan(step, 4000)
    XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 2, outcome.stderr)
  }

  /// SIGTERM to mpirun (as a scheduler preempts) and SIGINT to a single process (Ctrl-C), sent
  /// after 20 of 4000 steps (about a millisecond each: a shorter run could end first):
  /// the step finishes, a checkpoint is written, the message says how to resume, and resuming
  /// ends where an uninterrupted run ends.
  func testPreemptionWritesACheckpointAndSaysHowToResume() throws {
    for (workers, signal, name) in [(2, SIGTERM, "SIGTERM"), (1, SIGINT, "SIGINT")] {
      let config = try config(steps: 4000, every: 0)
      let reference = try uninterrupted(workers: workers, config: config)
      let out = runDirectory("preempted-\(workers)")
      let job = try BackgroundJob(
        workers: workers == 1 ? nil : workers,
        arguments: ["train", "--config", config, "--out", out], folder: work)
      let metrics = out + "/metrics.jsonl"
      XCTAssertTrue(
        waitUntil {
          ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").split(separator: "\n")
            .count >= 20
        }, job.stderr)
      kill(job.process.processIdentifier, signal)
      let ended = try XCTUnwrap(job.wait(timeout: 30), "\(name): the job did not stop")
      XCTAssertLessThan(ended.seconds, 10)
      let step = try XCTUnwrap(checkpointSteps(out).last, "\(name): no checkpoint")
      XCTAssertLessThan(step, 4000, "the job ended before the signal")
      XCTAssertTrue(
        job.stdout.contains("stopped by \(name) after step \(step) with a checkpoint"),
        job.stdout + job.stderr)
      XCTAssertTrue(job.stdout.contains("ddp train --out \(out) --resume"), job.stdout)
      // "Stopped with a checkpoint, resume me" has its own code (EX_TEMPFAIL); mpirun reports
      // its own status after a signal.
      if workers == 1 { XCTAssertEqual(ended.status, 75, job.stderr) }
      let resumed = try resume(workers: workers, out: out)
      XCTAssertEqual(resumed.status, 0, resumed.stderr)
      XCTAssertTrue(try finalParameters(out).values == reference, "\(name)")
    }
  }

  /// While a run trains in a folder, every other run started on it is refused in one line
  /// (exit 2) and the running one goes on undisturbed: `--resume` with one and two workers (which
  /// would prune its checkpoints and interleave its metrics), its dry run, and a fresh run. Once
  /// the holder is killed (`kill -9`: no stale lock), the resume runs to the end.
  func testASecondRunOnABusyFolderIsRefused() throws {
    let config = try config(steps: 1_000_000, every: 10)
    let out = runDirectory("busy")
    let job = try BackgroundJob(
      workers: nil, arguments: ["train", "--config", config, "--out", out], folder: work)
    XCTAssertTrue(waitUntil { checkpointSteps(out).count >= 1 }, job.stderr)
    let refused = "cannot lock \"\(out)\": it is in use by another process"
    let attempts: [(label: String, run: () throws -> Outcome)] = [
      ("--resume", { try runDDP(["train", "--out", out, "--resume"]) }),
      ("--resume --dry-run", { try runDDP(["train", "--out", out, "--resume", "--dry-run"]) }),
      ("--resume, 2 workers", { try runWorkers(2, ["train", "--out", out, "--resume"]).0 }),
      ("fresh", { try runDDP(["train", "--config", config, "--out", out]) }),
    ]
    for (label, attempt) in attempts {
      let started = Date()
      let outcome = try attempt()
      XCTAssertLessThan(Date().timeIntervalSince(started), 30, label)
      XCTAssertNotEqual(outcome.status, 0, label)
      let lines = outcome.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, "\(label): \(outcome.stderr)")
      let expected = label == "fresh" ? "already holds a run" : refused
      XCTAssertTrue(outcome.stderr.contains(expected), "\(label): \(outcome.stderr)")
      XCTAssertEqual(outcome.status, 2, label)
    }
    XCTAssertTrue(job.process.isRunning, "the refused runs stopped the running one")
    kill(job.process.processIdentifier, SIGKILL)
    _ = job.wait(timeout: 30)
    let last = try XCTUnwrap(checkpointSteps(out).last)
    let resumed = try runDDP([
      "train", "--out", out, "--resume", "--set", "train.steps=\(last + 20)",
    ])
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertEqual(try finalParameters(out).step, last + 20)
    // One writer at a time: the log's steps rise, none twice.
    let steps = try loggedSteps(out)
    XCTAssertEqual(steps, Array(Set(steps)).sorted(), "metrics.jsonl was written by two runs")
  }

  /// `launch/ddp` outlives none of its ranks and leaves none behind. mpirun killed (`kill -9`):
  /// the script returns only after both ranks have ended, with one line. The script itself
  /// killed: mpirun gets SIGTERM (`setpriv --pdeathsig`), so the ranks stop with a checkpoint
  /// instead of training on unwatched. Either way the run resumes.
  func testLaunchScriptOutlivesNoneOfItsRanks() throws {
    try XCTSkipUnless(FileManager.default.fileExists(atPath: "/usr/bin/setpriv"), "no setpriv")
    let config = try config(steps: 1_000_000, every: 10)
    for victim in ["mpirun", "launch/ddp"] {
      let out = runDirectory("orphan-\(victim.replacingOccurrences(of: "/", with: "-"))")
      let job = try BackgroundJob(
        workers: 2, arguments: ["train", "--config", config, "--out", out], folder: work,
        throughLaunchScript: true)
      XCTAssertTrue(waitUntil { checkpointSteps(out).count >= 1 }, job.stderr)
      let script = job.process.processIdentifier
      let mpirun = try runProcess("/usr/bin/pgrep", ["-P", "\(script)", "-x", "mpirun"])
      let found = pid_t(mpirun.stdout.split(separator: "\n").first ?? "")
      let target = victim == "mpirun" ? try XCTUnwrap(found, "no mpirun") : script
      kill(target, SIGKILL)
      if victim == "mpirun" {
        _ = try XCTUnwrap(job.wait(timeout: 40), "launch/ddp did not return")
        XCTAssertNil(job.pid(ofRank: 0), "rank 0 outlived launch/ddp")
        XCTAssertNil(job.pid(ofRank: 1), "rank 1 outlived launch/ddp")
        let lines = job.stderr.split(separator: "\n").filter { $0.hasPrefix("launch/ddp: ") }
        XCTAssertEqual(lines.count, 1, job.stderr)
        XCTAssertTrue(
          lines.first?.contains("the job ended by signal 9 (a worker or mpirun itself") ?? false,
          job.stderr)
      } else {
        XCTAssertTrue(
          waitUntil(timeout: 20) { job.pid(ofRank: 0) == nil && job.pid(ofRank: 1) == nil },
          "the ranks trained on after launch/ddp was killed")
        // Stopped with a checkpoint of its last step (rank 0's "stopped by SIGTERM" line may
        // be lost: mpirun, told to stop, can end before it relays the ranks' last output).
        XCTAssertEqual(checkpointSteps(out).last, try loggedSteps(out).last, job.stdout)
      }
      let last = try XCTUnwrap(checkpointSteps(out).last)
      let resumed = try runWorkers(
        2, ["train", "--out", out, "--resume", "--set", "train.steps=\(last + 10)"]
      ).0
      XCTAssertEqual(resumed.status, 0, "\(victim): \(resumed.stderr)")
    }
  }

  /// `launch/ddp ... &` from a script starts with SIGINT ignored (a non-interactive shell's
  /// background job), which bash cannot trap: the script restores it, so `kill -INT` stops the
  /// job with a checkpoint and exit 75, as in the foreground. It used to train on to the end.
  func testSIGINTReachesABackgroundLaunch() throws {
    let out = runDirectory("background-sigint")
    let (status, log) = try signalBackgroundLaunch(into: out, kill: "kill -INT $job")
    XCTAssertEqual(status, 75, log)
    XCTAssertTrue(log.contains("stopped by SIGINT after step"), log)
    XCTAssertFalse(checkpointSteps(out).isEmpty)
  }

  /// Each rank resumes from the run folder where it runs (a copy per host). A copy whose
  /// newest checkpoint is missing or damaged falls back to an older one, so the ranks would
  /// train different steps and rank 0 would wait for rank 1 at the end (until
  /// `distributed.timeout_s`). Refused before any step: one line, exit 2, nothing written.
  func testRanksResumingFromDifferentStepsAreRefused() throws {
    let config = try config(steps: 6, every: 1)
    let hosts = (0..<2).map { runDirectory("per-host-\($0)-\(UUID().uuidString)") }
    for host in hosts {
      try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: false)
    }
    let trained = try runWorkers(
      1, ["train", "--config", config, "--out", "run", "--stop-at", "3"], directories: [hosts[0]]
    ).0
    XCTAssertEqual(trained.status, 0, trained.stderr)
    let newest = "run/checkpoint-00000003.ckpt"
    for damage in ["deleted", "truncated"] {
      try? FileManager.default.removeItem(atPath: hosts[1] + "/run")
      try FileManager.default.copyItem(atPath: hosts[0] + "/run", toPath: hosts[1] + "/run")
      if damage == "deleted" {
        try FileManager.default.removeItem(atPath: hosts[1] + "/" + newest)
      } else {
        XCTAssertEqual(truncate(hosts[1] + "/" + newest, 1000), 0)
      }
      let (outcome, _) = try runWorkers(
        2, ["train", "--out", "run", "--resume"], directories: hosts)
      XCTAssertEqual(outcome.status, 2, "\(damage): \(outcome.stderr)")
      XCTAssertEqual(
        outcome.stderr.split(separator: "\n"),
        [
          "ddp: run: rank 1 resumes from step 2 but rank 0 from step 3: the run folder differs "
            + "between their hosts (copy rank 0's folder to every host, then --resume)"
        ], damage)
      for host in hosts {
        XCTAssertFalse(
          FileManager.default.fileExists(atPath: host + "/run/checkpoint-00000004.ckpt"), damage)
      }
    }
  }

  /// A signal to the whole process group (a terminal's Ctrl-C, a scheduler cancelling a job
  /// step, `kill -- -PGID`) reaches mpirun too, which then reports 1 whatever its ranks
  /// returned: the ranks leave word of their checkpointed stop (`StopRecord`) and the script
  /// exits 75 all the same. It used to exit 1.
  func testASignalToTheWholeProcessGroupExits75() throws {
    for signal in ["INT", "TERM"] {
      let out = runDirectory("group-\(signal)")
      let (status, log) = try signalBackgroundLaunch(
        into: out, kill: "kill -\(signal) -- -$job", group: true)
      XCTAssertEqual(status, 75, "\(signal): \(log)")
      XCTAssertTrue(log.contains("stopped by SIG\(signal) after step"), "\(signal): \(log)")
      XCTAssertFalse(log.contains("a second signal"), "\(signal): \(log)")
      XCTAssertFalse(checkpointSteps(out).isEmpty, signal)
    }
  }

  /// Runs `launch/ddp -np 2 train ... &` from a bash script (a non-interactive shell's
  /// background job; with `group`, under `setsid`, so `$job` is also its process group), sends
  /// it the shell commands `kill` (`$job` is its pid) once it trains, and waits for it: its
  /// exit status, and its log with the script's own standard error.
  func signalBackgroundLaunch(
    into out: String, kill: String, group: Bool = false
  ) throws -> (Int32, String) {
    let config = try config(steps: 1_000_000, every: 0)
    let script = """
      \(group ? "setsid " : "")'\(packageRoot.path)/launch/ddp' -np 2 train --config '\(config)' \
        --out '\(out)' > '\(out).log' 2>&1 &
      job=$!
      while [ ! -s '\(out)/metrics.jsonl' ]; do sleep 0.1; done
      \(kill)
      wait $job
      """
    let outcome = try runProcess("/usr/bin/timeout", ["60", "/bin/bash", "-c", script])
    let log = (try? String(contentsOfFile: out + ".log", encoding: .utf8)) ?? ""
    return (outcome.status, outcome.stderr + log)
  }

  /// A sweep's death reaches its job's `launch/ddp` as SIGUSR1 (`setpriv --pdeathsig USR1`),
  /// once for each thread of the dying sweep the script is handed to: any number of them stop
  /// the ranks once, with a checkpoint and exit 75, and none after a SIGTERM (the sweep
  /// stopping its job, then killed). (Apart, so that the kernel does not merge them into one
  /// pending signal.)
  func testRepeatedParentDeathSignalsStopTheJobOnce() throws {
    for (name, kill) in [
      ("USR1", "kill -USR1 $job; sleep 0.2; kill -USR1 $job; sleep 0.2; kill -USR1 $job"),
      ("TERM-USR1", "kill -TERM $job; sleep 0.2; kill -USR1 $job"),
    ] {
      let out = runDirectory("parent-death-\(name)")
      let (status, log) = try signalBackgroundLaunch(into: out, kill: kill)
      XCTAssertEqual(status, 75, "\(name): \(log)")
      XCTAssertTrue(log.contains("stopped by SIGTERM after step"), "\(name): \(log)")
      XCTAssertFalse(log.contains("a second signal"), "\(name): \(log)")
      XCTAssertFalse(checkpointSteps(out).isEmpty, name)
    }
  }

  /// `launch/ddp ... | head -1`: at its next line of output (an evaluation's) mpirun aborts on
  /// SIGPIPE with three lines of its own, which the script turns into one; the ranks stop with
  /// a checkpoint the run resumes from, and the script exits 75.
  func testClosedStandardOutputUnderTheLaunchScriptIsOneLine() throws {
    let config = try config(steps: 1_000_000, every: 0)
    let out = runDirectory("piped")
    let outcome = try runProcess(
      "/usr/bin/timeout",
      [
        "60", "/bin/bash", "-c",
        "set -o pipefail; '\(packageRoot.path)/launch/ddp' -np 2 train --config '\(config)' "
          + "--out '\(out)' --set train.eval_every=20 | head -1",
      ])
    // Every rank stopped with a checkpoint (StopRecord), so 75 although mpirun reports 1.
    XCTAssertEqual(outcome.status, 75, outcome.stderr)
    XCTAssertEqual(outcome.stdout.split(separator: "\n").count, 1, outcome.stdout)
    XCTAssertEqual(
      outcome.stderr,
      "launch/ddp: standard output was closed, so mpirun stopped the job (a training run stops "
        + "with a checkpoint: ddp train --out RUN --resume)\n")
    let last = try XCTUnwrap(checkpointSteps(out).last, "no checkpoint at the stop")
    let resumed = try runWorkers(
      2, ["train", "--out", out, "--resume", "--set", "train.steps=\(last + 5)"]
    ).0
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
  }

  /// Checkpointed with 4 workers, resumed with 2 and then 1 at the same global batch: layernorm
  /// and rmsnorm end within summation-order tolerance of an uninterrupted run.
  func testElasticResumeWithFewerWorkers() throws {
    for norm in ["layernorm", "rmsnorm"] {
      let config = try config(steps: 30, every: 0, extra: "")
      let set = ["--set", "model.norm=\(norm)"]
      let reference = try uninterrupted(workers: 1, config: config, set: set)
      let out = runDirectory("elastic-\(norm)")
      let first = try runMPI(
        ["-np", "4", ddpExecutable, "train", "--config", config, "--out", out, "--stop-at", "10"]
          + set)
      XCTAssertEqual(first.status, 0, first.stderr)
      let second = try resume(workers: 2, out: out, extra: ["--stop-at", "20"])
      XCTAssertEqual(second.status, 0, second.stderr)
      let third = try resume(workers: 1, out: out)
      XCTAssertEqual(third.status, 0, third.stderr)
      let final = try finalParameters(out)
      XCTAssertEqual(final.step, 30)
      let largest = zip(final.values, reference).map { abs($0 - $1) }.max() ?? .infinity
      XCTAssertLessThan(largest, summationOrderTolerance, "\(norm): max |Δθ| = \(largest)")
    }
  }

  /// lr = 1e30 blows the parameters up after step 1, so step 2's loss is not finite: by default
  /// the run stops naming step 2 with one line and no checkpoint holding NaN; with
  /// `train.skip_nonfinite` such steps are skipped and the run ends with finite parameters.
  func testNonFiniteStepStopsOrIsSkipped() throws {
    let config = try config(steps: 4, every: 1)
    for workers in [1, 2] {
      let out = runDirectory("nan-stop-\(workers)")
      let stopped = try runMPI(
        [
          "-q", "-np", "\(workers)", ddpExecutable, "train", "--config", config, "--out", out,
          "--set", "train.lr=1e30", "--set", "train.min_lr=0",
        ])
      XCTAssertEqual(stopped.status, 1, stopped.stderr)
      let lines = stopped.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, stopped.stderr)
      XCTAssertTrue(stopped.stderr.contains("step 2: the loss or gradient is not finite"))
      XCTAssertTrue(
        stopped.stderr.contains("the newest checkpoint holds the last good state"), stopped.stderr)
      XCTAssertEqual(checkpointSteps(out), [1])
      // Without a checkpoint the line does not promise one.
      let bare = try runMPI(
        [
          "-q", "-np", "\(workers)", ddpExecutable, "train", "--config", config, "--out",
          runDirectory("nan-bare-\(workers)"), "--set", "train.lr=1e30", "--set",
          "train.min_lr=0", "--set", "train.checkpoint_every=0",
        ])
      XCTAssertEqual(bare.status, 1, bare.stderr)
      XCTAssertTrue(bare.stderr.contains("the run has no checkpoint yet"), bare.stderr)
      XCTAssertTrue(try finalParameters(out).values.allSatisfy(\.isFinite))

      let skipOut = runDirectory("nan-skip-\(workers)")
      let skipped = try runMPI(
        [
          "-q", "-np", "\(workers)", ddpExecutable, "train", "--config", config, "--out", skipOut,
          "--set", "train.lr=1e30", "--set", "train.min_lr=0", "--set",
          "train.skip_nonfinite=true",
        ])
      XCTAssertEqual(skipped.status, 0, skipped.stderr)
      XCTAssertTrue(skipped.stdout.contains("step 2:"), skipped.stdout)
      XCTAssertTrue(skipped.stdout.contains("step skipped"), skipped.stdout)
      let metrics = try String(contentsOfFile: skipOut + "/metrics.jsonl", encoding: .utf8)
      XCTAssertEqual(metrics.components(separatedBy: "\"skipped\":true").count - 1, 3)
      XCTAssertEqual(checkpointSteps(skipOut).last, 4)
      for step in checkpointSteps(skipOut) {
        let path = skipOut + "/" + Checkpoint.fileName(step: step)
        let loaded = try Checkpoint.read(path: path)
        XCTAssertTrue(loaded.parameters.values.allSatisfy(\.isFinite), "step \(step)")
        XCTAssertTrue(loaded.secondMoment.values.allSatisfy(\.isFinite), "step \(step)")
      }
    }
  }

  /// One ulp of one parameter on rank 1 after step 3: with `distributed.check_every = 2` the
  /// run stops at step 4 naming rank 1, one line, no checkpoint of the diverged state.
  func testSilentDivergenceIsCaught() throws {
    let config = try config(steps: 10, every: 0)
    let out = runDirectory("diverged")
    let outcome = try runMPI(
      [
        "-q", "-np", "2", "-x", "DDP_FAULT_DIVERGE=1:3", ddpExecutable, "train", "--config",
        config, "--out", out, "--set", "distributed.check_every=2",
      ])
    XCTAssertEqual(outcome.status, 1, outcome.stderr)
    XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
    XCTAssertTrue(
      outcome.stderr.contains("step 4: rank 1's parameters differ from rank 0's"), outcome.stderr)
    XCTAssertEqual(checkpointSteps(out), [])
  }

  /// How a watchdog case stops a rank: it sleeps outside MPI before a step (`DDP_FAULT_STALL`),
  /// or it gets SIGSTOP once the run has written a checkpoint.
  enum Stall {
    case sleeps(rank: Int, beforeStep: Int)
    case stopped(rank: Int)
    /// Sleeps before the step until a signal, which the test sends once the line is printed
    /// (the reporter waits `DDP_FAULT_ABORT_DELAY` before it aborts): the rank then completes
    /// the collective its peers timed out in, as a SIGSTOPped rank woken by mpirun's SIGCONT
    /// does.
    case wokenWhileEnding(rank: Int, beforeStep: Int)

    var step: Int? {
      switch self {
      case .sleeps(_, let step), .wokenWhileEnding(_, let step): step
      case .stopped: nil
      }
    }
  }

  /// A rank that stalls outside MPI, under launch/ddp with `distributed.timeout_s = 3`: the job
  /// ends within the timeout + 10 s with exit 1 and one line on standard error naming the step,
  /// the collective and the missing rank; the waiting ranks sleep instead of spinning a core;
  /// the ranks that end the job train no further, even when the missing rank wakes up in the
  /// meantime (nothing logged or checkpointed at or after the step the line names, no
  /// temporary file left); every checkpoint written before is intact, and `--resume` (with a
  /// new timeout, a key a resume may change) continues from the newest one.
  func testStalledRankEndsTheJobWithOneLine() throws {
    let timeout = 3.0
    let cases: [(stall: Stall, workers: Int, missing: String)] = [
      (.sleeps(rank: 1, beforeStep: 32), 2, "missing: rank 1 (stopped"),
      (.sleeps(rank: 0, beforeStep: 32), 2, "missing: rank 0 (stopped"),
      (.sleeps(rank: 2, beforeStep: 32), 3, "missing: rank 2 (stopped"),
      (.stopped(rank: 1), 2, "missing: rank 1 (stopped"),
      (.wokenWhileEnding(rank: 1, beforeStep: 32), 2, "missing: rank 1 (stopped"),
    ]
    for (index, (stall, workers, missing)) in cases.enumerated() {
      let steps = if case .stopped = stall { 4000 } else { 40 }
      let config = try config(steps: steps, every: 10)
      let out = runDirectory("stalled-\(index)")
      var environment: [String: String] = [:]
      switch stall {
      case .sleeps(let rank, let step): environment["DDP_FAULT_STALL"] = "\(rank):\(step):600"
      case .wokenWhileEnding(let rank, let step):
        environment["DDP_FAULT_STALL"] = "\(rank):\(step):signal"
        environment["DDP_FAULT_ABORT_DELAY"] = "2"
      case .stopped: break
      }
      let job = try BackgroundJob(
        workers: workers,
        arguments: [
          "train", "--config", config, "--out", out, "--set", "distributed.timeout_s=\(timeout)",
          "--set", "train.batch=6",
        ], environment: environment, folder: work, throughLaunchScript: true)
      var stalledAt = Date()
      var stopped: pid_t?
      switch stall {
      case .stopped(let rank):
        XCTAssertTrue(waitUntil { checkpointSteps(out).contains(20) }, job.stderr)
        stopped = try XCTUnwrap(job.pid(ofRank: rank))
        kill(try XCTUnwrap(stopped), SIGSTOP)
        stalledAt = Date()
      case .sleeps(let rank, let step):
        // The ranks waiting for the sleeper sleep between tests of their collective: well
        // under a core. (A rank stopped by SIGSTOP may stop inside a transfer, where its peers
        // spin in MPI until the timeout, so that case is not measured.)
        let metrics = out + "/metrics.jsonl"
        XCTAssertTrue(
          waitUntil {
            ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").split(separator: "\n")
              .count >= step - 1
          }, job.stderr)
        let waiting = try XCTUnwrap(job.pid(ofRank: rank == 0 ? 1 : 0))
        Thread.sleep(forTimeInterval: 0.3)
        let before = try XCTUnwrap(cpuSeconds(waiting))
        Thread.sleep(forTimeInterval: 1)
        let used = try XCTUnwrap(cpuSeconds(waiting)) - before
        XCTAssertLessThan(used, 0.25, "case \(index): a waiting rank used \(used) s of CPU in 1 s")
      case .wokenWhileEnding(let rank, let step):
        XCTAssertTrue(waitUntil { (try? loggedSteps(out))?.last == step - 1 }, job.stderr)
        stalledAt = Date()
        XCTAssertTrue(waitUntil { job.stderr.hasPrefix("ddp: step \(step): ") }, job.stderr)
        kill(try XCTUnwrap(job.pid(ofRank: rank)), SIGTERM)
      }
      let finished = job.wait(timeout: 60)
      if let stopped { kill(stopped, SIGKILL) }
      let ended = try XCTUnwrap(finished, "case \(index): the job hung")
      let seconds = Date().timeIntervalSince(stalledAt)
      XCTAssertEqual(ended.status, 1, "case \(index): \(job.stderr)")
      XCTAssertLessThan(seconds, timeout + 10, "case \(index)")
      let lines = job.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, "case \(index): \(job.stderr)")
      let line = job.stderr
      if let step = stall.step {
        XCTAssertTrue(line.hasPrefix("ddp: step \(step): "), "case \(index): \(line)")
      } else {
        XCTAssertTrue(line.hasPrefix("ddp: step "), "case \(index): \(line)")
      }
      let named = try XCTUnwrap(Int(line.dropFirst("ddp: step ".count).prefix { $0.isNumber }))
      XCTAssertEqual(
        try loggedSteps(out).last, named - 1, "case \(index): trained on after \(line)")
      XCTAssertTrue(line.contains(missing), "case \(index): \(line)")
      XCTAssertTrue(line.contains("(gradients)") || line.contains("(control)"), line)
      XCTAssertTrue(line.contains("within distributed.timeout_s = 3 s"), line)
      let names = try FileManager.default.contentsOfDirectory(atPath: out)
      let written = names.filter { $0.hasPrefix("checkpoint-") }
      XCTAssertEqual(written.count, checkpointSteps(out).count, "case \(index): \(names)")
      let newest = try XCTUnwrap(checkpointSteps(out).last, "case \(index): no checkpoint")
      if stall.step != nil { XCTAssertEqual(newest, 30, "case \(index)") }
      let resumed = try resume(
        workers: workers, out: out,
        extra: ["--set", "distributed.timeout_s=60", "--stop-at", "\(newest + 5)"])
      XCTAssertEqual(resumed.status, 0, "case \(index): \(resumed.stderr)")
      XCTAssertTrue(
        resumed.stdout.contains("resuming \(out) at step \(newest)"), "case \(index)")
      XCTAssertEqual(checkpointSteps(out).last, newest + 5, "case \(index)")
    }
  }

  /// Ranks of one mpirun job that run different commands: one line from rank 0 naming the
  /// rank that differs, exit 1, instead of mismatched collectives.
  func testRanksRunningDifferentCommandsAreNamed() throws {
    let config = try config(steps: 5, every: 0)
    let out = runDirectory("different-commands")
    let outcome = try runMPI(
      [
        "-q", "-np", "1", ddpExecutable, "train", "--config", config, "--out", out, ":", "-np",
        "1", ddpExecutable, "bench", "allreduce", "--max-bytes", "1024",
      ])
    XCTAssertEqual(outcome.status, 1, outcome.stderr)
    XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
    XCTAssertTrue(
      outcome.stderr.hasPrefix(
        "ddp: rank 1 was started with other arguments than rank 0 (ddp "
          + "train --config"), outcome.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out))
  }
}
