// The opt-in tiers: `paper build --tier large` trains a tier's experiments and commits their results to paper/tiers/;
// every other build renders those results, byte for byte as the tier build did, says where they came from, names a
// code change since, and stops with a one-line error on a missing or malformed snapshot.
import Engine
import Foundation
import Report
import Testing
@testable import Experiments

private let source = ["01.md": "# T\n\n{{figure a-fig | a test figure}}\n\n{{figure b-fig | a tier figure}}\n\n{{claim T-a}} and {{claim T-b}}\n\n{{tier b}}\n\n{{claims-table}}\n"]

private func pipeline(_ root: URL, counter: RunCounter, engine: String = "1", tiers: Set<Tier> = [.paper]) -> Pipeline {
    let code = ["Engine/X.swift": engine]
    var p = Pipeline(experiments: [AnyExperiment(Counting(id: "a", config: .init(value: 1), counter: RunCounter()), code: code),
                                   AnyExperiment(Counting(id: "b", config: .init(value: 1), counter: counter), code: code, tier: .large)],
                     paths: Paths(root: root), log: { _ in })
    p.tiers = tiers
    return p
}

private func readSnapshot(_ root: URL) throws -> TierSnapshot {
    try TierSnapshot.read(root.appendingPathComponent("paper/tiers/b.json"), rel: "paper/tiers/b.json", experiment: "b", tier: "large")
}

/// Every output file but the snapshot itself.
private func outputs(_ root: URL) -> [String: Data] { snapshot(root).filter { !$0.key.hasPrefix("/paper/tiers/") } }

@Test func aTierBuildCommitsASnapshotThatEveryOtherBuildRendersByteForByte() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    let counter = RunCounter()
    let tierBuild = try pipeline(root, counter: counter, tiers: [.paper, .large]).build(threads: 1)
    #expect(tierBuild.trained == ["a", "b"] && counter.count == 1)
    let snap = try readSnapshot(root)
    #expect(snap.results.count == 1 && snap.changes.isEmpty && snap.training[0]?.machine.isEmpty == false)
    let fresh = outputs(root)
    let report = try String(contentsOf: root.appendingPathComponent("paper/report.md"), encoding: .utf8)
    #expect(report.contains("shows the run recorded in") && report.contains("every cache key matches"))

    // Without the tier and without a cache, b is not trained: it comes from the snapshot, and every file is the same.
    try FileManager.default.removeItem(at: root.appendingPathComponent(".cache"))
    let plain = try pipeline(root, counter: counter).build(threads: 1)
    #expect(counter.count == 1 && plain.fromSnapshot == ["b"] && plain.trained == ["a"])
    #expect(outputs(root) == fresh)
}

@Test func aReducedTierRunRecordsItsChangesAndALaterCodeChangeIsNamed() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    var p = pipeline(root, counter: RunCounter(), tiers: [.paper, .large])
    p.tierSets = ["value=1.25"]
    _ = try p.build(threads: 1)
    let snap = try readSnapshot(root)
    #expect(snap.changes["value"] != nil)
    _ = try pipeline(root, counter: RunCounter(), engine: "2").build(threads: 1)
    let report = try String(contentsOf: root.appendingPathComponent("paper/report.md"), encoding: .utf8)
    #expect(report.contains("departs from the tier's config in: `value`"))
    #expect(report.contains("The code has changed since it was trained") && report.contains("Engine/X.swift"))
    // The snapshot's value, not the registry's, decides b's claim.
    let claims = try ClaimsFile.read(root.appendingPathComponent("paper/claims.json")).claims
    #expect(claims.first { $0.id == "T-b" }?.ourValue.map { "\($0)" } == "1.25")
}

@Test func aReducedRunDoesNotReplaceARecordedRunCloserToTheTiersConfigUnlessAskedTo() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    _ = try pipeline(root, counter: RunCounter(), tiers: [.paper, .large]).build(threads: 1)
    let full = try Data(contentsOf: root.appendingPathComponent("paper/tiers/b.json"))
    var reduced = pipeline(root, counter: RunCounter(), tiers: [.paper, .large])
    reduced.tierSets = ["value=1.25"]
    do { _ = try reduced.build(threads: 1); Issue.record("expected an error") } catch {
        #expect("\(error)".hasPrefix("paper/tiers/b.json records a run closer to the large tier's config"))
    }
    #expect(try Data(contentsOf: root.appendingPathComponent("paper/tiers/b.json")) == full)
    reduced.replaceSnapshots = true
    _ = try reduced.build(threads: 1)
    #expect(try readSnapshot(root).changes["value"] != nil)
}

@Test func tierOverridesWithoutATierBuildAreAnError() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    var p = pipeline(root, counter: RunCounter())
    p.tierSeeds = 2
    #expect(throws: PipelineError.self) { try p.build(threads: 1) }
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("paper/report.md").path))
}

@Test func aMissingOrMalformedSnapshotStopsTheBuildWithOneLineAndKeepsTheReport() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    do { _ = try pipeline(root, counter: RunCounter()).build(threads: 1); Issue.record("expected an error") } catch {
        #expect("\(error)".hasPrefix("paper/tiers/b.json is missing"))
        #expect(!"\(error)".contains("\n"))
    }
    _ = try pipeline(root, counter: RunCounter(), tiers: [.paper, .large]).build(threads: 1)
    let before = outputs(root)
    try Data("{\"format\": 1, \"experiment\": \"b\"".utf8).write(to: root.appendingPathComponent("paper/tiers/b.json"))
    do { _ = try pipeline(root, counter: RunCounter()).build(threads: 1); Issue.record("expected an error") } catch {
        #expect("\(error)".hasPrefix("paper/tiers/b.json is malformed"))
    }
    #expect(outputs(root) == before)
}

@Test func aTierPlaceholderNamingNoExperimentIsAnError() throws {
    let t = try Template(claims: [], figures: [], tierNotes: ["b": "from the snapshot"])
    #expect(try t.render("{{tier b}}", file: "x.md", for: .markdown(figureDir: "")) == "from the snapshot")
    #expect(throws: ReportError.self) { try t.render("{{tier c}}", file: "x.md", for: .markdown(figureDir: "")) }
}

@Test func aTierBuildCommitsSeedsThatSweepTasksTrainedWithTheirTrainingRecords() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    let counter = RunCounter()
    let p = pipeline(root, counter: counter, tiers: [.paper, .large])
    let b = p.experiments[1]
    let url = try p.writeSweep(p.sweepManifest(b, variants: try p.sweepVariants(b, file: nil, sets: [], grid: [], seeds: nil), sets: []))
    #expect(try p.runTask(manifest: url, index: 0, threads: 1))
    #expect(counter.count == 1)
    let built = try p.build(threads: 1)
    #expect(counter.count == 1 && built.cached.contains("b"))
    let snap = try readSnapshot(root)
    #expect(snap.training[0]?.command.isEmpty == false && snap.training[0]?.keyHash == keyHash(b.keys[0]))
}

@Test func aVariantRunOfATierExperimentTrainsItAndLeavesTheSnapshotAlone() throws {
    let root = try temporaryRoot(sources: source)
    defer { try? FileManager.default.removeItem(at: root) }
    let counter = RunCounter()
    let p = pipeline(root, counter: counter)
    let b = p.experiments[1]
    let run = try p.runVariant(try b.variant(file: nil, sets: ["value=1.5"], seeds: nil), base: b, command: "paper run b", threads: 1)
    #expect(counter.count == 1 && run.summary.trained == ["b"])
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("paper/tiers").path))
}

@Test func aRealTierExperimentsResultsSurviveTheSnapshotByteForByte() throws {
    // E1's own results (Doubles, Floats, nested arrays) through the snapshot's JSON: the build that trains it and the
    // build that reads the snapshot write the same figures, claims, report and figure data.
    let root = try temporaryRoot(sources: ["01.md": "# T\n\n{{tier dense-small}}\n\n{{claims-table}}\n"])
    defer { try? FileManager.default.removeItem(at: root) }
    var small = DensePhase(id: "dense-small", config: DenseConfig.large, claimSuffix: "-L").smoke
    small.config.shapes = [[136, 16], [272, 16], [544, 16]]
    func p(_ tiers: Set<Tier>) -> Pipeline {
        var p = Pipeline(experiments: [AnyExperiment(small, seeds: 2, tier: .large)], paths: Paths(root: root), log: { _ in })
        p.tiers = tiers
        return p
    }
    _ = try p([.paper, .large]).build(threads: 2)
    let fresh = outputs(root)
    #expect(fresh.keys.contains("/figures/dense-small-size.png") && fresh.keys.contains("/site/data/dense-small.json"))
    try FileManager.default.removeItem(at: root.appendingPathComponent(".cache"))
    let plain = try p([.paper]).build(threads: 1)
    #expect(plain.fromSnapshot == ["dense-small"] && plain.trained.isEmpty)
    #expect(outputs(root) == fresh)
    let claims = try ClaimsFile.read(root.appendingPathComponent("paper/claims.json")).claims
    #expect(claims.contains { $0.id == "B2-L" } && !claims.contains { $0.id.hasPrefix("B32") })
}
