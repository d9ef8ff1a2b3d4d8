// The PyTorch cross-check's comparison on fixture data: per-seed numbers agree within two standard errors of their
// difference and differ beyond them; descriptions compare verdicts; a claim whose experiment changed is stale and
// never compared; the file round-trips and a malformed one is an error naming it; the report shows the summary.
import Foundation
import Testing
@testable import Report

/// A trained claim of experiment "e" (config hash `hash`) with one value and status per seed.
private func trained(_ id: String, _ values: [ClaimValue], _ statuses: [ClaimStatus], hash: String = "h1") -> Claim {
    let perSeed = zip(values, statuses).map { v, s in
        Claim(id: id, section: "§1", statement: "s", paperValue: .number(1), ourValue: v, tolerance: "t", reason: "r", status: s)
    }
    var c = Claim.combine(perSeed, seeds: perSeed.indices.map { UInt64($0 + 1) })
    c.experiment = "e"; c.configHash = hash
    return c
}

private func numbers(_ xs: [Double]) -> [ClaimValue] { xs.map { .number($0) } }
private let passes: [ClaimStatus] = [.pass, .pass, .pass]

@Test func perSeedNumbersAgreeWithinTwoStandardErrorsOfTheirDifference() {
    let ours = trained("C1", numbers([1.00, 1.02, 0.98]), passes)       // mean 1.00, se 0.0115
    let torch = trained("C1", numbers([1.01, 1.03, 0.99]), passes)      // mean 1.01, se 0.0115: 0.01 < 2·0.0163
    let x = crossCompare(ours: ours, torch: torch, torchHash: "h1")
    #expect(x.mark == .agrees)
    #expect(x.torchValue == "1.01 ± 0.01155 (3 seeds)" && x.oursValue == "1 ± 0.01155 (3 seeds)")
}

@Test func perSeedNumbersBeyondTwoStandardErrorsDiffer() {
    let ours = trained("C1", numbers([1.00, 1.02, 0.98]), passes)
    let torch = trained("C1", numbers([1.10, 1.12, 1.08]), passes)      // 0.10 apart, allowance 0.033
    let x = crossCompare(ours: ours, torch: torch, torchHash: "h1")
    #expect(x.mark == .differs)
    #expect(x.why.contains("differ by 0.1"))
    // Identical counts with no spread agree; different ones differ.
    #expect(crossCompare(ours: trained("N", numbers([5, 5, 5]), passes), torch: trained("N", numbers([5, 5, 5]), passes), torchHash: "h1").mark == .agrees)
    #expect(crossCompare(ours: trained("N", numbers([5, 5, 5]), passes), torch: trained("N", numbers([6, 6, 6]), passes), torchHash: "h1").mark == .differs)
}

@Test func descriptionsCompareVerdicts() {
    let texts: [ClaimValue] = [.text("a"), .text("b"), .text("c")]
    let ours = trained("C2", texts, passes)
    #expect(crossCompare(ours: ours, torch: trained("C2", texts, passes), torchHash: "h1").mark == .agrees)
    let torchFails = trained("C2", texts, [.fail, .fail, .fail])
    let x = crossCompare(ours: ours, torch: torchFails, torchHash: "h1")
    #expect(x.mark == .differs && x.why.hasPrefix("verdicts: ours pass, PyTorch's fail"))
    // Three seeds against three cannot tell 3 of 3 from 0 of 3 at the 5 % level.
    #expect(x.withinNoise == true && x.why.hasSuffix("ours 3 of 3, PyTorch's 0 of 3 (Fisher's exact p = 0.1: within the seeds' noise)"))
    #expect(x.torchValue == "a")
}

@Test func aClaimWhoseExperimentChangedIsStaleAndNotCompared() {
    let ours = trained("C1", numbers([1, 1.02, 0.98]), passes, hash: "h2")
    let torch = trained("C1", numbers([9, 9.1, 8.9]), passes, hash: "h1")   // would differ, but the recipe changed
    let x = crossCompare(ours: ours, torch: torch, torchHash: "h1")
    #expect(x.mark == .stale && x.why.contains("h1 then, h2 now"))
}

private func file(_ claims: [Claim], hash: String = "h1") -> CrossCheckFile {
    CrossCheckFile(provenance: .init(torch: "2.x", python: "3.11", commit: "abc", date: "2026-12-07T00:00:00Z", machine: "cpu", threads: 2),
                   experiments: [.init(id: "e", configHash: hash, seeds: [1, 2, 3], models: 12, seconds: 3.5, date: "2026-12-07T00:00:00Z", commit: "abc")],
                   claims: claims)
}

@Test func theFileComparesOnlyJudgedTrainedClaimsItCoversAndRoundTrips() throws {
    let unchecked = Claim.unchecked("U", section: "§1", "s", paper: "p", reason: "r")
    var exact = Claim.within("X", section: "§1", "s", paper: 0, ours: 0, tolerance: 1e-6, reason: "r").exact()
    exact.configHash = "h1"; exact.experiment = "e"
    let ours = [trained("C1", numbers([1, 1.02, 0.98]), passes), trained("C3", numbers([2, 2, 2]), passes), unchecked, exact]
    let f = file([trained("C1", numbers([1.01, 1.03, 0.99]), passes), unchecked, exact])
    let cmp = try f.comparisons(with: ours)
    #expect(cmp.map(\.id) == ["C1"])   // C3 not covered; U unchecked; X exact
    let back = try CrossCheckFile.decode(try f.encoded(), file: "paper/crosscheck.json")
    #expect(back == f)
}

@Test func aMalformedCrossCheckFileIsAnErrorNamingIt() {
    #expect(throws: ReportError.self) { try CrossCheckFile.decode(Data("{\"format\": 1}".utf8), file: "paper/crosscheck.json") }
    do { _ = try CrossCheckFile.decode(Data("not json".utf8), file: "paper/crosscheck.json"); Issue.record("no error") } catch {
        #expect("\(error)".hasPrefix("paper/crosscheck.json is not a cross-check file"))
    }
    var future = file([])
    future.format = 2
    do { _ = try CrossCheckFile.decode(try future.encoded(), file: "paper/crosscheck.json"); Issue.record("no error") } catch {
        #expect("\(error)" == "paper/crosscheck.json: format 2, this build reads format 1")
    }
}

@Test func theReportCountsAgreementsAndShowsEachCoveredClaimBesideOurs() throws {
    let ours = [trained("C1", numbers([1, 1.02, 0.98]), passes), trained("C2", numbers([1, 1.02, 0.98]), passes)]
    let f = file([trained("C1", numbers([1.01, 1.03, 0.99]), passes), trained("C2", numbers([3, 3.1, 2.9]), passes)])
    let source = "{{crosscheck}}\n\n{{claims-table}}"
    let t = try Template(claims: ours, figures: [], sources: [("x.md", source)], crossCheck: f)
    let md = try t.render(source, file: "x.md", for: .markdown(figureDir: "."))
    #expect(md.hasPrefix("**1 of 2 cross-checked claims agree**, 1 differs; 1 not yet looked into."))
    #expect(md.contains("| ✅ agrees | [C1](#claim-C1) |") && md.contains("| ❌ differs | [C2](#claim-C2) |"))
    #expect(md.contains("<b>PyTorch</b> 3 ± 0.05774 (3 seeds) (pass): differs"))
    let none = try Template(claims: ours, figures: [], sources: [("x.md", source)])
    #expect(try none.render("{{crosscheck}}", file: "x.md", for: .markdown(figureDir: ".")).hasPrefix("No cross-check is on record"))
    // A stale file: nothing is compared as if fresh.
    let stale = try Template(claims: ours, figures: [], sources: [("x.md", source)], crossCheck: file(f.claims, hash: "old"))
    #expect(try stale.render("{{crosscheck}}", file: "x.md", for: .markdown(figureDir: ".")).hasPrefix("**none of the 2 cross-checked claims is compared**: every experiment it covers changed since it ran (config or code), so all 2 are stale until `make crosscheck` reruns it."))
}

@Test func fishersExactTestMatchesSciPy() {
    // scipy.stats.fisher_exact([[k1, n1 − k1], [k2, n2 − k2]]), two-sided.
    let cases: [(Int, Int, Int, Int, Double)] = [(5, 5, 0, 5, 0.007936507936507938), (5, 5, 1, 5, 0.047619047619047616),
                                                 (4, 5, 1, 5, 0.2063492063492064), (4, 5, 3, 5, 1), (3, 3, 0, 3, 0.1),
                                                 (5, 5, 2, 5, 0.16666666666666666)]
    for (k1, n1, k2, n2, p) in cases { #expect(abs(fisherExactP(k1, n1, k2, n2) - p) < 1e-12, "\(k1)/\(n1) vs \(k2)/\(n2)") }
}

@Test func differingVerdictsSayWhetherTheSeedsCouldShareOneRate() {
    let texts: [ClaimValue] = (0..<5).map { .text("\($0)") }
    let ours = trained("C2", texts, [.pass, .pass, .pass, .pass, .fail])                  // pass, 4 of 5
    let close = crossCompare(ours: ours, torch: trained("C2", texts, [.pass, .pass, .pass, .fail, .fail]), torchHash: "h1")
    #expect(close.mark == .differs && close.withinNoise == true)                       // inconclusive, 3 of 5: p = 1
    #expect(close.why.hasSuffix("ours 4 of 5, PyTorch's 3 of 5 (Fisher's exact p = 1: within the seeds' noise)"))
    let far = crossCompare(ours: trained("C2", texts, Array(repeating: .pass, count: 5)),
                           torch: trained("C2", texts, Array(repeating: .fail, count: 5)), torchHash: "h1")
    #expect(far.mark == .differs && far.withinNoise == false && far.why.contains("beyond the seeds' noise"))
    let f = file([trained("C2", texts, [.pass, .pass, .pass, .fail, .fail])])
    let t = try? Template(claims: [ours], figures: [], sources: [], crossCheck: f)
    #expect(t?.crossCheckLine() == "**0 of 1 cross-checked claims agree**, 1 differs (its verdict within the seeds' noise).")
}

@Test func aNoteExplainsADifferenceAndIsShownOnlyWhileTheClaimDiffers() throws {
    let ours = [trained("C1", numbers([1, 1.02, 0.98]), passes), trained("C2", numbers([1, 1.02, 0.98]), passes)]
    let f = file([trained("C1", numbers([1.01, 1.03, 0.99]), passes), trained("C2", numbers([3, 3.1, 2.9]), passes)])
    let notes = try CrossCheckNotes.parse("# ID<tab>finding\nC1\tnot shown: C1 agrees\nC2\tthe reference's data differ\n", file: "n.tsv")
    let cmp = try f.comparisons(with: ours, notes: notes)
    #expect(cmp.map(\.note) == [nil, "the reference's data differ"] && !cmp[1].unexplained)
    let t = try Template(claims: ours, figures: [], sources: [], crossCheck: f, crossCheckNotes: notes)
    #expect(t.crossCheckLine() == "**1 of 2 cross-checked claims agree**, 1 differs; each difference beyond the noise has a written finding.")
    let md = try t.render("{{crosscheck}}", file: "x.md", for: .markdown(figureDir: "."))
    #expect(md.contains("**Found:** the reference's data differ |"))
    // A note naming no claim of the file, a line without a tab, and a second note for one claim are errors naming the file.
    #expect(throws: ReportError.self) { try f.comparisons(with: ours, notes: ["C9": "x"]) }
    do { _ = try CrossCheckNotes.parse("C1 no tab\n", file: "n.tsv"); Issue.record("no error") } catch {
        #expect("\(error)" == "n.tsv:1: expected ID<tab>finding")
    }
    do { _ = try CrossCheckNotes.parse("C1\ta\nC1\tb\n", file: "n.tsv"); Issue.record("no error") } catch {
        #expect("\(error)" == "n.tsv:2: C1 has a note already")
    }
}
