// Atomic file writes (temporary file, fsync, rename) so that a crash never leaves a half-written figure,
// report or cache entry, and a lock so that two builds in one checkout do not interleave.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Errors of the pipeline.
public enum PipelineError: Error, CustomStringConvertible {
    case io(String)
    case unknownExperiment(String, known: [String])
    case experimentFailed(String, String)
    case locked(String)

    public var description: String {
        switch self {
        case .io(let s): return s
        case .unknownExperiment(let name, let known):
            return "unknown experiment '\(name)'; known experiments: \(known.joined(separator: ", "))"
        case .experimentFailed(let id, let why): return "experiment \(id) failed: \(why)"
        case .locked(let p): return "another paper build holds the lock \(p); wait for it to finish"
        }
    }
}

public enum Files {
    /// Writes `data` to `url` atomically: a temporary file in the same folder, fsync, then rename.
    /// Returns false (and writes nothing) when the file already holds exactly these bytes.
    @discardableResult
    public static func write(_ data: Data, to url: URL) throws -> Bool {
        if let old = try? Data(contentsOf: url), old == data { return false }
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // The host name too: sweep tasks on several machines may share a cache folder (and a process id).
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(hostTag).\(getpid()).tmp")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw PipelineError.io("cannot write \(tmp.path): \(String(cString: strerror(errno)))") }
        var ok = true
        data.withUnsafeBytes { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { ok = false; break }
                off += n
            }
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp.path, url.path) == 0 else {
            unlink(tmp.path)
            throw PipelineError.io("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        return true
    }

    /// Removes temporary files (".NAME.HOST.PID.tmp") that a killed run left in `dir`: those of this host whose
    /// process is gone, and those of other hosts (sweep tasks sharing the folder) older than a day. A live
    /// writer's file (a sweep task or a variant running beside the build) is left alone. Call with the build lock held.
    public static func removeStaleTemporaries(in dir: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return }
        for name in names where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            let url = dir.appendingPathComponent(name)
            let parts = name.dropLast(4).split(separator: ".")
            let pid = parts.last.flatMap { Int32($0) }
            let sameHost = parts.count >= 3 && parts[parts.count - 2] == hostTag[...]
            let stale: Bool
            if let pid, sameHost {
                stale = kill(pid, 0) != 0 && errno == ESRCH
            } else {
                let age = (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate).map { -$0.timeIntervalSinceNow }
                stale = (age ?? 0) > 86_400
            }
            if stale { try? FileManager.default.removeItem(at: url) }
        }
    }

    /// This host's name as it appears in temporary files' names (no dots).
    static let hostTag = ProcessInfo.processInfo.hostName.replacingOccurrences(of: ".", with: "_")

    /// Writes a string as UTF-8, atomically.
    @discardableResult
    public static func write(_ text: String, to url: URL) throws -> Bool { try write(Data(text.utf8), to: url) }
}

/// An exclusive lock on a file (flock), held until `release` or process exit (the kernel drops it when the
/// process dies, so a killed build never leaves a stale lock).
public final class FileLock {
    private let fd: Int32
    public let path: String

    /// Takes the lock. When another process holds it: with `wait`, says so through `log` and blocks until it is
    /// free; without, fails at once.
    public init(_ url: URL, wait: Bool = false, log: (String) -> Void = { _ in }) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        path = url.path
        fd = open(url.path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw PipelineError.io("cannot open lock \(url.path)") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard wait else { close(fd); throw PipelineError.locked(url.path) }
            log("another paper build in this checkout holds \(url.path); waiting for it to finish")
            guard flock(fd, LOCK_EX) == 0 else { close(fd); throw PipelineError.locked(url.path) }
        }
    }

    private var closed = false

    /// Releases the lock and closes its descriptor, once (a second call, or the deinit after it, does nothing: closing
    /// the number again could close another file opened since).
    public func release() {
        guard !closed else { return }
        closed = true
        flock(fd, LOCK_UN); close(fd)
    }
    deinit { if !closed { close(fd) } }
}
