// The one-page report of a variant run (`paper run … --set …`, `paper sweep`): what was run and how it differs from
// the paper's config, its claims judged with the paper's own rules, and its figures. Markdown; the site page is the
// same Markdown through cmark-gfm.

import Foundation

/// What a variant page shows.
public struct VariantPage {
    public var experiment: String
    public var title: String
    public var section: String
    public var configHash: String
    /// The command that produced it, as typed.
    public var command: String
    public var commit: String?
    /// Each changed field: its key, the paper's value and this run's (JSON text).
    public var changes: [(key: String, paper: String, ours: String)]
    public var seeds: [UInt64]
    public var claims: [Claim]
    /// Each figure's file name (without extension) and caption.
    public var figures: [(name: String, caption: String)]

    public init(experiment: String, title: String, section: String, configHash: String, command: String, commit: String?,
                changes: [(key: String, paper: String, ours: String)], seeds: [UInt64], claims: [Claim],
                figures: [(name: String, caption: String)]) {
        self.experiment = experiment; self.title = title; self.section = section; self.configHash = configHash
        self.command = command; self.commit = commit; self.changes = changes; self.seeds = seeds; self.claims = claims
        self.figures = figures
    }

    /// A long JSON list shown by its ends and length (config.json has it whole).
    static func short(_ json: String) -> String {
        guard json.count > 60, json.hasPrefix("["), json.hasSuffix("]") else { return json }
        let items = json.dropFirst().dropLast().split(separator: ",")
        guard items.count > 4, !json.dropFirst().contains("[") else { return json }
        func num(_ s: Substring) -> String { Double(s).map(formatNumber) ?? String(s) }
        return "[\(num(items[0])), \(num(items[1])), …, \(num(items[items.count - 1]))] (\(items.count) values)"
    }

    /// The page as Markdown; figures are linked from `figures/`.
    public var markdown: String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var out = "# \(title): a variant\n\n"
        out += "Experiment `\(experiment)` (\(section)), config hash `\(configHash)`, \(seeds.count) independent seed\(seeds.count == 1 ? "" : "s")"
        out += " (root seeds \(seeds.map(String.init).joined(separator: ", "))).\n\n"
        out += "Produced by `\(command)`\(commit.map { " at commit \($0)" } ?? ""). Every value on this page was computed by that run.\n\n"
        out += "## How it differs from the paper's config\n\n"
        if changes.isEmpty {
            out += "It does not: this is the paper's own config.\n\n"
        } else {
            out += "| field | the paper's run | this run |\n|---|---|---|\n"
            for c in changes { out += "| `\(c.key)` | \(cell(Self.short(c.paper))) | \(cell(Self.short(c.ours))) |\n" }
            out += "\n"
        }
        out += "## Claims\n\n"
        out += "Judged with the paper's own rules. The paper's values were stated for its own settings: where this run's settings differ, "
        out += "a claim that does not hold here may only say that the variant is outside the regime the claim speaks of.\n\n"
        let counts = ClaimStatus.allCases.map { s in "\(claims.filter { $0.status == s }.count) \(s.rawValue)" }
        out += "\(claims.count) claims: " + counts.joined(separator: ", ") + ".\n\n"
        if !claims.isEmpty {
            out += "| | claim | statement | paper | ours | seeds | tolerance |\n|---|---|---|---|---|---|---|\n"
            for c in claims {
                out += "| \(Template.mark(c.status)) | \(c.id) | \(cell(c.statement)) | \(cell(c.paperValue.map { "\($0)" } ?? "—")) "
                    + "| \(cell(Template.ours(c))) | \(cell(Template.seedsNote(c) + (c.spread.map { "; \($0)" } ?? ""))) | \(cell(c.tolerance)) |\n"
            }
            out += "\n"
        }
        out += "## Figures\n\n"
        if figures.isEmpty { out += "This experiment draws no figure.\n\n" }
        for f in figures {
            out += "![\(f.name)](figures/\(f.name).svg)\n\n*\(f.name)*: \(f.caption)\n\n"
        }
        out += "## Files\n\n`config.json` (the full config and the command), `claims.json` (every claim with each seed's value), "
        out += "`figures/` (SVG and PNG), `data/\(experiment).json` (the first seed's results, which the figures are drawn from).\n"
        return out
    }
}
