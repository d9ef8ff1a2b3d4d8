// What an experiment is: a plain-value config, a `run` that trains and measures (the only expensive part),
// and pure functions from its results to figures and claims. AnyExperiment erases the types for the pipeline.

import Engine
import Foundation
import Plot
import Report

/// A version of the training code, kept in the cache key beside the code hashes; bumping it forces a retrain of
/// everything even where no source file changed (a changed system library, say).
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

/// A config with a root seed, which `reseeded` replaces for each independent seed.
public protocol SeededConfig {
    var seed: UInt64 { get set }
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
    /// Bump to force a retrain; the cache key also holds a hash of the code (`sourceFiles` and all of Engine).
    var version: Int { get }
    var config: Config { get set }
    /// The root seed; every instance's seed derives from it by a fixed rule (`deriveSeed`).
    var seed: UInt64 { get }
    /// The files under Sources/Experiments whose code `run` executes (its own file first). Their hashes, with
    /// every file of Engine and CVector, are part of the cache key.
    var sourceFiles: [String] { get }
    /// How many independent seeds every trained claim is judged over (the first is `seed`, whose results the
    /// figures show). 1 for an experiment with no training.
    var independentSeeds: Int { get }
    /// The same experiment with another root seed.
    func reseeded(_ seed: UInt64) -> Self
    /// The IDs of its exact claims: identities, closed forms and constructions checked with no training (every
    /// other claim is trained and judged over seeds).
    var exactClaims: Set<String> { get }
    /// Checks the config, naming the first bad value.
    func validate() throws
    /// The same experiment at a few hundred steps on small grids: a check that the whole pipeline runs end to end in
    /// seconds (tests, `PAPER_SMOKE=1`). Its numbers mean nothing. Written at the end of the experiment's file, after
    /// `// MARK: - Smoke`, which leaves it out of the code hash.
    var smoke: Self { get }
    /// A number proportional to the time `run` takes (for the estimate of a tier run's full cost), or nil.
    var trainingWork: Double? { get }
    /// Trains and measures. Deterministic: a function of the config only (never of the thread count).
    func run(_ context: RunContext) throws -> Results
    /// The figures: a pure function of the results.
    func figures(_ results: Results) -> [FigureOutput]
    /// The claims, checked by code from the results.
    func claims(_ results: Results) -> [Claim]
}

extension Experiment {
    public func validate() throws {}
    public var independentSeeds: Int { 3 }
    public var exactClaims: Set<String> { [] }
    public var trainingWork: Double? { nil }
}

extension Experiment where Config: SeededConfig {
    public func reseeded(_ seed: UInt64) -> Self { var e = self; e.config.seed = seed; return e }
}

/// The root seed of independent seed `k` of an experiment whose root seed is `root` (k = 0 is the root itself).
public func independentSeed(_ root: UInt64, _ k: Int) -> UInt64 { k == 0 ? root : deriveSeed(root, 0x5EED, UInt64(k)) }

/// The cache key's content: everything that decides an experiment's results.
struct CacheKey: Codable {
    var experiment: String
    var experimentVersion: Int
    var engineVersion: Int
    /// FNV-1a 64 of every source file that decides the results, by path under Sources/.
    var code: [String: String]
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

/// The hashes of the code an experiment's results depend on: every file of Engine and CVector, and its own files.
/// A declared file that the build did not hash is named in `missing`.
func codeDependencies(_ files: [String], table: [String: String]) -> (code: [String: String], missing: [String]) {
    var code = table.filter { $0.key.hasPrefix("Engine/") || $0.key.hasPrefix("CVector/") }
    var missing: [String] = []
    for f in files {
        let path = "Experiments/" + f
        if let h = table[path] { code[path] = h } else { missing.append(path) }
    }
    return (code, missing)
}

/// Which builds train an experiment: every build (`paper`), or only `paper build --tier large`, whose run is committed
/// as a snapshot (paper/tiers/) that every other build shows, marked with where it came from.
public enum Tier: String, Sendable, CaseIterable {
    case paper, large
}

/// A type-erased experiment, as the pipeline sees it.
public struct AnyExperiment: Sendable {
    public let id: String
    public let tier: Tier
    /// The experiment's `trainingWork` for one seed.
    public let trainingWork: Double?
    public let title: String
    public let section: String
    /// The root seed of each independent seed; the first is the experiment's own.
    public let seeds: [UInt64]
    /// One line of canonical JSON per seed: experiment id, versions, code hashes and the full config.
    public let keys: [String]
    /// A short hash of the first seed's key, recorded with each claim.
    public let configHash: String
    /// The cache entry of each independent seed (`cacheID`).
    var cacheIDs: [String]
    /// The config as canonical JSON (sorted keys).
    public let configJSON: Data
    let validateBody: @Sendable () throws -> Void
    let smokeBody: @Sendable () -> AnyExperiment
    let makeVariant: @Sendable (Data, Int?) throws -> AnyExperiment
    let fieldsBody: @Sendable () -> [ConfigField]
    let treeBody: @Sendable () -> JSONValue
    let compute: @Sendable (Int, RunContext) throws -> Data
    let render: @Sendable ([Data]) throws -> (figures: [FigureOutput], claims: [Claim])

    /// The first seed's cache key.
    public var key: String { keys[0] }

    /// The cache entry's name for independent seed `k`.
    public func cacheID(_ k: Int) -> String { cacheIDs[k] }

    /// The cache entry holding the weights that independent seed `k` trained (`WeightsPayload`).
    public func weightsID(_ k: Int) -> String { cacheID(k) + ".weights" }

    /// - Parameters:
    ///   - code: the source hashes to key by (the build's own by default; tests pass others).
    ///   - seeds: the number of independent seeds, when not the experiment's own (the smoke run uses one).
    ///   - tier: the builds that train it (its smoke version is trained by every build).
    public init<E: Experiment>(_ e: E, code table: [String: String]? = nil, seeds count: Int? = nil, tier: Tier = .paper) {
        id = e.id; title = e.title; section = e.section; self.tier = tier; trainingWork = e.trainingWork
        let (code, missing) = codeDependencies(e.sourceFiles, table: table ?? codeHashes)
        let variants = (0..<max(1, count ?? e.independentSeeds)).map { e.reseeded(independentSeed(e.seed, $0)) }
        seeds = variants.map(\.seed)
        keys = variants.map { v in
            String(decoding: try! canonicalJSON(CacheKey(experiment: v.id, experimentVersion: v.version, engineVersion: engineVersion,
                                                          code: code, config: AnyEncodable(v.config))), as: UTF8.self)
        }
        configHash = keyHash(keys[0])
        cacheIDs = keys.indices.map { [id = e.id] k in k == 0 ? id : "\(id).seed\(k)" }
        configJSON = (try? canonicalJSON(e.config)) ?? Data()
        let seeds = self.seeds
        makeVariant = { data, count in
            var v = e
            do { v.config = try JSONDecoder().decode(E.Config.self, from: data) } catch {
                throw VariantError("the config does not fit \(e.id)'s fields: \(describe(error))")
            }
            return AnyExperiment(v, code: table, seeds: count ?? e.independentSeeds, tier: tier)
        }
        smokeBody = { AnyExperiment(e.smoke, code: table, seeds: 1) }
        fieldsBody = { Variant.fields(of: e.config) }
        treeBody = { Variant.tree(of: e.config) }
        validateBody = {
            if !missing.isEmpty {
                throw EngineError.invalidConfig("\(e.id) names source files the build did not hash: \(missing.joined(separator: ", "))")
            }
            try e.validate()
        }
        compute = { k, ctx in try canonicalJSON(try variants[k].run(ctx)) }
        let hash = configHash
        render = { data in
            let results = try data.map { try JSONDecoder().decode(E.Results.self, from: $0) }
            let exact = e.exactClaims
            let perSeed = zip(variants, results).map { v, r in v.claims(r).map { exact.contains($0.id) ? $0.exact() : $0 } }
            var claims: [Claim] = []
            for first in perSeed[0] {
                // The same claim on every seed that produced it (a claim made only when a run exists may be missing
                // from some seeds; it is then judged on the seeds that have it).
                let same = zip(perSeed, seeds).compactMap { list, s in list.first { $0.id == first.id }.map { ($0, s) } }
                var c = Claim.combine(same.map(\.0), seeds: same.map(\.1))
                c.experiment = e.id; c.seed = e.seed; c.configHash = hash
                claims.append(c)
            }
            return (e.figures(results[0]), claims)
        }
    }

    public func validate() throws { try validateBody() }

    /// The experiment's smoke version (`Experiment.smoke`), on one seed.
    public var smoke: AnyExperiment { smokeBody() }

    /// This experiment with its cache entries named by content where its keys differ from `base`'s.
    func sharingCache(with base: AnyExperiment) -> AnyExperiment {
        var v = self
        v.cacheIDs = keys.indices.map { k in
            k < base.keys.count && base.keys[k] == keys[k] ? base.cacheIDs[k] : "\(id)-\(keyHash(keys[k]))"
        }
        return v
    }

    /// A short hash of every seed's key: names a run's or an export's folder (two seed counts, two folders).
    public var runHash: String { keyHash(keys.joined(separator: "\n")) }

    /// Whether every seed is the paper's own (same key as the registry's experiment).
    public func isSameRun(as base: AnyExperiment) -> Bool { keys.count == base.keys.count && keys == base.keys }
    /// Runs independent seed `k` of the experiment and returns its results as canonical JSON.
    public func run(seed k: Int, _ ctx: RunContext) throws -> Data { try compute(k, ctx) }
    /// Figures (from the first seed) and claims (joined over seeds) from each seed's results (cheap; never trains).
    public func outputs(from results: [Data]) throws -> (figures: [FigureOutput], claims: [Claim]) { try render(results) }
}

/// A decoding error in one line: the field's path and what was wrong.
func describe(_ error: Error) -> String {
    func path(_ ctx: DecodingError.Context) -> String {
        ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error as? DecodingError {
    case .typeMismatch(_, let c)?, .valueNotFound(_, let c)?, .dataCorrupted(let c)?:
        return "\(path(c)): \(c.debugDescription)"
    case .keyNotFound(let k, let c)?:
        return "\(path(c).isEmpty ? "" : path(c) + ".")\(k.stringValue) is missing"
    default:
        return "\(error)"
    }
}

/// The toy models' recipe of every smoke run: 150 steps of batch 64.
let smokeRecipe = TrainingRecipe(steps: 150, batch: 64, logEvery: 50)
