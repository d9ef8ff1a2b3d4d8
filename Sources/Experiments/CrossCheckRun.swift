// The cross-check against the PyTorch reference (bench/torch_reference.py): `paper crosscheck` (through
// `make crosscheck`) runs each covered experiment with the reference training every toy model in our engine's
// place (`Trainer.withExternal`), then judges the reference's models with the same claim code as ours, seed by seed,
// and writes paper/crosscheck.json. `make paper` only reads that file (Report/CrossCheck.swift compares).
// The reference draws its own data and initial weights (another RNG), so the two are compared as distributions over
// seeds, never run by run. Nothing here touches the results cache.

import Engine
import Foundation
import Report

/// The experiments the cross-check covers by default: every model of theirs is one the reference trains (the toy
/// model, with or without hidden ReLU, bias and L1, and the absolute-value model).
public let crossCheckedExperiments = ["intro", "basic20", "phase2", "uniform", "dynamics", "abs", "l1"]

/// Experiments whose models the reference has no counterpart for and that would not stop by themselves (the large
/// model refuses to train under the reference; the product MLPs of `vsa` would train in our engine).
let notCrossCheckable = ["vsa": "its product MLPs have no counterpart in the reference"]

/// One `torch_reference.py serve --threads 1` process: a request line in, a reply line out.
final class TorchWorker: @unchecked Sendable {
    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private var buffer = Data()

    /// Starts the process and reads its first line, {"torch", "python"}; fails with one line when it cannot.
    init(python: String, script: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "serve", "--threads", "1"]
        let inPipe = Pipe(), outPipe = Pipe()
        process.standardInput = inPipe; process.standardOutput = outPipe
        input = inPipe.fileHandleForWriting; output = outPipe.fileHandleForReading
        try process.run()
        guard let line = readLine(), let hello = try? JSONDecoder().decode(Hello.self, from: line) else {
            process.terminate()
            throw PipelineError.io("\(python) \(script) serve did not start (is torch installed in that environment?)")
        }
        self.hello = hello
    }

    struct Hello: Decodable { var torch = ""; var python = "" }
    /// The process's first line: its torch and Python versions.
    private(set) var hello = Hello()

    deinit {
        try? input.close()
        process.waitUntilExit()
    }

    /// Sends one line and returns the line that answers it; nil when the process has ended.
    func exchange(_ line: Data) -> Data? {
        input.write(line + Data("\n".utf8))
        return readLine()
    }

    private func readLine() -> Data? {
        while true {
            if let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<nl]
                buffer = Data(buffer[(nl + 1)...])
                return Data(line)
            }
            let more = output.availableData
            if more.isEmpty { return nil }
            buffer.append(more)
        }
    }
}

/// Trains toy models (and §9's absolute-value models) with the PyTorch reference: one request per `Trainer.train`
/// call, over pipes to `threads` Python processes (`torch_reference.py serve`), each with one torch thread. A request
/// with several specs is trained in two halves (the first ⌊k/2⌋ specs and the rest), each on whichever process is
/// free; so the models, and the file, are the same whatever the number of processes. The processes end with the
/// object.
public final class TorchTrainer: ExternalTrainer, @unchecked Sendable {
    public let torchVersion: String
    public let pythonVersion: String
    private let workers: [TorchWorker]
    private var idle: [Int]
    private let idleChanged = NSCondition()
    private let countLock = NSLock()
    private var trainedCount = 0
    /// Models trained so far.
    public var models: Int { countLock.lock(); defer { countLock.unlock() }; return trainedCount }

    /// Starts `threads` processes `python script serve --threads 1`; fails with one line when it cannot (no such
    /// Python, no torch).
    public init(python: String, script: String, threads: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw PipelineError.io("no Python at \(python): `make crosscheck` creates the virtual environment with torch")
        }
        guard FileManager.default.fileExists(atPath: script) else { throw PipelineError.io("no reference script at \(script)") }
        workers = try (0..<max(1, threads)).map { _ in try TorchWorker(python: python, script: script) }
        idle = Array(workers.indices)
        torchVersion = workers[0].hello.torch; pythonVersion = workers[0].hello.python
    }

    /// Runs `body` on a process no other thread is using, waiting for one to be free.
    private func withWorker<T>(_ body: (TorchWorker) throws -> T) rethrows -> T {
        idleChanged.lock()
        while idle.isEmpty { idleChanged.wait() }
        let k = idle.removeLast()
        idleChanged.unlock()
        defer { idleChanged.lock(); idle.append(k); idleChanged.signal(); idleChanged.unlock() }
        return try body(workers[k])
    }

    struct Weights: Codable, Sendable {
        var W: [Float]; var b: [Float]; var c: [Float]?
        init(W: [Float], b: [Float], c: [Float]?) { self.W = W; self.b = b; self.c = c }
        init(_ model: ToyModel) { self.init(W: model.W, b: model.b, c: model.c) }
    }
    struct Request<Spec: Encodable & Sendable>: Encodable, Sendable {
        var kind: String
        var specs: [Spec]
        var recipe: TrainingRecipe
        var initial: [Weights?]? = nil
        var snapshots: [Int]? = nil
    }
    struct Reply: Decodable {
        struct Model: Decodable {
            var W: [Float]?; var b: [Float]; var c: [Float]?; var lossCurve: [Float]?
            var W1: [Float]?; var W2: [Float]?
            var snapshots: [Weights]?
        }
        var models: [Model]?
        var error: String?
    }

    /// Sends one request and returns the reference's models, one per spec: a request with several specs goes as two
    /// halves, trained at the same time when two processes are free.
    private func ask<Spec: Encodable & Sendable>(_ request: Request<Spec>) throws -> [Reply.Model] {
        let count = request.specs.count
        let parts = count < 2 ? [0..<count] : [0..<(count / 2), (count / 2)..<count]
        let replies = Slots<Result<[Reply.Model], Error>>(count: parts.count)
        DispatchQueue.concurrentPerform(iterations: parts.count) { i in
            var part = request
            part.specs = Array(request.specs[parts[i]])
            part.initial = request.initial.map { Array($0[parts[i]]) }
            replies[i] = Result { try withWorker { try ask(part, on: $0) } }
        }
        let models = try replies.values.flatMap { try $0!.get() }
        countLock.lock(); trainedCount += models.count; countLock.unlock()
        return models
    }

    private func ask<Spec: Encodable & Sendable>(_ request: Request<Spec>, on worker: TorchWorker) throws -> [Reply.Model] {
        guard let line = worker.exchange(try JSONEncoder().encode(request)) else {
            throw PipelineError.io("the PyTorch reference exited without an answer")
        }
        let reply: Reply
        do { reply = try JSONDecoder().decode(Reply.self, from: line) } catch {
            throw PipelineError.io("the PyTorch reference answered something that is not a reply: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        if let e = reply.error { throw PipelineError.io("the PyTorch reference: \(e)") }
        guard let ms = reply.models, ms.count == request.specs.count else {
            throw PipelineError.io("the PyTorch reference returned \(reply.models?.count ?? 0) models for \(request.specs.count) specs")
        }
        return ms
    }

    private func toy(_ s: ToyModelSpec, _ w: Weights) -> ToyModel {
        ToyModel(n: s.n, m: s.m, activation: s.activation, W: w.W, b: w.b, hidden: s.hidden, c: s.hiddenBias ? w.c : nil)
    }

    private func trained(_ s: ToyModelSpec, _ r: Reply.Model) throws -> TrainedModel {
        guard let W = r.W, W.count == s.m * s.n, r.b.count == s.n else {
            throw PipelineError.io("the PyTorch reference returned a model that does not match its spec (\(s.n) × \(s.m))")
        }
        return TrainedModel(spec: s, model: toy(s, Weights(W: W, b: r.b, c: r.c)), lossCurve: r.lossCurve ?? [])
    }

    public func train(_ specs: [ToyModelSpec], recipe: TrainingRecipe, initial: [ToyModel?]?) throws -> [TrainedModel] {
        let request = Request(kind: "toy", specs: specs, recipe: recipe,
                              initial: initial?.map { $0.map(Weights.init) })
        return try zip(specs, try ask(request)).map { try trained($0, $1) }
    }

    public func trainWithSnapshots(_ spec: ToyModelSpec, recipe: TrainingRecipe, initial: ToyModel?,
                                   at steps: [Int]) throws -> (trained: TrainedModel, snapshots: [ToyModel]) {
        let request = Request(kind: "toy", specs: [spec], recipe: recipe,
                              initial: [initial.map(Weights.init)], snapshots: steps)
        let r = try ask(request)[0]
        return (try trained(spec, r), (r.snapshots ?? []).map { toy(spec, $0) })
    }

    public func trainAbs(_ specs: [AbsSpec], recipe: TrainingRecipe) throws -> [AbsModel] {
        try zip(specs, try ask(Request(kind: "abs", specs: specs, recipe: recipe))).map { s, r in
            guard let W1 = r.W1, let W2 = r.W2, W1.count == s.m * s.n, W2.count == s.n * s.m, r.b.count == s.n else {
                throw PipelineError.io("the PyTorch reference returned an absolute-value model that does not match its spec")
            }
            return AbsModel(n: s.n, m: s.m, W1: W1, W2: W2, b: r.b)
        }
    }
}

extension Pipeline {
    /// Runs `names` (default `crossCheckedExperiments`) with the reference training every model, judges them with
    /// our claim rules, and writes paper/crosscheck.json after each experiment: its entry replaced, the others kept.
    /// `script`: the reference (bench/torch_reference.py); `python`: a Python with torch.
    /// `seeds`: each experiment's first `seeds` independent seeds instead of all of them (a quicker, weaker check).
    public func crossCheck(names: [String], seeds: Int? = nil, python: String, script: String, threads: Int,
                           machine: String) throws -> CrossCheckFile {
        let chosen = try select(names.isEmpty ? crossCheckedExperiments : names).map { e in
            try seeds.map { try e.variant(config: e.configTree, seeds: $0) } ?? e
        }
        try validate(chosen)
        for e in chosen { if let why = notCrossCheckable[e.id] { throw PipelineError.experimentFailed(e.id, "it cannot be cross-checked: \(why)") } }
        let old = try readCrossCheck()
        let torch = try TorchTrainer(python: python, script: script, threads: threads)
        let ctx = RunContext(threads: threads, log: log)
        let commit = commitDescription() ?? "unknown"
        let order = Dictionary(experiments.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var result = CrossCheckFile(provenance: .init(torch: torch.torchVersion, python: torch.pythonVersion, commit: commit,
                                                      date: ISO8601DateFormatter().string(from: Date()), machine: machine, threads: threads),
                                    experiments: old?.experiments ?? [], claims: old?.claims ?? [])
        for (k, e) in chosen.enumerated() {
            let t0 = Date(), before = torch.models
            log("[\(k + 1)/\(chosen.count)] \(e.id): the PyTorch reference trains \(e.seeds.count) seeds")
            var results: [Data] = []
            for s in e.keys.indices {
                do { results.append(try Trainer.withExternal(torch) { try e.run(seed: s, ctx) }) }
                catch { throw PipelineError.experimentFailed(e.id, "under the PyTorch reference: \(error)") }
            }
            guard torch.models > before else {
                throw PipelineError.experimentFailed(e.id, "it trained no toy model through the reference, so there is nothing to cross-check")
            }
            let out = try e.outputs(from: results)
            let claims = out.claims.filter { $0.kind == .trained }.map { c in
                var c = c; c.experiment = e.id; c.configHash = e.configHash; c.seed = e.seeds[0]; return c
            }
            let seconds = Date().timeIntervalSince(t0)
            let entry = CrossCheckFile.Experiment(id: e.id, configHash: e.configHash, seeds: e.seeds, models: torch.models - before,
                                                  seconds: (seconds * 10).rounded() / 10,
                                                  date: ISO8601DateFormatter().string(from: Date()), commit: commit)
            // Each experiment is written as it finishes (replacing its old entry), so that a long run stopped part way
            // keeps what it did; the file is replaced whole each time, never half-written.
            result.experiments = (result.experiments.filter { $0.id != e.id } + [entry]).sorted { (order[$0.id] ?? .max) < (order[$1.id] ?? .max) }
            result.claims = (result.claims.filter { $0.experiment != e.id } + claims).sorted { (order[$0.experiment] ?? .max) < (order[$1.experiment] ?? .max) }
            _ = try Files.write(try result.encoded(), to: paths.crossCheck)
            log("[\(k + 1)/\(chosen.count)] \(e.id) … \(torch.models - before) models in \(String(format: "%.1f", seconds)) s")
        }
        return result
    }

    /// paper/crosscheck-notes.tsv, when there is one; a malformed line is an error naming it.
    func readCrossCheckNotes() throws -> [String: String] {
        guard let text = try? String(contentsOf: paths.crossCheckNotes, encoding: .utf8) else { return [:] }
        return try CrossCheckNotes.parse(text, file: "paper/crosscheck-notes.tsv")
    }

    /// paper/crosscheck.json, when there is one; one that does not parse is an error naming it.
    func readCrossCheck() throws -> CrossCheckFile? {
        guard let data = try? Data(contentsOf: paths.crossCheck) else { return nil }
        return try CrossCheckFile.decode(data, file: "paper/crosscheck.json")
    }
}
