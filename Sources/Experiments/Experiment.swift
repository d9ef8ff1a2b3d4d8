// What an experiment is: a plain-value config, a `run` that trains and measures (the only expensive part),
// and pure functions from its results to figures and claims. AnyExperiment erases the types for the pipeline.

import Engine
import Foundation
import Plot
import Report

/// The version of the training code. Bump it when a change to Engine changes what any experiment computes;
/// every cached result is then recomputed.
public let engineVersion = 2

/// What `run` may use: the thread count and a progress line printer.
public struct RunContext: Sendable {
    public var threads: Int
    public var log: @Sendable (String) -> Void
    public init(threads: Int, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.threads = threads; self.log = log
    }
}

/// A rendered figure: its file name (without extension), caption, and drawing.
public struct FigureOutput {
    public var name: String
    public var caption: String
    public var drawing: Drawing
    public init(name: String, caption: String, drawing: Drawing) {
        self.name = name; self.caption = caption; self.drawing = drawing
    }
}

/// One experiment of the paper (or beyond it).
public protocol Experiment: Sendable {
    associatedtype Config: Codable & Sendable
    associatedtype Results: Codable & Sendable
    /// The name on the command line and in the cache, e.g. "intro".
    var id: String { get }
    var title: String { get }
    /// The paper section it reproduces, e.g. "§1 Introduction".
    var section: String { get }
    /// Bump when this experiment's `run` changes what it computes.
    var version: Int { get }
    var config: Config { get }
    /// The root seed; every instance's seed derives from it by a fixed rule (`deriveSeed`).
    var seed: UInt64 { get }
    /// Checks the config, naming the first bad value.
    func validate() throws
    /// Trains and measures. Deterministic: a function of the config only (never of the thread count).
    func run(_ context: RunContext) throws -> Results
    /// The figures: a pure function of the results.
    func figures(_ results: Results) -> [FigureOutput]
    /// The claims, checked by code from the results.
    func claims(_ results: Results) -> [Claim]
}

extension Experiment {
    public func validate() throws {}
}

/// The cache key's content: everything that decides an experiment's results.
struct CacheKey: Codable {
    var experiment: String
    var experimentVersion: Int
    var engineVersion: Int
    var config: AnyEncodable
}

struct AnyEncodable: Codable {
    let encodeTo: @Sendable (Encoder) throws -> Void
    init<T: Encodable & Sendable>(_ v: T) { encodeTo = { try v.encode(to: $0) } }
    func encode(to encoder: Encoder) throws { try encodeTo(encoder) }
    init(from decoder: Decoder) throws { fatalError("CacheKey is never decoded") }
}

/// JSON with sorted keys: the same values give the same bytes.
func canonicalJSON<T: Encodable>(_ v: T, pretty: Bool = false) throws -> Data {
    let enc = JSONEncoder()
    enc.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try enc.encode(v)
}

/// A type-erased experiment, as the pipeline sees it.
public struct AnyExperiment: Sendable {
    public let id: String
    public let title: String
    public let section: String
    /// One line of canonical JSON: experiment id, versions and the full config.
    public let key: String
    /// A short hash of the key, recorded with each claim.
    public let configHash: String
    let validateBody: @Sendable () throws -> Void
    let compute: @Sendable (RunContext) throws -> Data
    let render: @Sendable (Data) throws -> (figures: [FigureOutput], claims: [Claim])

    public init<E: Experiment>(_ e: E) {
        id = e.id; title = e.title; section = e.section
        let keyData = try! canonicalJSON(CacheKey(experiment: e.id, experimentVersion: e.version,
                                                   engineVersion: engineVersion, config: AnyEncodable(e.config)))
        key = String(decoding: keyData, as: UTF8.self)
        let h = String(fnv1a64(keyData), radix: 16)
        configHash = String(repeating: "0", count: 16 - h.count) + h
        validateBody = { try e.validate() }
        compute = { ctx in try canonicalJSON(try e.run(ctx)) }
        let hash = configHash
        render = { data in
            let results = try JSONDecoder().decode(E.Results.self, from: data)
            let claims = e.claims(results).map { c -> Claim in
                var c = c
                c.experiment = e.id; c.seed = e.seed; c.configHash = hash
                return c
            }
            return (e.figures(results), claims)
        }
    }

    public func validate() throws { try validateBody() }
    /// Runs the experiment and returns its results as canonical JSON.
    public func run(_ ctx: RunContext) throws -> Data { try compute(ctx) }
    /// Figures and claims from results (cheap; never trains).
    public func outputs(from results: Data) throws -> (figures: [FigureOutput], claims: [Claim]) { try render(results) }
}
