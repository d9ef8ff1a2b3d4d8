// Claims are judged by their stated tolerance; the template fills placeholders and names the file and line of
// a bad one; cmark-gfm renders the report's Markdown; claims.json is deterministic.
import Foundation
import Testing
@testable import Report

private let claims = [
    Claim.within("C1.1", section: "§1", "a value", paper: 1, ours: 1.03, tolerance: 0.05, reason: "noise"),
    Claim.within("C1.2", section: "§1", "another | with a pipe", paper: 1, ours: 1.2, tolerance: 0.05, reason: "noise"),
    Claim.unchecked("C1.5", section: "§1", "summary", paper: "list", reason: "checked later"),
]

@Test func withinPassesInsideAndFailsOutsideTheTolerance() {
    #expect(claims[0].status == .pass)
    #expect(claims[1].status == .fail)
    let nan = Claim.within("X", section: "", "", paper: 0, ours: .nan, tolerance: 1, reason: "")
    #expect(nan.status == .fail)
}

@Test func ruleClaimsFollowTheirVerdict() {
    #expect(Claim.rule("R", section: "", "", paper: "", ours: "", rule: "", reason: "", holds: true).status == .pass)
    #expect(Claim.rule("R", section: "", "", paper: "", ours: "", rule: "", reason: "", holds: false).status == .fail)
}

@Test func aClaimInTheTextIsAShortMarkLinkedToItsRowAndTheRowLinksBack() throws {
    let source = "value: {{claim C1.2}}. again {{claim C1.2}}\n\n{{claims-table}}"
    let t = try Template(claims: claims, figures: [], sources: [("x.md", source)])
    let md = try t.render(source, file: "x.md", for: .markdown(figureDir: "../figures"))
    #expect(md.hasPrefix("value: <a id=\"cite-C1.2\"></a>❌ [C1.2](#claim-C1.2) (1 seed). again ❌ [C1.2](#claim-C1.2) (1 seed)"))
    #expect(md.contains("<a id=\"claim-C1.2\"></a>C1.2 [↩](#cite-C1.2)"))
    #expect(!md.contains("[↩](#cite-C1.1)"))   // C1.1 is not cited, so its row has no link back
    let html = try t.render(source, file: "x.md", for: .html(figureDir: "figures"))
    #expect(html.contains("class=\"claim fail\" id=\"cite-C1.2\" href=\"#claim-C1.2\""))
    #expect(html.components(separatedBy: "id=\"cite-C1.2\"").count == 2)   // one anchor, on the first citation
    #expect(html.contains("<tr id=\"claim-C1.2\" class=\"fail\">"))
    #expect(html.contains("<details><summary>ours 1.2 · paper 1</summary>"))
}

@Test func figuresAreNumberedInOrderAndSayWhatTheyReproduce() throws {
    let figs = [FigureRef(name: "a", caption: "First", experiment: "e", configHash: "abc", seeds: [7, 8], width: 600, height: 300,
                          smallestText: 8, dataFile: "data/e.json"),
                FigureRef(name: "b", caption: "Second")]
    let source = "{{figure b | the paper's Fig 2.1}}\n\n{{figure a | beyond the paper}}"
    let t = try Template(claims: [], figures: figs, sources: [("x.md", source)], commit: "0123456789abcdef")
    let md = try t.render(source, file: "x.md", for: .markdown(figureDir: "../figures"))
    #expect(md.contains("![Figure 1: b](../figures/b.png)") && md.contains("*__Figure 1__ (the paper's Fig 2.1). Second*"))
    #expect(md.contains("*__Figure 2__ (beyond the paper). First*"))
    let html = try t.render(source, file: "x.md", for: .html(figureDir: "figures"))
    #expect(html.contains("src=\"figures/a.svg\""))
    #expect(html.contains("style=\"width: 750px\""))   // 8-point text shown at 10 px: 600 × 10/8
    #expect(html.contains("href=\"data/e.json\"") && html.contains("config hash <code>abc</code>") && html.contains("commit <code>0123456789ab</code>"))
    #expect(throws: ReportError.self) { try t.render("{{figure a}}", file: "x.md", for: .markdown(figureDir: "")) }
}

/// A failing claim F1 cited after figure f in `source`, and the template of it.
private func failingAfterFigure(_ citation: String) throws -> Template {
    let failing = Claim.within("F1", section: "§0", "x", paper: 1, ours: 3, tolerance: 0.1, reason: "r")
    let source = "{{figure f | the paper's Fig 1.1}} text " + citation
    return try Template(claims: [failing], figures: [FigureRef(name: "f", caption: "c")], sources: [("x.md", source)])
}

@Test func theFailuresTableLinksEachClaimToItsRowAndItsFigure() throws {
    let table = try failingAfterFigure("{{claim F1}}").render("{{failures-table}}", file: "x.md", for: .markdown(figureDir: "."))
    #expect(table.contains("| [F1](#claim-F1) |") && table.hasSuffix("[Figure 1](#fig-f) |"))
}

@Test func aClaimCitedWithNoFigureLinksToNoneInTheFailuresTable() throws {
    let t = try failingAfterFigure("{{claim F1 | no figure}}")
    let table = try t.render("{{failures-table}}", file: "x.md", for: .markdown(figureDir: "."))
    #expect(table.contains("| [F1](#claim-F1) |") && table.hasSuffix("| — |"))
    // The mark itself is the plain citation's (each on a fresh template: the first citation carries the anchor).
    let plain = try failingAfterFigure("{{claim F1}}")
    #expect(try t.render("{{claim F1 | no figure}}", file: "x.md", for: .markdown(figureDir: ".")) == plain.render("{{claim F1}}", file: "x.md", for: .markdown(figureDir: ".")))
    #expect(throws: ReportError.self) { try t.render("{{claim F1 | figure f}}", file: "x.md", for: .markdown(figureDir: ".")) }
    #expect(throws: ReportError.self) { try t.render("{{claim F1 |}}", file: "x.md", for: .markdown(figureDir: ".")) }
    // Wrapped over two lines, the option still unlinks the claim.
    let wrapped = try failingAfterFigure("{{claim F1 | no\nfigure}}").render("{{failures-table}}", file: "x.md", for: .markdown(figureDir: "."))
    #expect(wrapped.hasSuffix("| — |"))
}

@Test func theHeadlineCountsThePapersCheckedClaimsByStatusAndKind() throws {
    let t = try Template(claims: claims + [Claim.within("B1", section: "Beyond the paper: E1", "b", paper: 1, ours: 1, tolerance: 0.1, reason: "r")], figures: [])
    let h = t.headline()
    #expect(h.hasPrefix("Of the paper's 3 claims in this report") && h.contains("we check 2: 1 pass, 1 fail and 0 are inconclusive"))
    #expect(h.contains("1 are not checked") && h.contains("Beyond the paper, counted apart: 1 checked claims, 1 pass"))
}

@Test func unknownPlaceholderNamesFileAndLine() throws {
    let t = try Template(claims: claims, figures: [])
    #expect(throws: ReportError.self) { try t.render("ok\n\nsee {{claim C9.9}}", file: "paper/src/01.md", for: .markdown(figureDir: "")) }
    do {
        _ = try t.render("ok\n\nsee {{claim C9.9}}", file: "paper/src/01.md", for: .markdown(figureDir: ""))
    } catch let e as ReportError {
        #expect(e.description.hasPrefix("paper/src/01.md:3: {{claim C9.9}} names nothing known"))
    }
}

@Test func malformedPlaceholdersAreErrors() throws {
    let t = try Template(claims: claims, figures: [])
    for bad in ["{{claim}}", "{{clam C1.1}}", "{{claim C1.1", "{{}}", "{{figure}}", "{{headline x}}"] {
        #expect(throws: ReportError.self, "\(bad)") { try t.render(bad, file: "f.md", for: .markdown(figureDir: "")) }
    }
}

@Test func duplicateClaimIdsAreRejected() {
    #expect(throws: ReportError.duplicateClaim("C1.1")) { try Template(claims: [claims[0], claims[0]], figures: []) }
}

@Test func claimsTableListsEveryClaimAndEscapesPipes() throws {
    let t = try Template(claims: claims, figures: [])
    let table = try t.render("{{claims-table}}", file: "f.md", for: .markdown(figureDir: ""))
    #expect(table.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| |") }.count == claims.count)
    #expect(table.contains("### §1") && table.contains("another \\| with a pipe"))
    let html = try Markdown.html(table)
    #expect(html.contains("<table>"))
    #expect(html.contains("another | with a pipe"))
}

@Test func cmarkRendersGFMAndPassesRawHTML() throws {
    let html = try Markdown.html("# T\n\n5 * 3 * 2 and <span class=\"x\">raw</span>\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n")
    #expect(html.contains("<h1>T</h1>"))
    #expect(html.contains("5 * 3 * 2"))
    #expect(html.contains("<span class=\"x\">raw</span>"))
    #expect(html.contains("<td align=\"right\">2</td>"))
}

@Test func claimsFileIsDeterministicAndRoundTrips() throws {
    let a = try ClaimsFile(claims: claims).encoded(), b = try ClaimsFile(claims: claims).encoded()
    #expect(a == b)
    let back = try JSONDecoder().decode(ClaimsFile.self, from: a)
    #expect(back.claims == claims)
    #expect(back.summary["trained"] == ["pass": 1, "fail": 1, "inconclusive": 0, "unchecked": 1])
    #expect(back.summary["exact"] == ["pass": 0, "fail": 0, "inconclusive": 0, "unchecked": 0])
}

// MARK: How a claim is judged: the rules that join seeds and standard errors pass, fail and are inconclusive.

private func seedClaim(_ ours: Double) -> Claim {
    .within("T1", section: "§0", "near 1", paper: 1, ours: ours, tolerance: 0.1, reason: "test")
}

@Test func aTrainedClaimPassesWhenFourOfFiveSeedsPass() {
    let c = Claim.combine([1.0, 1.02, 0.95, 1.05, 2.0].map(seedClaim), seeds: [1, 2, 3, 4, 5])
    #expect(c.status == .pass)
    #expect(c.seeds?.map(\.status) == [.pass, .pass, .pass, .pass, .fail])
    #expect(c.spread == "4 of 5 seeds hold; median 1.02, range 0.95–2")
    #expect(c.ourValue == .number(1.02))
}

@Test func aTrainedClaimFailsWhenFourOfFiveSeedsFail() {
    let c = Claim.combine([1.0, 2, 2, 2, 2].map(seedClaim), seeds: [1, 2, 3, 4, 5])
    #expect(c.status == .fail)
}

@Test func aTrainedClaimIsInconclusiveWhenSeedsDisagree() {
    let c = Claim.combine([1.0, 1, 1, 2, 2].map(seedClaim), seeds: [1, 2, 3, 4, 5])
    #expect(c.status == .inconclusive)
    #expect(c.cause?.kind == .inconclusive && c.cause!.detail.contains("3 of 5"))
}

@Test func threeSeedsMustAllAgree() {
    #expect(seedsNeeded(3) == 3 && seedsNeeded(5) == 4 && seedsNeeded(1) == 1)
    #expect(Claim.combine([1.0, 1, 2].map(seedClaim), seeds: [1, 2, 3]).status == .inconclusive)
    #expect(Claim.combine([1.0, 1, 1].map(seedClaim), seeds: [1, 2, 3]).status == .pass)
}

@Test func exactAndUncheckedClaimsAreTakenFromTheFirstSeed() {
    let exact = [seedClaim(1).exact(), seedClaim(5).exact()]
    #expect(Claim.combine(exact, seeds: [1, 2]) == exact[0])
    let u = Claim.unchecked("U", section: "§0", "x", paper: "y", reason: "z")
    #expect(Claim.combine([u, u], seeds: [1, 2]).seeds == nil)
}

@Test func anEstimateWithinTwoStandardErrorsOfItsThresholdIsInconclusive() {
    #expect(judge(0.105, se: 0.01, threshold: 0.1, holdsAbove: false) == .inconclusive)
    #expect(judge(0.05, se: 0.01, threshold: 0.1, holdsAbove: false) == .pass)
    #expect(judge(0.15, se: 0.01, threshold: 0.1, holdsAbove: false) == .fail)
    #expect(judge(0.15, se: 0.01, threshold: 0.1, holdsAbove: true) == .pass)
    #expect(judge(.nan, se: 0.01, threshold: 0.1, holdsAbove: true) == .fail)
    let c = Claim.within("T2", section: "§0", "near 1", paper: 1, ours: 1.095, se: 0.01, tolerance: 0.1, reason: "r")
    #expect(c.status == .inconclusive && c.standardError == 0.01)
    #expect(Claim.within("T3", section: "§0", "near 1", paper: 1, ours: 1.01, se: 0.01, tolerance: 0.1, reason: "r").status == .pass)
    #expect(Claim.within("T4", section: "§0", "near 1", paper: 1, ours: 1.5, se: 0.01, tolerance: 0.1, reason: "r").status == .fail)
}

@Test func whenPlaceholderChoosesTheTextOfTheClaimsStatus() throws {
    let t = try Template(claims: [seedClaim(1), .within("T9", section: "§0", "x", paper: 1, ours: 3, tolerance: 0.1, reason: "r")], figures: [])
    let src = "{{when T1 pass: held || otherwise: did not hold}} / {{when T9 pass: held || fail: failed}} / {{value T9}}"
    #expect(try t.render(src, file: "x.md", for: .markdown(figureDir: ".")) == "held / failed / 3")
    #expect(throws: ReportError.self) { try t.render("{{when T1 maybe: x}}", file: "x.md", for: .markdown(figureDir: ".")) }
    #expect(throws: ReportError.self) { try t.render("{{when T1 inconclusive: x}}", file: "x.md", for: .markdown(figureDir: ".")) }
}

@Test func theFailuresTableListsFailingAndInconclusiveClaimsWithTheirCause() throws {
    let failing = Claim.within("F1", section: "§0", "x", paper: 1, ours: 3, tolerance: 0.1, reason: "r")
        .because(.recipeDependent, "holds under the notebook's recipe only")
    let t = try Template(claims: [seedClaim(1), failing], figures: [])
    let table = try t.render("{{failures-table}}", file: "x.md", for: .markdown(figureDir: "."))
    #expect(table.contains("F1") && table.contains("depends on the recipe") && table.contains("notebook's recipe only"))
    #expect(!table.contains("T1"))
    let summary = try t.render("{{summary-table}}", file: "x.md", for: .markdown(figureDir: "."))
    #expect(summary.contains("| [§0](#claims-0) | 1 | 1 | 0 | 0 | 0 | 0 | 0 |"))
    #expect(summary.contains("| **the paper's claims** | 1 | 1 | 0 | 0 | 0 | 0 | 0 |") && !summary.contains("beyond the paper"))
}

@Test func sectionsAreOrderedAsThePapersAndBeyondComesLast() {
    let names = ["Beyond the paper: E1", "§10 The strategic picture", "Appendix A", "§3b Mathematics", "§3 Demonstrating", "§2 Definitions"]
    #expect(names.sorted { Template.sectionOrder($0) < Template.sectionOrder($1) }
            == ["§2 Definitions", "§3 Demonstrating", "§3b Mathematics", "§10 The strategic picture", "Appendix A", "Beyond the paper: E1"])
}

@Test func numbersAreFormattedShortly() {
    #expect(formatNumber(0.182925) == "0.1829")
    #expect(formatNumber(1) == "1")
    #expect(formatNumber(0.00026) == "2.600e-04")
    #expect(round6(0.18347912345) == 0.183479)
}

/// SplitMix64, for the fuzzing below (the report's tests do not link the engine's generators).
private struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Test func templateParserSurvivesRandomAndMutatedInput() throws {
    // Bounded fuzzing: random strings built from the parser's special characters, and mutations of a valid
    // template. Errors are fine; a crash or a hang is not.
    let t = try Template(claims: claims, figures: [FigureRef(name: "f", caption: "c")])
    let alphabet = Array("{{}} claim figure claims-table C1.1 f \n|*_[]`<>ü")
    // Seeded, so that a failure repeats; inputs the fuzzing once found are kept as cases of their own.
    var rng = FuzzRandom(state: 20_221_214)
    for text in ["{{figure |}}", "{{figure | x}}", "{{figure f |}}", "{{figure f | }}", "{{claim }}", "{{}}", "{{ }}"] {
        for target in [ReportTarget.markdown(figureDir: "x"), .html(figureDir: "x")] {
            #expect(throws: ReportError.self) { try t.render(text, file: "fuzz.md", for: target) }
        }
    }
    let valid = ["a {{claim C1.1}} b {{figure f | x}}\n{{claims-table}}\n",
                 "{{when C1.1 pass: yes || otherwise: no}} {{spread C1.1}} {{value C1.1}} {{paper C1.1}} {{marks}} {{headline}}"]
    for round in 0..<20_000 {
        var text: String
        if round % 2 == 0 {
            text = String((0..<Int.random(in: 0..<80, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
        } else {
            var chars = Array(valid[(round / 2) % 2])
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<chars.count, using: &rng)
                if Bool.random(using: &rng) { chars.remove(at: i) } else { chars.insert(alphabet.randomElement(using: &rng)!, at: i) }
            }
            text = String(chars)
        }
        for target in [ReportTarget.markdown(figureDir: "x"), .html(figureDir: "x")] {
            _ = try? t.render(text, file: "fuzz.md", for: target)
        }
    }
}

@Test func theContentsListSectionsWithTheirSubsectionsButNotTheClaimsTablesGroups() {
    let html = "<h1>T</h1><p>x</p><h2>One</h2><h3>Sub a</h3><h3>Sub b</h3><h2>Two</h2><h3 id=\"claims-1\">§1</h3>"
    let out = Site.withContents(html)
    #expect(out.contains("<nav class=\"toc\""))
    #expect(out.contains("<li><a href=\"#one\">One</a><ul><li><a href=\"#sub-a\">Sub a</a></li><li><a href=\"#sub-b\">Sub b</a></li></ul></li><li><a href=\"#two\">Two</a></li></ul></nav>"))
    #expect(out.contains("<h3 id=\"claims-1\">§1</h3>") && !out.contains("href=\"#claims-1\""))
    #expect(out.range(of: "<nav")!.lowerBound > out.range(of: "<h1>")!.lowerBound)
}

@Test func everyPlainTableScrollsInsideItsOwnBox() {
    let out = Site.scrollingTables("<table>\n<tr><td>1</td></tr>\n</table>\n<div class=\"table-scroll\"><table class=\"claims\"></table></div>")
    #expect(out.hasPrefix("<div class=\"table-scroll\"><table>") && out.contains("</table></div>\n<div class=\"table-scroll\"><table class=\"claims\">"))
}

@Test func theSitesMathsMarkupIsTypesetAsMathMLAndCodeAndLongWordsAreLeftAlone() {
    #expect(Site.typesetMath("<p>W_i and 0.7^i.</p>")
            == "<p><math><msub><mi>W</mi><mi>i</mi></msub></math> and <math><msup><mn>0.7</mn><mi>i</mi></msup></math>.</p>")
    #expect(Site.typesetMath("Σ_{j≠i} x") == "<math><msub><mo>Σ</mo><mrow><mi>j</mi><mo>≠</mo><mi>i</mi></mrow></msub></math> x")
    #expect(Site.typesetMath("‖W_i‖²") == "‖<math><msub><mi>W</mi><mi>i</mi></msub></math>‖²")
    #expect(Site.typesetMath("W_i^2") == "<math><msubsup><mi>W</mi><mi>i</mi><mn>2</mn></msubsup></math>")
    // Left as written: code, attributes, words longer than one letter, and a mark with nothing after it.
    for s in ["<code>W_i</code>", "<a href=\"#W_i\">x</a>", "file_name", "PAPER_SMOKE", "a _ b", "x^ y", "W_abcd"] {
        #expect(Site.typesetMath(s) == s, "\(s)")
    }
}

@Test func aVariantPageSaysWhatDiffersCountsItsClaimsAndShortensLongLists() {
    let c = Claim.within("C5.4", section: "§5", "doubling m", paper: 2, ours: 1.2, tolerance: 0.2, reason: "r")
    let page = VariantPage(experiment: "uniform", title: "Uniform", section: "§5", configHash: "abc", command: "paper run uniform --set n=40",
                           commit: "0123", changes: [("n", "400", "40"), ("inverseDensities", "[1,1.5,2,2.5,3,3.5,4,4.5,5,5.5,6,6.5,7,7.5,8,8.5,9,9.5,10,11,12,30]", "[1,3]")],
                           seeds: [1, 2], claims: [c], figures: [("dims", "a caption")])
    let md = page.markdown
    #expect(md.contains("| `n` | 400 | 40 |"))
    #expect(md.contains("| `inverseDensities` | [1, 1.5, …, 30] (22 values) | [1,3] |"))
    #expect(md.contains("1 claims: 0 pass, 1 fail, 0 inconclusive, 0 unchecked."))
    #expect(md.contains("Produced by `paper run uniform --set n=40` at commit 0123"))
    #expect(md.contains("![dims](figures/dims.svg)"))
    let same = VariantPage(experiment: "uniform", title: "Uniform", section: "§5", configHash: "abc", command: "paper run uniform",
                           commit: nil, changes: [], seeds: [1], claims: [], figures: [])
    #expect(same.markdown.contains("It does not: this is the paper's own config.") && same.markdown.contains("draws no figure"))
}
