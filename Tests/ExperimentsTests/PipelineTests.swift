// The pipeline: caching, retraining only what changed, bad input, and byte-identical output across thread
// counts and between cached and fresh results.
import Engine
import Foundation
import Report
import Testing
@testable import Experiments

private let source = ["01.md": "# T\n\n{{figure a-fig | a test figure}}\n\n{{claim T-a}} and {{claim T-b}}\n\n{{claims-table}}\n"]

@Test func secondBuildUsesTheCacheAndAChangedConfigRetrainsOnlyThatExperiment() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    let ca = RunCounter(), cb = RunCounter()
    func pipeline(_ b: Double) -> Pipeline {
        Pipeline(experiments: [AnyExperiment(Counting(id: "a", config: .init(value: 1), counter: ca)),
                               AnyExperiment(Counting(id: "b", config: .init(value: b), counter: cb))],
                 paths: Paths(root: root), log: { _ in })
    }
    let first = try pipeline(1).build(threads: 1)
    #expect(first.trained == ["a", "b"])
    let second = try pipeline(1).build(threads: 1)
    #expect(second.cached == ["a", "b"] && second.trained.isEmpty)
    let third = try pipeline(3).build(threads: 1)
    #expect(third.trained == ["b"] && third.cached == ["a"])
    #expect(ca.count == 1 && cb.count == 2)
    #expect(third.count(.fail) == 1)   // b = 3 is outside 1 ± 0.5, and the report says so
    let claims = try String(contentsOf: root.appendingPathComponent("paper/claims.json"), encoding: .utf8)
    #expect(claims.contains("\"status\" : \"fail\""))
    let forced = try pipeline(3).build(force: true, threads: 1)
    #expect(forced.trained == ["a", "b"])
}

@Test func aCorruptCacheEntryIsRecomputed() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    let c = RunCounter()
    let p = Pipeline(experiments: [AnyExperiment(Counting(id: "a", config: .init(value: 1), counter: c)),
                                   AnyExperiment(Counting(id: "b", config: .init(value: 1), counter: RunCounter()))],
                     paths: Paths(root: root), log: { _ in })
    _ = try p.build(threads: 1)
    let entry = root.appendingPathComponent(".cache/a.cache")
    try Data("tms-cache 1\n".utf8).write(to: entry)
    #expect(p.explain(p.experiments[0]).contains("unusable"))
    let again = try p.build(threads: 1)
    #expect(again.trained == ["a"] && c.count == 2)
}

@Test func unknownExperimentIsAnErrorNamingTheKnownOnes() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    let p = Pipeline(experiments: [AnyExperiment(Counting(id: "a", config: .init(value: 1), counter: RunCounter()))],
                     paths: Paths(root: root), log: { _ in })
    #expect(throws: PipelineError.self) { try p.build(names: ["nope"], threads: 1) }
    do { _ = try p.build(names: ["nope"], threads: 1) } catch {
        #expect("\(error)" == "unknown experiment 'nope'; known experiments: a")
    }
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("figures").path))
}

@Test func invalidConfigStopsTheBuildBeforeAnythingIsWritten() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    let p = Pipeline(experiments: [AnyExperiment(Counting(id: "a", config: .init(value: 1), counter: RunCounter())),
                                   AnyExperiment(Counting(id: "b", config: .init(value: -1), counter: RunCounter()))],
                     paths: Paths(root: root), log: { _ in })
    do { _ = try p.build(threads: 1); Issue.record("expected an error") } catch {
        #expect("\(error)" == "experiment b failed: invalid config: value must be non-negative, got -1.0")
    }
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("figures").path))
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent(".cache/a.cache").path))
}

@Test func unknownPlaceholderFailsTheBuildNamingFileAndLineAndKeepsTheOldReport() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    let mk = { Pipeline(experiments: [AnyExperiment(Counting(id: "a", config: .init(value: 1), counter: RunCounter())),
                                      AnyExperiment(Counting(id: "b", config: .init(value: 1), counter: RunCounter()))],
                        paths: Paths(root: root), log: { _ in }) }
    _ = try mk().build(threads: 1)
    let report = root.appendingPathComponent("paper/report.md")
    let before = try Data(contentsOf: report)
    try "intro\n\n{{claim C42}}\n".write(to: root.appendingPathComponent("paper/src/02.md"), atomically: true, encoding: .utf8)
    do { _ = try mk().build(threads: 1); Issue.record("expected an error") } catch {
        #expect("\(error)".hasPrefix("paper/src/02.md:3: {{claim C42}} names nothing known"))
    }
    #expect(try Data(contentsOf: report) == before)
}

/// A small intro config: the real experiment, short enough for a debug-build test.
private func smallIntro() -> Intro {
    var c = IntroConfig()
    c.recipe = TrainingRecipe(steps: 300, batch: 64, logEvery: 50)
    c.restarts = 2
    c.sweepDensities = [1, 0.3]
    c.evalSamples = 2048
    return Intro(config: c)
}

@Test func outputsAreByteIdenticalAcrossThreadCountsAndBetweenCachedAndFreshResults() throws {
    let src = ["01.md": "{{figure intro-panels | the paper's Fig 1.1}}\n{{figure intro-sweep | the notebook's sweep}}\n{{claim C1.1}}\n{{claims-table}}\n"]
    let root = try temporaryRoot(sources: src)
    defer { try? FileManager.default.removeItem(at: root) }
    let p = Pipeline(experiments: [AnyExperiment(smallIntro())], paths: Paths(root: root), log: { _ in })
    _ = try p.build(force: true, threads: 1)
    let one = snapshot(root)
    _ = try p.build(force: true, threads: 2)
    let two = snapshot(root)
    let cached = try p.build(threads: 2)
    #expect(cached.cached == ["intro"])
    let three = snapshot(root)
    #expect(one.keys.contains("/figures/intro-panels.png") && one.keys.contains("/paper/claims.json"))
    #expect(one == two)
    #expect(two == three)

    // A different seed gives different results.
    var other = smallIntro(); other.config.seed = 1
    let root2 = try temporaryRoot(sources: src)
    defer { try? FileManager.default.removeItem(at: root2) }
    _ = try Pipeline(experiments: [AnyExperiment(other)], paths: Paths(root: root2), log: { _ in }).build(threads: 2)
    #expect(snapshot(root2)["/figures/intro-panels.png"] != one["/figures/intro-panels.png"])
}

@Test func introRejectsInvalidConfigs() {
    var c = IntroConfig(); c.m = 5
    #expect(throws: EngineError.self) { try Intro(config: c).validate() }
    c = IntroConfig(); c.panelDensities = [1, -0.2]
    #expect(throws: EngineError.invalidConfig("a density must be in (0, 1], got -0.2")) { try Intro(config: c).validate() }
    c = IntroConfig(); c.recipe.steps = 0
    #expect(throws: EngineError.invalidConfig("steps must be positive, got 0")) { try Intro(config: c).validate() }
}

/// An experiment whose training diverges (an enormous learning rate on huge importances).
private struct Diverging: Experiment {
    var smoke: Self { self }
    struct Config: Codable, Sendable { var lr: Float = 1e30 }
    var config = Config()
    var id: String { "diverging" }
    var title: String { "diverges" }
    var section: String { "§0" }
    var version: Int { 1 }
    var seed: UInt64 { 1 }
    var sourceFiles: [String] { [] }
    var independentSeeds: Int { 1 }
    func reseeded(_ seed: UInt64) -> Diverging { self }
    func run(_ context: RunContext) throws -> [TrainedModel] {
        let spec = ToyModelSpec(n: 3, m: 2, activation: .linear, importance: [3e38, 3e38, 3e38], density: 1, seed: 1)
        return try Trainer.train([spec, spec], recipe: TrainingRecipe(steps: 20, batch: 8, lr: config.lr), threads: 1)
    }
    func figures(_ r: [TrainedModel]) -> [FigureOutput] { [] }
    func claims(_ r: [TrainedModel]) -> [Claim] { [] }
}

@Test func aDivergingRunStopsWithAnErrorNamingExperimentInstanceAndStep() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    let p = Pipeline(experiments: [AnyExperiment(Diverging())], paths: Paths(root: root), log: { _ in })
    do { _ = try p.build(threads: 1); Issue.record("expected an error") } catch {
        #expect("\(error)".hasPrefix("experiment diverging failed: training diverged: instance 0, step 1"))
    }
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent(".cache/diverging.cache").path))
}

@Test func explainNamesTheConfigFieldThatChanged() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    let c = RunCounter()
    _ = try Pipeline(experiments: [AnyExperiment(Counting(id: "a", config: .init(value: 1), counter: c))],
                     paths: Paths(root: root), log: { _ in }).build(names: ["a"], threads: 1, writeReport: false)
    let changed = Pipeline(experiments: [AnyExperiment(Counting(id: "a", config: .init(value: 2), counter: c))],
                           paths: Paths(root: root), log: { _ in })
    let text = changed.explain(changed.experiments[0])
    #expect(text.contains("would be retrained"))
    #expect(text.contains("config.value: cached 1 → now 2"))
}

@Test func checkPassesOnAnIdenticalRenderAndFailsOnAChangedMissingOrNewFigureOrARegression() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    let counter = RunCounter()
    func pipeline(_ b: Double) -> Pipeline {
        Pipeline(experiments: [AnyExperiment(Counting(id: "a", config: .init(value: 1), counter: counter)),
                               AnyExperiment(Counting(id: "b", config: .init(value: b), counter: counter))],
                 paths: Paths(root: root), log: { _ in })
    }
    _ = try pipeline(1).build(threads: 1)
    let clean = try pipeline(1).check(threads: 1)
    #expect(!clean.failed && clean.figures.allSatisfy { $0.status == .identical })

    // A changed baseline picture: caught, with images for a person to compare.
    let fig = root.appendingPathComponent("figures/a-fig.png")
    let original = try Data(contentsOf: fig)
    try Counting(id: "a", config: .init(value: 4), counter: RunCounter()).figures(.init(value: 4))[0].drawing.png().write(to: fig)
    let changed = try pipeline(1).check(threads: 1)
    #expect(changed.failed && changed.figures.first?.name == "a-fig" && changed.figures.first?.status == .changed)
    #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("check/a-fig-diff.png").path))
    #expect(try String(contentsOf: changed.page, encoding: .utf8).contains("a-fig"))
    // Accepting it restores the pass; nothing else is rewritten.
    #expect(try pipeline(1).accept(figures: ["a-fig"], threads: 1) == ["a-fig"])
    #expect(try Data(contentsOf: fig) == original)
    #expect(try pipeline(1).accept(figures: ["a-fig"], threads: 1).isEmpty)
    #expect(throws: PipelineError.self) { try pipeline(1).accept(figures: ["nope"], threads: 1) }
    // With a cold cache, an unknown name is refused before anything trains.
    let cold = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: cold) }
    let coldCounter = RunCounter()
    let coldPipeline = Pipeline(experiments: [AnyExperiment(Counting(id: "a", config: .init(value: 1), counter: coldCounter))],
                                paths: Paths(root: cold), log: { _ in })
    do {
        _ = try coldPipeline.accept(figures: ["a-fgi"], threads: 1)
        Issue.record("an unknown figure was accepted")
    } catch {
        #expect("\(error)" == "unknown figure 'a-fgi' (a new figure that no source places yet is accepted with --all); known figures: a-fig")
    }
    #expect(coldCounter.count == 0)

    // A missing baseline is a new figure; a stray baseline is a missing one.
    try FileManager.default.moveItem(at: fig, to: root.appendingPathComponent("figures/old.png"))
    let moved = try pipeline(1).check(threads: 1)
    #expect(moved.failed)
    #expect(Set(moved.figures.filter { $0.status != .identical }.map { "\($0.name):\($0.status.rawValue)" }) == ["a-fig:new", "old:missing"])
    try FileManager.default.moveItem(at: root.appendingPathComponent("figures/old.png"), to: fig)

    // A claim that went from pass to fail.
    let regressed = try pipeline(3).check(threads: 1)
    #expect(regressed.failed)
    #expect(regressed.claims.map(\.id) == ["T-b"] && regressed.claims[0].regression)
}

// MARK: Guarding the verdicts

private func change(_ before: Claim?, _ after: Claim?) -> ClaimChange { ClaimChange(id: "X", before: before, after: after) }
private let passing = Claim.within("X", section: "§0", "x", paper: 1, ours: 1, tolerance: 0.1, reason: "r")

@Test func checkFailsWhenAClaimVanishesChangesKindOrLeavesPass() {
    var inconclusive = passing; inconclusive.status = .inconclusive
    var unchecked = passing; unchecked.status = .unchecked
    var failing = passing; failing.status = .fail
    #expect(change(passing, nil).regressionReason == "disappeared")
    #expect(change(passing, inconclusive).regressionReason == "moved from pass to inconclusive")
    #expect(change(passing, unchecked).regressionReason == "moved from pass to unchecked")
    #expect(change(passing, failing).regressionReason == "moved from pass to fail")
    #expect(change(passing, passing.exact()).regressionReason == "changed kind from trained to exact")
    // Allowed: a new claim, a claim that starts to pass, a failing value that moves.
    #expect(change(nil, passing).regressionReason == nil)
    #expect(change(failing, passing).regressionReason == nil)
    #expect(change(failing, inconclusive).regressionReason == nil)
}

@Test func aChangeToAnExperimentsSourceFileChangesItsCacheKeyAndExplainNamesTheFile() throws {
    struct Sourced: Experiment {
        var smoke: Self { self }
        struct Config: Codable, Sendable, SeededConfig { var seed: UInt64 = 3 }
        struct Results: Codable, Sendable { var seed: UInt64 }
        var config = Config()
        let counter: RunCounter
        var id: String { "sourced" }
        var title: String { "sourced" }
        var section: String { "§0" }
        var version: Int { 1 }
        var seed: UInt64 { config.seed }
        var sourceFiles: [String] { ["Sourced.swift"] }
        func run(_ context: RunContext) throws -> Results { counter.hit(); return Results(seed: config.seed) }
        func figures(_ r: Results) -> [FigureOutput] { [] }
        func claims(_ r: Results) -> [Claim] { [] }
    }
    let root = try temporaryRoot(sources: [:])
    defer { try? FileManager.default.removeItem(at: root) }
    let counter = RunCounter()
    let before = ["Engine/Kernels.swift": "1111", "Experiments/Sourced.swift": "aaaa", "Experiments/Other.swift": "0000"]
    var after = before; after["Experiments/Sourced.swift"] = "bbbb"
    var unrelated = before; unrelated["Experiments/Other.swift"] = "ffff"
    func pipeline(_ code: [String: String]) -> Pipeline {
        Pipeline(experiments: [AnyExperiment(Sourced(counter: counter), code: code)], paths: Paths(root: root), log: { _ in })
    }
    _ = try pipeline(before).build(names: ["sourced"], threads: 1, writeReport: false)
    #expect(counter.count == 3)   // three independent seeds, each run once
    _ = try pipeline(unrelated).build(names: ["sourced"], threads: 1, writeReport: false)
    #expect(counter.count == 3)   // another experiment's file: nothing retrains
    let p = pipeline(after)
    #expect(p.explain(p.experiments[0]).contains("code.Experiments/Sourced.swift: cached \"aaaa\" → now \"bbbb\""))
    _ = try p.build(names: ["sourced"], threads: 1, writeReport: false)
    #expect(counter.count == 6)   // its own file changed: every seed retrains, with no version bump
    var engine = after; engine["Engine/Kernels.swift"] = "2222"
    let q = pipeline(engine)
    #expect(q.explain(q.experiments[0]).contains("code.Engine/Kernels.swift"))
    // A declared file the build did not hash is refused by name.
    let missing = Pipeline(experiments: [AnyExperiment(Sourced(counter: counter), code: ["Engine/Kernels.swift": "1"])],
                           paths: Paths(root: root), log: { _ in })
    #expect(throws: PipelineError.self) { try missing.build(names: ["sourced"], threads: 1, writeReport: false) }
}

@Test func everyRegisteredExperimentDeclaresSourceFilesTheBuildHashed() throws {
    for e in Registry.all { try e.validate() }
    #expect(codeHashes.keys.contains("Engine/Kernels.swift") && codeHashes.keys.contains("Experiments/Intro.swift"))
}

/// Running them is the smoke build's job: PaperCLITests build, publish and check every smoke experiment through the
/// real binary (16 s more here in a debug build, for nothing those tests do not already show).
@Test func everyRegisteredExperimentHasASmokeVersionOnOneSeedThatValidates() throws {
    #expect(Registry.smoke.map(\.id) == Registry.all.map(\.id))
    for (full, smoke) in zip(Registry.all, Registry.smoke) {
        try smoke.validate()
        #expect(smoke.seeds.count == 1, "\(smoke.id)")
        #expect(smoke.key != full.key, "\(smoke.id)'s smoke config is its full config")
    }
}

@Test func aMalformedCausesTableIsNamedAndACauseIsShownOnlyWhenTheClaimDoesNotPass() throws {
    #expect(throws: ReportError.self) { try CausesFile.parse("C1.1\tbecause\tx", file: "c.tsv") }
    #expect(throws: ReportError.self) { try CausesFile.parse("C1.1 no tabs", file: "c.tsv") }
    let causes = try CausesFile.parse("# comment\n\nX\tdoes not hold\tevidence\n", file: "c.tsv")
    var failing = passing; failing.status = .fail
    #expect(try CausesFile.apply(causes, to: [failing], file: "c.tsv")[0].cause == FailureCause(.doesNotHold, "evidence"))
    #expect(try CausesFile.apply(causes, to: [passing], file: "c.tsv")[0].cause == nil)
    #expect(throws: ReportError.self) { try CausesFile.apply(causes, to: [], file: "c.tsv") }
}
