// A sweep on a Slurm cluster, through Slurm's own commands: one job array for the tasks (`sbatch --array=…%K`,
// each array task runs `paper task <manifest> $SLURM_ARRAY_TASK_ID`) and one gather job that waits for it
// (`--dependency=afterok:<array job>`). Where tasks stand comes from the cache and `squeue` (clusters without an
// accounting database have no `sacct`). Nothing here schedules: Slurm does.

import Foundation

public enum Slurm {
    /// What a submission did.
    public struct Submission: Codable, Sendable {
        public var arrayJob: String
        public var gatherJob: String
        public var tasks: [Int]
    }

    /// The job script of the array: runs one task of the manifest, with the array task's id.
    static func taskScript(paper: String, root: String, manifest: String, threads: Int) -> String {
        """
        #!/bin/bash
        # One task of a paper sweep (written by `paper sweep --slurm`); Slurm sets SLURM_ARRAY_TASK_ID.
        set -euo pipefail
        cd \(shellQuoted(root))
        exec \(shellQuoted(paper)) task \(shellQuoted(manifest)) "$SLURM_ARRAY_TASK_ID" --root \(shellQuoted(root)) --threads \(threads)

        """
    }

    /// `--array` ranges for a list of task indices: `0-5`, `1,3,7-9`.
    static func arraySpec(_ tasks: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let t = tasks.sorted()
        while i < t.count {
            var j = i
            while j + 1 < t.count && t[j + 1] == t[j] + 1 { j += 1 }
            parts.append(i == j ? "\(t[i])" : "\(t[i])-\(t[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// Runs a Slurm command, returning its standard output; a failure is an error with the command's own message.
    public static func run(_ args: [String], environment: [String: String]? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        do { try p.run() } catch { throw SweepError("cannot run \(args[0]): \(error)") }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let msg = String(decoding: e, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw SweepError("\(args.joined(separator: " ")) failed (exit \(p.terminationStatus)): \(msg.isEmpty ? "no message" : msg)")
        }
        return String(decoding: o, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Submits the tasks as one job array and a gather job after it. `paper` is the binary the nodes run.
    public static func submit(manifest: URL, tasks: [Int], paper: String, root: String, partition: String?, maxRunning: Int?,
                              threads: Int) throws -> Submission {
        let folder = manifest.deletingLastPathComponent()
        let logs = folder.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let script = folder.appendingPathComponent("task.sh")
        try Files.write(taskScript(paper: paper, root: root, manifest: manifest.path, threads: threads), to: script)
        var common = ["--parsable", "--cpus-per-task=\(threads)"]
        if let partition { common.append("--partition=\(partition)") }
        let array = arraySpec(tasks) + (maxRunning.map { "%\($0)" } ?? "")
        let job = try run(["sbatch"] + common + ["--job-name=paper-sweep", "--array=\(array)",
                                                 "--output=\(logs.path)/task-%a.out", script.path])
        guard let arrayJob = job.split(separator: ";").first.map(String.init), !arrayJob.isEmpty else {
            throw SweepError("sbatch accepted the job array but printed no job id")
        }
        // Recorded at once, so that --status sees the array even if the gather's submission fails.
        var s = Submission(arrayJob: arrayJob, gatherJob: "", tasks: tasks)
        try Files.write(try canonicalJSON(s, pretty: true), to: folder.appendingPathComponent("slurm.json"))
        let gather = try run(["sbatch"] + common + ["--job-name=paper-gather", "--dependency=afterok:\(arrayJob)",
                                                    "--output=\(logs.path)/gather-\(arrayJob).out",
                                                    "--wrap=\(shellQuoted(paper)) gather \(shellQuoted(manifest.path)) --root \(shellQuoted(root)) --threads \(threads)"])
        s.gatherJob = gather.split(separator: ";").first.map(String.init) ?? ""
        try Files.write(try canonicalJSON(s, pretty: true), to: folder.appendingPathComponent("slurm.json"))
        return s
    }

    /// The last submission of a sweep, if any.
    public static func lastSubmission(manifest: URL) -> Submission? {
        let url = manifest.deletingLastPathComponent().appendingPathComponent("slurm.json")
        guard let d = FileManager.default.contents(atPath: url.path) else { return nil }
        return try? JSONDecoder().decode(Submission.self, from: d)
    }

    /// The array tasks of `job` that Slurm still lists, with their state (running or pending). A pending array is
    /// listed as one line with a range (`12_[3-5%2]`).
    public static func activeTasks(job: String) throws -> [Int: TaskState] {
        let text = try run(["squeue", "-h", "-r", "-j", job, "-o", "%i %T"])
        var out: [Int: TaskState] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let us = parts[0].firstIndex(of: "_") else { continue }
            let state: TaskState = parts[1] == "RUNNING" || parts[1] == "COMPLETING" ? .running : .pending
            if let i = Int(parts[0][parts[0].index(after: us)...]) { out[i] = state }
        }
        return out
    }

    /// Cancels a job (a gather job left waiting on an array that failed).
    public static func cancel(_ job: String) { if !job.isEmpty { _ = try? run(["scancel", job]) } }
}
