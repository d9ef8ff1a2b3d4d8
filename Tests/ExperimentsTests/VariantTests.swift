// Variants from the command line: overrides are checked against the defaults' keys and types, a config file from
// `paper config` round-trips, variants take content-keyed cache entries, and the sweep's grid and manifest behave.
// No training.
import Engine
import Foundation
import Testing
@testable import Experiments

private let uniform = Registry.all.first { $0.id == "uniform" }!

private func error(_ body: () throws -> Void) -> String {
    do { try body(); return "no error" } catch { return "\(error)" }
}

@Test func aSetOverrideChangesThatFieldOnly() throws {
    let v = try uniform.variant(file: nil, sets: ["n=200", "recipe.steps=2000"], seeds: nil)
    let fields = Dictionary(uniqueKeysWithValues: v.configFields.map { ($0.key, $0.value) })
    #expect(fields["n"] == .int(200) && fields["recipe.steps"] == .int(2000) && fields["m"] == .int(30))
    #expect(v.configHash != uniform.configHash && v.seeds == uniform.seeds)
}

@Test func anUnknownKeyIsNamedWithTheClosestKnownOnes() {
    let e = error { _ = try uniform.variant(file: nil, sets: ["recipe.step=5"], seeds: nil) }
    #expect(e.hasPrefix("unknown key 'recipe.step' for uniform; close keys: recipe.steps"))
    #expect(!e.contains("\n"))
}

@Test func aValueOfTheWrongTypeIsRefusedWithTheFieldsType() {
    #expect(error { _ = try uniform.variant(file: nil, sets: ["n=2.5"], seeds: nil) } == "n=2.5: n takes an integer (default 400)")
    #expect(error { _ = try uniform.variant(file: nil, sets: ["n=abc"], seeds: nil) }.hasPrefix("n=abc: not a value; n takes an integer"))
    #expect(error { _ = try uniform.variant(file: nil, sets: ["inverseDensities=[1,\"x\"]"], seeds: nil) }.contains("inverseDensities[1]"))
    #expect(error { _ = try uniform.variant(file: nil, sets: ["n"], seeds: nil) } == "--set n: expected key=value")
}

@Test func theExperimentsOwnValidationNamesAnOutOfRangeValue() {
    #expect(error { _ = try uniform.variant(file: nil, sets: ["m=500"], seeds: nil) }.contains("needs m < n, got n = 400, m = 500"))
    #expect(error { _ = try uniform.variant(file: nil, sets: [], seeds: 0) } == "--seeds 0: the number of seeds must be 1…100")
}

@Test func aListTakesACommaListOrJSON() throws {
    let a = try uniform.variant(file: nil, sets: ["inverseDensities=1,3,10"], seeds: nil)
    let b = try uniform.variant(file: nil, sets: ["inverseDensities=[1, 3, 10]"], seeds: nil)
    #expect(a.keys == b.keys)
    #expect(a.configFields.first { $0.key == "inverseDensities" }?.value == .array([.int(1), .int(3), .int(10)]))
}

@Test func aRealFieldWhoseDefaultIsWholeTakesAFraction() throws {
    // recipe.lr is a Float; inverseDensities' first default is 1 (written `1`) but the list holds Doubles.
    let v = try uniform.variant(file: nil, sets: ["inverseDensities=1.5,2.5", "recipe.lr=0.002"], seeds: nil)
    #expect(v.configFields.first { $0.key == "inverseDensities" }?.value == .array([.double(1.5), .double(2.5)]))
    let dense = Registry.all.first { $0.id == "dense" }!
    #expect(dense.configFields.contains { $0.real })
    #expect(error { _ = try uniform.variant(file: nil, sets: ["recipe.lr=fast"], seeds: nil) }.hasPrefix("recipe.lr=fast: not a value"))
}

@Test func theConfigCommandsOutputIsAValidConfigFile() throws {
    // What `paper config` prints: {"experiment", "config", "fields", …}; edited and passed back with --config.
    var doc: [String: JSONValue] = ["experiment": .string("uniform"), "config": uniform.configTree, "fields": .object([:])]
    #expect(try uniform.variant(file: .object(doc), sets: [], seeds: nil).keys == uniform.keys)
    doc["experiment"] = .string("intro")
    #expect(error { _ = try uniform.variant(file: .object(doc), sets: [], seeds: nil) } == "the config file is for experiment 'intro', not 'uniform'")
    // A partial file of fields works too, and --set applies after it.
    let v = try uniform.variant(file: .object(["n": .int(300)]), sets: ["m=20"], seeds: nil)
    let f = Dictionary(uniqueKeysWithValues: v.configFields.map { ($0.key, $0.value) })
    #expect(f["n"] == .int(300) && f["m"] == .int(20))
    #expect(error { _ = try uniform.variant(file: .object(["bogus": .int(1)]), sets: [], seeds: nil) }.hasPrefix("unknown key 'bogus'"))
    #expect(error { _ = try uniform.variant(file: .array([]), sets: [], seeds: nil) } == "the config file must hold a JSON object of config fields")
}

@Test func everyConfigFieldOfEveryExperimentHasADocLine() {
    for e in Registry.all {
        for f in e.configFields {
            #expect(f.doc?.isEmpty == false, "\(e.id): config field \(f.key) has no /// doc comment")
        }
    }
}

@Test func theDefaultConfigKeepsThePapersCacheEntriesAndAVariantGetsItsOwn() throws {
    let same = try uniform.variant(file: nil, sets: [], seeds: nil)
    #expect(same.isSameRun(as: uniform) && (0..<3).map(same.cacheID) == (0..<3).map(uniform.cacheID))
    // More seeds: the paper's three, then content-keyed ones.
    let more = try uniform.variant(file: nil, sets: [], seeds: 5)
    #expect(more.cacheID(2) == uniform.cacheID(2) && more.cacheID(3).hasPrefix("uniform-") && !more.isSameRun(as: uniform))
    let other = try uniform.variant(file: nil, sets: ["n=200"], seeds: nil)
    #expect(other.cacheID(0).hasPrefix("uniform-") && Set((0..<3).map(other.cacheID)).count == 3)
}

@Test func aSweepExpandsItsGridIntoOneTaskPerVariantAndSeed() throws {
    let p = Pipeline(paths: Paths(root: URL(fileURLWithPath: "/nonexistent")), log: { _ in })
    let vs = try p.sweepVariants(uniform, file: nil, sets: ["m=20"], grid: ["n=100,200", "recipe.steps=100,200,300"], seeds: 2)
    #expect(vs.count == 6 && vs[1].grid == ["n=100", "recipe.steps=200"])
    let m = p.sweepManifest(uniform, variants: vs, sets: ["m=20"])
    #expect(m.tasks.count == 12 && Set(m.tasks.map(\.keyHash)).count == 12)
    #expect(try p.sweepVariant(m, 3).keys == vs[3].experiment.keys)
    #expect(error { _ = try p.sweepVariants(uniform, file: nil, sets: [], grid: ["n=100,100"], seeds: 1) } == "--grid n=100,100: a value is repeated")
    #expect(error { _ = try p.sweepVariants(uniform, file: nil, sets: [], grid: ["n"], seeds: 1) } == "--grid n: expected key=v1,v2,…")
    #expect(splitTopLevel("[1,2],[3],\"a,b\"") == ["[1,2]", "[3]", "\"a,b\""])
}

@Test func aMalformedSweepManifestIsOneLineNamingIt() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tms-test-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent("manifest.json")
    try Data("{\"format\": 1, \"experiment\": 3}".utf8).write(to: url)
    let e = error { _ = try SweepManifest.read(url) }
    #expect(e.hasPrefix("the sweep manifest \(url.path) is malformed: experiment:") && !e.contains("\n"))
    #expect(error { _ = try SweepManifest.read(dir.appendingPathComponent("none.json")) }.hasPrefix("cannot read the sweep manifest"))
}

@Test func slurmArraySpecsAreRanges() {
    #expect(Slurm.arraySpec([0, 1, 2, 3]) == "0-3")
    #expect(Slurm.arraySpec([5, 1, 3, 7, 8, 9]) == "1,3,5,7-9")
}

@Test func weightsRoundTripThroughTheirPayloadAndACorruptOneIsNamed() throws {
    let inst = [RecordedInstance(kind: "toy", seed: 9, settings: ["n": 3, "m": 2],
                                 arrays: [RecordedArray(name: "W", shape: [2, 3], values: [1, 2, 3, 4, 5, .nan]),
                                          RecordedArray(name: "b", shape: [3], values: [-1, 0, 1])])]
    let d = try WeightsPayload.encode(inst)
    let back = try WeightsPayload.decode(d)
    #expect(back.count == 1 && back[0].arrays[1] == inst[0].arrays[1] && back[0].arrays[0].values[5].isNaN)
    #expect(error { _ = try WeightsPayload.decode(d.dropLast(4)) } == "weights payload: b runs past the end")
    #expect(error { _ = try WeightsPayload.decode(Data([1, 2])) } == "weights payload: shorter than its header")
}

@Test func theRecorderSeesEveryTrainedInstanceInAFixedOrderWhateverTheThreads() throws {
    let specs = (0..<4).map { ToyModelSpec(n: 5, m: 2, activation: .relu, importance: [Float](repeating: 1, count: 5), density: 0.3, seed: UInt64(40 - $0)) }
    let recipe = TrainingRecipe(steps: 20, batch: 16, logEvery: 10)
    func record(_ threads: Int) throws -> [RecordedInstance] {
        let r = WeightRecorder()
        let trained = try WeightRecorder.$current.withValue(r) { try Trainer.train(specs, recipe: recipe, threads: threads) }
        #expect(r.instances.map { $0.arrays[0].values }.sorted { $0.lexicographicallyPrecedes($1) }
                == trained.map(\.model.W).sorted { $0.lexicographicallyPrecedes($1) })
        return r.instances
    }
    let one = try record(1)
    #expect(one.count == 4 && one.map(\.seed) == [37, 38, 39, 40])
    #expect(try record(3) == one)
}

@Test func theRecorderFollowsTrainingIntoParallelWorkerThreads() throws {
    // trainWithSnapshots records on the thread it runs on: here parallelFor's workers.
    let specs = (0..<6).map { ToyModelSpec(n: 5, m: 2, activation: .relu, importance: [Float](repeating: 1, count: 5), density: 0.3, seed: UInt64(60 + $0)) }
    let recipe = TrainingRecipe(steps: 20, batch: 16, logEvery: 10)
    func record(_ threads: Int) -> [RecordedInstance] {
        let r = WeightRecorder()
        WeightRecorder.$current.withValue(r) {
            parallelFor(specs.count, threads: threads) { i in _ = try? Trainer.trainWithSnapshots(specs[i], recipe: recipe, at: [5]) }
        }
        return r.instances
    }
    let one = record(1)
    #expect(one.count == 6 && one.map(\.seed) == (60..<66).map { UInt64($0) })
    #expect(record(4) == one)
    // Unbound, nothing is kept.
    let unbound = WeightRecorder()
    parallelFor(2, threads: 2) { i in _ = try? Trainer.trainWithSnapshots(specs[i], recipe: recipe, at: []) }
    #expect(unbound.instances.isEmpty)
}

@Test func aFieldTheEncoderLeavesOutAtItsDefaultCanStillBeSet() throws {
    // TrainingRecipe writes `cosine` only when true (old cache keys hold); the config tree lists it anyway.
    #expect(uniform.configFields.contains { $0.key == "recipe.cosine" && $0.value == .bool(false) })
    let v = try uniform.variant(file: nil, sets: ["recipe.cosine=true"], seeds: nil)
    #expect(v.key.contains("\"cosine\":true") && !uniform.key.contains("cosine"))
    #expect(try uniform.variant(file: nil, sets: ["recipe.cosine=false"], seeds: nil).keys == uniform.keys)
}

@Test func aVariantKeepsTheExperimentsOwnSeedCountUnlessTold() throws {
    let smokeUniform = Registry.smoke.first { $0.id == "uniform" }!
    #expect(try smokeUniform.variant(file: nil, sets: ["n=32"], seeds: nil).seeds.count == 1)
    #expect(try uniform.variant(file: nil, sets: ["n=200"], seeds: nil).seeds.count == uniform.seeds.count)
    // Folders are named by every seed's key: two seed counts, two folders.
    #expect(try uniform.variant(file: nil, sets: [], seeds: 2).runHash != uniform.runHash)
}

@Test func theOutputFolderMustBeUnderRunsOrExportsOrNewOrOurs() throws {
    let root = try temporaryRoot(sources: [:])
    defer { try? FileManager.default.removeItem(at: root) }
    let p = Pipeline(paths: Paths(root: root), log: { _ in })
    for bad in ["", "figures", "paper", "docs", "runs", ".cache/x"] {
        #expect(throws: (any Error).self, "\(bad)") { try p.checkRunFolder(root.appendingPathComponent(bad)) }
    }
    try p.checkRunFolder(root.appendingPathComponent("runs/mine"))
    try p.checkRunFolder(root.appendingPathComponent("exports/x/y"))
    let outside = FileManager.default.temporaryDirectory.appendingPathComponent("tms-test-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: outside) }
    try p.checkRunFolder(outside)
    try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
    try Data("x".utf8).write(to: outside.appendingPathComponent("notes.txt"))
    #expect(throws: (any Error).self) { try p.checkRunFolder(outside) }
    try Data("{}".utf8).write(to: outside.appendingPathComponent("config.json"))
    try p.checkRunFolder(outside)
}

@Test func numericArraysStackListsOfRecords() throws {
    let tree = try JSONValue.parse(#"{"main": [{"d": [1, 2], "s": 3, "t": "x"}, {"d": [4, 5], "s": 6, "t": "y"}], "top": 7, "ragged": [[1], [2, 3]]}"#)
    let arrays = Dictionary(uniqueKeysWithValues: numericArrays(tree).map { ($0.0, $0.1) })
    #expect(arrays["main.d"] == NDArray(shape: [2, 2], values: [1, 2, 4, 5]))
    #expect(arrays["main.s"] == NDArray(shape: [2], values: [3, 6]))
    #expect(arrays["top"] == NDArray(shape: [], values: [7]))
    #expect(arrays["ragged.0"] == NDArray(shape: [1], values: [1]) && arrays["ragged.1"] == NDArray(shape: [2], values: [2, 3]))
    #expect(arrays["main.t"] == nil)
}

@Test func npyHeadersAreWhatNumPyExpects() {
    let d = NumPy.npy([Float](repeating: 0, count: 6), shape: [2, 3])
    #expect(Array(d.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
    let headerLength = Int(d[8]) | Int(d[9]) << 8
    #expect((10 + headerLength) % 64 == 0 && d.count == 10 + headerLength + 24)
    let header = String(decoding: d[10..<(10 + headerLength)], as: UTF8.self)
    #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }") && header.hasSuffix("\n"))
    #expect(String(decoding: NumPy.npy([1.0], shape: [1]), as: UTF8.self).contains("'shape': (1,)"))
    #expect(String(decoding: NumPy.npy([1.0], shape: []), as: UTF8.self).contains("'shape': ()"))
}
