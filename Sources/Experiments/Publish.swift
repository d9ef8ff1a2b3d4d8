// `paper publish`: the full build, with the run's provenance (commit, versions, each
// experiment's config hash and seed, wall time) appended. site/ is never committed, so it may hold what changes
// from run to run; report.md and claims.json never do.

import Foundation
import Plot
import Report

extension Pipeline {
    /// Builds everything and writes site/ with a provenance section; returns the build summary.
    public func publish(threads: Int, force: Bool = false) throws -> BuildSummary {
        try build(force: force, threads: threads, provenance: provenanceHTML)
    }

    func provenanceHTML(_ s: BuildSummary) -> String {
        let commit = commitDescription() ?? "unknown"
        let stamp = ISO8601DateFormatter().string(from: Date())
        var rows = experiments.map { e in
            "<tr><td>\(htmlEscape(e.id))</td><td>\(htmlEscape(e.section))</td><td><code>\(s.snapshotHashes[e.id] ?? e.configHash)</code></td>"
                + "<td>\(s.fromSnapshot.contains(e.id) ? "its tier's committed snapshot (paper/tiers/)" : s.experimentSeconds[e.id].map { String(format: "%.1f s", $0) } ?? "—")</td></tr>"
        }
        rows.insert("<tr><th>experiment</th><th>section</th><th>config hash</th><th>time in this run</th></tr>", at: 0)
        return """
        <h2 id="provenance">Provenance</h2>
        <div class="provenance">
        <p>Built \(stamp) from commit <code>\(htmlEscape(commit))</code>; engine version \(engineVersion);
        Cairo \(cairoVersion()); wall time of this run \(String(format: "%.1f", s.seconds)) s
        (\(s.trained.count) experiments trained, \(s.cached.count) from the cache). Seeds derive from each experiment's
        root seed; the config hash covers the experiment, its versions and its full config.</p>
        <table>\(rows.joined())</table>
        </div>
        """
    }

    /// The checkout's commit, with "with uncommitted changes" when tracked files differ from it; nil outside git.
    func commitDescription() -> String? {
        git(["rev-parse", "HEAD"]).map { c in
            c + ((git(["status", "--porcelain", "--untracked-files=no"]) ?? "").isEmpty ? "" : " with uncommitted changes")
        }
    }

    func git(_ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        p.arguments = ["-C", paths.root.path] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
