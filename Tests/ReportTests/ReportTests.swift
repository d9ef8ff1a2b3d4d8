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

@Test func claimPlaceholderShowsOursAgainstThePaperWithAMark() throws {
    let t = try Template(claims: claims, figures: [])
    let md = try t.render("value: {{claim C1.2}}.", file: "x.md", for: .markdown(figureDir: "../figures"))
    #expect(md == "value: ❌ **C1.2** ours **1.2** · paper 1 · tolerance ±0.05.")
    let html = try t.render("{{ claim C1.1 }}", file: "x.md", for: .html(figureDir: "figures"))
    #expect(html.contains("class=\"claim pass\""))
    #expect(html.contains("<b>1.03</b>"))
}

@Test func figurePlaceholderPointsAtPNGForMarkdownAndSVGForTheSite() throws {
    let t = try Template(claims: [], figures: [FigureRef(name: "intro-panels", caption: "Five features")])
    let md = try t.render("{{figure intro-panels}}", file: "x.md", for: .markdown(figureDir: "../figures"))
    #expect(md.hasPrefix("![Figure intro-panels](../figures/intro-panels.png)"))
    let html = try t.render("{{figure intro-panels}}", file: "x.md", for: .html(figureDir: "figures"))
    #expect(html.contains("src=\"figures/intro-panels.svg\""))
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
    for bad in ["{{claim}}", "{{clam C1.1}}", "{{claim C1.1", "{{}}", "{{figure}}"] {
        #expect(throws: ReportError.self, "\(bad)") { try t.render(bad, file: "f.md", for: .markdown(figureDir: "")) }
    }
}

@Test func duplicateClaimIdsAreRejected() {
    #expect(throws: ReportError.duplicateClaim("C1.1")) { try Template(claims: [claims[0], claims[0]], figures: []) }
}

@Test func claimsTableListsEveryClaimAndEscapesPipes() throws {
    let t = try Template(claims: claims, figures: [])
    let table = try t.render("{{claims-table}}", file: "f.md", for: .markdown(figureDir: ""))
    #expect(table.split(separator: "\n").count == 2 + claims.count)
    #expect(table.contains("another \\| with a pipe"))
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
    #expect(back.summary == ["pass": 1, "fail": 1, "unchecked": 1])
}

@Test func numbersAreFormattedShortly() {
    #expect(formatNumber(0.182925) == "0.1829")
    #expect(formatNumber(1) == "1")
    #expect(formatNumber(0.00026) == "2.600e-04")
    #expect(round6(0.18347912345) == 0.183479)
}

@Test func templateParserSurvivesRandomAndMutatedInput() throws {
    // Bounded fuzzing: random strings built from the parser's special characters, and mutations of a valid
    // template. Errors are fine; a crash or a hang is not.
    let t = try Template(claims: claims, figures: [FigureRef(name: "f", caption: "c")])
    let alphabet = Array("{{}} claim figure claims-table C1.1 f \n|*_[]`<>ü")
    var rng = SystemRandomNumberGenerator()
    let valid = "a {{claim C1.1}} b {{figure f}}\n{{claims-table}}\n"
    for round in 0..<3000 {
        var text: String
        if round % 2 == 0 {
            text = String((0..<Int.random(in: 0..<80, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
        } else {
            var chars = Array(valid)
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
